"""``invert()``: one entry point for every method, with the float64 re-check of every z.

Each method is a function ``fn(network, target, *, norm, lower, upper, time_limit, **options)``
returning an :class:`~milpinv.result.InversionResult`; :func:`invert` validates the input, runs
it and re-checks its z (:func:`milpinv.methods.certify.check_result`).
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable

import numpy as np

from .bounds.interval import interval_bounds
from .deadline import Deadline
from .errors import InputError
from .instance import NORMS, Instance, check_target, make_box
from .methods.certify import acceptance, check_result
from .methods.gd import invert_gd
from .methods.layerwise import invert_layerwise
from .methods.lp import invert_single_layer
from .methods.milp import invert_milp
from .network import ReluNetwork
from .result import InversionResult
from .status import Status

METHODS: dict[str, Callable[..., InversionResult]] = {
    "lp": invert_single_layer,
    "layerwise": invert_layerwise,
    "gd": invert_gd,
    "milp": invert_milp,
}
METHOD_NAMES = tuple(METHODS) + ("auto",)
FIXED_ARGUMENTS = {"network", "target", "norm", "lower", "upper", "time_limit", "accept"}


def method_options(method: str) -> set[str]:
    """The keyword options a method takes (``auto`` takes the MILP's)."""
    fn = METHODS["milp" if method == "auto" else method]
    return set(inspect.signature(fn).parameters) - FIXED_ARGUMENTS


def invert(
    network: ReluNetwork | Instance,
    target=None,
    method: str = "auto",
    norm: str = "exact",
    box=None,
    time_limit: float | None = None,
    **options,
) -> InversionResult:
    """Find z in the latent box with G(z) = target (``norm="exact"``: within the tolerance of
    :mod:`milpinv.tolerance`) or minimising ||G(z) - target|| in ``"l1"`` or ``"linf"``.

    ``network`` may be an :class:`Instance` (then target and box come from it).
    ``box``: None (default [-3, 3]^n), a radius, or (lower, upper).
    ``method``: ``auto`` (layer-wise LP, verified, else the exact MILP), ``layerwise``,
    ``lp`` (single layer), ``milp`` or ``gd``. Extra options go to the method.

    >>> import milpinv
    >>> net = milpinv.ReluNetwork.random([4, 12, 36], seed=0)
    >>> inst = milpinv.plant_instance(net, seed=1)
    >>> r = invert(inst, method="milp")
    >>> print(r.status, r.residual_linf < 1e-9)
    optimal True
    """
    if isinstance(network, Instance):
        inst = network
        network, target = inst.network, inst.target if target is None else target
        box = (inst.lower, inst.upper) if box is None else box
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
    unknown = sorted(set(options) - method_options(method))
    if unknown:
        raise InputError(f"method {method}: unknown option(s) {', '.join(unknown)}")
    lower, upper = make_box(network, box)
    check_range(network, lower, upper)
    t0 = time.perf_counter()
    accept = acceptance(network, x, norm, lower, upper)
    problem = (network, x, norm, lower, upper, accept)
    if method == "auto":
        result = _auto(problem, time_limit, options)
    else:
        result = _run(method, problem, time_limit, options)
    result.time_s = time.perf_counter() - t0
    return result


Question = tuple  # (network, target, norm, lower, upper, acceptance)


def check_range(network: ReluNetwork, lower: np.ndarray, upper: np.ndarray) -> None:
    """Refuse a network whose values on the latent box overflow float64 (no method can compute them)."""
    with np.errstate(all="ignore"):
        bounds = interval_bounds(network, lower, upper)
    for k, (lo, hi) in enumerate(bounds):
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise InputError(
                f"network: layer {k}'s values overflow float64 on the latent box "
                f"(weights up to {max(float(np.max(np.abs(w))) for w in network.weights):.3g})"
            )


def _run(method: str, problem: Question, time_limit, options) -> InversionResult:
    network, x, norm, lower, upper, accept = problem
    result = METHODS[method](
        network, x, norm=norm, lower=lower, upper=upper, accept=accept, time_limit=time_limit, **options
    )
    return check_result(result, network, x, lower, upper, accept)


def _auto(problem: Question, time_limit, options) -> InversionResult:
    """Layer-wise LP first (polynomial); if it gives no verified optimum, the exact MILP."""
    deadline = Deadline(time_limit)
    first = _run("layerwise", problem, time_limit, {})
    if first.status == Status.OPTIMAL:
        first.method = "auto:layerwise"
        return first
    second = _run("milp", problem, deadline.remaining(), {"warm_start": first.z, **options})
    second.method = "auto:milp"
    second.solver["layerwise"] = {"status": first.status, "message": first.message}
    return second
