r"""Exact rescaling before a model is built: the solvers see moderate numbers, the pre-image set
is unchanged.

relu and leaky_relu are positively homogeneous, act(s a) = s act(a) for s > 0. So each hidden
neuron's row (weights and bias) may be multiplied by s_i if the next layer's column i is divided by
s_i: the network computes the same function. Every s_i is a power of two, so both products are
exact in float64 (the factors avoid underflow, see below). With the exact norm the output rows are
scaled too, with the interval their pre-activations are observed in (the network
returned then ends in its output pre-activations: a linear output); with l1 / linf they are not
(their errors are what is summed or maximised).

s_i is chosen so that the largest magnitude of row i (weights and bias) lies in [1/2, 1), held
back where that would take a nonzero of the row (times s_i) or of the next layer's column (divided
by s_i) below the smallest normal float, where products are no longer exact, or above the weight
limit :data:`~milpinv.validation.MAX_MAGNITUDE` (the output rows of l1 / linf, never scaled, carry
the factors of the layers below).

>>> from milpinv.network import ReluNetwork
>>> net = ReluNetwork([[[300.0, -4.0]], [[0.001]]], [[1.0], [0.0]])   # G(z) = relu(0.001 relu(300 z1 - 4 z2 + 1))
>>> r = rescale(net, np.array([2.0]), (np.array([1.5]), np.array([2.5])))
>>> r.network.weights[0].tolist(), r.network.weights[1].tolist(), r.observed
([[0.5859375, -0.0078125]], [[0.512]], (array([1.5]), array([2.5])))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..activation import LINEAR
from ..formulations.blocks import loosen
from ..network import ReluNetwork
from ..validation import MAX_MAGNITUDE

TINY = np.finfo(float).tiny  # the smallest normal float64: scaling by a power of two is exact above it
LARGEST_POWER = 2.0**1023  # the largest power of two a float64 holds (a subnormal row's factor stops there)


@dataclass
class Rescaled:
    network: ReluNetwork
    target: np.ndarray
    observed: tuple[np.ndarray, np.ndarray] | None  # the exact norm's output interval, scaled with its rows
    scales: tuple[np.ndarray, ...] = ()  # every layer's row factors

    def report(self) -> dict:
        """What the solver details say about the scaling: the range of the row factors."""
        every = np.concatenate(self.scales) if self.scales else np.ones(1)
        return {"row_scale_min": float(every.min()), "row_scale_max": float(every.max())}


def power_of_two_scale(magnitude: np.ndarray) -> np.ndarray:
    """2^-e with 2^(e-1) <= magnitude < 2^e (1 where the magnitude is 0)."""
    _, e = np.frexp(magnitude)
    return np.where(magnitude > 0, np.ldexp(1.0, -e), 1.0)


def row_factors(w, b: np.ndarray, below) -> np.ndarray:
    """The factor of each row of ``w`` (bias ``b``): :func:`power_of_two_scale` of its largest
    magnitude, clipped so that every nonzero of the row times it, and of the columns of ``below``
    (the next layer, None at the output) divided by it, stays a normal float within
    MAX_MAGNITUDE; 1 where no factor does (the row as it is meets both)."""
    top = np.maximum(row_max(w), np.abs(b))
    least = np.minimum(_row_min(w), np.where(b != 0, np.abs(b), np.inf))
    with np.errstate(divide="ignore", over="ignore"):
        at_least, at_most = TINY / least, MAX_MAGNITUDE / top
        if below is not None:
            at_least = np.maximum(at_least, row_max(below.T) / MAX_MAGNITUDE)
            at_most = np.minimum(at_most, _row_min(below.T) / TINY)
    lo, hi = _power_at_least(at_least), np.minimum(_power_at_most(at_most), LARGEST_POWER)
    return np.where(lo <= hi, np.clip(power_of_two_scale(top), lo, hi), 1.0)


def _power_at_least(x: np.ndarray) -> np.ndarray:
    """The least power of two >= x (0 and inf stay)."""
    m, e = np.frexp(x)
    return np.where(np.isfinite(x) & (x > 0), np.ldexp(1.0, np.where(m == 0.5, e - 1, e)), x)


def _power_at_most(x: np.ndarray) -> np.ndarray:
    """The largest power of two <= x (0 and inf stay)."""
    _, e = np.frexp(x)
    return np.where(np.isfinite(x) & (x > 0), np.ldexp(1.0, e - 1), x)


def rescale(network: ReluNetwork, target: np.ndarray, observed: tuple[np.ndarray, np.ndarray] | None) -> Rescaled:
    """The rescaled network of the module docstring; ``observed``: the exact norm's interval on the
    output pre-activations (None for l1 / linf: the output rows stay as they are)."""
    weights = [sp.csr_matrix(w) if sp.issparse(w) else np.array(w, dtype=np.float64) for w in network.weights]
    biases = [np.array(b, dtype=np.float64) for b in network.biases]
    used = []
    last = network.depth - 1
    for k in range(network.depth if observed is not None else last):
        s = row_factors(weights[k], biases[k], weights[k + 1] if k < last else None)
        weights[k] = scale_rows(weights[k], s)
        biases[k] = biases[k] * s
        used.append(s)
        if k < last:
            weights[k + 1] = _scale_columns(weights[k + 1], 1.0 / s)
    if observed is not None:  # exact unless it underflows: loosen covers that
        observed = loosen(observed[0] * used[-1], observed[1] * used[-1], np.zeros(network.output_dim))
    acts = network.activations[:-1] + ((LINEAR,) if observed is not None else network.activations[-1:])
    return Rescaled(ReluNetwork(weights, biases, activations=acts), np.asarray(target, float), observed, tuple(used))


def row_max(w) -> np.ndarray:
    if sp.issparse(w):
        return np.asarray(abs(w).max(axis=1).todense()).ravel()
    return np.abs(w).max(axis=1)


def _row_min(w) -> np.ndarray:
    """The least nonzero magnitude of each row (inf for a row of zeros)."""
    if not sp.issparse(w):
        a = np.abs(w)
        return np.where(a > 0, a, np.inf).min(axis=1)
    w = sp.csr_matrix(w)
    out = np.full(w.shape[0], np.inf)
    a = np.abs(w.data)
    np.minimum.at(out, np.repeat(np.arange(w.shape[0]), np.diff(w.indptr)), np.where(a > 0, a, np.inf))
    return out


def scale_rows(w, s: np.ndarray):
    """diag(s) w, exactly (powers of two)."""
    if sp.issparse(w):
        return sp.csr_matrix(sp.diags(s) @ w)
    return w * s[:, None]


def _scale_columns(w, s: np.ndarray):
    """w diag(s), exactly (powers of two)."""
    if sp.issparse(w):
        return sp.csr_matrix(w @ sp.diags(s))
    return w * s[None, :]
