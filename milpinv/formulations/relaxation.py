r"""The triangle LP relaxation of the hidden layers, with the observation rows of the exact norm.

Every unstable hidden neuron (lo < 0 < hi) is replaced by its triangle

    h >= 0,   h >= a,   h <= hi (a - lo) / (hi - lo),

stable ones by h = a (active) or h = 0 (inactive). With a target and the exact norm the output
rows of :func:`~milpinv.formulations.blocks.observation_rows` are added: they shrink the bounds
of the layers below (:mod:`milpinv.bounds.obbt`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..solvers.matrix import MatrixModel, ModelBuilder
from .blocks import Bounds, loosen, observation_rows, stability


def relaxation(
    network: Any,
    lower: np.ndarray,
    upper: np.ndarray,
    bounds: Bounds,
    target=None,
    norm: str = "exact",
    band: float | np.ndarray = 0.0,
) -> tuple[MatrixModel, list[slice]]:
    """The relaxation model and the variable block of each layer's input (z, h_0, h_1, ...)."""
    mb = ModelBuilder("relaxation")
    prev = mb.add_vars("z", network.input_dim, lower, upper)
    blocks = [prev]
    for k in range(network.depth - 1):
        W, b = network.weights[k], network.biases[k]
        lo, hi = bounds[k]
        active, inactive, unstable = stability(bounds, k)
        h = mb.add_vars(f"h{k}", W.shape[0], 0.0, np.where(inactive, 0.0, np.maximum(hi, 0.0)))
        eye = np.eye(W.shape[0])
        if active.any():  # h = a
            mb.add_rows(f"act{k}", [(h, eye[active]), (prev, -W[active])], b[active], b[active])
        if unstable.any():
            idx = np.flatnonzero(unstable)
            mb.add_rows(f"ge{k}", [(h, eye[idx]), (prev, -W[idx])], b[idx], np.inf)  # h >= a
            s = hi[idx] / (hi[idx] - lo[idx])  # h <= s (a - lo), pushed outward by its rounding error
            reach = np.abs(W[idx]) @ np.maximum(np.abs(mb.lower_of(prev)), np.abs(mb.upper_of(prev)))
            rhs = loosen(s, s * (b[idx] - lo[idx]), 2.0 * s * (reach + np.abs(b[idx]) + np.abs(lo[idx])))[1]
            mb.add_rows(f"tri{k}", [(h, eye[idx]), (prev, -s[:, None] * W[idx])], -np.inf, rhs)
        prev = h
        blocks.append(h)
    if target is not None and norm == "exact":
        observation_rows(
            mb, prev, network.weights[-1], network.biases[-1], np.asarray(target, float), network.relu_output, band
        )
    return mb.build(), blocks
