"""``invert()``: one entry point for every method, with the float64 re-check of every z.

Methods register as ``name -> (module, function)``; each function has the signature
``fn(network, target, *, norm, lower, upper, time_limit, **options) -> InversionResult``
and returns a result whose residuals :func:`invert` fills in and checks.
"""
from __future__ import annotations

import importlib
import time

import numpy as np

from .errors import InputError
from .instance import Instance, check_target, make_box
from .network import ReluNetwork
from .result import (FAILED, FEASIBLE, INFEASIBLE, NORMS, OPTIMAL, TIME_LIMIT, InversionResult,
                     residuals, tolerance)

METHODS: dict[str, tuple[str, str]] = {
    "lp": ("milpinv.single_layer", "invert_single_layer"),
    "layerwise": ("milpinv.layerwise", "invert_layerwise"),
    "gd": ("milpinv.gd", "invert_gd"),
    "milp": ("milpinv.milp", "invert_milp"),
}
METHOD_NAMES = tuple(METHODS) + ("auto",)


def invert(
    network: ReluNetwork | Instance,
    target=None,
    method: str = "auto",
    norm: str = "exact",
    box=None,
    time_limit: float | None = None,
    **options,
) -> InversionResult:
    """Find z in the latent box with G(z) = target (``norm="exact"``) or minimising
    ||G(z) - target|| in ``"l1"`` or ``"linf"``.

    ``network`` may be an :class:`Instance` (then target and box come from it).
    ``box``: None (default [-3, 3]^n), a radius, or (lower, upper).
    ``method``: ``auto`` (layer-wise LP, verified, else the exact MILP), ``layerwise``,
    ``lp`` (single layer), ``milp`` or ``gd``. Extra options go to the method; an instance whose
    meta says ``integral_preimage`` passes that on to the MILP (every pre-image is integral).
    """
    if isinstance(network, Instance):
        inst = network
        network, target = inst.network, inst.target if target is None else target
        box = (inst.lower, inst.upper) if box is None else box
        if method in ("milp", "auto") and inst.meta.get("integral_preimage"):
            options.setdefault("integral_preimage", True)  # lets CP-SAT's lattice verdict count as proof
    if not isinstance(network, ReluNetwork):
        raise InputError(f"network: expected a ReluNetwork or Instance, got {type(network).__name__}")
    if norm not in NORMS:
        raise InputError(f"norm: expected one of {NORMS}, got {norm!r}")
    if method not in METHOD_NAMES:
        raise InputError(f"method: expected one of {METHOD_NAMES}, got {method!r}")
    if target is None:
        raise InputError("target: missing")
    if time_limit is not None and not (np.isfinite(time_limit) and time_limit > 0):
        raise InputError(f"time_limit: must be a positive number of seconds, got {time_limit}")
    x = check_target(network, target, allow_negative=norm != "exact")
    lower, upper = make_box(network, box)
    t0 = time.perf_counter()
    if method == "auto":
        result = _auto(network, x, norm, lower, upper, time_limit, options)
    else:
        result = _run(method, network, x, norm, lower, upper, time_limit, options)
    result.time_s = time.perf_counter() - t0
    return result


def _run(method, network, x, norm, lower, upper, time_limit, options) -> InversionResult:
    module, func = METHODS[method]
    fn = getattr(importlib.import_module(module), func)
    result = fn(network, x, norm=norm, lower=lower, upper=upper, time_limit=time_limit, **options)
    return check_result(result, network, x, lower, upper)


def _auto(network, x, norm, lower, upper, time_limit, options) -> InversionResult:
    """Layer-wise LP first (polynomial); if it gives no verified optimum, the exact MILP."""
    t0 = time.perf_counter()
    first = _run("layerwise", network, x, norm, lower, upper, time_limit, {})
    if first.status == OPTIMAL:
        first.method = "auto:layerwise"
        return first
    remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
    warm = first.z if first.z is not None else None
    second = _run("milp", network, x, norm, lower, upper, remaining, {"warm_start": warm, **options})
    second.method = "auto:milp"
    second.solver["layerwise"] = {"status": first.status, "message": first.message}
    return second


def check_result(result: InversionResult, network: ReluNetwork, x: np.ndarray,
                 lower: np.ndarray, upper: np.ndarray) -> InversionResult:
    """Re-check ``result.z`` by a float64 forward pass; downgrade any claim it does not support."""
    tol = tolerance(x)
    if result.status == INFEASIBLE:
        result.z = None
        result.residual_l1 = result.residual_linf = None
        return result
    if result.z is None:
        if result.status in (OPTIMAL, FEASIBLE):
            result.status, result.message = FAILED, result.message or "method returned no z"
        return result
    z = np.asarray(result.z, dtype=np.float64).reshape(-1)
    if z.shape != (network.input_dim,) or not np.all(np.isfinite(z)):
        result.status, result.z = FAILED, None
        result.message = "method returned a malformed z"
        return result
    box_tol = 1e-7 * max(1.0, float(np.max(np.abs(np.concatenate([lower, upper])))))
    if np.any(z < lower - box_tol) or np.any(z > upper + box_tol):
        result.message = (result.message + "; " if result.message else "") + "z left the box: clipped"
    z = np.clip(z, lower, upper)
    result.z = z
    result.residual_l1, result.residual_linf = residuals(network, x, z)
    if result.status not in (OPTIMAL, FEASIBLE, TIME_LIMIT):
        return result
    if result.norm == "exact":
        if result.residual_linf > tol:
            if result.status != TIME_LIMIT:
                result.status = FAILED
            result.message = (f"forward pass residual {result.residual_linf:.3g} exceeds tolerance {tol:.3g}"
                              + (f"; {result.message}" if result.message else ""))
    else:
        true_obj = result.residual_l1 if result.norm == "l1" else result.residual_linf
        if result.objective is not None and true_obj > result.objective + tol * max(1, x.size if result.norm == "l1" else 1):
            result.message = (f"solver objective {result.objective:.6g} below the forward-pass residual "
                              f"{true_obj:.6g}; reporting the residual" + (f"; {result.message}" if result.message else ""))
            if result.status == OPTIMAL:
                result.status = FEASIBLE
        result.objective = true_obj
    return result
