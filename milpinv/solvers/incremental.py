"""The incremental LP: what milpinv's branch and bound asks of an LP solver.

One LP relaxation is loaded once and then changed in place, node after node: column and row
bounds, single coefficients (the big-M constants of a node), appended rows (cuts). Each
:meth:`IncrementalLP.solve` starts from the previous basis where the solver can, or from one the
caller stored (:meth:`IncrementalLP.basis`) and handed back (:meth:`IncrementalLP.set_basis`: a
node searched after a backtrack starts from its parent's basis), and returns an
:class:`~milpinv.solvers.outcome.Outcome`:

* ``optimal``: ``x``, ``objective`` and ``duals``, row multipliers y whose reduced costs are
  c - A^T y (None when the solver has none: the node then gets no safe bound);
* ``infeasible``: ``ray``, a Farkas ray over the rows, of either sign (None: no certificate, the
  node is not pruned);
* ``time_limit``: stopped by ``time_limit`` or by a Ctrl-C (:mod:`milpinv.interrupt`; the
  ``raw_status`` then says ``interrupted (Ctrl-C)``), with no answer;
* anything else: no usable answer. A solver failure raises
  :class:`~milpinv.errors.SolverError`, after which :meth:`IncrementalLP.reset` must make the LP
  usable again.

Nothing the solver returns is trusted: the engine checks every bound and every ray in exact
arithmetic (:mod:`milpinv.bounds.safe`). A backend offers its incremental LP through
:meth:`milpinv.solvers.base.Solver.incremental` (HiGHS: :class:`milpinv.solvers.highs.HighsLP`);
the engine is handed the factory and imports no backend.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from .matrix import MatrixModel
from .outcome import Outcome, SolverOptions


class IncrementalLP(Protocol):
    """An LP relaxation held by a solver across many solves (module docstring)."""

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None: ...

    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None: ...

    def set_coefficients(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None: ...

    def add_rows(self, rows: sp.spmatrix, lower: np.ndarray, upper: np.ndarray) -> None:
        """Append rows (a sparse matrix over the LP's columns)."""
        ...

    def reset(self) -> None:
        """Forget the basis and factorisation (after an error), keeping the model."""
        ...

    def basis(self) -> object | None:
        """The basis of the last solve, an opaque value for :meth:`set_basis` of this LP (None:
        the solver keeps none)."""
        ...

    def set_basis(self, basis: object) -> None:
        """Start the next solve from ``basis`` (from :meth:`basis`, possibly several solves ago; only
        a warm start: the answer and its certificates do not depend on it)."""
        ...

    def solve(self, time_limit: float | None = None) -> Outcome:
        """Solve within ``time_limit`` seconds of this solve (None: no limit)."""
        ...


LPFactory = Callable[[MatrixModel, SolverOptions], IncrementalLP]
"""Loads the LP relaxation of a model (its integrality ignored) with the given options."""
