"""Formulations: networks and observations as matrix models (:class:`~milpinv.solvers.matrix.MatrixModel`).

They build models and never call a solver: :mod:`.blocks` (the constraint blocks every model
shares, each written once), :mod:`.bigm` (the exact MILP), :mod:`.relaxation` (its triangle LP
relaxation), :mod:`.layer_lp` (one layer's LPs) and :mod:`.pieces` (one linear piece's LP).
"""
