r"""The exact big-M formulation of inversion, for any depth, in matrix form.

Variables: the latent z in the box [l_z, u_z]; for every hidden layer k the post-activations h_k
of the neurons that can be nonzero; a binary d_{k,i} for every *unstable* hidden neuron. With
pre-activation a_{k,i} = W_k[i] h_{k-1} + b_k[i], sound bounds lo <= a_{k,i} <= hi and the
activation max(a, s a) (relu: s = 0; leaky_relu: 0 < s < 1):

    hi <= 0 (always inactive):  h = s a            (relu: h = 0, no variable, the column is dropped;
                                                    the row a <= 0 stays, see below)
    lo >= 0 (always active):    h = a              -> one equality, no binary
    lo < 0 < hi (unstable):     h >= a,  h >= s a,
                                h <= a - c_lo (1 - d),     c_lo <= (1 - s) lo
                                h <= s a + c_hi d,         c_hi >= (1 - s) hi,     d in {0, 1}

(c_lo and c_hi are (1 - s) lo and (1 - s) hi rounded outward; for relu they are lo and hi.)
Bounds propagated back from the observation hold on the pre-images, not on the whole box, so a
stable neuron keeps the row of its side (a <= 0; a >= 0 is h = a with h >= 0): then every point of
the model is a point of the network, not only every pre-image a point of the model.

Output layer a_L = W_L h_{L-1} + b_L, target x:

    norm exact:                 a_L in the observation's interval (:mod:`.blocks`): no binary, the
                                observation fixes the output pattern, whatever the activation
    norm l1 / linf:             e_i >= |y_i - x_i|;  minimise sum_i e_i (l1)  or  t >= e_i (linf),
                                with y = a_L for a linear output, y = act(a_L) by the rows above for
                                leaky_relu, for tanh / sigmoid linear under-estimators of
                                |act(a_i) - x_i| on [lo, hi] (:mod:`.pixel_error`: a relaxation,
                                exact only where the error is convex), and for a relu output:
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
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from ..network import ReluNetwork
from ..norm import Norm
from ..problem import Box
from ..rounding import UNIT
from ..solvers.matrix import MatrixModel, ModelBuilder
from .blocks import Bounds, Layer, Linear, OutputSpec, error_epigraph, loosen, observation_rows, selector, stability
from .pixel_error import pixel_rows


@dataclass
class LayerVars:
    """Which neurons of a layer have a variable (``kept``) and which of those have a binary, and the
    rows of the unstable ones (h >= a, and the two big-M rows of the module docstring)."""

    kept: np.ndarray  # indices of neurons with an h variable
    unstable: np.ndarray  # indices (into the layer) of neurons with a binary
    h: slice
    d: slice | None
    slope: float = 0.0  # the activation's slope below 0 (relu 0, leaky_relu s)
    ge_rows: slice | None = None  # h >= a
    lo_rows: slice | None = None  # h <= a - c_lo (1 - d)
    hi_rows: slice | None = None  # h <= s a + c_hi d

    def unstable_h(self) -> np.ndarray:
        """The h column of every unstable neuron (in the order of ``unstable``)."""
        pos = {int(i): j for j, i in enumerate(self.kept)}
        return np.array([self.h.start + pos[int(i)] for i in self.unstable], dtype=int)


def _span(block: slice | None) -> np.ndarray:
    return np.zeros(0, int) if block is None else np.arange(block.start, block.stop)


@dataclass(frozen=True)
class NeuronIndex:
    """Where the model put every unstable neuron: one entry per binary, layer by layer (the output
    layer last, under l1 / linf), so that a search reads columns and rows here, never by name.

    ``unit`` is the neuron's index in its ``layer`` of the network; ``d`` and ``h`` its binary and
    post-activation columns; ``ge_row``, ``lo_row``, ``hi_row`` its rows h >= a,
    h <= a - c_lo (1 - d) and h <= s a + c_hi d; ``bias`` its b and ``slope`` the activation's s."""

    layer: np.ndarray
    unit: np.ndarray
    d: np.ndarray
    h: np.ndarray
    ge_row: np.ndarray
    lo_row: np.ndarray
    hi_row: np.ndarray
    bias: np.ndarray
    slope: np.ndarray
    groups: tuple[tuple[int, slice], ...]  # (network layer, its range among the binaries)

    @classmethod
    def of(cls, network: ReluNetwork, layers: list[LayerVars]) -> NeuronIndex:
        """The index of the binaries of ``layers`` (``layers[k]``: network layer k)."""
        kinked = [(k, lv) for k, lv in enumerate(layers) if lv.d is not None]
        starts = np.cumsum([0] + [lv.unstable.size for _, lv in kinked])
        groups = tuple((k, slice(int(a), int(b))) for (k, _), a, b in zip(kinked, starts[:-1], starts[1:]))

        def cat(parts: list[np.ndarray], dtype=int) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

        return cls(
            layer=cat([np.full(lv.unstable.size, k) for k, lv in kinked]),
            unit=cat([lv.unstable for _, lv in kinked]),
            d=cat([_span(lv.d) for _, lv in kinked]),
            h=cat([lv.unstable_h() for _, lv in kinked]),
            ge_row=cat([_span(lv.ge_rows) for _, lv in kinked]),
            lo_row=cat([_span(lv.lo_rows) for _, lv in kinked]),
            hi_row=cat([_span(lv.hi_rows) for _, lv in kinked]),
            bias=cat([network.biases[k][lv.unstable] for k, lv in kinked], float),
            slope=cat([np.full(lv.unstable.size, lv.slope) for _, lv in kinked], float),
            groups=groups,
        )

    @property
    def count(self) -> int:
        return int(self.d.size)

    def interval(self, bounds: Bounds) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) of every binary's pre-activation in ``bounds`` (per network layer)."""
        lo = np.concatenate([bounds[k][0][self.unit[sl]] for k, sl in self.groups] or [np.zeros(0)])
        hi = np.concatenate([bounds[k][1][self.unit[sl]] for k, sl in self.groups] or [np.zeros(0)])
        return lo, hi


@dataclass
class Formulation:
    network: ReluNetwork
    model: MatrixModel
    norm: Norm | None  # None: the graph model (build_graph: no target)
    bounds: Bounds  # the sound pre-activation bounds the big-M constants come from
    observed: tuple[np.ndarray, np.ndarray] | None = None  # exact norm: the output pre-activations' interval
    target: np.ndarray | None = None
    layers: list[LayerVars] = field(default_factory=list)
    counts: dict = field(default_factory=dict)

    @cached_property
    def neurons(self) -> NeuronIndex:
        """The index of the binaries and their rows (:class:`NeuronIndex`)."""
        return NeuronIndex.of(self.network, self.layers)

    @property
    def latent(self) -> slice:
        """The columns of z."""
        return self.model.blocks["z"]

    def z_of(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x)[self.latent].copy()

    def complete(self, z: np.ndarray, target: np.ndarray | None = None) -> np.ndarray:
        """A full variable vector consistent with z (forward pass): warm starts, fixed-input checks."""
        m = self.model
        v = np.zeros(m.num_vars)
        z = np.clip(np.asarray(z, float), m.col_lower[m.blocks["z"]], m.col_upper[m.blocks["z"]])
        v[m.blocks["z"]] = z
        pre = self.network.pre_activations(z)
        for k, lv in enumerate(self.layers):
            a = pre[k]
            v[lv.h] = self.network.activation(k)(a)[lv.kept]
            if lv.d is not None:
                v[lv.d] = (a[lv.unstable] > 0).astype(float)
        if "x" in m.blocks:  # the graph model's outputs
            v[m.blocks["x"]] = self.network.forward(z)
        if self.norm is not None and not self.norm.exact and target is not None:
            err = np.abs(self.network.forward(z) - target)
            if "e" in m.blocks:
                v[m.blocks["e"]] = err
            if "t" in m.blocks:
                v[m.blocks["t"]] = err.max(initial=0.0)
        return v

    def stats(self) -> dict:
        return {**self.model.stats(), **self.counts}


KEPT_MAGNITUDE = 1e-8  # LP solvers drop smaller matrix entries (HiGHS: small_matrix_value 1e-9)


def kink_constants(lo: np.ndarray, hi: np.ndarray, slope: float | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(c_lo, c_hi) of the module docstring: (1 - s) lo rounded down, (1 - s) hi rounded up (per
    neuron when ``slope`` is an array; exactly lo and hi where s = 0), each at least
    :data:`KEPT_MAGNITUDE` away from 0: a looser constant keeps the rows valid, and the LP solver
    then holds the matrix the certificates read (a constant of 3e-14 was dropped by HiGHS).

    >>> kink_constants(np.array([-2.0, -3e-14]), np.array([1e-15, 4.0]), 0.0)
    (array([-2.e+00, -1.e-08]), array([1.e-08, 4.e+00]))
    """
    kinked = np.asarray(slope) != 0.0
    c_lo, c_hi = (1.0 - slope) * lo, (1.0 - slope) * hi
    c_lo, c_hi = c_lo - kinked * 2 * UNIT * np.abs(c_lo), c_hi + kinked * 2 * UNIT * np.abs(c_hi)
    return np.minimum(c_lo, -KEPT_MAGNITUDE), np.maximum(c_hi, KEPT_MAGNITUDE)


def _kinked_block(
    mb: ModelBuilder,
    name: str,
    prev: slice,
    layer: Layer,
    interval: tuple[np.ndarray, np.ndarray],
    only: np.ndarray | None = None,
) -> LayerVars:
    """Variables and rows of one relu / leaky_relu ``layer`` whose inputs are the variables ``prev``,
    its pre-activations within the sound ``interval`` (``only``: the neurons to model, the others
    are left out)."""
    W, b, s = layer.W, layer.b, layer.act.low_slope
    lo, hi = interval
    unstable = stability([interval], 0)[2]
    only = np.ones(unstable.shape, bool) if only is None else only
    unstable = unstable & only
    inactive = (hi <= 0) & ~unstable & only
    active = ~inactive & ~unstable & only
    kept = np.flatnonzero(active | unstable | (inactive if s > 0 else False))
    h_lo = np.where(unstable | inactive, s * lo, lo)
    h = mb.add_vars(
        f"h{name}",
        kept.size,
        np.minimum(h_lo[kept] - 2 * UNIT * np.abs(h_lo[kept]), 0.0) if s > 0 else 0.0,
        np.maximum(hi[kept], 0.0),
    )
    pos = {int(i): j for j, i in enumerate(kept)}
    Wk = sp.csr_matrix(W)
    reach = abs(Wk) @ np.maximum(np.abs(mb.lower_of(prev)), np.abs(mb.upper_of(prev))) + np.abs(b)
    for rows, factor, label in ((np.flatnonzero(active), 1.0, "act"), (np.flatnonzero(inactive), s, "inact")):
        if rows.size and factor > 0:  # h = factor a, loosened by the rounding of factor W (none for 1)
            err = 0.0 if factor == 1.0 else 4 * UNIT * factor * reach[rows]
            mb.add_rows(
                f"{label}{name}",
                [(h, selector(rows, kept.size, pos)), (prev, -factor * Wk[rows])],
                factor * b[rows] - err,
                factor * b[rows] + err,
            )
    off = np.flatnonzero(inactive) if s == 0 else np.zeros(0, int)
    if off.size:  # a <= 0: bounds propagated back from the observation hold on pre-images only
        mb.add_rows(f"off{name}", [(prev, Wk[off])], -np.inf, -b[off])
    unst = np.flatnonzero(unstable)
    lv = LayerVars(kept, unst, h, None, s)
    if unst.size:
        sel = selector(unst, kept.size, pos)
        lv.d = d = mb.add_vars(f"d{name}", unst.size, 0.0, 1.0, integer=True)
        c_lo, c_hi = kink_constants(lo[unst], hi[unst], s)
        lv.ge_rows = mb.add_rows(f"ge{name}", [(h, sel), (prev, -Wk[unst])], b[unst], np.inf)  # h >= a
        rhs = loosen(b[unst], b[unst] - c_lo, np.abs(b[unst]) + np.abs(c_lo))[1]
        lv.lo_rows = mb.add_rows(f"bigm_lo{name}", [(h, sel), (prev, -Wk[unst]), (d, -sp.diags(c_lo))], -np.inf, rhs)
        err = 4 * UNIT * s * reach[unst]
        lv.hi_rows = mb.add_rows(
            f"bigm_hi{name}", [(h, sel), (prev, -s * Wk[unst]), (d, -sp.diags(c_hi))], -np.inf, s * b[unst] + err
        )  # h <= s a + c_hi d
        if s > 0:
            mb.add_rows(f"ge2{name}", [(h, sel), (prev, -s * Wk[unst])], s * b[unst] - err, np.inf)  # h >= s a
    return lv


def build_formulation(
    network: ReluNetwork, spec: OutputSpec, box: Box, bounds: Bounds, envelope: bool = True
) -> Formulation:
    """The big-M model of the module docstring over the latent ``box`` from precomputed sound
    ``bounds``, for the outputs ``spec`` asks (the exact norm: x within its band through the output
    activation, or its pre-activation interval). ``envelope=False`` leaves out the envelope rows
    (their coefficients are fractions: a lattice engine needs integer ones)."""
    norm, out = spec.norm, network.output_activation
    mb = ModelBuilder(f"milpinv-{norm}")
    prev, last, layers, counts = _hidden_layers(mb, network, box, bounds)
    observed = None
    if norm.exact:
        observed = spec.interval(out)
        observation_rows(mb, last.on(prev), *observed)
    else:
        lv = _output_error(mb, prev, last, spec, bounds[-1], envelope)
        if lv is not None:
            layers.append(lv)
            counts["output_unstable"] = int(lv.unstable.size)
    return Formulation(network, mb.build(), norm, bounds, observed, spec.target, layers, counts)


def build_graph(network: ReluNetwork, box: Box, bounds: Bounds) -> Formulation:
    """The graph {(z, x) : z in box, x = G(z)} of a network with a linear output as a
    big-M model (no target, no objective): the blocks of the module docstring for the hidden
    layers, then the outputs ``x`` (a variable block) with x = W_L h + b_L. Every point of the model
    is a point of the graph and back (the hidden rows hold on the whole box)."""
    if not network.output_activation.identity:
        raise InputError(f"build_graph: expected a linear output, got {network.output_activation}")
    mb = ModelBuilder("milpinv-graph")
    prev, last, layers, counts = _hidden_layers(mb, network, box, bounds)
    x = mb.add_vars("x", network.output_dim, *bounds[-1])
    mb.add_rows("out", [(x, sp.identity(network.output_dim, format="csr")), (prev, -last.W)], last.b, last.b)
    return Formulation(network, mb.build(), None, bounds, layers=layers, counts=counts)


def _hidden_layers(
    mb: ModelBuilder, network: ReluNetwork, box: Box, bounds: Bounds
) -> tuple[slice, Layer, list[LayerVars], dict]:
    """The latent ``z`` and every hidden layer's block; returns the last hidden variables, the output
    layer on them (its weights restricted to the kept ones), the layers and the stability counts."""
    prev = mb.add_vars("z", network.input_dim, box.lower, box.upper)
    prev_kept = np.arange(network.input_dim)
    layers: list[LayerVars] = []
    counts = {"stable_active": 0, "stable_inactive": 0, "unstable": 0}
    for k in range(network.depth - 1):
        layer = Layer(sp.csr_matrix(network.weights[k])[:, prev_kept], network.biases[k], network.activation(k))
        active, inactive, unstable = stability(bounds, k)
        counts["stable_active"] += int(active.sum())
        counts["stable_inactive"] += int(inactive.sum())
        counts["unstable"] += int(unstable.sum())
        lv = _kinked_block(mb, str(k), prev, layer, bounds[k])
        layers.append(lv)
        prev, prev_kept = lv.h, lv.kept
    last = Layer(sp.csr_matrix(network.weights[-1])[:, prev_kept], network.biases[-1], network.output_activation)
    return prev, last, layers, counts


def _output_error(
    mb: ModelBuilder,
    prev: slice,
    out: Layer,
    spec: OutputSpec,
    interval: tuple[np.ndarray, np.ndarray],
    envelope: bool,
) -> LayerVars | None:
    """The l1 / linf error rows of the module docstring for the output layer ``out`` on the
    variables ``prev``, its pre-activations within ``interval``; returns the output neurons'
    block, when it has one."""
    lo, hi = interval
    x = spec.target
    m, act = x.shape[0], out.act
    if act.identity:
        emax = _error_cap(np.maximum(hi - x, x - lo))  # |y_i - x_i| can never exceed this (sound, finite)
        error_epigraph(mb, out.on(prev), spec, upper=emax)
        return None
    y_lo, y_hi = act(lo) - 2 * UNIT * np.abs(act(lo)), act(hi) + 2 * UNIT * np.abs(act(hi))
    emax = _error_cap(np.maximum(y_hi - x, x - y_lo))
    if act.smooth:  # tanh / sigmoid: linear under-estimators of each pixel's error
        pixel_rows(mb, prev, out, spec, interval, emax)
        return None
    if act.one_to_one:  # leaky_relu
        lv = _kinked_block(mb, "out", prev, out, interval)
        error_epigraph(mb, Linear([(lv.h, selector(lv.kept, m).T.tocsr())], np.zeros(m)), spec, upper=emax)
        return lv
    active, inactive, _ = stability([interval], 0)
    convex = x <= 0  # |relu(a) - x| = max(a, 0) - x: linear rows, no binary
    binary = _binary_outputs(interval, x)
    lv = _kinked_block(mb, "out", prev, out, interval, only=binary)
    linear = (active | convex) & ~inactive  # y (or its convex upper side) is the pre-activation a
    y = Linear(
        [(prev, sp.diags(linear.astype(float)) @ out.W), (lv.h, selector(lv.kept, m).T.tocsr())],
        np.where(linear, out.b, 0.0),
    )
    e = error_epigraph(mb, y, spec, lower=np.maximum(-x, 0.0), upper=emax, two_sided=~convex)
    if envelope and binary.any():
        _envelope_rows(mb, prev, e, out, spec, interval)
    return lv


def _binary_outputs(interval: tuple[np.ndarray, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The relu outputs that need a binary: unstable, with x_i > 0 (where x_i <= 0 the error
    max(a, 0) - x_i is convex)."""
    return stability([interval], 0)[2] & ~(x <= 0)


def _envelope_rows(
    mb: ModelBuilder, prev: slice, e: slice, out: Layer, spec: OutputSpec, interval: tuple[np.ndarray, np.ndarray]
) -> None:
    """e_i >= s_i (x_i - a_i), s_i = x_i / (x_i - lo_i), for every relu output with a binary: the
    convex envelope's falling side, loosened by its rounding error."""
    W, b, x, lo = out.W, out.b, spec.target, interval[0]
    idx = np.flatnonzero(_binary_outputs(interval, x))
    s = x[idx] / (x[idx] - lo[idx])
    reach = abs(W[idx]) @ np.maximum(np.abs(mb.lower_of(prev)), np.abs(mb.upper_of(prev)))
    rhs = s * (x[idx] - b[idx])
    low = loosen(rhs, rhs, 2.0 * s * (reach + np.abs(x[idx]) + np.abs(b[idx])))[0]
    col = selector(idx, e.stop - e.start) if spec.norm.per_output else sp.csr_matrix(np.ones((idx.size, 1)))
    mb.add_rows("envelope", [(e, col), (prev, sp.diags(s) @ W[idx])], low, np.inf)


def _error_cap(difference: np.ndarray) -> np.ndarray:
    """An upper bound on the error, computed by one float subtraction: pushed up by its rounding."""
    return loosen(difference, difference, np.abs(difference))[1]
