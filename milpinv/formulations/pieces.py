r"""Linear pieces of a ReLU network: fix every relu's activation pattern and G is affine.

For a pattern (one boolean mask per relu layer), every pre-activation is affine in z,
a_k = P_k z + q_k, and the piece is the polyhedron

    P_k[i] z + q_k[i] >= 0  (neuron i of layer k active),   <= 0  (inactive),   lower <= z <= upper,

on which G(z) = M z + c. Optimising ||M z + c - x|| over a piece is one LP
(:func:`piece_model`); with the exact norm the output layer is observed as in
:func:`~milpinv.formulations.blocks.observation_rows` instead.
"""

from __future__ import annotations

import numpy as np

from ..network import ReluNetwork
from ..solvers.matrix import MatrixModel, ModelBuilder
from .blocks import error_epigraph, observation_rows


def pattern_of(network: ReluNetwork, z: np.ndarray) -> list[np.ndarray]:
    """The activation pattern (pre-activation > 0) of z for every layer (linear output: all True)."""
    pre = network.pre_activations(z)
    return [a > 0 if network.applies_relu(k) else np.ones(a.shape[0], bool) for k, a in enumerate(pre)]


def affine_maps(network: ReluNetwork, pattern: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(P_k, q_k) with a_k = P_k z + q_k on the piece of ``pattern``, for every layer."""
    P, q = np.eye(network.input_dim), np.zeros(network.input_dim)
    maps = []
    for k, (W, b) in enumerate(zip(network.weights, network.biases)):
        Pk, qk = W @ P, W @ q + b
        maps.append((Pk, qk))
        mask = pattern[k] if network.applies_relu(k) else np.ones(W.shape[0], bool)
        P, q = Pk * mask[:, None], qk * mask
    return maps


def piece_model(
    network: ReluNetwork,
    pattern: list[np.ndarray],
    target: np.ndarray,
    norm: str,
    lower: np.ndarray,
    upper: np.ndarray,
    slack: float = 0.0,
) -> MatrixModel:
    """The LP over one piece: exact (G(z) = x) or minimising the l1/linf error.

    ``slack`` loosens the pattern inequalities by that much (never used for proofs). With the
    exact norm the output layer's pattern is the observation's (x > 0), whatever ``pattern`` says."""
    maps = affine_maps(network, pattern)
    mb = ModelBuilder("piece")
    z = mb.add_vars("z", network.input_dim, lower, upper)
    observed = norm == "exact"
    for k, (P, q) in enumerate(maps):
        if not network.applies_relu(k) or (observed and k == network.depth - 1):
            continue
        on = pattern[k]
        if on.any():
            mb.add_rows(f"on{k}", [(z, P[on])], -q[on] - slack, np.inf)
        if (~on).any():
            mb.add_rows(f"off{k}", [(z, P[~on])], -np.inf, -q[~on] + slack)
    P, q = maps[-1]
    if observed:
        observation_rows(mb, z, P, q, target, network.relu_output)
    else:
        out_mask = pattern[-1] if network.relu_output else np.ones(P.shape[0], bool)
        error_epigraph(mb, [(z, P * out_mask[:, None])], q * out_mask, target, norm)
    return mb.build()
