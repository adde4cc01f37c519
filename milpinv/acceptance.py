"""The acceptance rule and the forward-pass re-check that every method's result goes through.

* :func:`acceptance` fixes, once per instance, when a z answers the exact-norm question
  (:mod:`milpinv.tolerance`): within ``tolerance(x)``, or exactly on the lattice where every
  pre-image is proven integral (:mod:`milpinv.bounds.integrality`; an instance's meta is never
  trusted for this).
* :func:`check_result` re-checks every z by a float64 forward pass (the lattice: integer
  arithmetic) and downgrades any claim the residual does not support; every method's result goes
  through it, in :func:`milpinv.invert`.
"""

from __future__ import annotations

import numpy as np

from .bounds.integrality import integral_preimages
from .measurement import SmoothMeasured
from .network import ReluNetwork
from .norm import Norm
from .result import InversionResult
from .status import Status
from .tolerance import Acceptance, objective_slack, relative_gap, residuals, tolerance


def integer_data(
    network: ReluNetwork | SmoothMeasured, target: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> bool:
    """Integer weights, biases, target and box."""
    return network.is_integral() and all(np.array_equal(a, np.round(a)) for a in (target, lower, upper))


def acceptance(
    network: ReluNetwork | SmoothMeasured, target: np.ndarray, norm: Norm, lower: np.ndarray, upper: np.ndarray
) -> Acceptance:
    """The acceptance rule of this instance (see :mod:`milpinv.tolerance`)."""
    lattice = (
        norm.exact and integer_data(network, target, lower, upper) and integral_preimages(network, target, lower, upper)
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
    if result.norm.exact:
        z, miss, result.verified = accept.check(network, x, z, lower, upper)
    result.z = np.clip(z, lower, upper)
    result.residual_l1, result.residual_linf = residuals(network, x, result.z)
    if not result.norm.exact:
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
