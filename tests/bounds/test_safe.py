"""Safe dual bounds and Farkas checks (bounds/safe.py): any row multipliers give a lower bound on
the LP's value in exact arithmetic (checked with fractions at feasible points and against the
optimum of scipy.optimize.linprog); a certificate of infeasibility is accepted when true, rejected
when perturbed or wrong."""

from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import linprog

from milpinv.bounds.safe import SafeLP
from milpinv.solvers.outcome import Outcome
from milpinv.status import Status


def exact_dot(c: np.ndarray, v: np.ndarray) -> Fraction:
    return sum((Fraction(float(a)) * Fraction(float(b)) for a, b in zip(c, v)), Fraction(0))


def exactly_feasible(lp: SafeLP, v: np.ndarray) -> bool:
    """v meets every row and column bound of ``lp`` in exact arithmetic."""
    A = lp.A.toarray()
    for i in range(A.shape[0]):
        row = exact_dot(A[i], v)
        if (np.isfinite(lp.row_lower[i]) and row < Fraction(lp.row_lower[i])) or (
            np.isfinite(lp.row_upper[i]) and row > Fraction(lp.row_upper[i])
        ):
            return False
    return bool(np.all(lp.col_lower <= v) and np.all(v <= lp.col_upper))


def scipy_solve(lp: SafeLP, c: np.ndarray):
    """min c v over the LP by scipy.optimize.linprog (rows split into <= rows)."""
    A = lp.A.toarray()
    up, dn = np.isfinite(lp.row_upper), np.isfinite(lp.row_lower)
    return linprog(
        c,
        A_ub=np.vstack([A[up], -A[dn]]),
        b_ub=np.concatenate([lp.row_upper[up], -lp.row_lower[dn]]),
        bounds=list(zip(lp.col_lower, lp.col_upper)),
        method="highs",
    )


def duals_of(lp: SafeLP, res) -> np.ndarray:
    """Row multipliers y (one per row, c = A^T y + r) from linprog's marginals of the split rows."""
    up, dn = np.isfinite(lp.row_upper), np.isfinite(lp.row_lower)
    marg = res.ineqlin.marginals
    y = np.zeros(lp.A.shape[0])
    y[up] += marg[: up.sum()]
    y[dn] -= marg[up.sum() :]
    return y


@st.composite
def feasible_lps(draw):
    """A random LP with a known feasible point v0 (rows placed around A v0), some rows one-sided,
    some two-sided, entries of magnitudes 1e-3 .. 1e3."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m, n = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    e = draw(st.integers(0, 3))
    A = rng.normal(0, 1, (m, n)) * 10.0 ** rng.uniform(-e, e, (m, n)) * (rng.random((m, n)) < 0.8)
    col_lower = -rng.uniform(0, 10, n)
    col_upper = rng.uniform(0, 10, n)
    v0 = rng.uniform(col_lower, col_upper)
    Av = A @ v0
    row_lower = Av - rng.uniform(0, 5, m) - 1e-9 * (1 + np.abs(Av))
    row_upper = Av + rng.uniform(0, 5, m) + 1e-9 * (1 + np.abs(Av))
    side = rng.integers(0, 3, m)  # 0: both sides, 1: lower only, 2: upper only
    row_lower[side == 2] = -np.inf
    row_upper[side == 1] = np.inf
    c = rng.normal(0, 1, n) * 10.0 ** rng.uniform(-e, e, n)
    lp = SafeLP(sp.csc_matrix(A), c, row_lower, row_upper, col_lower, col_upper)
    return lp, v0, rng


def dense_lp(A, c, row_lower, row_upper, col_lower, col_upper) -> SafeLP:
    return SafeLP(
        sp.csc_matrix(np.array(A)), *(np.array(v, float) for v in (c, row_lower, row_upper, col_lower, col_upper))
    )


def test_the_docstring_certificate_and_its_bound_by_hand():
    """min x1 + x2 s.t. x1 + x2 >= 1 on [0, 1]^2 is 1: y = 1 proves 1, y = 0.5 proves 0.5, y = 2
    proves 2 - 2 (reduced costs -1 at the upper ends), y = -1 is set to 0 (no upper side)."""
    lp = dense_lp([[1.0, 1.0]], [1.0, 1.0], [1.0], [np.inf], [0.0, 0.0], [1.0, 1.0])
    assert lp.bound(np.array([1.0])) == pytest.approx(1.0, abs=1e-14) and lp.bound(np.array([1.0])) <= 1.0
    assert lp.bound(np.array([0.5])) == pytest.approx(0.5, abs=1e-14)
    assert lp.bound(np.array([2.0])) == pytest.approx(0.0, abs=1e-14)
    assert lp.bound(np.array([-1.0])) == pytest.approx(0.0, abs=1e-14)


def test_a_reduced_cost_against_an_infinite_column_bound_gives_minus_infinity():
    lp = dense_lp([[1.0]], [1.0], [0.0], [1.0], [-np.inf], [1.0])
    assert lp.bound(np.array([0.0])) == -np.inf  # r = 1 > 0 meets the lower end -inf
    assert lp.bound(np.array([1.0])) == pytest.approx(0.0, abs=1e-300)  # r = 0: no column term


@given(feasible_lps())
def test_any_multipliers_bound_every_feasible_point_in_exact_arithmetic(case):
    """For random y of any sign and size, the safe bound is at most c v0 in exact arithmetic."""
    lp, v0, rng = case
    assert exactly_feasible(lp, v0)
    value = exact_dot(lp.c, v0)
    m = lp.A.shape[0]
    for scale in (1e-6, 1.0, 1e6):
        for _ in range(10):
            y = rng.normal(0, scale, m)
            bound = lp.bound(y)
            assert bound == -np.inf or Fraction(bound) <= value


@given(feasible_lps())
def test_perturbed_optimal_duals_stay_below_the_lp_optimum(case):
    """linprog's optimal multipliers give a bound equal to its optimum (to 1e-6); perturbed ones,
    at any scale, give a bound at most the optimum; so does any vector at all."""
    lp, v0, rng = case
    res = scipy_solve(lp, lp.c)
    assert res.status == 0
    opt = res.fun
    slack = 1e-7 * (1 + abs(opt))  # linprog's optimum itself is accurate to its tolerances
    y = duals_of(lp, res)
    assert lp.bound(y) == pytest.approx(opt, abs=1e-6 * (1 + abs(opt)))
    for scale in (1e-12, 1e-6, 1e-2, 1.0, 1e3):
        for _ in range(5):
            assert lp.bound(y + rng.normal(0, scale, y.shape)) <= opt + slack
    assert lp.bound(rng.normal(0, 1, y.shape)) <= opt + slack


@given(feasible_lps())
def test_bound_of_reads_an_outcome_and_bounds_a_sub_objective(case):
    """bound_of gives a proven lower bound on min cost . v[cols] from an outcome's multipliers
    (None without them), at most linprog's optimum of that objective."""
    lp, _, rng = case
    n = lp.A.shape[1]
    cols = np.arange(n)[rng.random(n) < 0.7]
    if cols.size == 0:
        cols = np.arange(1)
    cost = rng.normal(0, 1, cols.size)
    c = np.zeros(n)
    c[cols] = cost
    res = scipy_solve(lp, c)
    y = duals_of(lp, res)
    value = lp.bound_of(cols, cost, Outcome(Status.OPTIMAL, duals=y))
    assert value is not None and value <= res.fun + 1e-7 * (1 + abs(res.fun))
    assert value == pytest.approx(res.fun, abs=1e-6 * (1 + abs(res.fun)))
    assert lp.bound_of(cols, cost, Outcome(Status.OPTIMAL)) is None
    assert lp.bound_of(cols, cost, Outcome(Status.TIME_LIMIT, duals=y)) is None


# ------------------------------------------------------------------ Farkas certificates
@st.composite
def infeasible_lps(draw):
    """rows A v >= L with L chosen so that y >= 0 proves infeasibility over the box with margin
    ``gap``: y^T L exceeds max over the box of y^T A v by gap."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    m, n = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    A = rng.normal(0, 1, (m, n))
    col_lower, col_upper = -rng.uniform(0, 3, n), rng.uniform(0, 3, n)
    y = rng.uniform(0.1, 2.0, m)
    g = A.T @ y  # y^T A v is at most sum max(g l, g u)
    top = np.maximum(g * col_lower, g * col_upper).sum()
    gap = draw(st.sampled_from([1e-6, 1e-3, 1.0]))
    L = rng.normal(0, 1, m)
    L += (top + gap - y @ L) / y.sum()  # now y . L = top + gap
    lp = SafeLP(sp.csc_matrix(A), np.zeros(n), L, np.full(m, np.inf), col_lower, col_upper)
    return lp, y, gap, rng


@given(infeasible_lps())
def test_a_true_farkas_certificate_is_accepted_and_linprog_agrees(case):
    lp, y, _, _ = case
    assert lp.infeasible(y) and lp.infeasible(-y)  # either sign convention
    assert scipy_solve(lp, np.zeros(lp.A.shape[1])).status == 2


@given(infeasible_lps())
def test_no_certificate_is_accepted_for_a_feasible_lp(case):
    """Lower the rows until y's margin is -gap: where linprog then finds a point that is feasible in
    exact arithmetic, y, its perturbations and random vectors are all rejected; so are 0 and None."""
    lp, y, gap, rng = case
    assert not lp.infeasible(None)
    assert not lp.infeasible(np.zeros_like(y))
    lowered = SafeLP(lp.A, lp.c, lp.row_lower - 2 * gap / y.sum(), lp.row_upper, lp.col_lower, lp.col_upper)
    assert not lowered.infeasible(y)
    res = scipy_solve(lowered, np.zeros(lp.A.shape[1]))
    if res.status != 0 or not exactly_feasible(lowered, res.x):
        return
    for scale in (1e-9, 1e-3, 1.0):
        for _ in range(10):
            assert not lowered.infeasible(y * np.exp(rng.normal(0, scale, y.size)))
            assert not lowered.infeasible(rng.normal(0, 1, y.size))


def test_a_perturbed_certificate_of_a_near_feasible_lp_is_rejected():
    """x1 + x2 >= 2 + eps, x1 >= 0.5 on [0, 1]^2: y = (1, 0) proves infeasibility with margin eps;
    weight on the slack row costs 0.5 per unit, so a perturbation beyond 2 eps is rejected."""
    eps = 1e-9
    A = np.array([[1.0, 1.0], [1.0, 0.0]])
    lp = SafeLP(sp.csc_matrix(A), np.zeros(2), np.array([2.0 + eps, 0.5]), np.full(2, np.inf), np.zeros(2), np.ones(2))
    assert lp.infeasible(np.array([1.0, 0.0]))
    assert not lp.infeasible(np.array([1.0, 1.0]))  # row 2 is slack by 0.5: the sum proves nothing
    assert not lp.infeasible(np.array([1.0, 1e-8]))  # y . L - max y A v = eps - 1e-8 / 2 < 0
    assert lp.infeasible(np.array([1.0, 1e-10]))  # eps - 1e-10 / 2 > 0: still a proof
    assert lp.infeasible(np.array([1e-3, 0.0]))  # any positive multiple proves it too
    tight = SafeLP(sp.csc_matrix(A[:1]), np.zeros(2), np.array([2.0]), np.full(1, np.inf), np.zeros(2), np.ones(2))
    assert not tight.infeasible(np.array([1.0]))  # x = (1, 1) meets x1 + x2 >= 2: no proof
