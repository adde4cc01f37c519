"""Polish: walk from a z to the best point of its linear piece, re-read the pattern there and
repeat; the residual never increases (:func:`~milpinv.formulations.pieces.piece_model`, one LP
a step; for the exact norm the point of the piece nearest x in linf, or nearest the observed
interval in the output pre-activations for a tanh / sigmoid output).
The MILP, layer-wise noisy inversion and the heuristic use it. A polish never fails: a model the
LP solver refuses (numbers beyond its range) ends the walk where it stands."""

from __future__ import annotations

import numpy as np

from .formulations.blocks import OutputSpec
from .formulations.pieces import pattern_of, piece_model
from .norm import Norm
from .problem import Problem
from .solvers import Solver, SolverOptions, get_solver
from .status import Status
from .tolerance import residual_norm


def polish(problem: Problem, z: np.ndarray, rounds: int = 10, solver: str | Solver = "highs") -> np.ndarray:
    """Best point of z's piece of ``problem``, repeated while the residual improves; returns the
    best z seen."""
    network, target, norm, (lower, upper) = problem.network, problem.target, problem.norm, problem.box
    engine = get_solver(solver)
    measure = Norm.LINF if norm.exact else norm
    smooth = network.output_activation.smooth  # a tanh / sigmoid output: no linf model of the output
    nearest = norm.exact and smooth  # the piece's point nearest the observation
    spec, box = OutputSpec(target, norm if nearest else measure), problem.box
    best = np.clip(np.asarray(z, dtype=np.float64), lower, upper)
    best_r = residual_norm(network, target, best, measure)
    for _ in range(rounds):
        model = piece_model(network, pattern_of(network, best), spec, box, nearest=nearest)
        out = engine.solve(model, SolverOptions())
        if out.status != Status.OPTIMAL or out.x is None:  # HiGHS may call an LP optimal without a primal point
            break
        cand = np.clip(out.x[: network.input_dim], lower, upper)
        r = residual_norm(network, target, cand, measure)
        if r >= best_r - 1e-15 * max(1.0, best_r):
            if r <= best_r:
                best = cand
            break
        best, best_r = cand, r
    return best
