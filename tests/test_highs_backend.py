"""The HiGHS matrix driver against scipy's own HiGHS-based solvers (milp/linprog)."""
import numpy as np
import pytest
import scipy.optimize as so
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from milpinv.backends import get_backend, solve
from milpinv.errors import InputError
from milpinv.model import ModelBuilder


def _random_mip(seed: int, n: int, m: int, integer: bool):
    rng = np.random.default_rng(seed)
    b = ModelBuilder("t")
    x = b.add_vars("x", n, -5, 5, integer=integer, cost=rng.normal(size=n))
    A = rng.integers(-3, 4, size=(m, n)).astype(float)
    b.add_rows("c", [(x, A)], -np.inf, rng.integers(0, 10, size=m))
    return b.build()


@given(st.integers(0, 10_000), st.integers(1, 6), st.integers(1, 6), st.booleans())
def test_highs_agrees_with_scipy(seed, n, m, integer):
    model = _random_mip(seed, n, m, integer)
    out = solve(model, "highs")
    ref = so.milp(model.c, constraints=so.LinearConstraint(model.A, model.row_lower, model.row_upper),
                  bounds=so.Bounds(model.col_lower, model.col_upper), integrality=model.integrality.astype(int))
    assert out.status == "optimal" and ref.status == 0
    assert out.objective == pytest.approx(ref.fun, abs=1e-7)
    assert np.all(model.A @ out.x <= model.row_upper + 1e-7)


def test_infeasible_is_proven():
    b = ModelBuilder()
    x = b.add_vars("x", 2, 0, 1, integer=True)
    b.add_rows("sum", [(x, np.ones((1, 2)))], 3, np.inf)
    out = solve(b.build())
    assert out.status == "infeasible" and out.x is None


def test_unbounded_lp():
    b = ModelBuilder()
    b.add_vars("x", 1, -np.inf, np.inf, cost=1.0)
    out = solve(b.build())
    assert out.status in ("unbounded",)


def test_builder_blocks_and_sparse_input():
    b = ModelBuilder()
    x = b.add_vars("x", 3, 0, 1)
    y = b.add_vars("y", 2, 0, 1, integer=True)
    b.add_rows("r", [(x, sp.eye(3, format="csr")[:2]), (y, -np.eye(2))], 0, 0)
    m = b.build()
    assert m.stats() == {"vars": 5, "rows": 2, "binaries": 2, "nnz": 4}
    assert m.var_names()[3] == "y_0" and m.row_names()[1] == "r_1"
    assert np.array_equal(m.value(np.arange(5.0), "y"), [3.0, 4.0])


def test_unknown_backend():
    with pytest.raises(InputError, match="unknown backend"):
        get_backend("gurobi-direct")
