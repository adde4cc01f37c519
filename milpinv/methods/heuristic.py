"""The primal heuristic of the MILP: rounds of batched projected gradient descent (new restarts
each round). With the exact norm the best z of a round walks its linear pieces (:func:`polish`
in linf, one LP a step), which turns a near miss into an exact pre-image; the first accepted
one ends the search. Otherwise the z of smallest residual is returned (a warm start).

Its budget is a count of iterations (:data:`ROUNDS` rounds of :data:`RESTARTS` descents of
:data:`STEPS` steps), not a clock: the same instance takes the same path on any machine. Only a
time limit given by the user caps it, at :data:`SHARE` of that limit."""

from __future__ import annotations

import numpy as np

from ..deadline import Deadline
from ..result import InversionResult
from ..status import Status
from ..tolerance import Acceptance
from .certify import check_result
from .gd import invert_gd
from .polish import polish

SHARE = 0.25  # at most this share of a time limit
ROUNDS, STEPS, RESTARTS, WALK = 6, 300, 32, 30


def heuristic(
    network, target, norm: str, lower, upper, accept: Acceptance, budget: float | None = None
) -> InversionResult:
    """Up to :data:`ROUNDS` rounds, within ``budget`` seconds if given (see the module docstring)."""
    deadline = Deadline(budget)
    x = np.asarray(target, float)
    best = None
    for rnd in range(ROUNDS):
        if deadline.expired():
            break
        found = invert_gd(
            network,
            target,
            norm=norm,
            lower=lower,
            upper=upper,
            accept=accept,
            time_limit=deadline.remaining(),
            seed=rnd,
            steps=STEPS,
            restarts=RESTARTS,
        )
        if norm != "exact":
            return found
        if found.status != Status.OPTIMAL and found.z is not None:
            z = polish(network, target, found.z, "linf", lower, upper, rounds=WALK)
            found = check_result(
                InversionResult(Status.OPTIMAL, z, "gd", norm, objective=0.0, solver=found.solver),
                network,
                x,
                lower,
                upper,
                accept,
            )
        if found.status == Status.OPTIMAL:
            found.solver["rounds"] = rnd + 1
            return found
        if best is None or _linf(found) < _linf(best):
            best = found
    return best if best is not None else InversionResult(Status.FAILED, None, "gd", norm, message="no time for a round")


def _linf(result: InversionResult) -> float:
    return np.inf if result.residual_linf is None else result.residual_linf
