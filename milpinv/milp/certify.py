"""Certification of a backend's claim: what a floating-point or lattice MILP engine's proof may
claim, checked apart from the engine that produced it (the acceptance rule and the forward-pass
re-check of every z are in :mod:`milpinv.acceptance`).

* :func:`certify` decides whether a proof claimed by a floating-point MILP engine (HiGHS,
  SCIP, a Pyomo solver) stands: an ``infeasible`` or an l1 / linf ``optimal`` is re-proven by
  milpinv's branch and bound (:mod:`milpinv.engine.bab`), whose every pruning is certified by
  safe dual bounds in exact arithmetic; a claim it cannot re-prove in time is downgraded
  (``failed`` / ``feasible``) and says why. A lattice engine's (CP-SAT's) "infeasible" is a proof
  over the reals only where every pre-image is integral, and its l1 / linf optimum never is.
"""

from __future__ import annotations

import numpy as np

from ..result import InversionResult
from ..status import Status
from ..tolerance import Acceptance
from .solve import candidate_judge, search_model


def lattice_claim(result: InversionResult, accept: Acceptance) -> InversionResult:
    """A lattice engine's verdict as a verdict over the reals (see the module docstring)."""
    if result.status == Status.INFEASIBLE and not accept.lattice:
        return InversionResult(
            Status.FAILED,
            None,
            result.method,
            result.norm,
            solver=result.solver,
            message="no pre-image on the lattice, which proves nothing over the reals: "
            "the pre-images are not proven integral",
        )
    if not result.norm.exact and result.status == Status.OPTIMAL:
        result.status, result.bound, result.gap = Status.FEASIBLE, None, None
        result.note("the optimum of the integer lattice, not proven over the reals")
    return result


def certify(result: InversionResult, form, problem, engine, peeled: int, solve_full) -> InversionResult:
    """The certify stage of the MILP (see the module docstring): returns the result as it may stand."""
    if peeled and result.status != Status.TIME_LIMIT and not answers_origin(result, problem, engine):
        return solve_full()  # the peeled target is a float solve: only the full model may prove infeasibility
    if engine.lattice:
        return lattice_claim(result, problem.accept)
    claims_proof = result.status == Status.INFEASIBLE or (not problem.norm.exact and result.status == Status.OPTIMAL)
    if engine.solver is None or result.solver.get("certified_by"):
        return result
    if not claims_proof:
        return without_backend_bound(result)
    again = search_model(form, problem, engine, result.z)
    return _reconcile(result, again)


def answers_origin(result: InversionResult, problem, engine) -> bool:
    """A peeled solve's result answers the question it came from: a z that question's acceptance
    takes on its own outputs (a measurement A G(z), not the peeled target A^-1 y), polished there."""
    if result.status != Status.OPTIMAL or result.z is None:
        return False
    accepted, _, z = candidate_judge(problem, engine.lp_solver)(np.asarray(result.z, float))
    if accepted:
        result.z = z
    return accepted


def without_backend_bound(result: InversionResult) -> InversionResult:
    """A backend's answer that claims no proof: its own bound is floating point, never
    re-proven, so it is kept aside (``solver["backend_bound"]``), not reported as ``bound``."""
    if result.bound is not None:
        result.solver["backend_bound"] = result.bound
        result.bound = result.gap = None
        result.note("the backend's bound is not certified (solver['backend_bound'])")
    return result


def _reconcile(claim: InversionResult, again: InversionResult) -> InversionResult:
    """A backend's proof claim against the branch and bound's certified answer."""
    backend = claim.solver.get("engine", "the solver")
    nodes = again.solver.get("nodes")
    if again.status == claim.status and (claim.norm.exact or again.bound is not None):
        if not claim.norm.exact:
            claim.bound, claim.gap = again.bound, again.gap
            if again.objective is not None and (claim.objective is None or again.objective < claim.objective):
                claim.z, claim.objective = again.z, again.objective
        claim.solver["certified_by"] = f"milpinv branch and bound ({nodes} nodes, safe dual bounds)"
        return claim
    if claim.status == Status.INFEASIBLE:
        if again.status == Status.OPTIMAL:
            again.note(f"{backend} reported infeasible; the branch and bound found a pre-image")
            return again
        return InversionResult(
            Status.FAILED,
            None,
            claim.method,
            claim.norm,
            solver=claim.solver,
            message=f"{backend} reports infeasible, not certified: {again.message or again.status}",
        )
    claim.status, claim.bound, claim.gap = Status.FEASIBLE, again.bound, again.gap
    if (
        again.z is not None
        and again.objective is not None
        and (claim.objective is None or again.objective < claim.objective)
    ):
        claim.z, claim.objective = again.z, again.objective
    claim.note(f"{backend}'s optimum not certified: {again.message or again.status}")
    return claim
