"""Every backend on the same models: same verdicts and optimal values, every z verified; the
fixed-input check (fix z, solve, compare with the forward pass) for each; MPS/LP export."""

import dataclasses

import highspy
import numpy as np
import pytest

import milpinv
from milpinv.errors import InputError
from milpinv.milp.build import ModelSpec, build_model
from milpinv.norm import Norm
from milpinv.problem import Box, Problem
from milpinv.solvers import solve
from milpinv.solvers.pyomo import export_model
from milpinv.tolerance import tolerance

BACKENDS = ["highs", "pyomo:appsi_highs", "ortools-scip"]
DIMS = ([4, 8, 8, 4], [6, 12, 12, 6], [5, 10, 10, 10, 5])


def instances(noise=0.0, seeds=(0, 1), dims_list=DIMS):
    for dims in dims_list:
        for s in seeds:
            net = milpinv.ReluNetwork.random(dims, seed=s, bias_scale=0.3)
            yield milpinv.plant_instance(net, seed=s + 10, noise=noise)


@pytest.mark.parametrize("solver", BACKENDS)
def test_exact_planted_recovery(solver):
    for inst in instances():
        r = milpinv.invert(inst, method="milp", solver=solver, heuristic=False)
        assert r.status == "optimal", r.summary()
        assert r.residual_linf <= tolerance(inst.target)


@pytest.mark.parametrize("solver", BACKENDS)
def test_thread_count_can_change_between_solves(solver):
    """HiGHS keeps one thread pool per process: a later solve with another thread count (after
    bound tightening or the heuristic ran with the default) must still give a verified answer."""
    inst = next(instances(dims_list=DIMS[:1]))
    for threads in (None, 1, 2, 1):
        r = milpinv.invert(inst, method="milp", solver=solver, bounds="lp", threads=threads, heuristic=False)
        assert r.status == "optimal" and r.residual_linf <= tolerance(inst.target), (threads, r.summary())


@pytest.mark.parametrize("norm", ["l1", "linf"])
def test_backends_agree_on_noisy_optima(norm):
    for inst in instances(noise=0.05, seeds=(3,), dims_list=DIMS[:2]):
        values = {}
        for solver in BACKENDS:
            r = milpinv.invert(inst, method="milp", norm=norm, solver=solver, heuristic=False)
            assert r.status == "optimal", (solver, r.summary())
            values[solver] = r.objective  # the forward-pass residual of the returned z
        assert max(values.values()) - min(values.values()) <= 1e-6 * max(1.0, max(values.values())), values
        assert values["highs"] <= inst.meta[f"noise_{norm}"] + 1e-9


def test_backends_agree_on_infeasible():
    net = milpinv.ReluNetwork.random([3, 6, 6], seed=0)
    x = net.forward(np.array([2.9, 2.9, 2.9])) * 3.0  # scaled out of reach of the box [-1, 1]^3
    inst = milpinv.Instance(net, x, -np.ones(3), np.ones(3))
    for solver in BACKENDS:
        r = milpinv.invert(inst, method="milp", solver=solver, heuristic=False)
        assert r.status == "infeasible" and r.z is None, (solver, r.summary())


def _fixed(model, z):
    sl = model.blocks["z"]
    lo, hi = model.col_lower.copy(), model.col_upper.copy()
    lo[sl] = hi[sl] = z
    return dataclasses.replace(model, col_lower=lo, col_upper=hi)


@pytest.mark.parametrize("solver", BACKENDS + ["cpsat"])
def test_fixed_input_matches_forward_pass(solver):
    """As gurobi-machinelearning's fixed_formulation test: fix z, solve, compare every layer."""
    rng = np.random.default_rng(0)
    for seed in range(4):
        if solver == "cpsat":  # exact integer arithmetic: an integer network and an integer z
            dims = [3, 6, 5, 4]
            ws = [rng.integers(-3, 4, size=(b, a)).astype(float) for a, b in zip(dims[:-1], dims[1:])]
            net = milpinv.ReluNetwork(ws, [rng.integers(-2, 3, size=b).astype(float) for b in dims[1:]])
            z, x = rng.integers(-2, 3, size=3).astype(float), rng.integers(0, 4, size=4).astype(float)
        else:
            net = milpinv.ReluNetwork.random([4, 9, 7, 5], seed=seed, bias_scale=0.5)
            z, x = rng.uniform(-3, 3, size=4), np.abs(rng.normal(size=5))
        form, _ = build_model(
            Problem.of(net, x, Norm.L1, Box.around(z.size, 3.0)), ModelSpec(lattice=solver == "cpsat")
        )
        out = solve(_fixed(form.model, z), solver)
        assert out.status == "optimal", (solver, out.raw_status)
        expected = form.complete(z, x)
        for k, lv in enumerate(form.layers):
            np.testing.assert_allclose(out.x[lv.h], expected[lv.h], atol=1e-6, err_msg=f"{solver} layer {k}")
        assert out.objective == pytest.approx(np.abs(net.forward(z) - x).sum(), abs=1e-6)


def test_cpsat_lattice_verdicts():
    W1 = np.array([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    net = milpinv.ReluNetwork([W1, np.eye(3)], [np.zeros(3), np.zeros(3)])
    box = (-np.full(2, 2.0), np.full(2, 2.0))
    r = milpinv.invert(net, net.forward(np.array([1.0, 2.0])), method="milp", solver="cpsat", box=box, heuristic=False)
    assert r.status == "optimal" and np.array_equal(r.z, [1.0, 2.0])
    # x = G(0.5, 0.5) has a real pre-image but no integer one: the lattice verdict is not a proof
    r = milpinv.invert(net, net.forward(np.array([0.5, 0.5])), method="milp", solver="cpsat", box=box, heuristic=False)
    assert r.status == "failed" and "lattice" in r.message
    with pytest.raises(InputError, match="integer"):
        milpinv.invert(
            milpinv.ReluNetwork.random([2, 4, 4], seed=0), np.ones(4), method="milp", solver="cpsat", heuristic=False
        )


def test_unknown_pyomo_solver_is_one_line():
    inst = next(instances())
    with pytest.raises(InputError, match="not available"):  # bad input: refused before any solve
        milpinv.invert(inst, method="milp", solver="pyomo:no_such_solver", heuristic=False)
    with pytest.raises(InputError, match="unknown backend"):
        milpinv.invert(inst, method="milp", solver="gurobi", heuristic=False)


@pytest.mark.parametrize("fmt", ["mps", "lp"])
def test_export_round_trip(cli, tmp_path, fmt):
    inst = next(instances(noise=0.05))
    inst.save(tmp_path / "i.npz")
    code, out, _ = cli("export", tmp_path / "i.npz", "--norm", "l1", "--out", tmp_path / f"m.{fmt}")
    assert code == 0 and "binaries" in out
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(tmp_path / f"m.{fmt}")) == highspy.HighsStatus.kOk
    h.run()
    ours = milpinv.invert(inst, method="milp", norm="l1", heuristic=False)
    assert h.getInfo().objective_function_value == pytest.approx(ours.objective, rel=1e-6, abs=1e-9)


def test_export_model_atomic_and_checked(tmp_path):
    inst = next(instances())
    form, _ = build_model(Problem.of(inst.network, inst.target, Norm.EXACT, Box(inst.lower, inst.upper)))
    with pytest.raises(InputError, match="format"):
        export_model(form.model, tmp_path / "m.txt")
    export_model(form.model, tmp_path / "m.mps")
    assert [p.name for p in tmp_path.iterdir()] == ["m.mps"]
