"""The interface every backend implements, and a repeated-LP session on top of it."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

import numpy as np

from ..errors import SolverError
from ..status import Status
from .incremental import IncrementalLP
from .matrix import MatrixModel
from .outcome import Outcome, SolverOptions


class Solver:
    """A backend: ``solve(model, options, warm_start)``. ``lattice`` backends (CP-SAT) search the
    integer points of the model only, so their verdicts are about the lattice."""

    name: str = "solver"
    supported: ClassVar[frozenset[str]] = frozenset()
    lattice: ClassVar[bool] = False

    def solve(self, model: MatrixModel, options: SolverOptions, warm_start: np.ndarray | None = None) -> Outcome:
        """The backend's answer; an option it does not take is the caller's error (InputError), an
        error of the backend on the model (HiGHS rejecting it, a Pyomo solver failing) an outcome."""
        options.refuse_unsupported(self.name, self.supported)
        try:
            return self._solve(model, options, warm_start)
        except SolverError as exc:
            return self.refused(exc)

    def refused(self, exc: SolverError) -> Outcome:
        """A backend error as an answer: ``failed``, with the backend's reason. The models are
        milpinv's, built from checked input: a backend refusing one is no fault of the user's."""
        return Outcome(Status.FAILED, solver=self.name, raw_status=str(exc))

    def _solve(self, model: MatrixModel, options: SolverOptions, warm_start: np.ndarray | None) -> Outcome:
        raise NotImplementedError

    def session(self, model: MatrixModel, options: SolverOptions) -> LPSession:
        """Solve one LP many times with different objectives (bound tightening)."""
        return LPSession(self, model, options)

    def incremental(self, model: MatrixModel, options: SolverOptions) -> IncrementalLP:
        """The LP relaxation of ``model`` held for many solves (:mod:`.incremental`): the
        branch and bound's node LPs."""
        raise SolverError(f"solver {self.name}: no incremental LP (the branch and bound's LPs take highs)")

    def __repr__(self) -> str:
        return f"<solver {self.name}>"


class LPSession:
    """Re-solves ``model`` for each new cost vector; backends may keep a warm basis instead."""

    def __init__(self, solver: Solver, model: MatrixModel, options: SolverOptions) -> None:
        self.solver, self.model, self.options = solver, model, options

    def minimize(self, cols: np.ndarray, cost: np.ndarray) -> Outcome:
        """min cost . v[cols] over the model."""
        c = np.zeros(self.model.num_vars)
        c[cols] = cost
        return self.solver.solve(replace(self.model, c=c), self.options)
