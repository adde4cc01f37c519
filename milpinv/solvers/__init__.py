"""Solver backends: each takes a :class:`~milpinv.solvers.matrix.MatrixModel` and
:class:`~milpinv.solvers.outcome.SolverOptions` and returns an
:class:`~milpinv.solvers.outcome.Outcome`.

Names (:func:`get_solver`): ``highs`` (default, highspy from the matrix form), ``pyomo:NAME``
(any Pyomo solver, e.g. ``pyomo:appsi_highs``), ``ortools-scip`` (SCIP through OR-Tools) and
``cpsat`` (CP-SAT over the integer lattice, integer-weight models only). Backends are imported
when first asked for, so ``import milpinv`` loads none of Pyomo or OR-Tools.

>>> get_solver("highs").name, get_solver("pyomo:appsi_highs").name
('highs', 'pyomo:appsi_highs')
"""

from __future__ import annotations

from ..errors import InputError
from .base import Solver
from .matrix import MatrixModel
from .outcome import Outcome, SolverOptions

BACKEND_NAMES = ("highs", "pyomo:NAME", "ortools-scip", "cpsat")


def get_solver(solver: str | Solver) -> Solver:
    """The backend called ``solver`` (a :class:`Solver` is returned as it is)."""
    if isinstance(solver, Solver):
        return solver
    base, _, sub = str(solver).partition(":")
    if base == "highs" and not sub:
        from .highs import HighsSolver

        return HighsSolver()
    if base == "pyomo" and sub:
        from .pyomo import PyomoSolver

        return PyomoSolver(sub)
    if base == "ortools-scip" and not sub:
        from .ortools import ScipSolver

        return ScipSolver()
    if base == "cpsat" and not sub:
        from .ortools import CpSatSolver

        return CpSatSolver()
    raise InputError(f"solver: unknown backend {solver!r}; choose from {', '.join(BACKEND_NAMES)}")


def solve(
    model: MatrixModel, solver: str | Solver = "highs", options: SolverOptions | None = None, warm_start=None
) -> Outcome:
    """Solve ``model`` with the named backend."""
    return get_solver(solver).solve(model, options or SolverOptions(), warm_start)


__all__ = ["BACKEND_NAMES", "MatrixModel", "Outcome", "Solver", "SolverOptions", "get_solver", "solve"]
