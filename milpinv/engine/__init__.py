"""milpinv's own exact engine: a branch and bound over the unstable neurons with certified pruning."""
