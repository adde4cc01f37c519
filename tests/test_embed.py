"""milpinv.embed: the block added to a user's Pyomo model is the network's graph over the box,
checked both ways with HiGHS (Pyomo's appsi_highs): every point of the block has x = G(z), and
with z fixed the outputs can take no value but G(z)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import milpinv
from milpinv.bounds.interval import interval_bounds
from milpinv.errors import InputError
from milpinv.formulations.bigm import build_graph
from milpinv.network import ReluNetwork
from milpinv.problem import Box
from milpinv.solvers.mps import violation

pyo = pytest.importorskip("pyomo.environ")
TOL = 1e-6


def networks(draw_seed: int, output: str) -> ReluNetwork:
    """A small random network; negative biases make some neurons stable (inactive) on the box."""
    rng = np.random.default_rng(draw_seed)
    dims = [3, 6, 5, 4]
    weights = [rng.normal(size=(dims[k + 1], dims[k])) for k in range(3)]
    biases = [rng.normal(size=dims[k + 1]) - 1.5 * (k == 0) for k in range(3)]
    hidden = ["leaky_relu:0.1" if draw_seed % 2 else "relu"] * 2
    return ReluNetwork(weights, biases, activations=hidden + [output])


def solve(m) -> None:
    res = pyo.SolverFactory("appsi_highs").solve(m, load_solutions=True)
    assert str(res.solver.termination_condition) == "optimal"


def values(component) -> np.ndarray:
    return np.array([component[i].value for i in component])


def optimise(m, expr, sense) -> float:
    m.objective = pyo.Objective(expr=expr, sense=sense)
    solve(m)
    value = pyo.value(m.objective)
    m.del_component(m.objective)
    return value


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 1000), st.sampled_from(["relu", "linear", "leaky_relu:0.2"]), st.sampled_from(["interval", "lp"]))
def test_with_z_fixed_the_outputs_are_g_of_z_and_nothing_else(seed, output, bounds):
    net = networks(seed, output)
    m = pyo.ConcreteModel()
    g = milpinv.embed(m, net, box=2.0, bounds=bounds)
    z = np.random.default_rng(seed).uniform(-2, 2, size=3)
    for i, value in enumerate(z):
        g.z[i].fix(float(value))
    x = net.forward(z)
    for j in range(net.output_dim):
        low, high = optimise(m, g.x[j], pyo.minimize), optimise(m, g.x[j], pyo.maximize)
        assert abs(low - x[j]) <= TOL * max(1, abs(x[j])) and abs(high - x[j]) <= TOL * max(1, abs(x[j]))


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 1000), st.sampled_from(["relu", "linear"]))
def test_every_point_of_the_block_is_a_point_of_the_graph(seed, output):
    net = networks(seed, output)
    m = pyo.ConcreteModel()
    g = milpinv.embed(m, net, box=(np.full(3, -1.0), np.array([2.0, 1.0, 0.5])))
    rng = np.random.default_rng(seed)
    for _ in range(3):  # any objective over (z, x): the optimum found lies on the graph
        c, d = rng.normal(size=3), rng.normal(size=net.output_dim)
        optimise(m, sum(c[i] * g.z[i] for i in g.z) + sum(d[j] * g.x[j] for j in g.x), pyo.minimize)
        z, x = values(g.z), values(g.x)
        assert np.all(z >= [-1 - TOL] * 3) and np.all(z <= np.array([2.0, 1.0, 0.5]) + TOL)
        assert np.max(np.abs(x - net.forward(z))) <= TOL * max(1.0, np.max(np.abs(x)))


@given(st.integers(0, 1000))
def test_the_graph_model_holds_every_forward_pass_and_stable_neurons_have_no_binary(seed):
    """The matrix model behind the block, without a solver: the completion of any z in the box
    satisfies every row and bound, and binaries are exactly the neurons the bounds leave unstable."""
    net = networks(seed, "linear")
    lower, upper = np.full(3, -2.0), np.full(3, 2.0)
    bounds = interval_bounds(net, lower, upper)
    form = build_graph(net, Box(lower, upper), bounds)
    for z in np.random.default_rng(seed).uniform(-2, 2, size=(20, 3)):
        assert violation(form.model, form.complete(z)) <= 1e-12
    unstable = sum(int(((lo < 0) & (hi > 0)).sum()) for lo, hi in bounds[:-1])
    assert form.model.num_integer == unstable == form.counts["unstable"]


def test_the_user_adds_objective_and_constraints():
    """The README's use: the latent whose image is brightest in pixel 0 while pixel 1 stays dark."""
    net = ReluNetwork.random([3, 16, 8], seed=4, bias_scale=0.5)
    m = pyo.ConcreteModel()
    g = milpinv.embed(m, net, box=1.0)
    m.dark = pyo.Constraint(expr=g.x[1] <= 0.1)
    best = optimise(m, g.x[0], pyo.maximize)
    z = values(g.z)
    assert abs(net.forward(z)[0] - best) <= TOL and net.forward(z)[1] <= 0.1 + TOL
    for sample in np.random.default_rng(0).uniform(-1, 1, size=(2000, 3)):  # no sampled z does better
        x = net.forward(sample)
        assert x[1] > 0.1 or x[0] <= best + TOL


def test_two_generators_in_one_model_and_refusals():
    net = ReluNetwork.random([2, 5, 3], seed=0)
    m = pyo.ConcreteModel()
    a, b = milpinv.embed(m, net, box=1.0, name="a"), milpinv.embed(m, net, box=1.0, name="b")
    assert a is m.a and b is m.b and len(a.z) == 2 and len(b.x) == 3
    smooth = ReluNetwork(net.weights, net.biases, output_activation="tanh")
    with pytest.raises(InputError, match="tanh output is not piecewise linear") as err:
        milpinv.embed(m, smooth, box=1.0, name="c")
    assert "\n" not in str(err.value)
    with pytest.raises(InputError, match="box"):
        milpinv.embed(m, net, box=-1.0, name="d")
    with pytest.raises(InputError, match="bounds"):
        milpinv.embed(m, net, box=1.0, bounds="exact", name="e")


def test_the_example_finds_a_brighter_pixel_than_any_sample(capsys):
    """examples/embed_pixel.py: the proven optimum, re-checked by a forward pass, beats sampling."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "examples" / "embed_pixel.py"
    spec = importlib.util.spec_from_file_location("embed_pixel", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = module.main(["--samples", "5000"])
    assert found["status"] == "optimal" and abs(found["bright"] - found["objective"]) <= TOL
    assert found["dark"] <= 0.1 + TOL and found["sampled"] <= found["bright"] + TOL
    assert "MILP (optimal" in capsys.readouterr().out
