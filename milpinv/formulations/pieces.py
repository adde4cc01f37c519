r"""Linear pieces of a piecewise-linear network: fix every kink's side and G is affine.

For a pattern (one boolean mask per layer: pre-activation > 0), every pre-activation is affine in
z, a_k = P_k z + q_k, and the piece is the polyhedron

    P_k[i] z + q_k[i] >= 0  (neuron i of layer k active),   <= 0  (inactive),   lower <= z <= upper,

on which G(z) = M z + c (an inactive neuron passes s a_k: s = 0 for relu, its slope for
leaky_relu). Over a piece one LP optimises:

* ``exact``: the observation's interval on the output pre-activations
  (:func:`~milpinv.formulations.blocks.observation_rows`): a feasibility model;
* ``gap``: min t with the output pre-activations within t of that interval (the nearest point of
  the piece to the observation, what a polish walks by; t <= 0 is inside it);
* ``l1`` / ``linf``: min ||M z + c - x||.
"""

from __future__ import annotations

import numpy as np

from ..network import ReluNetwork
from ..norm import Norm
from ..problem import Box
from ..solvers.matrix import MatrixModel, ModelBuilder
from .blocks import Linear, OutputSpec, error_epigraph, loosen, observation_rows


def pattern_of(network: ReluNetwork, z: np.ndarray) -> list[np.ndarray]:
    """The activation pattern (pre-activation > 0) of z for every layer (all True where no kink)."""
    pre = network.pre_activations(z)
    return [a > 0 if network.activation(k).kinked else np.ones(a.shape[0], bool) for k, a in enumerate(pre)]


def kink_order(network: ReluNetwork, z: np.ndarray) -> list[tuple[int, int]]:
    """(layer, neuron) of every kinked neuron at z, the smallest |pre-activation| relative to its
    row (|W_i|_1) first: the neurons a small move of z flips first."""
    scored = []
    for k, a in enumerate(network.pre_activations(z)):
        if not network.activation(k).kinked:
            continue
        scale = np.asarray(abs(network.weights[k]).sum(axis=1)).ravel() + 1e-300
        scored += [(float(abs(a[i]) / scale[i]), k, i) for i in range(a.shape[0])]
    return [(k, i) for _, k, i in sorted(scored)]


def affine_maps(network: ReluNetwork, pattern: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(P_k, q_k) with a_k = P_k z + q_k on the piece of ``pattern``, for every layer."""
    P, q = np.eye(network.input_dim), np.zeros(network.input_dim)
    maps = []
    for k, (W, b) in enumerate(zip(network.weights, network.biases)):
        Pk, qk = np.asarray(W @ P), W @ q + b
        maps.append((Pk, qk))
        act = network.activation(k)
        slope = np.where(pattern[k], 1.0, act.low_slope) if act.kinked else np.ones(qk.shape[0])
        P, q = Pk * slope[:, None], qk * slope
    return maps


def piece_model(
    network: ReluNetwork,
    pattern: list[np.ndarray],
    spec: OutputSpec,
    box: Box,
    slack: float = 0.0,
    nearest: bool = False,
) -> MatrixModel:
    """The LP over one piece of the latent ``box`` for the outputs ``spec`` asks (see the module
    docstring); ``nearest``: the ``gap`` objective instead (the exact norm's observation).

    ``slack`` loosens the pattern inequalities by that much (never used for proofs). ``exact`` and
    ``gap`` observe x within the band through the output activation (the output layer's pattern is
    then the observation's, whatever ``pattern`` says); l1 / linf need a piecewise-linear output."""
    maps = affine_maps(network, pattern)
    mb = ModelBuilder("piece")
    z = mb.add_vars("z", network.input_dim, box.lower, box.upper)
    norm = Norm.EXACT if nearest else spec.norm
    for k, (P, q) in enumerate(maps):
        if not network.activation(k).kinked or (norm.exact and k == network.depth - 1):
            continue
        on = pattern[k]
        if on.any():
            mb.add_rows(f"on{k}", [(z, P[on])], -q[on] - slack, np.inf)
        if (~on).any():
            mb.add_rows(f"off{k}", [(z, P[~on])], -np.inf, -q[~on] + slack)
    P, q = maps[-1]
    act = network.output_activation
    if norm.exact:
        (_gap_rows if nearest else observation_rows)(mb, Linear([(z, P)], q), *spec.interval(act))
    else:
        slope = np.where(pattern[-1], 1.0, act.low_slope) if act.kinked else np.ones(P.shape[0])
        error_epigraph(mb, Linear([(z, P * slope[:, None])], q * slope), spec)
    return mb.build()


def _gap_rows(mb: ModelBuilder, y: Linear, lo: np.ndarray, hi: np.ndarray) -> None:
    """lo - t <= y <= hi + t, minimise t."""
    t = mb.add_vars("t", 1, -np.inf, np.inf, cost=1.0)
    ones = np.ones((y.const.shape[0], 1))
    for side, bound in ((1.0, hi), (-1.0, lo)):  # side (y - bound) <= t
        rows = np.flatnonzero(np.isfinite(bound))
        if rows.size:
            part, q = y.rows(rows), y.const[rows]
            rhs = side * (bound[rows] - q)
            rhs = loosen(rhs, rhs, np.abs(bound[rows]) + np.abs(q))[1]
            terms = [(cols, side * mat) for cols, mat in part.terms] + [(t, -ones[rows])]
            mb.add_rows("gap_hi" if side > 0 else "gap_lo", terms, -np.inf, rhs)
