r"""The LPs of one layer y = relu(W h + b) (or y = W h + b), over h in [lower, upper]
(Lei et al. 2019, Sections 3 and 4; the methods are in :mod:`milpinv.methods.lp`).

Exact: the observation rows of :mod:`.blocks` (x = y),

    W_A h + b_A = y_A  (A = {i : y_i > band}),     W_i h + b_i <= band  (i not in A),

*is* the pre-image, so its infeasibility is a proof (with ``band = 0``).

Noisy, with the rows ``active`` taken as active (y_i > tau for a threshold tau):

    linf:  min t   s.t.  |W_i h + b_i - y_i| <= t  (i active),   W_i h + b_i - y_i <= t  (all i),
                         t >= max(0, -min_i y_i)
    l1:    min sum e_i  s.t. the same per row with e_i in place of t, e_i >= max(0, -y_i).

Each error is also capped by the largest |a_i - y_i| (and floor) that sound bounds on a = W h + b
over the box allow, rounded outward: every optimum's errors lie below the cap, so the LP is
unchanged, and its columns are bounded, so that a safe dual bound (:mod:`milpinv.bounds.safe`) is
finite whenever the box is.
"""

from __future__ import annotations

import numpy as np

from ..problem import Box
from ..solvers.matrix import MatrixModel, ModelBuilder
from .blocks import Layer, OutputSpec, error_epigraph, loosen, observation_rows


def exact_layer_lp(layer: Layer, lo: np.ndarray, hi: np.ndarray, box: Box) -> MatrixModel:
    """The exact single-layer LP over h in ``box``: lo <= W h + b <= hi (a feasibility model: zero
    objective)."""
    mb = ModelBuilder("layer")
    h = mb.add_vars("h", layer.W.shape[1], box.lower, box.upper)
    observation_rows(mb, layer.on(h), lo, hi)
    return mb.build()


def slack_lp(
    layer: Layer, y: np.ndarray, active: np.ndarray, inequalities: tuple[np.ndarray, np.ndarray], i: int, box: Box
) -> MatrixModel:
    """min G_i h over the exact pre-image {h in box : W_A h + b_A = y_A, G h <= g}
    (``inequalities``: (G, g)): can row i be strict?"""
    W, b = layer.W, layer.b
    G, g = inequalities
    mb = ModelBuilder("slack")
    h = mb.add_vars("h", W.shape[1], box.lower, box.upper, cost=G[i])
    if active.any():
        mb.add_rows("active", [(h, W[active])], y[active] - b[active], y[active] - b[active])
    mb.add_rows("ineq", [(h, G)], -np.inf, g)
    return mb.build()


def noisy_layer_lp(
    layer: Layer, spec: OutputSpec, active: np.ndarray, box: Box, reach: tuple[np.ndarray, np.ndarray]
) -> MatrixModel:
    """The thresholded noisy LP of the module docstring over h in ``box`` for y = ``spec.target``
    under ``spec.norm`` (a linear ``layer``: plain l1/linf regression); ``reach``: sound bounds
    (lo, hi) on W h + b over the box, for the errors' cap."""
    mb = ModelBuilder("noisy")
    h = mb.add_vars("h", layer.W.shape[1], box.lower, box.upper)
    y = spec.target
    floor = np.maximum(0.0, -y) if layer.act.is_relu else np.zeros(y.shape[0])
    lo, hi = reach
    _, cap = loosen(floor, np.maximum(np.maximum(hi - y, y - lo), floor), np.abs(lo) + np.abs(hi) + np.abs(y))
    error_epigraph(mb, layer.on(h), spec, lower=floor, upper=cap, two_sided=active)
    return mb.build()
