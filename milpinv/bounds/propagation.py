r"""Bound propagation both ways through the network (FBBT), rigorous in float64.

Forward: interval arithmetic (:mod:`.interval`). Backward: every row of a layer,
a_i = sum_j W_ij h_j + b_i with a_i in [lo_i, hi_i], bounds each of its inputs,

    W_ij h_j  in  [lo_i - b_i, hi_i - b_i]  -  sum_{m != j} W_im [l_m, u_m],

and h_j = relu(a_j) in [l_j, u_j] gives a_j <= u_j and, where l_j > 0, a_j >= l_j (a neuron whose
output must be positive is active; one whose output must be 0 is inactive). Starting from the
observation (the exact norm: the output pre-activations lie in the tolerance band around x; l1 /
linf with an incumbent: within the incumbent's error of x) the constraints reach back to the
latent box. Every evaluation is pushed outward by a rigorous bound on its rounding error, so no
point that satisfies the constraints is ever cut off; an empty interval proves there is none.

>>> from milpinv.network import ReluNetwork
>>> net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])     # |z|, z in [-3, 3]
>>> out = propagate_bounds(net, [(np.array([-3.0, -3.0]), np.array([3.0, 3.0])),
...                              (np.array([0.0]), np.array([6.0]))], np.array([-3.0]), np.array([3.0]),
...                         np.array([0.5]), np.array([0.5]))                      # observe |z| = 0.5
>>> [float(v) for v in out.z_upper], out.empty
([0.5000000000000017], False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .interval import Bounds, interval_step
from .safe import UNIT, gamma

PASSES = 3  # forward-backward sweeps at most
PROGRESS = 1e-6  # relative shrink of some interval below which another sweep is not worth it


@dataclass
class Propagated:
    bounds: Bounds  # pre-activation bounds of every layer
    z_lower: np.ndarray
    z_upper: np.ndarray
    empty: bool = False  # the constraints admit no point: a proof


def propagate_bounds(
    network: Any, bounds: Bounds, z_lower: np.ndarray, z_upper: np.ndarray, out_lower: np.ndarray, out_upper: np.ndarray
) -> Propagated:
    """Tighten ``bounds`` (and the latent box) under a_L in [out_lower, out_upper] (the output
    pre-activations), by forward and backward sweeps."""
    bounds = [(lo.copy(), hi.copy()) for lo, hi in bounds]
    zl, zu = np.array(z_lower, dtype=float), np.array(z_upper, dtype=float)
    last = network.depth - 1
    lo, hi = bounds[last]
    bounds[last] = (np.maximum(lo, out_lower), np.minimum(hi, out_upper))
    for _ in range(PASSES):
        before = _width(bounds, zl, zu)
        if not _backward(network, bounds, zl, zu) or not _forward(network, bounds, zl, zu):
            return Propagated(bounds, zl, zu, empty=True)
        if _width(bounds, zl, zu) > (1.0 - PROGRESS) * before:
            break
    return Propagated(bounds, zl, zu)


def _width(bounds: Bounds, zl: np.ndarray, zu: np.ndarray) -> float:
    return float(sum(np.sum(hi - lo) for lo, hi in bounds) + np.sum(zu - zl))


def _forward(network: Any, bounds: Bounds, zl: np.ndarray, zu: np.ndarray) -> bool:
    """Interval arithmetic from the latent box up, intersected with the bounds; False if empty."""
    l, u = zl, zu
    for k, (W, b) in enumerate(zip(network.weights, network.biases)):
        nlo, nhi = interval_step(W, b, l, u)
        lo, hi = np.maximum(bounds[k][0], nlo), np.minimum(bounds[k][1], nhi)
        if np.any(lo > hi):
            return False
        bounds[k] = (lo, hi)
        l, u = (np.maximum(lo, 0.0), np.maximum(hi, 0.0)) if network.applies_relu(k) else (lo, hi)
    return True


def _backward(network: Any, bounds: Bounds, zl: np.ndarray, zu: np.ndarray) -> bool:
    """From the output layer down to the latent box; False if some interval becomes empty."""
    for k in range(network.depth - 1, -1, -1):
        if k > 0:
            below = bounds[k - 1]
            relu = network.applies_relu(k - 1)
            l, u = (np.maximum(below[0], 0.0), np.maximum(below[1], 0.0)) if relu else below
        else:
            l, u = zl, zu
        nl, nu = input_bounds(network.weights[k], network.biases[k], *bounds[k], l, u)
        l, u = np.maximum(l, nl), np.minimum(u, nu)
        if np.any(l > u):
            return False
        if k == 0:
            zl[:], zu[:] = l, u
        elif relu:  # h = relu(a): a <= u, and a >= l where l > 0
            lo, hi = below
            lo, hi = np.where(l > 0, np.maximum(lo, l), lo), np.minimum(hi, u)
            if np.any(lo > hi):
                return False
            bounds[k - 1] = (lo, hi)
        else:
            bounds[k - 1] = (l, u)
    return True


def input_bounds(
    W, b: np.ndarray, lo: np.ndarray, hi: np.ndarray, l: np.ndarray, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on each input h_j implied by lo <= W h + b <= hi and h in [l, u] (see the module
    docstring), rounded outward; inputs that no row constrains keep [-inf, inf]."""
    W = np.asarray(W.todense()) if hasattr(W, "todense") else np.asarray(W)
    Wl, Wu = W * l[None, :], W * u[None, :]
    cmax, cmin = np.maximum(Wl, Wu), np.minimum(Wl, Wu)
    mag = np.abs(W) @ np.maximum(np.abs(l), np.abs(u)) + np.abs(b) + np.abs(lo) + np.abs(hi)
    err = (gamma(W.shape[1]) * mag)[:, None]
    top = (hi - b)[:, None] - cmin.sum(axis=1)[:, None] + cmin + err  # W_ij h_j <= top_ij
    bottom = (lo - b)[:, None] - cmax.sum(axis=1)[:, None] + cmax - err  # W_ij h_j >= bottom_ij
    with np.errstate(divide="ignore", invalid="ignore"):
        a, c = bottom / W, top / W
    pos, neg = W > 0, W < 0
    low = np.where(pos, a, np.where(neg, c, -np.inf))
    up = np.where(pos, c, np.where(neg, a, np.inf))
    low = low - 2 * UNIT * np.abs(low)
    up = up + 2 * UNIT * np.abs(up)
    low = np.where(np.isnan(low), -np.inf, low)
    up = np.where(np.isnan(up), np.inf, up)
    return low.max(axis=0), up.min(axis=0)
