"""``invert()``: one entry point for every method, with the float64 re-check of every z.

:func:`invert` validates the input and builds one :class:`~milpinv.problem.Problem` (the network
whose outputs are observed, the target, the norm, the latent box, the acceptance rule and one
:class:`~milpinv.deadline.Deadline`) and the method's option record (:mod:`milpinv.options`); each
method is a function ``fn(problem, options)`` returning an
:class:`~milpinv.result.InversionResult`, whose z :func:`invert` re-checks
(:func:`milpinv.acceptance.check_result`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any, cast

import numpy as np

from .acceptance import acceptance, check_result
from .bounds.interval import interval_bounds
from .errors import InputError
from .instance import Instance, check_target, make_box
from .measurement import Measurement, SmoothMeasured
from .methods.gd import invert_gd
from .methods.layerwise import invert_layerwise
from .methods.layerwise import refusal as layerwise_refusal
from .methods.lp import invert_single_layer
from .milp import invert_milp
from .network import ReluNetwork
from .norm import Norm
from .options import MilpOptions, Options, auto_budget, clock, options_for
from .problem import Box, Problem
from .result import InversionResult
from .status import Status

METHODS: dict[str, Callable[[Problem, Any], InversionResult]] = {
    "lp": invert_single_layer,
    "layerwise": invert_layerwise,
    "gd": invert_gd,
    "milp": invert_milp,
}
METHOD_NAMES = tuple(METHODS) + ("auto",)
MIXING = ("matrix", "avgpool")  # operators that mix outputs (a mask only selects them)


def invert(
    network: ReluNetwork | Instance,
    target=None,
    method: str = "auto",
    norm: Norm | str = Norm.EXACT,
    box=None,
    time_limit: float | None = None,
    measurement: Measurement | None = None,
    **options,
) -> InversionResult:
    """Find z in the latent box with G(z) = target (``norm="exact"``: within the tolerance of
    :mod:`milpinv.tolerance`) or minimising ||G(z) - target|| in ``"l1"`` or ``"linf"``.

    ``measurement`` (:mod:`milpinv.measurement`): the target observes A G(z), and the questions are
    A G(z) = target and min ||A G(z) - target||. ``network`` may be an :class:`Instance` (then target,
    box and measurement come from it; a measurement given to an instance without one observes its
    target through it: target = A x).
    ``box``: None (default [-3, 3]^n), a radius, or (lower, upper).
    ``method``: ``auto`` (layer-wise LP, verified, else the exact MILP), ``layerwise``,
    ``lp`` (single layer), ``milp`` or ``gd``. Extra options go to the method, as its record of
    :mod:`milpinv.options` (an option it does not take is refused). The one function of the
    library with seven named parameters: each is a field of the question a user asks.

    >>> import milpinv
    >>> net = milpinv.ReluNetwork.random([4, 12, 36], seed=0)
    >>> inst = milpinv.plant_instance(net, seed=1)
    >>> r = invert(inst, method="milp")
    >>> print(r.status, r.residual_linf <= 1e-6)
    optimal True
    """
    if isinstance(network, Instance):
        inst = network
        network, target, measurement = _instance_problem(inst, target, measurement)
        box = (inst.lower, inst.upper) if box is None else box
    if not isinstance(network, ReluNetwork):
        raise InputError(f"network: expected a ReluNetwork or Instance, got {type(network).__name__}")
    norm = Norm.parse(norm)
    if method not in METHOD_NAMES:
        raise InputError(f"method: expected one of {METHOD_NAMES}, got {method!r}")
    if target is None:
        raise InputError("target: missing")
    deadline = clock(time_limit)
    record = options_for(method, options, network.input_dim)
    lower, upper = make_box(network, box)
    check_range(network, lower, upper)
    observed = _observed(network, measurement, method)
    x = check_target(observed, target, allow_negative=not norm.exact)
    if isinstance(observed, ReluNetwork) and observed is not network:
        check_range(observed, lower, upper)
    t0 = time.perf_counter()
    problem = Problem(observed, x, norm, Box(lower, upper), acceptance(observed, x, norm, lower, upper), deadline)
    if method == "auto":
        result = _auto(problem, cast(MilpOptions, record), options)  # auto's record is the MILP's
    else:
        result = _run(method, problem, record)
    if measurement is not None:
        _report_measurement(result, measurement)
    result.time_s = time.perf_counter() - t0
    return result


def _instance_problem(inst: Instance, target, measurement) -> tuple[ReluNetwork, object, Measurement | None]:
    """(network, target, measurement) of an instance; a measurement given to an instance without one
    observes its target through it."""
    if measurement is None:
        return inst.network, inst.target if target is None else target, inst.measurement
    if inst.measurement is not None:
        raise InputError(
            f"measurement: the instance already observes A G(z) ({inst.measurement.kind}); give one or the other"
        )
    if not isinstance(measurement, Measurement):
        raise InputError(f"measurement: expected a Measurement, got {type(measurement).__name__}")
    measurement.check(inst.network)
    return inst.network, measurement.apply(inst.target) if target is None else target, measurement


def _observed(network: ReluNetwork, measurement, method: str) -> ReluNetwork | SmoothMeasured:
    """The network whose outputs the target observes: G, A∘G as a network, or (gradient descent
    only) A after a smooth output."""
    if measurement is None:
        return network
    if not isinstance(measurement, Measurement):
        raise InputError(f"measurement: expected a Measurement, got {type(measurement).__name__}")
    return measurement.measured(network) if method == "gd" else measurement.compose(network)


def _report_measurement(result: InversionResult, measurement: Measurement) -> None:
    """Say what was observed; say why layer-wise stops at a mixing operator."""
    result.measurement = measurement.describe()
    mixing = result.method.endswith("layerwise") and result.status == Status.FAILED and measurement.kind in MIXING
    if mixing and measurement.output_dim < measurement.input_dim:
        result.note(
            f"layer-wise needs the {measurement.kind} measurement to determine G(z) (full column rank); "
            f"{measurement.output_dim} values of {measurement.input_dim} outputs do not (use method milp or gd)"
        )


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


def _run(method: str, problem: Problem, options: Options) -> InversionResult:
    result = METHODS[method](problem, options)
    return check_result(result, problem.network, problem.target, problem.lower, problem.upper, problem.accept)


def _auto(problem: Problem, options: MilpOptions, given: dict[str, Any]) -> InversionResult:
    """Layer-wise LP first (polynomial) where its LPs read the network; if it gives no verified
    optimum, the MILP, warm-started from it (unless a ``warm_start`` was ``given``), on the same
    clock. With l1 / linf and no time limit, milpinv's branch and bound gets a budget of
    :data:`~milpinv.options.AUTO_NODES` nodes per search (:func:`milpinv.options.auto_budget`)."""
    budget = auto_budget(options, given, problem)
    skipped = layerwise_refusal(problem.network, problem.norm)
    first = None if skipped else _run("layerwise", problem, options_for("layerwise", {}))
    if first is not None and first.status == Status.OPTIMAL:
        first.method = "auto:layerwise"
        return first
    if "warm_start" not in given and first is not None:
        options = replace(options, warm_start=first.z)
    if budget is not None:
        options = replace(options, node_limit=budget)
    second = _run("milp", problem, options)
    second.method = "auto:milp"
    if budget is not None and "node_limit_spent" in second.solver:
        second.note(f"auto without a time limit searches {budget} nodes (a time limit or method milp searches on)")
    second.solver["layerwise"] = (
        {"skipped": skipped} if first is None else {"status": first.status, "message": first.message}
    )
    return second
