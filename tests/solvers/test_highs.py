"""The HiGHS matrix driver against scipy's own HiGHS-based solvers (milp/linprog), and the numpy
hand-over to HiGHS transfers the model exactly."""

import numpy as np
import pytest
import scipy.optimize as so
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import Instance, ReluNetwork, invert
from milpinv.errors import InputError
from milpinv.solvers import SolverOptions, get_solver, solve
from milpinv.solvers.highs import new_highs, pass_model
from milpinv.solvers.matrix import ModelBuilder


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
    ref = so.milp(
        model.c,
        constraints=so.LinearConstraint(model.A, model.row_lower, model.row_upper),
        bounds=so.Bounds(model.col_lower, model.col_upper),
        integrality=model.integrality.astype(int),
    )
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
    assert out.status == "failed" and out.raw_status == "Unbounded"  # milpinv's models are never unbounded


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
        get_solver("gurobi-direct")


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**31 - 1))
def test_pass_model_transfers_the_model_exactly(n, m, seed):
    rng = np.random.default_rng(seed)
    mb = ModelBuilder()
    base = rng.normal(size=n)
    v = mb.add_vars(
        "v",
        n,
        np.where(rng.random(n) < 0.3, -np.inf, base),
        np.where(rng.random(n) < 0.3, np.inf, base + rng.random(n)),
        cost=rng.normal(size=n),
    )
    d = mb.add_vars("d", 2, 0.0, 1.0, integer=True)
    A = sp.random(m, n, density=0.5, random_state=rng.integers(2**31), format="csr")
    rbase = rng.normal(size=m)
    mb.add_rows(
        "r",
        [(v, A), (d, rng.normal(size=(m, 2)))],
        np.where(rng.random(m) < 0.5, -np.inf, rbase),
        np.where(rng.random(m) < 0.3, np.inf, rbase + rng.random(m)),
    )
    model = mb.build()
    h = new_highs()
    pass_model(h, model)
    lp = h.getLp()
    inf = lambda a: np.nan_to_num(a, posinf=1e300, neginf=-1e300)  # noqa: E731
    np.testing.assert_array_equal(np.asarray(lp.col_cost_), model.c)
    for got, want in (
        (lp.col_lower_, model.col_lower),
        (lp.col_upper_, model.col_upper),
        (lp.row_lower_, model.row_lower),
        (lp.row_upper_, model.row_upper),
    ):
        np.testing.assert_array_equal(inf(np.asarray(got)), inf(want))
    a = lp.a_matrix_
    got = sp.csc_matrix((np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)), shape=model.A.shape)
    assert (got != model.A).nnz == 0
    assert [int(t) for t in lp.integrality_] == [int(f) for f in model.integrality]


def _rejected_model():
    """A model HiGHS refuses to take (a coefficient beyond its large_matrix_value, 1e15)."""
    b = ModelBuilder("huge")
    x = b.add_vars("x", 2, -1, 1, integer=True, cost=np.ones(2))
    b.add_rows("r", [(x, np.array([[1e16, 1.0]]))], -np.inf, 1.0)
    return b.build()


def test_a_rejected_model_is_a_failed_outcome_with_the_reason():
    """Audit: `HiGHS rejected the model` was raised as a MilpinvError, which the CLI reports as bad
    input (exit 2); the model is milpinv's, so it is an answer: failed, and why."""
    highs = get_solver("highs")
    out = highs.solve(_rejected_model(), SolverOptions())
    assert out.status == "failed" and "HiGHS rejected the model 'huge'" in out.raw_status
    session = highs.session(_rejected_model(), SolverOptions())
    again = session.minimize(np.arange(2), np.ones(2))
    assert again.status == "failed" and "rejected" in again.raw_status


def _huge_network():
    """Weights up to 8.8e5 over three layers: big-M coefficients beyond 1e15 (the audit's case)."""
    rng = np.random.default_rng(0)
    dims = [2, 4, 4, 3]
    weights = [rng.normal(size=(dims[k + 1], dims[k])) * 8.8e5 / 3 for k in range(3)]
    return ReluNetwork(weights, [rng.normal(size=dims[k + 1]) for k in range(3)]), np.array([1.3e15, 0.0, 5e14])


@pytest.mark.parametrize("norm", ["l1", "linf"])
def test_a_backend_refusing_a_valid_model_is_failed_not_bad_input(norm, cli, tmp_path):
    net, x = _huge_network()
    r = invert(net, x, method="milp", norm=norm, solver="highs")
    assert r.status == "failed" and "HiGHS rejected the model" in r.message
    Instance(net, x, -3 * np.ones(2), 3 * np.ones(2), {"noise": 1.0}).save(tmp_path / "i.npz")
    code, out, err = cli("invert", tmp_path / "i.npz", "--method", "milp", "--norm", norm, "--solver", "highs")
    assert code == 1 and "HiGHS rejected the model" in out and "error" not in err, (out, err)


def test_a_thread_pool_made_outside_milpinv_does_not_fail_its_solves():
    """A HiGHS solve with another thread count before milpinv's first (the user's own model, e.g.
    Pyomo's appsi_highs on a block from milpinv.embed) made HiGHS's one thread pool per process;
    milpinv's solves then asked for one thread and HiGHS refused them ('failed')."""
    import subprocess
    import sys

    code = """
import highspy
h = highspy.Highs(); h.setOptionValue('output_flag', False); h.setOptionValue('threads', 2)
h.addVar(0, 1); h.run()
import milpinv
net = milpinv.ReluNetwork.random([10, 30, 60], seed=0)
print(milpinv.invert(milpinv.plant_instance(net, seed=1), method='layerwise').status)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "optimal"


@pytest.mark.parametrize("raw_binding", [True, False])
def test_a_ctrl_c_stops_highs_and_the_log_reaches_stderr(monkeypatch, capsys, raw_binding):
    """The callbacks work through highspy's raw binding (the fast path) and, where a highspy has
    none (it is not public API), through its own event dispatch."""
    import highspy

    from milpinv import interrupt

    if not raw_binding:
        monkeypatch.delattr(highspy._core, "_Highs")
    model = _random_mip(3, 6, 6, True)
    out = get_solver("highs").solve(model, SolverOptions(verbose=True))
    assert out.status == "optimal" and "HiGHS" in capsys.readouterr().err
    with interrupt.deferred():
        interrupt.request()
        out = get_solver("highs").solve(model, SolverOptions())
    assert out.status == "time_limit" and out.raw_status == interrupt.INTERRUPTED
