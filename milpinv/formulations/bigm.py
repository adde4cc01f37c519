r"""The exact big-M formulation of ReLU inversion, for any depth, in matrix form.

Variables: the latent z in the box [l_z, u_z]; for every hidden layer k the post-activations
h_k of the neurons that can be active; a binary d_{k,i} for every *unstable* hidden neuron. With
pre-activation a_{k,i} = W_k[i] h_{k-1} + b_k[i] and sound bounds lo <= a_{k,i} <= hi:

    hi <= 0 (always inactive):  h_{k,i} = 0            -> no variable, its column is dropped
    lo >= 0 (always active):    h_{k,i} = a_{k,i}      -> one equality, no binary
    lo < 0 < hi (unstable):     h_{k,i} >= a_{k,i},  h_{k,i} >= 0,
                                h_{k,i} <= a_{k,i} - lo (1 - d_{k,i}),
                                h_{k,i} <= hi d_{k,i},   d_{k,i} in {0, 1}

Output layer a_L = W_L h_{L-1} + b_L, target x:

    norm exact, relu output:    a_{L,i} = x_i if x_i > 0,  a_{L,i} <= 0 if x_i = 0   (no binary:
                                the observation fixes the output pattern)
    norm exact, linear output:  a_L = x
    norm l1 / linf:             e_i >= |y_i - x_i|;  minimise sum_i e_i (l1)  or  t >= e_i (linf),
                                with y = a_L for a linear output, and for a relu output:
        x_i <= 0:               e_i >= a_i - x_i,  e_i >= -x_i   (|relu(a) - x| = max(a, 0) - x is
                                convex: exact without a binary)
        x_i > 0, lo >= 0:       y_i = a_i;            x_i > 0, hi <= 0:  y_i = 0
        x_i > 0, unstable:      y_i = relu(a_i) by the big-M rows above (a binary), and the convex
                                envelope of |relu(a) - x| on [lo, hi]:  e_i >= x_i (x_i - a_i) / (x_i - lo)

The model is built once with :class:`~milpinv.solvers.matrix.ModelBuilder` from whole weight
blocks (scipy.sparse), never per nonzero, and is solver-neutral (:mod:`milpinv.solvers`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..network import ReluNetwork
from ..solvers.matrix import MatrixModel, ModelBuilder
from .blocks import Bounds, error_epigraph, loosen, observation_interval, observation_rows, selector, stability


@dataclass
class LayerVars:
    """Which neurons of a layer have a variable (``kept``) and which of those have a binary."""

    kept: np.ndarray  # indices of neurons with an h variable (active or unstable)
    unstable: np.ndarray  # indices (into the layer) of neurons with a binary
    h: slice
    d: slice | None


@dataclass
class Formulation:
    network: ReluNetwork
    model: MatrixModel
    norm: str
    bounds: Bounds  # the sound pre-activation bounds the big-M constants come from
    observed: tuple[np.ndarray, np.ndarray] | None = None  # exact norm: the output pre-activations' band
    target: np.ndarray | None = None
    layers: list[LayerVars] = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    def z_of(self, x: np.ndarray) -> np.ndarray:
        return self.model.value(x, "z").copy()

    def complete(self, z: np.ndarray, target: np.ndarray | None = None) -> np.ndarray:
        """A full variable vector consistent with z (forward pass): warm starts, fixed-input checks."""
        m = self.model
        v = np.zeros(m.num_vars)
        z = np.clip(np.asarray(z, float), m.col_lower[m.blocks["z"]], m.col_upper[m.blocks["z"]])
        v[m.blocks["z"]] = z
        pre = self.network.pre_activations(z)
        for k, lv in enumerate(self.layers):
            a = pre[k]
            h = np.maximum(a, 0.0) if self.network.applies_relu(k) else a
            v[lv.h] = h[lv.kept]
            if lv.d is not None:
                v[lv.d] = (a[lv.unstable] > 0).astype(float)
        if self.norm != "exact" and target is not None:
            y = self.network.forward(z)
            err = np.abs(y - target)
            if "e" in m.blocks:
                v[m.blocks["e"]] = err
            if "t" in m.blocks:
                v[m.blocks["t"]] = err.max(initial=0.0)
        return v

    def stats(self) -> dict:
        return {**self.model.stats(), **self.counts}


def _relu_block(mb: ModelBuilder, name: str, prev: slice, W, b, lo, hi, active, unstable) -> LayerVars:
    """Variables and rows of one relu layer whose inputs are the variables ``prev``."""
    kept = np.flatnonzero(active | unstable)
    h = mb.add_vars(f"h{name}", kept.size, 0.0, np.maximum(hi[kept], 0.0))
    pos = {int(i): j for j, i in enumerate(kept)}
    Wk = sp.csr_matrix(W)
    act = np.flatnonzero(active)
    unst = np.flatnonzero(unstable)
    if act.size:
        mb.add_rows(f"act{name}", [(h, selector(act, kept.size, pos)), (prev, -Wk[act])], b[act], b[act])
    d = None
    if unst.size:
        sel = selector(unst, kept.size, pos)
        d = mb.add_vars(f"d{name}", unst.size, 0.0, 1.0, integer=True)
        mb.add_rows(f"ge{name}", [(h, sel), (prev, -Wk[unst])], b[unst], np.inf)  # h >= a
        rhs = loosen(b[unst], b[unst] - lo[unst], np.abs(b[unst]) + np.abs(lo[unst]))[1]
        mb.add_rows(
            f"bigm_lo{name}",
            [(h, sel), (prev, -Wk[unst]), (d, -sp.diags(lo[unst]))],  # h <= a - lo(1-d)
            -np.inf,
            rhs,
        )
        mb.add_rows(f"bigm_hi{name}", [(h, sel), (d, -sp.diags(hi[unst]))], -np.inf, 0.0)  # h <= hi d
    return LayerVars(kept, unst, h, d)


def build_formulation(
    network: ReluNetwork,
    target: np.ndarray,
    norm: str,
    lower: np.ndarray,
    upper: np.ndarray,
    bounds: Bounds,
    band: float | np.ndarray = 0.0,
    envelope: bool = True,
) -> Formulation:
    """The big-M model of the module docstring from precomputed sound ``bounds``; the exact norm
    observes x within ``band`` (per output row, or one number). ``envelope=False`` leaves out the
    envelope rows (their coefficients are fractions: a lattice engine needs integer ones)."""
    mb = ModelBuilder(f"milpinv-{norm}")
    prev = mb.add_vars("z", network.input_dim, lower, upper)
    prev_kept = np.arange(network.input_dim)
    layers: list[LayerVars] = []
    counts = {"stable_active": 0, "stable_inactive": 0, "unstable": 0}
    for k in range(network.depth - 1):
        W, b = network.weights[k][:, prev_kept], network.biases[k]
        active, inactive, unstable = stability(bounds, k)
        counts["stable_active"] += int(active.sum())
        counts["stable_inactive"] += int(inactive.sum())
        counts["unstable"] += int(unstable.sum())
        lv = _relu_block(mb, str(k), prev, W, b, *bounds[k], active, unstable)
        layers.append(lv)
        prev, prev_kept = lv.h, lv.kept
    W, b = sp.csr_matrix(network.weights[-1][:, prev_kept]), network.biases[-1]
    x = np.asarray(target, float)
    if norm == "exact":
        observation_rows(mb, prev, W, b, x, network.relu_output, band)
    else:
        _output_error(mb, network, prev, W, b, x, norm, bounds, layers, counts, envelope)
    observed = observation_interval(x, network.relu_output, band) if norm == "exact" else None
    return Formulation(network, mb.build(), norm, bounds, observed, x, layers, counts)


def _output_error(
    mb: ModelBuilder,
    network: ReluNetwork,
    prev: slice,
    W: sp.csr_matrix,
    b: np.ndarray,
    x: np.ndarray,
    norm: str,
    bounds: Bounds,
    layers: list[LayerVars],
    counts: dict,
    envelope: bool,
) -> None:
    """The l1 / linf error rows of the module docstring."""
    lo, hi = bounds[-1]
    m = x.shape[0]
    if not network.relu_output:
        emax = np.maximum(hi - x, x - lo)  # |y_i - x_i| can never exceed this (sound, finite)
        error_epigraph(mb, [(prev, W)], b, x, norm, upper=emax)
        return
    active, inactive, unstable = stability(bounds, network.depth - 1)
    convex = x <= 0  # |relu(a) - x| = max(a, 0) - x: linear rows, no binary
    binary = unstable & ~convex
    counts["output_unstable"] = int(binary.sum())
    lv = _relu_block(mb, "out", prev, W.toarray(), b, lo, hi, np.zeros(m, bool), binary)
    layers.append(lv)
    linear = (active | convex) & ~inactive  # y (or its convex upper side) is the pre-activation a
    rows_a = sp.diags(linear.astype(float)) @ W
    terms = [(prev, rows_a), (lv.h, selector(lv.kept, m).T.tocsr())]
    const = np.where(linear, b, 0.0)
    emax = np.maximum(np.maximum(hi, 0.0) - x, x - np.maximum(lo, 0.0))
    e = error_epigraph(mb, terms, const, x, norm, lower=np.maximum(-x, 0.0), upper=emax, two_sided=~convex)
    if envelope and binary.any():
        _envelope_rows(mb, prev, e, W, b, x, lo, binary, norm)


def _envelope_rows(
    mb: ModelBuilder,
    prev: slice,
    e: slice,
    W: sp.csr_matrix,
    b: np.ndarray,
    x: np.ndarray,
    lo: np.ndarray,
    rows: np.ndarray,
    norm: str,
) -> None:
    """e_i >= s_i (x_i - a_i), s_i = x_i / (x_i - lo_i): the convex envelope's falling side, loosened
    by its rounding error."""
    idx = np.flatnonzero(rows)
    s = x[idx] / (x[idx] - lo[idx])
    reach = abs(W[idx]) @ np.maximum(np.abs(mb.lower_of(prev)), np.abs(mb.upper_of(prev)))
    rhs = s * (x[idx] - b[idx])
    low = loosen(rhs, rhs, 2.0 * s * (reach + np.abs(x[idx]) + np.abs(b[idx])))[0]
    col = selector(idx, e.stop - e.start) if norm == "l1" else sp.csr_matrix(np.ones((idx.size, 1)))
    mb.add_rows("envelope", [(e, col), (prev, sp.diags(s) @ W[idx])], low, np.inf)
