"""The inversion methods that need no MILP: lp (one layer), layerwise and gd; the MILP is :mod:`milpinv.milp`."""
