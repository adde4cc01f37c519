"""Sound bounds on every pre-activation a_k = W_k h_{k-1} + b_k, for big-M constants.

Interval arithmetic (always): with W+ = max(W, 0), W- = min(W, 0) and input bounds [l, u],

    lo = W+ l + W- u + b,      hi = W+ u + W- l + b,      then h = relu(a) in [relu(lo), relu(hi)].

Each bound is pushed outward by a relative 1e-9 to absorb floating-point rounding.

LP-based optimisation-based bound tightening (OBBT, optional): minimise and maximise each unstable
neuron's pre-activation over the LP relaxation in which every unstable hidden neuron is replaced
by its triangle (h >= 0, h >= a, h <= hi (a - lo) / (hi - lo)), with the observation constraints
of the exact norm added (output row i: a_i = x_i if x_i > 0, a_i <= 0 if x_i = 0). Those
constraints shrink the bounds of the layers below, often making neurons stable. A bound read off
a solver is moved outward by a margin covering its tolerances before use, and is only ever
intersected with the previous bound, so no true solution is cut off. An infeasible relaxation
proves that no pre-image exists.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .backends.highs import new_highs, pass_model
from .model import ModelBuilder
from .network import ReluNetwork

ROUNDING = 1e-9       # relative outward step for interval arithmetic
LP_MARGIN = 1e-6      # relative outward step for solver-derived bounds

Bounds = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class TightenReport:
    infeasible: bool = False
    lps: int = 0
    time_s: float = 0.0
    stopped_early: bool = False


def _outward(lo: np.ndarray, hi: np.ndarray, rel: float) -> tuple[np.ndarray, np.ndarray]:
    return lo - rel * (1.0 + np.abs(lo)), hi + rel * (1.0 + np.abs(hi))


def interval_bounds(network: ReluNetwork, lower: np.ndarray, upper: np.ndarray) -> Bounds:
    """Pre-activation bounds of every layer by interval arithmetic from the latent box."""
    bounds: Bounds = []
    l, u = np.asarray(lower, float), np.asarray(upper, float)
    for k, (W, b) in enumerate(zip(network.weights, network.biases)):
        Wp, Wm = np.maximum(W, 0.0), np.minimum(W, 0.0)
        lo, hi = _outward(Wp @ l + Wm @ u + b, Wp @ u + Wm @ l + b, ROUNDING)
        bounds.append((lo, hi))
        l, u = (np.maximum(lo, 0.0), np.maximum(hi, 0.0)) if network.applies_relu(k) else (lo, hi)
    return bounds


def stability(bounds: Bounds, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks (active, inactive, unstable) of layer k: lo >= 0, hi <= 0, and the rest."""
    lo, hi = bounds[k]
    inactive = hi <= 0
    active = (lo >= 0) & ~inactive
    return active, inactive, ~(active | inactive)


def relaxation(network: ReluNetwork, lower, upper, bounds: Bounds, target=None, norm: str = "exact"):
    """The triangle LP relaxation of all hidden layers (+ observation rows); returns (model, blocks)."""
    mb = ModelBuilder("relaxation")
    prev = mb.add_vars("z", network.input_dim, lower, upper)
    blocks = [prev]
    for k in range(network.depth - 1):
        W, b = network.weights[k], network.biases[k]
        lo, hi = bounds[k]
        active, inactive, unstable = stability(bounds, k)
        h = mb.add_vars(f"h{k}", W.shape[0], 0.0, np.where(inactive, 0.0, np.maximum(hi, 0.0)))
        eye = np.eye(W.shape[0])
        if active.any():   # h = a
            mb.add_rows(f"act{k}", [(h, eye[active]), (prev, -W[active])], b[active], b[active])
        if unstable.any():
            idx = np.flatnonzero(unstable)
            mb.add_rows(f"ge{k}", [(h, eye[idx]), (prev, -W[idx])], b[idx], np.inf)        # h >= a
            s = hi[idx] / (hi[idx] - lo[idx])                                               # h <= s (a - lo)
            mb.add_rows(f"tri{k}", [(h, eye[idx]), (prev, -s[:, None] * W[idx])], -np.inf, s * (b[idx] - lo[idx]))
        prev = h
        blocks.append(h)
    if target is not None and norm == "exact":
        W, b = network.weights[-1], network.biases[-1]
        on = target > 0 if network.relu_output else np.ones(target.shape[0], bool)
        if on.any():
            mb.add_rows("obs_eq", [(prev, W[on])], target[on] - b[on], target[on] - b[on])
        if (~on).any():
            mb.add_rows("obs_le", [(prev, W[~on])], -np.inf, -b[~on])
    return mb.build(), blocks


def tighten_bounds(network: ReluNetwork, lower, upper, bounds: Bounds, target=None, norm: str = "exact",
                   passes: int = 1, time_limit: float | None = None) -> tuple[Bounds, TightenReport]:
    """OBBT over the hidden layers, layer by layer, ``passes`` times; returns new bounds and a report."""
    bounds = [(lo.copy(), hi.copy()) for lo, hi in bounds]
    report = TightenReport()
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    order = list(range(network.depth - 1))
    if target is not None and norm == "exact":
        order = order[::-1] + order  # the observation is strongest next to the output: go down, then up
    for _ in range(passes):
        for k in order:
            if deadline is not None and time.perf_counter() > deadline:
                report.stopped_early = True
                break
            if not _tighten_layer(network, lower, upper, bounds, k, target, norm, report, deadline):
                report.infeasible = True
                report.time_s = time.perf_counter() - t0
                return bounds, report
    report.time_s = time.perf_counter() - t0
    return bounds, report


def _tighten_layer(network, lower, upper, bounds, k, target, norm, report, deadline) -> bool:
    """Tighten the unstable neurons of layer k in place; False when the relaxation is infeasible."""
    import highspy

    _, _, unstable = stability(bounds, k)
    if not unstable.any():
        return True
    model, blocks = relaxation(network, lower, upper, bounds, target, norm)
    h = new_highs()
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    h.setOptionValue("dual_feasibility_tolerance", 1e-9)
    pass_model(h, model)
    src = blocks[k]                                   # a_k = W_k (vars of block k) + b_k
    cols = np.arange(src.start, src.stop, dtype=np.int32)
    W, b = network.weights[k], network.biases[k]
    lo, hi = bounds[k]
    scale = 1.0 + np.maximum(np.abs(model.col_lower[src]), np.abs(np.where(np.isfinite(model.col_upper[src]),
                                                                           model.col_upper[src], 0.0)))
    for i in np.flatnonzero(unstable):
        margin = LP_MARGIN * (1.0 + np.abs(W[i]) @ scale)
        for sense in (1.0, -1.0):
            if deadline is not None and time.perf_counter() > deadline:
                report.stopped_early = True
                return True
            h.changeColsCost(len(cols), cols, sense * W[i])
            h.run()
            report.lps += 1
            status = h.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                return False
            if status != highspy.HighsModelStatus.kOptimal:
                continue
            value = sense * h.getInfo().objective_function_value + b[i]
            if sense > 0:
                lo[i] = max(lo[i], value - margin)
            else:
                hi[i] = min(hi[i], value + margin)
    bounds[k] = (lo, np.maximum(hi, lo))
    _propagate(network, bounds, k)
    return True


def _propagate(network: ReluNetwork, bounds: Bounds, k: int) -> None:
    """Re-run interval arithmetic above layer k and keep the tighter of old and new bounds."""
    lo, hi = bounds[k]
    l, u = np.maximum(lo, 0.0), np.maximum(hi, 0.0)
    for j in range(k + 1, network.depth):
        W, b = network.weights[j], network.biases[j]
        Wp, Wm = np.maximum(W, 0.0), np.minimum(W, 0.0)
        nlo, nhi = _outward(Wp @ l + Wm @ u + b, Wp @ u + Wm @ l + b, ROUNDING)
        olo, ohi = bounds[j]
        nlo, nhi = np.maximum(olo, nlo), np.minimum(ohi, nhi)
        bounds[j] = (nlo, np.maximum(nhi, nlo))
        l, u = (np.maximum(nlo, 0.0), np.maximum(nhi, 0.0)) if network.applies_relu(j) else (nlo, nhi)
