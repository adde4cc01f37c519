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
>>> lp = SafeLP(sp.csc_matrix(np.array([[1.0, 1.0]])), np.zeros(2), np.array([3.0]), np.array([np.inf]),
...             np.zeros(2), np.ones(2))            # x1 + x2 >= 3 over [0, 1]^2 is infeasible
>>> lp.infeasible(np.array([1.0]))
True
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..rounding import UNIT, gamma
from ..solvers.matrix import MatrixModel
from ..solvers.outcome import Outcome
from ..status import Status


def _usable(y: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> np.ndarray:
    """y with every multiplier whose side of the row is infinite set to 0 (it proves nothing)."""
    y = np.where(np.isfinite(y), y, 0.0)
    return np.where(((y > 0) & ~np.isfinite(row_lower)) | ((y < 0) & ~np.isfinite(row_upper)), 0.0, y)


class SafeLP:
    """An LP's data, ``min c^T v, L <= A v <= U, l <= v <= u``, for safe bounds and Farkas checks.

    Bounds (``row_lower`` ... ``col_upper``) are plain arrays a caller may change in place, and
    coefficients change through :meth:`set_entries`, so that the data stays the LP a solver holds."""

    def __init__(
        self,
        A: sp.spmatrix,
        c: np.ndarray,
        row_lower: np.ndarray,
        row_upper: np.ndarray,
        col_lower: np.ndarray,
        col_upper: np.ndarray,
    ) -> None:
        self.A = sp.csc_matrix(A, copy=True)
        self.A.sort_indices()
        m, n = self.A.shape
        self.AT = sp.csr_matrix((self.A.data, self.A.indices, self.A.indptr), shape=(n, m))  # shares the data
        self.abs_data = np.abs(self.A.data)
        self.absAT = sp.csr_matrix((self.abs_data, self.A.indices, self.A.indptr), shape=(n, m))
        self.counts = np.diff(self.A.indptr) + 1  # terms in each r_j = c_j - (A^T y)_j
        self.c = np.array(c, dtype=np.float64)
        self.row_lower, self.row_upper = np.array(row_lower, float), np.array(row_upper, float)
        self.col_lower, self.col_upper = np.array(col_lower, float), np.array(col_upper, float)

    @classmethod
    def of(cls, model: MatrixModel) -> SafeLP:
        return cls(model.A, model.c, model.row_lower, model.row_upper, model.col_lower, model.col_upper)

    def position(self, row: int, col: int) -> int:
        """Where entry (row, col) sits in the CSC data (it must be stored)."""
        start, stop = self.A.indptr[col], self.A.indptr[col + 1]
        hit = np.flatnonzero(self.A.indices[start:stop] == row)
        if hit.size != 1:
            raise ValueError(f"entry ({row}, {col}) is not stored in the LP")
        return int(start + hit[0])

    def with_rows(self, rows: sp.spmatrix, lower: np.ndarray, upper: np.ndarray) -> SafeLP:
        """This LP with rows appended (entries move: positions must be looked up again)."""
        return SafeLP(
            sp.vstack([self.A, rows], format="csc"),
            self.c,
            np.concatenate([self.row_lower, lower]),
            np.concatenate([self.row_upper, upper]),
            self.col_lower,
            self.col_upper,
        )

    def set_entries(self, positions: np.ndarray, values: np.ndarray) -> None:
        self.A.data[positions] = values
        self.abs_data[positions] = np.abs(values)

    def bound(self, y: np.ndarray, c: np.ndarray | None = None) -> float:
        """A lower bound, valid in exact arithmetic, on min c^T v (default: the LP's own c) from the
        row multipliers ``y``; ``-inf`` when a reduced cost meets an infinite column bound."""
        c = self.c if c is None else c
        y = _usable(np.asarray(y, dtype=np.float64), self.row_lower, self.row_upper)
        r = c - self.AT @ y
        rho = np.where(y > 0, y * np.where(y > 0, self.row_lower, 0.0), y * np.where(y < 0, self.row_upper, 0.0))
        side = np.where(r > 0, self.col_lower, self.col_upper)
        if np.any((r != 0) & ~np.isfinite(side)):
            return -np.inf
        mu = np.where(r != 0, r * np.where(np.isfinite(side), side, 0.0), 0.0)
        value = float(rho.sum() + mu.sum())
        if not np.isfinite(value):
            return -np.inf
        return float(value - self._rounding_error(c, y, rho, mu))

    def _rounding_error(self, c: np.ndarray, y: np.ndarray, rho: np.ndarray, mu: np.ndarray) -> float:
        """An upper bound on |float64 evaluation - exact value| of :meth:`bound`."""
        r_err = gamma(self.counts) * (np.abs(c) + self.absAT @ np.abs(y))  # |fl(r_j) - r_j|
        width = np.maximum(np.abs(self.col_lower), np.abs(self.col_upper))
        width = np.where(np.isfinite(width), width, 0.0)
        total = float(r_err @ width) + float(gamma(rho.size + mu.size) * (np.abs(rho).sum() + np.abs(mu).sum()))
        return float(total * (1.0 + 4.0 * UNIT) + np.finfo(float).tiny)

    def infeasible(self, ray: np.ndarray | None) -> bool:
        """Whether ``ray`` (or its negation: solvers differ in sign convention) proves that the LP
        has no point: its safe bound with zero costs is > 0."""
        if ray is None:
            return False
        zero = np.zeros(self.A.shape[1])
        ray = np.asarray(ray, dtype=np.float64)
        return self.bound(ray, zero) > 0 or self.bound(-ray, zero) > 0

    def bound_of(self, cols: np.ndarray, cost: np.ndarray, out: Outcome) -> float | None:
        """A proven lower bound on min cost . v[cols], from the multipliers of ``out`` (None if none)."""
        if out.status != Status.OPTIMAL or out.duals is None:
            return None
        c = np.zeros(self.A.shape[1])
        c[cols] = cost
        value = self.bound(out.duals, c)
        return value if np.isfinite(value) else None

    def value_of(self, out: Outcome) -> float | None:
        """A proven lower bound on the LP's value min c^T v (a model's constant offset is not
        included) from the multipliers of ``out`` (None if none)."""
        return self.bound_of(np.arange(self.A.shape[1]), self.c, out)
