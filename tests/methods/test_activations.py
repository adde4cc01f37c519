"""Networks beyond relu: leaky_relu layers, tanh / sigmoid outputs and sparse (CSR) weights, against
brute force over activation patterns and against their dense twins."""

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import brute_force
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import InputError, ReluNetwork, invert, plant_instance
from milpinv.activation import Activation
from milpinv.tolerance import tolerance

HIDDEN = ["relu", "leaky_relu:0.1", "leaky_relu:0.5"]
OUTPUTS = ["relu", "linear", "leaky_relu:0.2", "tanh", "sigmoid"]


def random_net(dims, seed, hidden, output, bias_scale=0.5) -> ReluNetwork:
    base = ReluNetwork.random(dims, seed=seed, bias_scale=bias_scale)
    acts = [hidden] * (len(dims) - 2) + [output]
    return ReluNetwork(base.weights, base.biases, activations=acts)


@st.composite
def problems(draw, outputs=OUTPUTS):
    dims = [draw(st.integers(1, 3))] + [draw(st.integers(1, 3)) for _ in range(draw(st.integers(2, 3)))]
    seed = draw(st.integers(0, 10**6))
    net = random_net(dims, seed, draw(st.sampled_from(HIDDEN)), draw(st.sampled_from(outputs)))
    rng = np.random.default_rng(seed)
    x = net.forward(rng.uniform(-2, 2, dims[0]))
    if draw(st.booleans()):  # moved off the range of G, inside the output activation's range
        lo, hi = net.activation(net.depth - 1).hull
        x = np.clip(x + rng.normal(0, 0.5, x.shape), max(lo, -10.0) + 1e-3, min(hi, 10.0) - 1e-3)
    return net, x


@settings(max_examples=40, deadline=None)
@given(problems())
def test_exact_verdict_matches_brute_force(problem):
    net, x = problem
    lower, upper = np.full(net.input_dim, -2.0), np.full(net.input_dim, 2.0)
    truth = brute_force(net, x, "exact", lower, upper)
    r = invert(net, x, method="milp", box=(lower, upper), heuristic=False)
    if r.status == "optimal":
        assert r.residual_linf <= tolerance(x), r.summary()
    else:  # brute force observes x exactly; the MILP within the tolerance band: only "no" must agree
        assert r.status == "infeasible" and truth is None, (truth, r.summary())


@settings(max_examples=30, deadline=None)
@given(problems(outputs=["relu", "linear", "leaky_relu:0.2"]), st.sampled_from(["l1", "linf"]))
def test_certified_optimum_matches_brute_force(problem, norm):
    net, x = problem
    lower, upper = np.full(net.input_dim, -2.0), np.full(net.input_dim, 2.0)
    truth = brute_force(net, x, norm, lower, upper)
    for solver in ("bab", "highs"):
        r = invert(net, x, method="milp", norm=norm, box=(lower, upper), solver=solver, heuristic=False)
        assert r.status == "optimal", r.summary()
        assert r.bound <= truth + 1e-7 * max(1.0, truth) and r.objective == pytest.approx(truth, abs=1e-6), (
            truth,
            r.summary(),
        )


@pytest.mark.parametrize("output", ["tanh", "sigmoid"])
def test_smooth_output_exact_recovery_and_honest_l1(output):
    net = random_net([3, 8, 8, 6], 7, "leaky_relu:0.2", output)
    inst = plant_instance(net, seed=1)
    r = invert(inst, method="milp")
    assert r.status == "optimal" and r.residual_linf <= tolerance(inst.target), r.summary()
    noisy = np.clip(inst.target + 0.05, *Activation.parse(output).hull)
    r = invert(net, noisy, method="milp", norm="l1", box=(inst.lower, inst.upper), node_limit=300)
    assert r.status in ("optimal", "feasible") and r.bound is not None, r.summary()  # a bound in pixels
    assert r.objective == pytest.approx(np.abs(net.forward(r.z) - noisy).sum())
    Z = np.random.default_rng(0).uniform(inst.lower, inst.upper, size=(20000, 3))
    sampled = np.abs(np.array([net.forward(z) for z in Z]) - noisy).sum(axis=1).min()
    assert r.bound <= min(sampled, r.objective)


@pytest.mark.parametrize("output,bad", [("tanh", 1.5), ("sigmoid", -0.1), ("relu", -1.0)])
def test_target_outside_the_output_range_is_refused(output, bad):
    net = random_net([2, 4, 3], 0, "relu", output)
    with pytest.raises(InputError, match="no preimage"):
        invert(net, np.array([bad, 0.5, 0.5]), method="milp")


def test_smooth_hidden_layers_are_refused_with_a_line():
    with pytest.raises(InputError, match="hidden layer 0 applies tanh"):
        ReluNetwork([np.eye(2), np.eye(2)], activations=["tanh", "relu"])


def test_layerwise_inverts_an_expanding_leaky_net():
    """A leaky_relu layer is one to one: its pre-image is a linear solve, layer by layer."""
    net = random_net([4, 12, 36], 3, "leaky_relu:0.1", "leaky_relu:0.1")
    inst = plant_instance(net, seed=2)
    r = invert(inst, method="layerwise")
    assert r.status == "optimal" and r.residual_linf <= tolerance(inst.target), r.summary()
    assert np.allclose(r.z, inst.meta["planted_z"], atol=1e-6)


@settings(max_examples=25, deadline=None)
@given(problems(), st.sampled_from(["exact", "l1"]), st.sampled_from(["milp", "gd", "layerwise"]))
def test_sparse_weights_give_the_dense_answers(problem, norm, method):
    net, x = problem
    if norm != "exact" and method == "layerwise":
        return
    twin = ReluNetwork([sp.csr_matrix(w) for w in net.weights], net.biases, activations=net.activations)
    one = np.ones(net.input_dim)
    assert twin.sparse and np.allclose(twin.forward(one), net.forward(one), rtol=1e-13, atol=1e-15)
    box = (np.full(net.input_dim, -2.0), np.full(net.input_dim, 2.0))
    options = {"seed": 0} if method == "gd" else {}
    a = invert(net, x, method=method, norm=norm, box=box, **options)
    b = invert(twin, x, method=method, norm=norm, box=box, **options)
    assert a.status == b.status, (a.summary(), b.summary())
    if a.objective is not None and a.status == "optimal":
        assert b.objective == pytest.approx(a.objective, abs=1e-7)


def test_sparse_file_round_trip_and_old_files(tmp_path):
    dense = random_net([3, 6, 4], 1, "leaky_relu:0.25", "sigmoid")
    net = ReluNetwork([sp.csr_matrix(w) for w in dense.weights], dense.biases, activations=dense.activations)
    net.save(tmp_path / "net.npz")
    back = ReluNetwork.load(tmp_path / "net.npz")
    assert back.sparse and [str(a) for a in back.activations] == ["leaky_relu:0.25", "sigmoid"]
    assert np.array_equal(back.forward(np.ones(3)), net.forward(np.ones(3)))
    keys = set(np.load(tmp_path / "net.npz").files)
    assert {"W0.data", "W0.indices", "W0.indptr", "W0.shape", "activations"} <= keys
    old = ReluNetwork.random([2, 3, 2], seed=0, output_activation="linear")
    np.savez(
        tmp_path / "old.npz",
        W0=old.weights[0],
        b0=old.biases[0],
        W1=old.weights[1],
        b1=old.biases[1],
        output_activation=np.array("linear"),
    )
    assert ReluNetwork.load(tmp_path / "old.npz").output_activation == "linear"
