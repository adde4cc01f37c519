r"""Exact rescaling before a model is built: the solvers see moderate numbers, the pre-image set
is unchanged.

A ReLU is positively homogeneous, relu(s a) = s relu(a) for s > 0. So each hidden neuron's row
(weights and bias) may be multiplied by s_i if the next layer's column i is divided by s_i: the
network computes the same function. Every s_i is a power of two, so both products are exact in
float64 (barring overflow and underflow, which is refused). With the exact norm the output rows
are scaled too, with their target entries and their tolerance band (|s r| <= s tol); with l1 /
linf they are not (their errors are what is summed or maximised).

s_i is chosen so that the largest magnitude of row i (weights and bias) lies in [1/2, 1).

>>> from milpinv.network import ReluNetwork
>>> net = ReluNetwork([[[300.0, -4.0]], [[0.001]]], [[1.0], [0.0]])   # G(z) = relu(0.001 relu(300 z1 - 4 z2 + 1))
>>> r = rescale(net, np.array([2.0]), "exact")
>>> r.network.weights[0].tolist(), r.network.weights[1].tolist(), r.row_scale.tolist()
([[0.5859375, -0.0078125]], [[0.512]], [1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..network import ReluNetwork


@dataclass
class Rescaled:
    network: ReluNetwork
    target: np.ndarray
    row_scale: np.ndarray  # the exact norm's output rows were multiplied by these (ones otherwise)
    scales: tuple[np.ndarray, ...] = ()  # every layer's row factors

    def report(self) -> dict:
        """What the solver details say about the scaling: the range of the row factors."""
        every = np.concatenate(self.scales) if self.scales else np.ones(1)
        return {"row_scale_min": float(every.min()), "row_scale_max": float(every.max())}


def power_of_two_scale(magnitude: np.ndarray) -> np.ndarray:
    """2^-e with 2^(e-1) <= magnitude < 2^e (1 where the magnitude is 0)."""
    _, e = np.frexp(magnitude)
    return np.where(magnitude > 0, np.ldexp(1.0, -e), 1.0)


def rescale(network: ReluNetwork, target: np.ndarray, norm: str) -> Rescaled:
    """The rescaled network and target of the module docstring."""
    weights = [np.array(w, dtype=np.float64) for w in network.weights]
    biases = [np.array(b, dtype=np.float64) for b in network.biases]
    x = np.array(target, dtype=np.float64)
    used = []
    last = network.depth - 1
    for k in range(network.depth):
        if k == last and norm != "exact":
            break
        mag = np.maximum(np.abs(weights[k]).max(axis=1), np.abs(biases[k]))
        s = power_of_two_scale(mag)
        weights[k] *= s[:, None]
        biases[k] *= s
        used.append(s)
        if k < last:
            weights[k + 1] /= s[None, :]
        else:
            x = x * s
    if not all(np.all(np.isfinite(a)) for a in weights + biases + [x]):
        raise InputError("network: rescaling overflows float64 (weights spanning more than 2^1000)")
    row_scale = used[-1] if norm == "exact" else np.ones(network.output_dim)
    return Rescaled(ReluNetwork(weights, biases, network.output_activation), x, row_scale, tuple(used))
