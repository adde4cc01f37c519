"""VNN-LIB queries decided by inversion, and inversion instances written as VNN-LIB queries.

Writing (:func:`instance_outputs`): an exact-norm instance asks for Y in the target's tolerance
intervals, ``x_j -+ tol`` with milpinv's ``tol`` (:mod:`milpinv.tolerance`; 0 where every pre-image
is proven integral, as in the reductions), written a relative 1e-8 inside the band so that decimal
rounding never widens it; a noisy target under linf asks for the ball ``|Y - x| <= r``.

Deciding (:func:`decide`): a property is a disjunction of regions (:mod:`milpinv.interop.vnnlib`),
each decided by inversion of the network itself (every layer's activation kept), sat as soon as
one region is:

* the latent box is the region's input box (it must be bounded: milpinv refuses otherwise);
* outputs without bounds are dropped (the others selected as a mask measurement selects them);
  the outputs' range on the box is the image of sound interval bounds on their pre-activations
  under the output activation, rounded outward; an interval outside that range, or outside the
  activation's range (tanh never reaches 1), is unsat at once;
* where every interval (cut to that range) lies within milpinv's tolerance of its centre, the
  exact-norm inversion of the centres decides it, as :func:`milpinv.invert` decides the instance
  the query was written from (its ``infeasible`` proves unsat);
* otherwise, and as a fallback, the depth question (:func:`depth_question`): each side of each
  interval, mapped to the output pre-activations through the activation's inverse (rounded
  outward), is a row of a network with a linear output, and the linf inversion of that network
  finds the region's deepest point or, by a certified lower bound (the MILP's), proves that every
  z crosses some side.

sat is claimed only for a z whose float64 forward pass meets every bound of the region; a question
no inversion settles is ``unknown`` (or ``timeout``), saying why, never ``unsat``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .acceptance import acceptance
from .activation import LINEAR
from .bounds.interval import activation_range, interval_bounds
from .deadline import Deadline
from .errors import InputError
from .formulations.blocks import preimage_interval
from .instance import Instance
from .interop.vnnlib import Property, Region
from .invert import check_range, invert
from .measurement import Measurement
from .milp.rescale import power_of_two_scale, row_max, scale_rows
from .network import ReluNetwork, same_matrix
from .norm import Norm
from .options import clock
from .result import InversionResult, jsonable
from .status import Status
from .tolerance import tolerance

#: VNN-COMP's verdicts in milpinv's status vocabulary (and so its exit codes)
VERDICT_STATUS = {
    "sat": Status.OPTIMAL,
    "unsat": Status.INFEASIBLE,
    "timeout": Status.TIME_LIMIT,
    "unknown": Status.FAILED,
}
SHRINK = 1e-8  # written tolerance intervals sit this much (relative) inside milpinv's band


# ----------------------------------------------------------------------------------------- writing
def instance_outputs(
    inst: Instance, norm: Norm | str = Norm.EXACT, radius: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The output box of ``inst``'s query: the target's tolerance intervals (``exact``) or the
    linf ball of ``radius`` around it (``linf``)."""
    norm, x = Norm.parse(norm), inst.target
    if norm.exact:
        tol = acceptance(inst.network, x, Norm.EXACT, inst.lower, inst.upper).tol * (1.0 - SHRINK)
        return x - tol, x + tol
    if not norm.box:
        raise InputError(f"vnnlib: an {norm} ball is not a box; a query holds the exact norm or linf")
    if radius is None or not (np.isfinite(radius) and radius >= 0):
        raise InputError(f"vnnlib: the linf ball needs a radius >= 0, got {radius}")
    return x - radius, x + radius


def ball_radius(inst: Instance) -> float:
    """The linf ball that holds the planted latent of a noisy instance: its noise's linf norm plus
    the tolerance (for the rounding of the forward pass)."""
    noise = inst.meta.get("noise_linf")
    if not isinstance(noise, (int, float)) or isinstance(noise, bool):
        raise InputError("--radius: required with --norm linf (the instance records no planted noise)")
    return float(noise) + tolerance(inst.target)


def query_comments(inst: Instance, norm: Norm | str, radius: float | None = None) -> list[str]:
    """The header of a written query: what it asks and what its verdicts mean."""
    if Norm.parse(norm) is Norm.LINF:
        outputs = f"in the linf ball |Y - x| <= {radius!r} around the target x"
    elif acceptance(inst.network, inst.target, Norm.EXACT, inst.lower, inst.upper).lattice:
        outputs = "= x exactly (every pre-image is proven integral)"
    else:
        outputs = f"within milpinv's tolerance {tolerance(inst.target)!r} (1e-6 max(1, |x|_inf)) of the target x"
    return [
        f"milpinv inversion query: is there X in the latent box with Y = G(X) {outputs}?",
        "sat = a pre-image exists (milpinv: optimal); unsat = none exists (milpinv: infeasible)",
    ]


# ----------------------------------------------------------------------------------------- deciding
@dataclass
class Decision:
    """A property's verdict: ``sat`` (with the counterexample x and y = G(x)), ``unsat``,
    ``timeout`` or ``unknown``; one record per region decided."""

    verdict: str
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    time_s: float = 0.0
    regions: list[dict] = field(default_factory=list)

    @property
    def status(self) -> Status:
        return VERDICT_STATUS[self.verdict]

    def to_dict(self) -> dict:
        return jsonable(
            {"verdict": self.verdict, "x": self.x, "y": self.y, "time_s": self.time_s, "regions": self.regions}
        )

    def summary(self) -> str:
        told = "; ".join(f"region {r['region']}: {r['verdict']} ({r['reason']})" for r in self.regions)
        return f"{self.verdict} in {self.time_s:.3f}s: {told}"


@dataclass(frozen=True)
class Plan:
    """One region as inversions: the kept outputs, the centres ``target`` of their intervals (cut to
    the outputs' range on the box) and the widest half-width ``radius``; the kept outputs'
    pre-activation bounds on the box (``pre``) and the pre-image of their intervals under the
    output activation (``inner``, rounded outward); or the region's verdict when no solve is needed."""

    index: int
    region: Region
    keep: np.ndarray
    target: np.ndarray
    radius: float
    verdict: str | None = None
    reason: str = ""
    pre: tuple[np.ndarray, np.ndarray] = (np.array([]), np.array([]))
    inner: tuple[np.ndarray, np.ndarray] = (np.array([]), np.array([]))


def decide(network: ReluNetwork, prop: Property, *, method: str = "auto", time_limit=None, **options) -> Decision:
    """The verdict of ``prop`` on ``network`` (see the module docstring); ``method`` and the
    options go to :func:`milpinv.invert`. Regions milpinv does not read are refused before any
    solve."""
    if (prop.n_inputs, prop.n_outputs) != (network.input_dim, network.output_dim):
        raise InputError(
            f"vnnlib: the property has {prop.n_inputs} inputs and {prop.n_outputs} outputs, the network "
            f"{network.input_dim} and {network.output_dim}"
        )
    plans = [plan_region(network, region, i + 1) for i, region in enumerate(prop.regions)]
    if method == "auto":  # a verdict needs the linf proof: no node budget (the time limit ends it)
        options = {"node_limit": None, **options}
    deadline, t0 = clock(time_limit), time.perf_counter()
    decision = Decision("unsat")
    for plan in plans:
        record, z = solve_region(network, plan, deadline, method, options)
        decision.regions.append(record)
        if record["verdict"] == "sat" and z is not None:
            decision.verdict, decision.x, decision.y = "sat", z, network.forward(z)
            break
        if record["verdict"] != "unsat" and decision.verdict != "timeout":
            decision.verdict = record["verdict"]
    decision.time_s = time.perf_counter() - t0
    return decision


def plan_region(network: ReluNetwork, region: Region, index: int) -> Plan:
    """The inversions deciding ``region`` (see the module docstring)."""
    lower, upper = region.x_lower, region.x_upper
    unbounded = ~(np.isfinite(lower) & np.isfinite(upper))
    if unbounded.any():
        i = int(np.argmax(unbounded))
        side = "lower" if not np.isfinite(lower[i]) else "upper"
        raise InputError(f"vnnlib region {index}: X_{i} has no {side} bound: milpinv reads a bounded input box")
    none = np.array([], dtype=int)
    if np.any(lower > upper):
        return Plan(index, region, none, np.array([]), 0.0, "unsat", "the input box is empty")
    check_range(network, lower, upper)
    act = network.output_activation
    pre_lo, pre_hi = interval_bounds(network, lower, upper)[-1]
    out_lo, out_hi = activation_range(act, pre_lo, pre_hi)  # the outputs' range on the box, rounded outward
    keep = np.flatnonzero(np.isfinite(region.y_lower) | np.isfinite(region.y_upper))
    lo = np.maximum(region.y_lower, out_lo)[keep]
    hi = np.minimum(region.y_upper, out_hi)[keep]
    a_lo, a_hi = preimage_interval(act, region.y_lower[keep], region.y_upper[keep])
    miss = (lo > hi) | (a_lo > a_hi) | (a_hi < pre_lo[keep]) | (a_lo > pre_hi[keep])
    if miss.any():
        j = int(keep[np.argmax(miss)])
        why = f"Y_{j}'s interval misses the range of the {act} output on the box"
        return Plan(index, region, none, np.array([]), 0.0, "unsat", why)
    if keep.size == 0:
        return Plan(index, region, keep, np.array([]), 0.0, "sat", "no output is bounded")
    centre = lo + (hi - lo) / 2
    half = np.maximum(centre - lo, hi - centre)
    half = np.where(half > 0, np.nextafter(half, np.inf), 0.0)  # rounded outward (a point stays a point)
    return Plan(index, region, keep, centre, float(half.max()), pre=(pre_lo[keep], pre_hi[keep]), inner=(a_lo, a_hi))


def solve_region(
    network: ReluNetwork, plan: Plan, deadline: Deadline, method: str, options: dict
) -> tuple[dict, np.ndarray | None]:
    """(the region's record, a counterexample z or None): the exact-norm inversion where the
    intervals are within the tolerance, then (or else) the depth question."""
    region = plan.region
    record: dict = {"region": plan.index, "verdict": plan.verdict, "reason": plan.reason, "runs": []}
    if plan.verdict == "sat":
        return record, region.x_lower + (region.x_upper - region.x_lower) / 2
    if plan.verdict is not None:
        return record, None
    observed = Measurement.mask(np.isin(np.arange(network.output_dim), plan.keep)).compose(network)
    tol = acceptance(observed, plan.target, Norm.EXACT, region.x_lower, region.x_upper).tol
    routes = (exact_route, depth_route) if plan.radius <= tol else (depth_route,)
    record.update(verdict="unknown", reason="no inversion ran")
    box = (region.x_lower, region.x_upper)
    for route in routes:
        left = deadline.remaining()
        if left is not None and left <= 0:
            record.update(verdict="timeout", reason="the time limit was reached")
            break

        def run(net: ReluNetwork, target: np.ndarray, norm: Norm, question: str, left=left) -> InversionResult:
            r = invert(net, target, method=method, norm=norm, box=box, time_limit=left, **options)
            record["runs"].append(
                {"norm": norm, "question": question, **{k: v for k, v in r.to_dict().items() if k != "z"}}
            )
            return r

        verdict, reason, z = route(network, plan, observed, tol, run)
        record.update(verdict=verdict, reason=reason)
        if verdict in ("sat", "unsat"):
            return record, z
    return record, None


Route = tuple[str, str, np.ndarray | None]  # (verdict, reason, counterexample)
Run = Callable[[ReluNetwork, np.ndarray, Norm, str], InversionResult]  # invert on the region's box, recorded


def exact_route(network: ReluNetwork, plan: Plan, observed: ReluNetwork, tol: float, run: Run) -> Route:
    """The kept outputs within ``tol`` of the centres (milpinv's exact norm, the same question as
    :func:`milpinv.invert` on the target): its ``infeasible`` proves the region empty."""
    r = run(observed, plan.target, Norm.EXACT, "centres")
    if r.z is not None and plan.region.contains(r.z, network.forward(r.z)):
        return "sat", f"exact inversion ({r.method}): G(z) meets every bound", r.z
    if r.status == Status.INFEASIBLE:
        return "unsat", f"no pre-image within {tol:.3g} of the centres ({r.method})", None
    return _inconclusive("exact", r)


def depth_route(network: ReluNetwork, plan: Plan, observed: ReluNetwork, tol: float, run: Run) -> Route:
    """The depth question (:func:`depth_question`) by the linf inversion: a certified lower bound
    above ``-floor`` proves the region empty; its z (the deepest point found) is a counterexample
    where its forward pass meets every bound."""
    region = plan.region
    question = depth_question(network, plan)
    if question is None:  # no side of an interval is crossed on the box
        z = region.x_lower + (region.x_upper - region.x_lower) / 2
        if region.contains(z, network.forward(z)):
            return "sat", "the intervals hold the outputs' range on the box", z
        return "unknown", "the intervals hold the outputs' range on the box, but not the centre's rounded output", None
    rows, floor = question
    r = run(rows, np.full(rows.output_dim, floor), Norm.LINF, "depth")
    if r.z is not None and region.contains(r.z, network.forward(r.z)):
        return "sat", f"depth inversion ({r.method}): G(z) meets every bound", r.z
    if r.method in CERTIFIED_BOUNDS and r.bound is not None and r.bound > -floor:
        return "unsat", f"certified depth bound {r.bound + floor:.6g} > 0: every z crosses an interval", None
    return _inconclusive("depth (linf)", r)


# methods whose linf bound is proven; layer-wise's and lp's bound is a safe LP bound, but their threshold tau
# is a float64 residual, not proven to lie above the optimum (methods/lp.py), so it decides nothing here
CERTIFIED_BOUNDS = ("milp", "auto:milp")


def _inconclusive(route: str, r) -> Route:
    if r.status == Status.TIME_LIMIT:
        return "timeout", f"{route} inversion stopped at the time limit", None
    return "unknown", f"{route} inversion: {r.status}, {r.message or 'inconclusive'}", None


def depth_question(network: ReluNetwork, plan: Plan) -> tuple[ReluNetwork, float] | None:
    """The region as one network: a row ``s (a_j - hi_j)`` for each upper side and ``s (lo_j - a_j)``
    for each lower side of the kept outputs' intervals on their pre-activations ``a`` (``inner``:
    any activation, rounded outward), each row's bias rounded down and scaled exactly by a power of
    two ``s`` (to a range of about 1 on the box); sides no z of the box crosses are left out (None:
    every side). Every row is <= 0 at a z of the region; with ``floor`` below every row on the box,
    ``||rows(z) - floor||_inf = max_rows(z) - floor``: a certified linf bound above ``-floor``
    proves the region empty, and the linf optimum is the region's deepest point."""
    (pre_lo, pre_hi), (a_lo, a_hi) = plan.pre, plan.inner
    up, down = np.flatnonzero(a_hi < pre_hi), np.flatnonzero(a_lo > pre_lo)
    if up.size + down.size == 0:
        return None
    W, b = network.weights[-1][plan.keep], network.biases[-1][plan.keep]
    rows = sp.vstack([W[up], -W[down]], format="csr") if sp.issparse(W) else np.vstack([W[up], -W[down]])
    bias = np.nextafter(np.concatenate([b[up] - a_hi[up], a_lo[down] - b[down]]), -np.inf)
    width = np.concatenate([pre_hi[up] - pre_lo[up], pre_hi[down] - pre_lo[down]])
    magnitude = np.maximum(row_max(rows), np.abs(bias))
    s = power_of_two_scale(np.maximum(width, magnitude * 2.0**-40))  # scaled entries stay below 2^40
    scaled = scale_rows(rows, s)
    if not (same_matrix(scale_rows(scaled, 1 / s), rows) and np.array_equal(bias * s / s, bias)):
        s, scaled = np.ones_like(s), rows  # a factor that underflows an entry: the rows unscaled
    acts = network.activations[:-1] + (LINEAR,)
    net = ReluNetwork(list(network.weights[:-1]) + [scaled], list(network.biases[:-1]) + [bias * s], activations=acts)
    lowest = float(np.min(interval_bounds(net, plan.region.x_lower, plan.region.x_upper)[-1][0]))
    return net, min(-1.0, float(np.floor(lowest)) - 1.0)
