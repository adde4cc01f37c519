"""When G(z) "equals" x: the one acceptance rule, and residuals from a float64 forward pass.

With the exact norm the question every method answers is: is there a z in the box with
``max_i |G(z)_i - x_i| <= tol``? (an ``infeasible`` proves there is none, an ``optimal`` shows
one). ``tol = 1e-6 * max(1, max_i |x_i|)`` (:func:`tolerance`), except on the lattice: where
every pre-image is proven integral (integer weights, biases, target and box, and the one-input
outputs of :mod:`milpinv.bounds.integrality` force every coordinate onto integers, as in the
reductions) the question is exact, ``tol = 0``, and a z is accepted only as a lattice point whose
residual, computed in integer arithmetic, is exactly 0 (a relative tolerance would accept an
integer miss on large targets).

>>> tolerance(np.array([0.5, -0.2])), tolerance(np.array([4e6]))
(1e-06, 4.0)
>>> from milpinv.network import ReluNetwork
>>> net = ReluNetwork([[[2.0]]], [[1.0]])                      # G(z) = relu(2 z + 1)
>>> Acceptance(0.0, lattice=True).check(net, np.array([3.0]), np.array([0.9999]), -np.ones(1), np.ones(1))
(array([1.]), 0.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .norm import Norm

REL_TOL = 1e-6
EXACT_INT = 2.0**52  # below this every integer sum and product of the forward pass is exact in float64
GAP_FLOOR = 1e-10  # the gap's absolute floor where no tolerance is known (a backend's own report)


def tolerance(target: np.ndarray, rel: float = REL_TOL) -> float:
    """Residual tolerance for accepting G(z) = x: ``rel * max(1, ||x||_inf)``."""
    scale = float(np.max(np.abs(target))) if np.size(target) else 0.0
    return rel * max(1.0, scale)


def objective_slack(norm: Norm, tol: float, outputs: int) -> float:
    """How far two l1 / linf values may differ and count as equal: ``tol`` per output in l1,
    ``tol`` in linf."""
    return tol * norm.outputs_counted(outputs)


def relative_gap(objective: float | None, bound: float | None, floor: float = GAP_FLOOR) -> float | None:
    """The MIP gap ``|objective - bound| / max(|objective|, floor)``, 0 where the two are within
    ``floor`` (None without both).

    >>> relative_gap(3.8e-15, -1.1e-12, 1e-6), relative_gap(2.0, 1.0)
    (0.0, 0.5)
    """
    if objective is None or bound is None:
        return None
    diff = abs(objective - bound)
    return 0.0 if diff <= floor else diff / max(abs(objective), floor)


def residual_vector(network: Any, target: np.ndarray, z: np.ndarray) -> np.ndarray:
    """G(z) - x by a float64 forward pass."""
    return network.forward(np.asarray(z, dtype=np.float64)) - target


def residuals(network: Any, target: np.ndarray, z: np.ndarray) -> tuple[float, float]:
    """(l1, linf) norms of G(z) - x from a float64 forward pass."""
    r = residual_vector(network, target, z)
    return float(np.abs(r).sum()), float(np.abs(r).max(initial=0.0))


def residual_norm(network: Any, target: np.ndarray, z: np.ndarray, norm: Norm) -> float:
    """||G(z) - x|| in ``norm``; the exact norm is measured in linf."""
    return norm.residual(residual_vector(network, target, z))


@dataclass(frozen=True)
class Acceptance:
    """The exact norm's acceptance rule for one instance (see the module docstring)."""

    tol: float
    lattice: bool = False

    def check(
        self, network: Any, target: np.ndarray, z: np.ndarray, lower: np.ndarray, upper: np.ndarray
    ) -> tuple[np.ndarray, float, bool]:
        """(z, its residual max |G(z) - x|, accepted); on the lattice z is rounded first."""
        z = np.clip(np.asarray(z, dtype=np.float64), lower, upper)
        if not self.lattice:
            linf = residuals(network, target, z)[1]
            return z, linf, linf <= self.tol
        zr = np.clip(np.round(z), np.ceil(lower), np.floor(upper))
        miss = lattice_residual(network, target, zr)
        return zr, miss, miss == 0.0


def lattice_residual(network: Any, target: np.ndarray, z: np.ndarray) -> float:
    """max |G(z) - x| for integer z, weights and target, exact: in float64 while every value stays
    below 2^52 (where float64 integer arithmetic is exact), in Python integers beyond."""
    h = np.asarray(z, dtype=np.float64)
    for k, (W, b) in enumerate(zip(network.weights, network.biases)):
        scale = float(np.max(abs(W) @ np.abs(h) + np.abs(b), initial=0.0))
        if not scale < EXACT_INT:
            return _python_int_residual(network, target, z)
        h = W @ h + b
        h = np.maximum(h, 0.0) if network.applies_relu(k) else h
    return float(np.max(np.abs(h - target), initial=0.0))


def _python_int_residual(network: Any, target: np.ndarray, z: np.ndarray) -> float:
    h = [int(v) for v in z]
    for k, (W, b) in enumerate(zip(network.weights, network.biases)):
        dense = np.asarray(W.todense()) if hasattr(W, "todense") else np.asarray(W)
        rows = [sum(int(w) * v for w, v in zip(row, h) if w) + int(bias) for row, bias in zip(dense, b)]
        h = [max(v, 0) for v in rows] if network.applies_relu(k) else rows
    return float(max((abs(v - int(t)) for v, t in zip(h, target)), default=0))
