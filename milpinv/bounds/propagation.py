r"""Bound propagation both ways through the network (FBBT), rigorous in float64.

Forward: interval arithmetic (:mod:`.interval`). Backward: every row of a layer,
a_i = sum_j W_ij h_j + b_i with a_i in [lo_i, hi_i], bounds each of its inputs,

    W_ij h_j  in  [lo_i - b_i, hi_i - b_i]  -  sum_{m != j} W_im [l_m, u_m],

and h_j = act(a_j) in [l_j, u_j] bounds a_j by the activation's pre-image (relu: a_j <= u_j,
and a_j >= l_j where l_j > 0: a neuron whose output must be positive is active, one whose output
must be 0 is inactive). Starting from the observation (the exact norm: the output
pre-activations lie in the observation's interval; l1 / linf with an incumbent: within the
incumbent's error of x) the constraints reach back to the latent box. Every evaluation is pushed
outward by a rigorous bound on its rounding error, so no point that satisfies the constraints is
ever cut off; an empty interval proves there is none. Weights are read as their nonzero entries,
so a sparse layer costs its nonzeros; a layer with no zero entry is read as the array W^T instead
(:func:`dense_input_bounds`: the same sums in the same order, by rows of W^T, and the same
extremes, by reductions instead of scatters, so the same bits at a fraction of the cost).

>>> from milpinv.network import ReluNetwork
>>> net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])     # |z|, z in [-3, 3]
>>> from milpinv.problem import Box
>>> out = propagate_bounds(net, [(np.array([-3.0, -3.0]), np.array([3.0, 3.0])),
...                              (np.array([0.0]), np.array([6.0]))], Box.around(1, 3.0),
...                         (np.array([0.5]), np.array([0.5])))                    # observe |z| = 0.5
>>> [round(float(v), 9) for v in out.z_upper], out.empty     # just above 0.5: rounded outward
([0.5], False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..problem import Box
from ..rounding import UNIT, gamma
from .interval import Bounds, activation_range, affine_range, layer_weights

PASSES = 3  # forward-backward sweeps at most
PROGRESS = 1e-6  # relative shrink of some interval below which another sweep is not worth it


@dataclass
class Propagated:
    bounds: Bounds  # pre-activation bounds of every layer
    z_lower: np.ndarray
    z_upper: np.ndarray
    empty: bool = False  # the constraints admit no point: a proof


def propagate_bounds(
    network: Any, bounds: Bounds, box: Box, observed: tuple[np.ndarray, np.ndarray], passes: int = PASSES
) -> Propagated:
    """Tighten ``bounds`` (and the latent ``box``) under a_L in ``observed`` = (out_lower,
    out_upper) (the output pre-activations), by at most ``passes`` backward and forward sweeps."""
    bounds = [(lo.copy(), hi.copy()) for lo, hi in bounds]
    zl, zu = np.array(box.lower, dtype=float), np.array(box.upper, dtype=float)
    out_lower, out_upper = observed
    last = network.depth - 1
    lo, hi = bounds[last]
    bounds[last] = (np.maximum(lo, out_lower), np.minimum(hi, out_upper))
    for _ in range(passes):
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
    for k, (w, b) in enumerate(zip(layer_weights(network), network.biases)):
        nlo, nhi = affine_range(w, b, l, u)
        lo, hi = np.maximum(bounds[k][0], nlo), np.minimum(bounds[k][1], nhi)
        if np.any(lo > hi):
            return False
        bounds[k] = (lo, hi)
        l, u = activation_range(network.activation(k), lo, hi)
    return True


def _backward(network: Any, bounds: Bounds, zl: np.ndarray, zu: np.ndarray) -> bool:
    """From the output layer down to the latent box; False if some interval becomes empty."""
    for k in range(network.depth - 1, -1, -1):
        act = network.activation(k - 1) if k > 0 else None
        l, u = activation_range(act, *bounds[k - 1]) if act is not None else (zl, zu)
        nl, nu = _layer_input_bounds(network, k, bounds[k], (l, u))
        l, u = np.maximum(l, nl), np.minimum(u, nu)
        if np.any(l > u):
            return False
        if act is None:
            zl[:], zu[:] = l, u
            continue
        a_lo, a_hi = act.preimage(l, u)  # h = act(a) in [l, u]
        pad = 4.0 * UNIT * (1.0 + np.abs(a_lo)), 4.0 * UNIT * (1.0 + np.abs(a_hi))
        lo, hi = bounds[k - 1]
        lo, hi = np.maximum(lo, a_lo - pad[0]), np.minimum(hi, a_hi + pad[1])
        if np.any(lo > hi):
            return False
        bounds[k - 1] = (lo, hi)
    return True


def _layer_input_bounds(
    network: Any, k: int, rows: tuple[np.ndarray, np.ndarray], inputs: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`input_bounds` of layer k, by :func:`dense_input_bounds` when W_k has no zero entry."""
    WT = layer_weights(network)[k].transposed
    if WT is None:
        return input_bounds(network.nonzeros(k), network.weights[k].shape, network.biases[k], rows, inputs)
    return dense_input_bounds(WT, network.biases[k], rows, inputs)


def input_bounds(
    nonzeros: tuple[np.ndarray, np.ndarray, np.ndarray],
    shape: tuple[int, int],
    b: np.ndarray,
    rows: tuple[np.ndarray, np.ndarray],
    inputs: tuple[np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on each input h_j implied by lo <= W h + b <= hi (``rows`` = (lo, hi)) and h in
    [l, u] (``inputs`` = (l, u)) (see the module docstring), rounded outward, for W of ``shape``
    given by its ``nonzeros`` (rows, columns, values); inputs that no row constrains keep
    [-inf, inf]."""
    (lo, hi), (l, u) = rows, inputs
    i, j, w = nonzeros
    m, n = shape
    wl, wu = w * l[j], w * u[j]
    cmax, cmin = np.maximum(wl, wu), np.minimum(wl, wu)
    smax, smin = np.bincount(i, cmax, minlength=m), np.bincount(i, cmin, minlength=m)
    reach = np.bincount(i, np.abs(w) * np.maximum(np.abs(l[j]), np.abs(u[j])), minlength=m)
    err = (gamma(n) * (reach + np.abs(b) + np.abs(lo) + np.abs(hi)))[i]
    with np.errstate(invalid="ignore"):
        top = (hi - b - smin)[i] + cmin + err  # w h_j <= top
        bottom = (lo - b - smax)[i] + cmax - err  # w h_j >= bottom
        a, c = bottom / w, top / w
    low, up = np.where(w > 0, a, c), np.where(w > 0, c, a)
    low = np.where(np.isnan(low), -np.inf, low - 2 * UNIT * np.abs(low))
    up = np.where(np.isnan(up), np.inf, up + 2 * UNIT * np.abs(up))
    new_l, new_u = np.full(n, -np.inf), np.full(n, np.inf)
    np.maximum.at(new_l, j, low)
    np.minimum.at(new_u, j, up)
    return new_l, new_u


def dense_input_bounds(
    WT: np.ndarray, b: np.ndarray, rows: tuple[np.ndarray, np.ndarray], inputs: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`input_bounds` for a W with no zero entry, given as the C-contiguous array ``WT`` = W^T
    (n x m): the same bits. Entry (j, i) holds the term of h_j in row i; the sums run over
    j = 0, 1, ... as the scatter adds a row's nonzeros (:func:`_sum_in_order`), and the extremes
    over axis 1 are exact in any order."""
    (lo, hi), (l, u) = rows, inputs
    n = WT.shape[0]
    wl, wu = WT * l[:, None], WT * u[:, None]
    cmax, cmin = np.maximum(wl, wu), np.minimum(wl, wu)
    smax, smin = _sum_in_order(cmax), _sum_in_order(cmin)
    reach = _sum_in_order(np.abs(WT) * np.maximum(np.abs(l), np.abs(u))[:, None])
    err = gamma(n) * (reach + np.abs(b) + np.abs(lo) + np.abs(hi))
    with np.errstate(invalid="ignore"):
        top = (hi - b - smin) + cmin + err  # w h_j <= top
        bottom = (lo - b - smax) + cmax - err  # w h_j >= bottom
        a, c = bottom / WT, top / WT
    positive = WT > 0
    low, up = np.where(positive, a, c), np.where(positive, c, a)
    low = np.where(np.isnan(low), -np.inf, low - 2 * UNIT * np.abs(low))
    up = np.where(np.isnan(up), np.inf, up + 2 * UNIT * np.abs(up))
    return np.maximum.reduce(low, axis=1, initial=-np.inf), np.minimum.reduce(up, axis=1, initial=np.inf)


def _sum_in_order(terms: np.ndarray) -> np.ndarray:
    """0 + t_0 + t_1 + ... over axis 0, added one after the other as ``np.bincount`` adds them (a
    reduction may pair them up instead, and round otherwise); the final + 0.0 gives an all-zero
    sum the sign the scatter's 0.0 start gives it."""
    return np.add.accumulate(terms, axis=0)[-1] + 0.0
