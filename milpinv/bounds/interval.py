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

from typing import Any

import numpy as np

from .safe import gamma

Bounds = list[tuple[np.ndarray, np.ndarray]]


def interval_step(W, b: np.ndarray, l: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on W h + b for h in [l, u], pushed outward by the rounding error of their evaluation."""
    Wp, Wm = np.maximum(W, 0.0), np.minimum(W, 0.0)
    err = gamma(W.shape[1]) * (abs(W) @ np.maximum(np.abs(l), np.abs(u)) + np.abs(b))
    return Wp @ l + Wm @ u + b - err, Wp @ u + Wm @ l + b + err


def activation_range(network: Any, k: int, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on layer k's output from bounds on its pre-activation."""
    return (np.maximum(lo, 0.0), np.maximum(hi, 0.0)) if network.applies_relu(k) else (lo, hi)


def interval_bounds(network: Any, lower: np.ndarray, upper: np.ndarray) -> Bounds:
    """Pre-activation bounds of every layer by interval arithmetic from the latent box."""
    bounds: Bounds = []
    l, u = np.asarray(lower, float), np.asarray(upper, float)
    for k, (W, b) in enumerate(zip(network.weights, network.biases)):
        lo, hi = interval_step(W, b, l, u)
        bounds.append((lo, hi))
        l, u = activation_range(network, k, lo, hi)
    return bounds


def propagate(network: Any, bounds: Bounds, k: int) -> None:
    """Re-run interval arithmetic above layer k and keep the tighter of old and new bounds."""
    l, u = activation_range(network, k, *bounds[k])
    for j in range(k + 1, network.depth):
        nlo, nhi = interval_step(network.weights[j], network.biases[j], l, u)
        olo, ohi = bounds[j]
        nlo, nhi = np.maximum(olo, nlo), np.minimum(ohi, nhi)
        bounds[j] = (nlo, np.maximum(nhi, nlo))
        l, u = activation_range(network, j, nlo, nhi)
