"""The primal heuristic of the MILP: rounds of batched projected gradient descent (new restarts
each round).

* Exact norm: the best z of a round walks its linear pieces (:func:`polish` in linf, one LP a
  step), which turns a near miss into an exact pre-image; a miss the walk cannot mend may be
  handed to a search of its neighbourhood (``explore``); the first accepted point ends the
  search. Otherwise the z of smallest residual is returned (a warm start).
* l1 / linf: the best descents of a round (:data:`NOISY_EFFORT`) are polished in the norm (the optimum
  of their piece) and then search the pieces next door (:func:`flip_search`: the neurons closest
  to their kink flipped one at a time, an LP each, a better piece taken at once). The polish and
  flip LPs of a run are one layered LP held by HiGHS (:class:`.piece_lp.PieceLP`): a flip changes
  column bounds, the solve starts from the last basis, a piece met again is not solved again
  (PERFORMANCE.md 28). The best point found is the incumbent the branch and bound starts from:
  with the optimum in hand its proof is often one node.

Its budget is a count of iterations (:data:`ROUNDS` rounds of :data:`RESTARTS` descents of
:data:`STEPS` steps), not a clock: the same instance takes the same path on any machine. Only a
time limit given by the user caps it: the pipeline hands it a share of the clock
(:meth:`milpinv.deadline.Deadline.share`, :data:`SHARE` of the limit)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..acceptance import check_result
from ..errors import SolverError
from ..formulations.pieces import kink_order, pattern_of
from ..methods.gd import Descent, descend, invert_gd
from ..options import GdOptions
from ..polish import polish
from ..problem import Problem
from ..result import InversionResult
from ..status import Status
from ..tolerance import residual_norm
from .piece_lp import PieceLP

SHARE = 0.25  # at most this share of a time limit
ROUNDS, STEPS, RESTARTS, WALK = 6, 300, 32, 30
EXPLORED_ROUNDS = 3  # exact norm with a neighbourhood search: later rounds rarely found more (PERFORMANCE.md 22)
NOISY_EFFORT = (2, 4, 40)  # l1 / linf: rounds, descents polished per round, flip LPs per point
QUICK_EFFORT = (1, 2, 20)  # l1 / linf first pass, enough when the root of the search proves it
PATIENCE = 20  # a flip walk stops after this many flips in a row found nothing better (PERFORMANCE.md 28)


Explore = Callable[[np.ndarray], "np.ndarray | None"]  # a near miss -> a pre-image near it, or None


def heuristic(problem: Problem, quick: bool = False, explore: Explore | None = None) -> InversionResult:
    """Up to :data:`ROUNDS` rounds on the problem's clock (a stage's share: see the module
    docstring); ``quick``: l1 / linf with :data:`QUICK_EFFORT` instead of :data:`NOISY_EFFORT`;
    ``explore`` (exact norm): searches around a round's near miss for a pre-image
    (:mod:`milpinv.milp.neighbourhood`), whose point is checked as the round's own, in each of
    :data:`EXPLORED_ROUNDS` rounds."""
    if not problem.norm.exact:
        return noisy_heuristic(problem, QUICK_EFFORT if quick else NOISY_EFFORT)
    best = None
    for rnd in range(ROUNDS if explore is None else EXPLORED_ROUNDS):
        if problem.deadline.expired():
            break
        found = invert_gd(problem, GdOptions(seed=rnd, steps=STEPS, restarts=RESTARTS))
        if found.status != Status.OPTIMAL and found.z is not None:
            z = polish(problem, found.z, rounds=WALK)
            found = check_result(
                InversionResult(Status.OPTIMAL, z, "gd", problem.norm, objective=0.0, solver=found.solver),
                problem.network,
                problem.target,
                problem.lower,
                problem.upper,
                problem.accept,
            )
            near = None if found.status == Status.OPTIMAL or explore is None else explore(z)
            if near is not None:
                claim = InversionResult(Status.OPTIMAL, near, "gd", problem.norm, objective=0.0, solver=found.solver)
                found = check_result(
                    claim, problem.network, problem.target, problem.lower, problem.upper, problem.accept
                )
                found.solver["neighbourhood"] = True
        if found.status == Status.OPTIMAL:
            found.solver["rounds"] = rnd + 1
            return found
        if best is None or _linf(found) < _linf(best):
            best = found
    if best is not None:
        return best
    return InversionResult(Status.FAILED, None, "gd", problem.norm, message="no time for a round")


def _linf(result: InversionResult) -> float:
    return np.inf if result.residual_linf is None else result.residual_linf


def noisy_heuristic(problem: Problem, effort: tuple[int, int, int] = NOISY_EFFORT) -> InversionResult:
    """The l1 / linf heuristic of the module docstring (``effort``: rounds, descents polished per
    round, flip LPs per point); returns the best point as ``feasible``."""
    rounds, polished, flips = effort
    network, x, norm = problem.network, problem.target, problem.norm
    best_z, best, lps, lp = None, np.inf, 0, None
    for rnd in range(rounds):
        if problem.deadline.expired():
            break
        Z, loss, _, _ = descend(problem, Descent(RESTARTS, STEPS, rnd))
        for z in Z[np.argsort(loss)[:polished]]:
            lp = lp or piece_lp(problem, z)
            z = polish(problem, z, rounds=WALK, piece=None if lp is None else lp.solve)
            z, tried = flip_search(problem, z, flips, lp)
            lps += tried
            value = residual_norm(network, x, z, norm)
            if value < best:
                best_z, best = z, value
    if best_z is None:
        return InversionResult(Status.FAILED, None, "gd", norm, message="no time for a round")
    return InversionResult(Status.FEASIBLE, best_z, "gd", norm, objective=best, solver={"flip_lps": lps})


def piece_lp(problem: Problem, z: np.ndarray) -> PieceLP | None:
    """The flip search's LP, loaded on z's piece (None: the LP solver refused the model, numbers
    beyond its range)."""
    try:
        return PieceLP(problem, pattern_of(problem.network, z))
    except SolverError:
        return None


def flip_search(problem: Problem, z: np.ndarray, flips: int, lp: PieceLP | None) -> tuple[np.ndarray, int]:
    """Local search over the pieces next to z's: flip one neuron of its activation pattern (those
    closest to their kink first), optimise the norm on that piece (one LP of ``lp``: a flip is a
    change of column bounds; None: no search), and move when it is better; at most ``flips`` LPs,
    and none after :data:`PATIENCE` in a row that found nothing better, on the problem's clock.
    Returns the best point and the LPs solved."""
    if lp is None:
        return z, 0
    network, x, norm, deadline = problem.network, problem.target, problem.norm, problem.deadline
    best, value, tried, last = z, residual_norm(network, x, z, norm), 0, 0
    improved = True
    while improved and tried < flips and not deadline.expired():
        improved = False
        pattern = pattern_of(network, best)
        for k, i in kink_order(network, best):
            if tried >= min(flips, last + PATIENCE) or deadline.expired():
                break
            flipped = [p.copy() for p in pattern]
            flipped[k][i] = not flipped[k][i]
            tried += 1
            point = lp.solve(flipped)
            if point is None:
                continue
            cand = problem.box.clip(point)
            r = residual_norm(network, x, cand, norm)
            if r < value - 1e-12 * max(1.0, value):
                best, value, improved, last = cand, r, True, tried
                break
    return best, tried
