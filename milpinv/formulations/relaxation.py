r"""The triangle LP relaxation of the hidden layers, with the observation rows of the exact norm.

Every unstable hidden neuron (lo < 0 < hi) of activation max(a, s a) (relu: s = 0) is replaced by
the convex hull of its graph on [lo, hi], a triangle:

    h >= s a,   h >= a,   h <= s lo + (hi - s lo) (a - lo) / (hi - lo),

stable ones by h = a (active) or h = s a (inactive). With the exact norm the output rows of
:func:`~milpinv.formulations.blocks.observation_rows` are added: they shrink the bounds of the
layers below (:mod:`milpinv.bounds.obbt`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from ..problem import Box
from ..rounding import UNIT
from ..solvers.matrix import MatrixModel, ModelBuilder
from .blocks import Bounds, Layer, loosen, observation_rows, stability


def relaxation(
    network: Any, box: Box, bounds: Bounds, observed: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[MatrixModel, list[slice]]:
    """The relaxation model over the latent ``box`` and the variable block of each layer's input
    (z, h_0, h_1, ...); ``observed``: the exact norm's interval on the output pre-activations."""
    mb = ModelBuilder("relaxation")
    prev = mb.add_vars("z", network.input_dim, box.lower, box.upper)
    blocks = [prev]
    for k in range(network.depth - 1):
        layer = Layer(sp.csr_matrix(network.weights[k]), network.biases[k], network.activation(k))
        prev = _relaxed_layer(mb, k, prev, layer, bounds[k])
        blocks.append(prev)
    if observed is not None:
        observation_rows(mb, Layer(sp.csr_matrix(network.weights[-1]), network.biases[-1]).on(prev), *observed)
    return mb.build(), blocks


def _relaxed_layer(
    mb: ModelBuilder, k: int, prev: slice, layer: Layer, interval: tuple[np.ndarray, np.ndarray]
) -> slice:
    """One kinked ``layer`` (slope s below 0) on the variables ``prev``, its pre-activations within
    ``interval``: stable neurons exactly, unstable ones by their triangle."""
    W, b, s = layer.W, layer.b, layer.act.low_slope
    lo, hi = interval
    active, inactive, unstable = stability([interval], 0)
    h_lo = np.where(active, lo, s * lo)
    h = mb.add_vars(
        f"h{k}", W.shape[0], h_lo - 2 * UNIT * np.abs(h_lo), np.where(inactive, s * hi, np.maximum(hi, 0.0))
    )
    eye = sp.identity(W.shape[0], format="csr")
    reach = abs(W) @ np.maximum(np.abs(mb.lower_of(prev)), np.abs(mb.upper_of(prev))) + np.abs(b)
    for rows, factor in ((np.flatnonzero(active), 1.0), (np.flatnonzero(inactive), s)):
        if rows.size and factor > 0:  # h = factor a (loosened by the rounding of factor W)
            err = 0.0 if factor == 1.0 else 4 * UNIT * factor * reach[rows]
            mb.add_rows(
                f"act{k}", [(h, eye[rows]), (prev, -factor * W[rows])], factor * b[rows] - err, factor * b[rows] + err
            )
    idx = np.flatnonzero(unstable)
    if idx.size:
        mb.add_rows(f"ge{k}", [(h, eye[idx]), (prev, -W[idx])], b[idx], np.inf)  # h >= a
        if s > 0:
            mb.add_rows(
                f"ge2{k}", [(h, eye[idx]), (prev, -s * W[idx])], s * b[idx] - 4 * UNIT * s * reach[idx], np.inf
            )  # h >= s a
        c = (hi[idx] - s * lo[idx]) / (hi[idx] - lo[idx])  # the chord: h <= c a + (s - c) lo
        rhs = c * b[idx] + (s - c) * lo[idx]
        rhs = loosen(rhs, rhs, 2.0 * c * (reach[idx] + np.abs(lo[idx])) + 2.0 * np.abs(s * lo[idx]))[1]
        mb.add_rows(f"tri{k}", [(h, eye[idx]), (prev, -sp.diags(c) @ W[idx])], -np.inf, rhs)
    return h
