"""Certification: what a result may claim, checked apart from the engine that produced it.

* :func:`acceptance` fixes, once per instance, when a z answers the exact-norm question
  (:mod:`milpinv.tolerance`): within ``tolerance(x)``, or exactly on the lattice where every
  pre-image is proven integral (:mod:`milpinv.bounds.integrality`; an instance's meta is never
  trusted for this).
* :func:`check_result` re-checks every z by a float64 forward pass (the lattice: integer
  arithmetic) and downgrades any claim the residual does not support; every method's result goes
  through it, in :func:`milpinv.invert`.
* :func:`certify_claim` decides whether a proof claimed by a floating-point MILP engine (HiGHS,
  SCIP, a Pyomo solver) stands: an ``infeasible`` or an l1 / linf ``optimal`` is re-proven by
  milpinv's branch and bound (:mod:`milpinv.engine.bab`), whose every pruning is certified by
  safe dual bounds in exact arithmetic; a claim it cannot re-prove in time is downgraded
  (``failed`` / ``feasible``) and says why. A lattice engine's (CP-SAT's) "infeasible" is a proof
  over the reals only where every pre-image is integral, and its l1 / linf optimum never is.
"""

from __future__ import annotations

import numpy as np

from ..bounds.integrality import integral_preimages
from ..measurement import SmoothMeasured
from ..network import ReluNetwork
from ..result import InversionResult
from ..status import Status
from ..tolerance import Acceptance, objective_slack, relative_gap, residuals, tolerance
from .solve import candidate_judge, search_model


def integer_data(
    network: ReluNetwork | SmoothMeasured, target: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> bool:
    """Integer weights, biases, target and box."""
    return network.is_integral() and all(np.array_equal(a, np.round(a)) for a in (target, lower, upper))


def acceptance(
    network: ReluNetwork | SmoothMeasured, target: np.ndarray, norm: str, lower: np.ndarray, upper: np.ndarray
) -> Acceptance:
    """The acceptance rule of this instance (see :mod:`milpinv.tolerance`)."""
    lattice = (
        norm == "exact"
        and integer_data(network, target, lower, upper)
        and integral_preimages(network, target, lower, upper)
    )
    return Acceptance(0.0 if lattice else tolerance(target), lattice)


def check_result(
    result: InversionResult,
    network: ReluNetwork | SmoothMeasured,
    x: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    accept: Acceptance | None = None,
) -> InversionResult:
    """Re-check ``result.z`` by a forward pass; downgrade any claim it does not support."""
    accept = accept or Acceptance(tolerance(x))
    if result.status == Status.INFEASIBLE:
        result.z = None
        result.residual_l1 = result.residual_linf = None
        return result
    if result.z is None:
        if result.status in (Status.OPTIMAL, Status.FEASIBLE):
            result.status, result.message = Status.FAILED, result.message or "method returned no z"
        return result
    z = np.asarray(result.z, dtype=np.float64).reshape(-1)
    if z.shape != (network.input_dim,) or not np.all(np.isfinite(z)):
        result.status, result.z = Status.FAILED, None
        result.message = "method returned a malformed z"
        return result
    box_tol = 1e-7 * max(1.0, float(np.max(np.abs(np.concatenate([lower, upper])))))
    if np.any(z < lower - box_tol) or np.any(z > upper + box_tol):
        result.note("z left the box: clipped")
    if result.norm == "exact":
        z, miss, result.verified = accept.check(network, x, z, lower, upper)
    result.z = np.clip(z, lower, upper)
    result.residual_l1, result.residual_linf = residuals(network, x, result.z)
    if result.norm != "exact":
        result.verified = True
        _check_objective(result, x, accept.tol)
    elif result.status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT) and not result.verified:
        if result.status != Status.TIME_LIMIT:
            result.status = Status.FAILED
        rule = "0 on the lattice (exact integer arithmetic)" if accept.lattice else f"tolerance {accept.tol:.3g}"
        result.note(f"forward pass residual {miss:.3g} exceeds {rule}")
    return result


def _check_objective(result: InversionResult, x: np.ndarray, tol: float) -> None:
    """l1 / linf: the objective is the forward-pass residual, a claimed optimum may not exceed it,
    and the gap is measured against it (0 where objective and bound agree within the slack)."""
    true_obj = result.residual(result.norm)
    assert true_obj is not None  # set by check_result
    slack = objective_slack(result.norm, tol, x.size)
    if result.objective is not None and true_obj > result.objective + slack:
        result.note(
            f"solver objective {result.objective:.6g} below the forward-pass residual "
            f"{true_obj:.6g}; reporting the residual"
        )
        if result.status == Status.OPTIMAL:
            result.status = Status.FEASIBLE
    result.objective = true_obj
    if result.bound is not None:
        result.gap = relative_gap(true_obj, result.bound, slack)


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
    if result.norm != "exact" and result.status == Status.OPTIMAL:
        result.status, result.bound, result.gap = Status.FEASIBLE, None, None
        result.note("the optimum of the integer lattice, not proven over the reals")
    return result


def certify(result: InversionResult, form, problem, engine, peeled: int, solve_full) -> InversionResult:
    """The certify stage of the MILP (see the module docstring): returns the result as it may stand."""
    if peeled and result.status != Status.TIME_LIMIT and not answers_origin(result, problem, engine):
        return solve_full()  # the peeled target is a float solve: only the full model may prove infeasibility
    if engine.lattice:
        return lattice_claim(result, problem.accept)
    claims_proof = result.status == Status.INFEASIBLE or (problem.norm != "exact" and result.status == Status.OPTIMAL)
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
    if again.status == claim.status and (claim.norm == "exact" or again.bound is not None):
        if claim.norm != "exact":
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
