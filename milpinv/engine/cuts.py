r"""The ideal single-neuron cuts of Anderson, Huchette, Ma, Tjandraatmadja and Vielma (2020,
"Strong mixed-integer programming formulations for trained neural networks"), separated on an LP
point.

For y = relu(w . x + b) with a binary d and inputs in a box [L, U], write
L'_i = L_i, U'_i = U_i where w_i >= 0 and the other way round where w_i < 0. The convex hull of
the neuron's graph is described by y >= w . x + b, y >= 0, 0 <= d <= 1 and, for every subset I of
its inputs,

    y <= sum_{i in I} w_i (x_i - L'_i (1 - d)) + (b + sum_{i not in I} w_i U'_i) d.

The big-M rows are the two extreme subsets (I = all: y <= a - lo (1 - d); I = {}: y <= hi d).
Given an LP point, the most violated subset is I = {i : w_i (x_i - L'_i (1 - d)) < w_i U'_i d},
found in linear time. A cut's coefficients are computed in float64, so its right-hand side is
loosened by a bound on their rounding error (it never cuts off a point of the neuron's graph).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..bounds.interval import activation_range
from ..formulations.bigm import Formulation
from ..formulations.blocks import Bounds, Layer
from ..rounding import gamma

MIN_VIOLATION = 1e-6  # relative to the row's scale: a smaller violation is not worth a row


def separate(form: Formulation, bounds: Bounds, v: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """The most violated cut of every unstable hidden neuron whose cut the point ``v`` violates:
    rows ``C v <= rhs`` over the formulation's variables."""
    net, model = form.network, form.model
    rows, rhs = [], []
    prev = form.latent
    prev_kept = np.arange(net.input_dim)
    L, U = model.col_lower[prev].copy(), model.col_upper[prev].copy()
    for k, lv in enumerate(form.layers):
        if k == net.depth - 1:
            break  # the output layer's binaries (l1 / linf) have envelope rows instead
        if lv.d is not None and lv.slope == 0.0:  # relu neurons (the hull above is a relu's)
            W = sp.csr_matrix(net.weights[k])[lv.unstable][:, prev_kept].toarray()
            h_cols = lv.unstable_h()
            d_cols = np.arange(lv.d.start, lv.d.stop)
            cut = _layer_cuts(Layer(W, net.biases[k][lv.unstable]), L, U, v[prev], v[h_cols], v[d_cols])
            for row, (in_set, d_coef, right) in cut.items():
                cols = np.concatenate([[h_cols[row]], prev.start + np.flatnonzero(in_set), [d_cols[row]]])
                vals = np.concatenate([[1.0], -W[row][in_set], [-d_coef]])
                rows.append((cols, vals))
                rhs.append(right)
        lo, hi = bounds[k]
        prev, prev_kept = lv.h, lv.kept
        L, U = activation_range(net.activation(k), lo[lv.kept], hi[lv.kept])
    return _matrix(rows, model.num_vars), np.asarray(rhs, dtype=float)


def _layer_cuts(
    layer: Layer, L: np.ndarray, U: np.ndarray, x: np.ndarray, y: np.ndarray, d: np.ndarray
) -> dict[int, tuple[np.ndarray, float, float]]:
    """Per violated neuron of the unstable neurons' ``layer`` (a dense W, its inputs in [L, U]) at
    the point (inputs x, outputs y, binaries d): (the subset I as a mask, the d coefficient, the
    right-hand side)."""
    W, b = layer.W, layer.b
    Lp = np.where(W >= 0, L[None, :], U[None, :])
    Up = np.where(W >= 0, U[None, :], L[None, :])
    left = W * (x[None, :] - Lp * (1.0 - d[:, None]))
    right = W * Up * d[:, None]
    in_set = (left < right) & (W != 0)
    bound = np.where(in_set, left, right).sum(axis=1) + b * d
    scale = np.abs(W) @ np.maximum(np.abs(L), np.abs(U)) + np.abs(b) + 1.0
    out = {}
    for i in np.flatnonzero(y - bound > MIN_VIOLATION * scale):
        s = in_set[i]
        wl = float(W[i, s] @ Lp[i, s])
        d_coef = wl + float(b[i]) + float(W[i, ~s] @ Up[i, ~s])
        err = 2.0 * gamma(W.shape[1]) * (float(np.abs(W[i]) @ np.maximum(np.abs(L), np.abs(U))) + abs(float(b[i])))
        out[int(i)] = (s, d_coef, float(-wl + err))
    return out


def _matrix(rows: list[tuple[np.ndarray, np.ndarray]], width: int) -> sp.csr_matrix:
    if not rows:
        return sp.csr_matrix((0, width))
    indptr = np.cumsum([0] + [c.size for c, _ in rows])
    return sp.csr_matrix(
        (np.concatenate([v for _, v in rows]), np.concatenate([c for c, _ in rows]), indptr), shape=(len(rows), width)
    )
