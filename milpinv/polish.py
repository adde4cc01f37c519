"""Polish: walk from a z to the best point of its linear piece, re-read the pattern there and
repeat; the residual never increases (:func:`~milpinv.formulations.pieces.piece_model`, one LP
a step; for the exact norm the point of the piece nearest x in linf, or nearest the observed
interval in the output pre-activations for a tanh / sigmoid output).
The MILP, layer-wise noisy inversion and the heuristic use it. A polish never fails: a model the
LP solver refuses (numbers beyond its range) ends the walk where it stands."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .formulations.blocks import OutputSpec
from .formulations.pieces import pattern_of, piece_model
from .norm import Norm
from .problem import Problem
from .solvers import Solver, SolverOptions, get_solver
from .status import Status
from .tolerance import residual_norm

Piece = Callable[[list[np.ndarray]], "np.ndarray | None"]  # a pattern -> the z of its piece's optimum, or None


def polish(
    problem: Problem, z: np.ndarray, rounds: int = 10, solver: str | Solver = "highs", piece: Piece | None = None
) -> np.ndarray:
    """Best point of z's piece of ``problem``, repeated while the residual improves; returns the
    best z seen. The LP of a piece: ``piece`` if given (l1 / linf: the heuristic's persistent LP,
    :class:`milpinv.milp.piece_lp.PieceLP`), else :func:`piece_solver` with ``solver``."""
    network, target, norm, (lower, upper) = problem.network, problem.target, problem.norm, problem.box
    measure = Norm.LINF if norm.exact else norm
    piece = piece or piece_solver(problem, get_solver(solver))
    best = np.clip(np.asarray(z, dtype=np.float64), lower, upper)
    best_r = residual_norm(network, target, best, measure)
    for _ in range(rounds):
        point = piece(pattern_of(network, best))
        if point is None:
            break
        cand = np.clip(point, lower, upper)
        r = residual_norm(network, target, cand, measure)
        if r >= best_r - 1e-15 * max(1.0, best_r):
            if r <= best_r:
                best = cand
            break
        best, best_r = cand, r
    return best


def piece_solver(problem: Problem, engine: Solver) -> Piece:
    """The polish's LP of a piece: :func:`~milpinv.formulations.pieces.piece_model` (for the exact
    norm linf, or the gap to the observed interval under a tanh / sigmoid output) solved by
    ``engine``, a new model each time."""
    network, target, norm = problem.network, problem.target, problem.norm
    nearest = norm.exact and network.output_activation.smooth  # no linf model of a smooth output
    spec = OutputSpec(target, norm if nearest or not norm.exact else Norm.LINF)

    def solve(pattern: list[np.ndarray]) -> np.ndarray | None:
        out = engine.solve(piece_model(network, pattern, spec, problem.box, nearest=nearest), SolverOptions())
        if out.status != Status.OPTIMAL or out.x is None:  # HiGHS may call an LP optimal without a primal point
            return None
        return out.x[: network.input_dim]

    return solve
