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
from .result import NORMS, OPTIMAL, InversionResult, check_result

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
        if inst.meta.get("integral_preimage"):
            options.setdefault("integral_preimage", True)
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
    integral = bool(options.get("integral_preimage")) and norm == "exact"
    if method not in ("milp", "auto"):
        options.pop("integral_preimage", None)
    lower, upper = make_box(network, box)
    t0 = time.perf_counter()
    if method == "auto":
        result = _auto(network, x, norm, lower, upper, time_limit, options, integral)
    else:
        result = _run(method, network, x, norm, lower, upper, time_limit, options, integral)
    result.time_s = time.perf_counter() - t0
    return result


def _run(method, network, x, norm, lower, upper, time_limit, options, integral=False) -> InversionResult:
    module, func = METHODS[method]
    fn = getattr(importlib.import_module(module), func)
    result = fn(network, x, norm=norm, lower=lower, upper=upper, time_limit=time_limit, **options)
    return check_result(result, network, x, lower, upper, integral=integral)


def _auto(network, x, norm, lower, upper, time_limit, options, integral=False) -> InversionResult:
    """Layer-wise LP first (polynomial); if it gives no verified optimum, the exact MILP."""
    t0 = time.perf_counter()
    first = _run("layerwise", network, x, norm, lower, upper, time_limit, {}, integral)
    if first.status == OPTIMAL:
        first.method = "auto:layerwise"
        return first
    remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
    warm = first.z if first.z is not None else None
    second = _run("milp", network, x, norm, lower, upper, remaining, {"warm_start": warm, **options}, integral)
    second.method = "auto:milp"
    second.solver["layerwise"] = {"status": first.status, "message": first.message}
    return second
