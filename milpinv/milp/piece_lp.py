"""One LP for many linear pieces: the layered piece LP
(:mod:`milpinv.formulations.layered`) held by an incremental LP solver
(:mod:`milpinv.solvers.incremental`); moving to another piece changes the column bounds of the
neurons whose side differs, and the solve starts from the last basis (dual simplex).
What the heuristic's flip search solves, one neuron flipped at a time."""

from __future__ import annotations

import numpy as np

from ..errors import SolverError
from ..formulations.blocks import OutputSpec
from ..formulations.layered import layered_piece
from ..problem import Problem
from ..solvers import Outcome, SolverOptions, get_solver
from ..status import Status


class PieceLP:
    """The l1 / linf LP of a piece of ``problem``'s network, loaded once on the piece of
    ``pattern`` and moved from piece to piece by :meth:`solve`."""

    def __init__(self, problem: Problem, pattern: list[np.ndarray]) -> None:
        self.deadline = problem.deadline
        self.piece = layered_piece(problem.network, pattern, OutputSpec(problem.target, problem.norm), problem.box)
        self.lp = get_solver("highs").incremental(self.piece.model, SolverOptions())
        self.pattern = [p.copy() for p in pattern]
        self.known: dict[bytes, np.ndarray | None] = {}

    def solve(self, pattern: list[np.ndarray]) -> np.ndarray | None:
        """The z of an optimum of the norm on the piece of ``pattern`` (None: the piece is empty
        in the box, no optimum in time, or a failure of the LP solver). A piece solved before
        gives the optimum found then (walks from different points meet the same pieces)."""
        key = np.concatenate(pattern).tobytes()
        if key in self.known:
            return self.known[key]
        out = self._solve(pattern)
        z = self.piece.point(out.x) if out is not None and out.status == Status.OPTIMAL and out.x is not None else None
        if out is not None and out.status in (Status.OPTIMAL, Status.INFEASIBLE):  # a verdict, not a stop
            self.known[key] = z
        return z

    def _solve(self, pattern: list[np.ndarray]) -> Outcome | None:
        """The LP moved to the piece of ``pattern`` and solved (None: the LP solver failed)."""
        change = self.piece.changes(self.pattern, pattern)
        self.lp.set_col_bounds(change.cols, change.lower, change.upper)
        self.pattern = [p.copy() for p in pattern]
        try:
            return self.lp.solve(self.deadline.remaining())
        except SolverError:  # HiGHS failed on this piece: the next solve starts afresh
            self.lp.reset()
            return None
