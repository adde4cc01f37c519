r"""Interval arithmetic: sound bounds on every pre-activation a_k = W_k h_{k-1} + b_k.

With W+ = max(W, 0), W- = min(W, 0) and input bounds [l, u]:

    lo = W+ l + W- u + b,      hi = W+ u + W- l + b,      then h = relu(a) in [relu(lo), relu(hi)].

Each bound is pushed outward by a rigorous bound on the rounding error of its float64 evaluation
(gamma_n (|W| max(|l|, |u|) + |b|), see :mod:`.safe`), so the intervals hold over the reals.

>>> from milpinv.network import ReluNetwork
>>> net = ReluNetwork([[[1.0, -1.0]]], [[0.5]])
>>> [(float(lo[0]), float(hi[0])) for lo, hi in interval_bounds(net, np.zeros(2), np.ones(2))]
[(-0.5000000000000011, 1.500000000000001)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..activation import Activation
from ..rounding import UNIT, gamma

Bounds = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class Weights:
    """One layer's W in the forms the bounds read, built once per network (the weights are
    read-only; a node's propagation reads each several times): W+ = max(W, 0), W- = min(W, 0),
    |W|, and W^T as a C-contiguous array when W is a dense array with no zero entry (else None)."""

    positive: Any
    negative: Any
    magnitude: Any
    transposed: np.ndarray | None


def weights_of(W) -> Weights:
    """The :class:`Weights` of a dense or sparse W."""
    Wp, Wm = split(W)
    dense = not sp.issparse(W) and bool(np.all(W != 0))
    return Weights(Wp, Wm, abs(W), np.ascontiguousarray(W.T) if dense else None)


def layer_weights(network: Any) -> tuple[Weights, ...]:
    """The :class:`Weights` of every layer of ``network``, computed on the first call."""
    cache = network.__dict__
    if "_layer_weights" not in cache:
        cache["_layer_weights"] = tuple(weights_of(W) for W in network.weights)
    return cache["_layer_weights"]


def interval_step(W, b: np.ndarray, l: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on W h + b for h in [l, u], pushed outward by the rounding error of their evaluation."""
    Wp, Wm = split(W)
    return affine_range(Weights(Wp, Wm, abs(W), None), b, l, u)


def affine_range(w: Weights, b: np.ndarray, l: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`interval_step` of the layer whose :class:`Weights` are ``w``."""
    Wp, Wm = w.positive, w.negative
    err = gamma(Wp.shape[1]) * (w.magnitude @ np.maximum(np.abs(l), np.abs(u)) + np.abs(b))
    return Wp @ l + Wm @ u + b - err, Wp @ u + Wm @ l + b + err


def split(W) -> tuple:
    """(max(W, 0), min(W, 0)) for a dense or sparse W."""
    if sp.issparse(W):
        return W.maximum(0.0), W.minimum(0.0)
    return np.maximum(W, 0.0), np.minimum(W, 0.0)


def activation_range(act: Activation, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on act(a) for a in [lo, hi] (every activation is increasing), rounded outward: by 8
    ulps and the smallest normal number (float64 tanh and sigmoid are within a few ulps, and
    sigmoid flushes values below it to 0), then cut to the activation's hull."""
    if act.exact_arithmetic:
        return act(lo), act(hi)
    out_lo, out_hi = act(lo), act(hi)
    pad, tiny = 16.0 * UNIT, np.finfo(np.float64).tiny
    floor, ceiling = act.hull
    return np.maximum(out_lo - pad * np.abs(out_lo) - tiny, floor), np.minimum(
        out_hi + pad * np.abs(out_hi) + tiny, ceiling
    )


def interval_bounds(network: Any, lower: np.ndarray, upper: np.ndarray) -> Bounds:
    """Pre-activation bounds of every layer by interval arithmetic from the latent box."""
    bounds: Bounds = []
    l, u = np.asarray(lower, float), np.asarray(upper, float)
    for k, (w, b) in enumerate(zip(layer_weights(network), network.biases)):
        lo, hi = affine_range(w, b, l, u)
        bounds.append((lo, hi))
        l, u = activation_range(network.activation(k), lo, hi)
    return bounds


def propagate(network: Any, bounds: Bounds, k: int) -> None:
    """Re-run interval arithmetic above layer k and keep the tighter of old and new bounds."""
    l, u = activation_range(network.activation(k), *bounds[k])
    for j in range(k + 1, network.depth):
        nlo, nhi = affine_range(layer_weights(network)[j], network.biases[j], l, u)
        olo, ohi = bounds[j]
        nlo, nhi = np.maximum(olo, nlo), np.minimum(ohi, nhi)
        bounds[j] = (nlo, np.maximum(nhi, nlo))
        l, u = activation_range(network.activation(j), nlo, nhi)
