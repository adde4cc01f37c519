"""The inversion methods (lp, layerwise, gd, milp) and the stages of the MILP pipeline."""
