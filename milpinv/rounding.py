"""Bounds on float64 rounding errors, for the rigorous arithmetic of bounds, rows and certificates.

An IEEE float64 sum or dot product of k terms differs from the exact one by at most
gamma_k * (the sum of the terms' magnitudes), gamma_k = k u / (1 - k u), u = 2^-53 (Higham,
"Accuracy and Stability of Numerical Algorithms", 2002, section 3.1).

>>> bool(gamma(10) < 2e-15)
True
"""

from __future__ import annotations

import numpy as np

UNIT = 2.0**-53  # unit roundoff of float64


def gamma(k: int | np.ndarray) -> np.ndarray | float:
    """gamma_k for a float64 sum or dot product of k terms (plus the final product and a bias); a
    count given as an int in Python floats (the same float64 operations, without numpy's ~5 us a
    call: bound propagation asks for it a few times a node)."""
    if isinstance(k, int):
        t = float(k) + 2.0
        return t * UNIT / (1.0 - t * UNIT)
    k = np.asarray(k, dtype=np.float64) + 2.0
    return k * UNIT / (1.0 - k * UNIT)
