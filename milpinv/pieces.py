"""Linear pieces of a ReLU network: fix every relu's activation pattern and G is affine.

For a pattern (one boolean mask per relu layer), every pre-activation is affine in z,
a_k = P_k z + q_k, and the piece is the polyhedron

    P_k[i] z + q_k[i] >= 0  (neuron i of layer k active),   <= 0  (inactive),   lower <= z <= upper,

on which G(z) = M z + c. Optimising ||M z + c - x|| over a piece is one LP. :func:`polish` walks
from a given z to the best point of its piece, re-reads the pattern there and repeats: the
residual never increases. The MILP, layer-wise noisy inversion and pre-image analysis use it.
"""
from __future__ import annotations

import numpy as np

from .backends import solve
from .model import MatrixModel, ModelBuilder
from .network import ReluNetwork


def relu_layers(network: ReluNetwork) -> list[int]:
    return [k for k in range(network.depth) if network.applies_relu(k)]


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


def piece_model(network: ReluNetwork, pattern: list[np.ndarray], target: np.ndarray, norm: str,
                lower: np.ndarray, upper: np.ndarray, slack: float = 0.0) -> MatrixModel:
    """The LP over one piece: exact (G(z) = x) or minimising the l1/linf error.

    ``slack`` loosens the pattern inequalities by that much (never used for proofs)."""
    maps = affine_maps(network, pattern)
    mb = ModelBuilder("piece")
    z = mb.add_vars("z", network.input_dim, lower, upper)
    for k, (P, q) in enumerate(maps):
        if not network.applies_relu(k):
            continue
        on = pattern[k]
        if on.any():
            mb.add_rows(f"on{k}", [(z, P[on])], -q[on] - slack, np.inf)
        if (~on).any():
            mb.add_rows(f"off{k}", [(z, P[~on])], -np.inf, -q[~on] + slack)
    P, q = maps[-1]
    out_mask = pattern[-1] if network.relu_output else np.ones(P.shape[0], bool)
    M, c = P * out_mask[:, None], q * out_mask
    if norm == "exact":
        mb.add_rows("out", [(z, M)], target - c, target - c)
    else:
        m = M.shape[0]
        e = mb.add_vars("t", 1, 0, np.inf, cost=1.0) if norm == "linf" else mb.add_vars("e", m, 0, np.inf, cost=1.0)
        col = np.ones((m, 1)) if norm == "linf" else np.eye(m)
        mb.add_rows("err_hi", [(z, M), (e, -col)], -np.inf, target - c)
        mb.add_rows("err_lo", [(z, M), (e, col)], target - c, np.inf)
    return mb.build()


def residual_norm(network: ReluNetwork, target: np.ndarray, z: np.ndarray, norm: str) -> float:
    r = network.forward(z) - target
    return float(np.abs(r).sum()) if norm == "l1" else float(np.abs(r).max(initial=0.0))


def polish(network: ReluNetwork, target: np.ndarray, z: np.ndarray, norm: str, lower: np.ndarray,
           upper: np.ndarray, rounds: int = 10) -> np.ndarray:
    """Best point of z's piece, repeated while the residual improves; returns the best z seen."""
    best = np.clip(np.asarray(z, dtype=np.float64), lower, upper)
    best_r = residual_norm(network, target, best, "linf" if norm == "exact" else norm)
    for _ in range(rounds):
        pattern = pattern_of(network, best)
        if norm == "exact" and network.relu_output:
            pattern[-1] = target > 0  # the observation fixes the output layer's pattern
        out = solve(piece_model(network, pattern, target, norm, lower, upper), "highs")
        if out.status != "optimal" or out.x is None:  # HiGHS may call an LP optimal without a primal solution
            break
        cand = np.clip(out.x[: network.input_dim], lower, upper)
        r = residual_norm(network, target, cand, "linf" if norm == "exact" else norm)
        if r >= best_r - 1e-15 * max(1.0, best_r):
            if r <= best_r:
                best = cand
            break
        best, best_r = cand, r
    return best
