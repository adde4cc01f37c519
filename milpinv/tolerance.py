"""When G(z) "equals" x: the one tolerance rule, and residuals from a float64 forward pass.

A z is accepted as a pre-image of x when ``max_i |G(z)_i - x_i| <= tolerance(x)``, with
``tolerance(x) = 1e-6 * max(1, max_i |x_i|)``. Where every pre-image is integral (integer
weights and target, the reductions' instances) the check is made on the lattice instead, to
:data:`INTEGRAL_TOL` (a relative tolerance would accept an integer miss on large targets).

>>> tolerance(np.array([0.5, -0.2])), tolerance(np.array([4e6]))
(1e-06, 4.0)
"""

from __future__ import annotations

from typing import Any

import numpy as np

REL_TOL = 1e-6
INTEGRAL_TOL = 1e-9  # residual tolerance when every pre-image is integral (see methods.certify)


def tolerance(target: np.ndarray, rel: float = REL_TOL) -> float:
    """Residual tolerance for accepting G(z) = x: ``rel * max(1, ||x||_inf)``."""
    scale = float(np.max(np.abs(target))) if np.size(target) else 0.0
    return rel * max(1.0, scale)


def residual_vector(network: Any, target: np.ndarray, z: np.ndarray) -> np.ndarray:
    """G(z) - x by a float64 forward pass."""
    return network.forward(np.asarray(z, dtype=np.float64)) - target


def residuals(network: Any, target: np.ndarray, z: np.ndarray) -> tuple[float, float]:
    """(l1, linf) norms of G(z) - x from a float64 forward pass."""
    r = residual_vector(network, target, z)
    return float(np.abs(r).sum()), float(np.abs(r).max(initial=0.0))


def residual_norm(network: Any, target: np.ndarray, z: np.ndarray, norm: str) -> float:
    """||G(z) - x|| in ``norm``; the exact norm is measured in linf."""
    l1, linf = residuals(network, target, z)
    return l1 if norm == "l1" else linf
