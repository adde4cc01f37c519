"""VNN-LIB queries decided by inversion, and inversion instances written as VNN-LIB queries.

Writing (:func:`instance_outputs`): an exact-norm instance asks for Y in the target's tolerance
intervals, ``x_j -+ tol`` with milpinv's ``tol`` (:mod:`milpinv.tolerance`; 0 where every pre-image
is proven integral, as in the reductions), written a relative 1e-8 inside the band so that decimal
rounding never widens it; a noisy target under linf asks for the ball ``|Y - x| <= r``.

Deciding (:func:`decide`): a property is a disjunction of regions (:mod:`milpinv.interop.vnnlib`),
each decided by inversion, sat as soon as one region is:

* the latent box is the region's input box (it must be bounded: milpinv refuses otherwise);
* outputs without bounds are dropped; a one-sided bound gets its other side from sound interval
  bounds of the network on the box (which changes nothing); an interval outside those bounds is
  unsat at once;
* the region is then "Y within r of the centres x of its intervals" (r the widest half-width):
  where ``r`` is within milpinv's tolerance, the exact-norm inversion decides it (its
  ``infeasible`` proves unsat); otherwise, and as a fallback, the linf inversion (a certified lower
  bound above ``r`` proves unsat).

sat is claimed only for a z whose float64 forward pass meets every bound of the region; intervals
of different widths can leave the linf question inconclusive (``unknown``, saying why).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..bounds.interval import interval_bounds
from ..deadline import Deadline
from ..errors import InputError
from ..instance import Instance
from ..interop.vnnlib import Property, Region
from ..invert import check_range, invert
from ..methods.certify import acceptance
from ..network import ReluNetwork
from ..result import jsonable
from ..status import Status
from ..tolerance import tolerance

#: VNN-COMP's verdicts in milpinv's status vocabulary (and so its exit codes)
VERDICT_STATUS = {
    "sat": Status.OPTIMAL,
    "unsat": Status.INFEASIBLE,
    "timeout": Status.TIME_LIMIT,
    "unknown": Status.FAILED,
}
SHRINK = 1e-8  # written tolerance intervals sit this much (relative) inside milpinv's band


# ----------------------------------------------------------------------------------------- writing
def instance_outputs(inst: Instance, norm: str = "exact", radius: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The output box of ``inst``'s query: the target's tolerance intervals (``exact``) or the
    linf ball of ``radius`` around it (``linf``)."""
    x = inst.target
    if norm == "exact":
        tol = acceptance(inst.network, x, "exact", inst.lower, inst.upper).tol * (1.0 - SHRINK)
        return x - tol, x + tol
    if norm != "linf":
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


def query_comments(inst: Instance, norm: str, radius: float | None = None) -> list[str]:
    """The header of a written query: what it asks and what its verdicts mean."""
    if norm == "linf":
        outputs = f"in the linf ball |Y - x| <= {radius!r} around the target x"
    elif acceptance(inst.network, inst.target, "exact", inst.lower, inst.upper).lattice:
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
    """One region as an inversion: the kept outputs, the centres of their intervals and the widest
    half-width ``radius``; or the region's verdict when no solve is needed."""

    index: int
    region: Region
    keep: np.ndarray
    target: np.ndarray
    radius: float
    verdict: str | None = None
    reason: str = ""


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
    deadline, t0 = Deadline(time_limit), time.perf_counter()
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
    """The inversion deciding ``region`` (see the module docstring)."""
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
    out_lo, out_hi = interval_bounds(network, lower, upper)[-1]
    if network.relu_output:
        out_lo, out_hi = np.maximum(out_lo, 0.0), np.maximum(out_hi, 0.0)
    keep = np.flatnonzero(np.isfinite(region.y_lower) | np.isfinite(region.y_upper))
    lo = np.where(np.isfinite(region.y_lower), region.y_lower, out_lo)[keep]
    hi = np.where(np.isfinite(region.y_upper), region.y_upper, out_hi)[keep]
    miss = (lo > hi) | (lo > out_hi[keep]) | (hi < out_lo[keep])
    if miss.any():
        j = int(keep[np.argmax(miss)])
        return Plan(index, region, none, np.array([]), 0.0, "unsat", f"Y_{j}'s interval misses its range on the box")
    if keep.size == 0:
        return Plan(index, region, keep, np.array([]), 0.0, "sat", "no output is bounded")
    centre = lo + (hi - lo) / 2
    half = np.maximum(centre - lo, hi - centre)
    half = np.where(half > 0, np.nextafter(half, np.inf), 0.0)  # rounded outward (a point stays a point)
    return Plan(index, region, keep, centre, float(half.max()))


def restrict(network: ReluNetwork, keep: np.ndarray) -> ReluNetwork:
    """The network with only the outputs ``keep``."""
    weights = list(network.weights[:-1]) + [network.weights[-1][keep]]
    biases = list(network.biases[:-1]) + [network.biases[-1][keep]]
    return ReluNetwork(weights, biases, network.output_activation)


def solve_region(
    network: ReluNetwork, plan: Plan, deadline: Deadline, method: str, options: dict
) -> tuple[dict, np.ndarray | None]:
    """(the region's record, a counterexample z or None)."""
    region = plan.region
    record: dict = {"region": plan.index, "verdict": plan.verdict, "reason": plan.reason, "runs": []}
    if plan.verdict == "sat":
        z = region.x_lower + (region.x_upper - region.x_lower) / 2
        return record, z
    if plan.verdict is not None:
        return record, None
    sub = restrict(network, plan.keep)
    tol = acceptance(sub, plan.target, "exact", region.x_lower, region.x_upper).tol
    norms = ("exact", "linf") if plan.radius <= tol else ("linf",)
    box = (region.x_lower, region.x_upper)
    record.update(verdict="unknown", reason="no inversion ran")
    for norm in norms:
        left = deadline.remaining()
        if left is not None and left <= 0:
            record.update(verdict="timeout", reason="the time limit was reached")
            break
        r = invert(sub, plan.target, method=method, norm=norm, box=box, time_limit=left, **options)
        record["runs"].append({"norm": norm, **{k: v for k, v in r.to_dict().items() if k != "z"}})
        if r.z is not None and region.contains(r.z, network.forward(r.z)):
            record.update(verdict="sat", reason=f"{norm} inversion ({r.method}): G(z) meets every bound")
            return record, r.z
        if norm == "exact" and r.status == Status.INFEASIBLE:
            record.update(verdict="unsat", reason=f"no pre-image within {tol:.3g} of the centres ({r.method})")
            return record, None
        if norm == "linf" and r.bound is not None and r.bound > plan.radius:
            record.update(verdict="unsat", reason=f"certified linf bound {r.bound:.6g} > half-width {plan.radius:.6g}")
            return record, None
        if r.status == Status.TIME_LIMIT:
            record.update(verdict="timeout", reason=f"{norm} inversion stopped at the time limit")
        else:
            record.update(verdict="unknown", reason=f"{norm} inversion: {r.status}, {r.message or 'inconclusive'}")
    return record, None
