r"""Safe LP bounds: a lower bound on an LP's value, or a proof that it has no point, that holds in
exact arithmetic whatever the solver that produced the dual vector got wrong (Neumaier and
Shcherbina, "Safe bounds in linear and mixed-integer linear programming", Math. Prog. 2004).

For the LP  min c^T v  s.t.  L <= A v <= U,  l <= v <= u  and *any* vector y of row multipliers,
weak duality gives, for every feasible v,

    c^T v  =  y^T (A v) + r^T v  >=  sum_i rho_i(y_i) + sum_j mu_j(r_j),      r = c - A^T y,

with rho_i(y) = y L_i for y > 0, y U_i for y < 0 (a multiplier whose side is infinite is set to
0 first) and mu_j(r) = r l_j for r > 0, r u_j for r < 0 (every column of milpinv's models has
finite bounds). The bound is evaluated in float64 and then lowered by a rigorous bound on the
rounding error of that evaluation (:func:`rounding_error`: gamma_k = k u / (1 - k u) per dot
product of length k, u = 2^-53), so it holds over the reals. With c = 0, a bound > 0 proves the
LP infeasible (y is a Farkas certificate, e.g. the dual ray of an infeasible LP).

>>> import scipy.sparse as sp
>>> A = sp.csc_matrix(np.array([[1.0, 1.0]]))       # x1 + x2 >= 3 over [0, 1]^2 is infeasible
>>> farkas(A, np.array([3.0]), np.array([np.inf]), np.zeros(2), np.ones(2), np.array([1.0])) > 0
True
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..solvers.matrix import MatrixModel
from ..solvers.outcome import Outcome
from ..status import Status

UNIT = 2.0**-53  # unit roundoff of float64


def gamma(k: int | np.ndarray) -> np.ndarray:
    """gamma_k = k u / (1 - k u): the relative error bound of a float64 sum or dot product of k terms."""
    k = np.asarray(k, dtype=np.float64) + 2.0  # +2: the final product and the bias
    return k * UNIT / (1.0 - k * UNIT)


def _usable(y: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> np.ndarray:
    """y with every multiplier whose side of the row is infinite set to 0 (it proves nothing)."""
    y = np.where(np.isfinite(y), y, 0.0)
    return np.where(((y > 0) & ~np.isfinite(row_lower)) | ((y < 0) & ~np.isfinite(row_upper)), 0.0, y)


def safe_bound(
    A: sp.csc_matrix,
    c: np.ndarray,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    y: np.ndarray,
) -> float:
    """A lower bound, valid in exact arithmetic, on min c^T v over the LP (``A`` in CSC form), from
    the row multipliers ``y``; ``-inf`` when a reduced cost meets an infinite column bound."""
    y = _usable(np.asarray(y, dtype=np.float64), row_lower, row_upper)
    r = c - A.T @ y
    rho = np.where(y > 0, y * np.where(y > 0, row_lower, 0.0), y * np.where(y < 0, row_upper, 0.0))
    lo_side = np.where(r > 0, col_lower, col_upper)
    if np.any((r != 0) & ~np.isfinite(lo_side)):
        return -np.inf
    mu = np.where(r != 0, r * np.where(np.isfinite(lo_side), lo_side, 0.0), 0.0)
    value = float(rho.sum() + mu.sum())
    if not np.isfinite(value):
        return -np.inf
    return float(value - rounding_error(A, c, y, col_lower, col_upper, rho, mu))


def rounding_error(
    A: sp.csc_matrix,
    c: np.ndarray,
    y: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    rho: np.ndarray,
    mu: np.ndarray,
) -> float:
    """An upper bound on |float64 evaluation - exact value| of the bound of :func:`safe_bound`."""
    counts = np.diff(A.indptr) + 1  # terms in each r_j = c_j - (A^T y)_j
    r_err = gamma(counts) * (np.abs(c) + abs(A).T @ np.abs(y))  # |fl(r_j) - r_j|
    width = np.maximum(np.abs(col_lower), np.abs(col_upper))
    width = np.where(np.isfinite(width), width, 0.0)
    n_terms = rho.size + mu.size
    total = float(r_err @ width) + float(gamma(n_terms) * (np.abs(rho).sum() + np.abs(mu).sum()))
    return float(total * (1.0 + 4.0 * UNIT) + np.finfo(float).tiny)


def farkas(
    A: sp.csc_matrix,
    row_lower: np.ndarray,
    row_upper: np.ndarray,
    col_lower: np.ndarray,
    col_upper: np.ndarray,
    ray: np.ndarray,
) -> float:
    """The safe bound with zero costs for the ray and its negation (solvers differ in sign
    convention): a value > 0 proves that the LP has no feasible point."""
    zero = np.zeros(A.shape[1])
    return max(
        safe_bound(A, zero, row_lower, row_upper, col_lower, col_upper, s * np.asarray(ray, float)) for s in (1.0, -1.0)
    )


class Certifier:
    """Safe bounds and Farkas checks for one LP model."""

    def __init__(self, model: MatrixModel) -> None:
        self.model = model
        self.A = model.A.tocsc()

    def infeasible(self, ray: np.ndarray | None) -> bool:
        m = self.model
        return ray is not None and farkas(self.A, m.row_lower, m.row_upper, m.col_lower, m.col_upper, ray) > 0

    def bound(self, cols: np.ndarray, cost: np.ndarray, out: Outcome) -> float | None:
        """A proven lower bound on min cost . v[cols], from the multipliers of ``out`` (None if none)."""
        if out.status != Status.OPTIMAL or out.duals is None:
            return None
        m = self.model
        c = np.zeros(m.num_vars)
        c[cols] = cost
        value = safe_bound(self.A, c, m.row_lower, m.row_upper, m.col_lower, m.col_upper, out.duals)
        return value if np.isfinite(value) else None
