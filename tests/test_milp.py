"""The exact MILP against brute force over activation patterns, its infeasibility proofs,
time limits, bound soundness and the shape of the formulation."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import Instance, ReluNetwork, invert, plant_instance
from milpinv.backends import solve
from milpinv.bounds import interval_bounds, stability, tighten_bounds
from milpinv.milp import build_model
from milpinv.pieces import piece_model
from milpinv.result import tolerance


def brute_force(net: ReluNetwork, x, norm, lower, upper) -> float | None:
    """min ||G(z) - x|| over the box by one LP per activation pattern (closed pieces cover the box);
    exact norm: 0.0 if some piece meets the pre-image, else None."""
    widths = [net.dims[k + 1] for k in range(net.depth)]
    free = [k for k in range(net.depth) if net.applies_relu(k) and not (norm == "exact" and k == net.depth - 1)]
    best = None
    for bits in itertools.product([False, True], repeat=sum(widths[k] for k in free)):
        pattern, i = [], 0
        for k, w in enumerate(widths):
            if k in free:
                pattern.append(np.array(bits[i:i + w]))
                i += w
            elif net.applies_relu(k):  # exact norm, relu output: the pattern is x > 0
                pattern.append(np.asarray(x) > 0)
            else:
                pattern.append(np.ones(w, bool))
        out = solve(piece_model(net, pattern, x, norm, lower, upper), "highs")
        if out.status == "optimal":
            value = 0.0 if norm == "exact" else out.objective
            best = value if best is None else min(best, value)
    return best


@st.composite
def tiny_problems(draw):
    dims = [draw(st.integers(1, 3))] + [draw(st.integers(1, 3)) for _ in range(draw(st.integers(2, 3)))]
    seed = draw(st.integers(0, 10 ** 6))
    net = ReluNetwork.random(dims, seed=seed, bias_scale=draw(st.sampled_from([0.0, 0.5, 1.0])))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["planted", "random"]))
    x = net.forward(rng.uniform(-2, 2, dims[0])) if kind == "planted" else np.abs(rng.normal(size=dims[-1]))
    x[rng.random(dims[-1]) < 0.2] = 0.0
    return net, x


@settings(max_examples=40)
@given(tiny_problems(), st.sampled_from(["exact", "l1", "linf"]))
def test_milp_matches_brute_force(problem, norm):
    net, x = problem
    lower, upper = np.full(net.input_dim, -2.0), np.full(net.input_dim, 2.0)
    truth = brute_force(net, x, norm, lower, upper)
    for bounds in ("interval", "lp"):
        r = invert(net, x, method="milp", norm=norm, box=(lower, upper), bounds=bounds, heuristic=False)
        if norm == "exact":
            assert r.status == ("optimal" if truth is not None else "infeasible"), (truth, r.summary())
            if truth is not None:
                assert r.residual_linf <= tolerance(x)
        else:
            assert r.status == "optimal", r.summary()
            assert r.objective == pytest.approx(truth, abs=1e-6 * max(1.0, truth)), (truth, r.summary())


@pytest.mark.parametrize("dims", [[8, 16, 16, 16], [10, 20, 20, 20, 20], [12, 24, 24, 12], [10, 30, 30, 60]])
def test_milp_inverts_non_expanding_nets(dims):
    """Harder seeds (e.g. 10-20-20-20-20 seed 1, ~30k nodes) are in benchmarks/, not here."""
    for seed in (0,):
        inst = plant_instance(ReluNetwork.random(dims, seed=seed), seed=seed + 1)
        r = invert(inst, method="milp", time_limit=120)
        assert r.status == "optimal", r.summary()
        assert r.residual_linf <= tolerance(inst.target)


def test_infeasible_is_proven_and_box_matters():
    net = ReluNetwork.random([3, 5, 5, 6], seed=4, bias_scale=0.3)
    z = np.array([2.5, -2.5, 2.0])
    inst = Instance(net, net.forward(z), -np.ones(3), np.ones(3))  # the planted z is outside this box
    truth = brute_force(net, inst.target, "exact", inst.lower, inst.upper)
    r = invert(inst, method="milp")
    assert r.status == ("infeasible" if truth is None else "optimal")
    wide = invert(Instance(net, inst.target, -3 * np.ones(3), 3 * np.ones(3)), method="milp")
    assert wide.status == "optimal" and wide.residual_linf <= tolerance(inst.target)


def test_time_limit_reports_incumbent_and_bound():
    inst = plant_instance(ReluNetwork.random([20, 60, 60, 120], seed=1), seed=2, noise=0.05)
    r = invert(inst, method="milp", norm="l1", time_limit=1.0, heuristic=True)
    assert r.status in ("time_limit", "optimal")
    if r.status == "time_limit":
        assert r.bound is not None and r.z is not None and r.gap is not None
        assert r.bound <= r.objective + 1e-9
        assert r.objective == pytest.approx(np.abs(inst.network.forward(r.z) - inst.target).sum())


@settings(max_examples=30)
@given(st.integers(0, 10 ** 6), st.sampled_from([[3, 6, 6, 4], [2, 5, 5, 5, 3], [4, 8, 3]]))
def test_bounds_are_sound(seed, dims):
    """Every point of the box lies within the interval bounds; every pre-image within OBBT bounds."""
    net = ReluNetwork.random(dims, seed=seed, bias_scale=0.5)
    rng = np.random.default_rng(seed)
    lower, upper = -np.ones(dims[0]), np.ones(dims[0])
    z0 = rng.uniform(-1, 1, dims[0])
    x = net.forward(z0)
    ib = interval_bounds(net, lower, upper)
    tb, report = tighten_bounds(net, lower, upper, ib, x, "exact", passes=2)
    assert not report.infeasible
    zs = np.vstack([z0, rng.uniform(-1, 1, (200, dims[0]))])
    for i, z in enumerate(zs):
        for k, a in enumerate(net.pre_activations(z)):
            assert np.all(a >= ib[k][0]) and np.all(a <= ib[k][1])
            if i == 0 and k < net.depth - 1:  # z0 is a pre-image of x
                assert np.all(a >= tb[k][0]) and np.all(a <= tb[k][1])
    for k in range(net.depth - 1):
        assert np.all(tb[k][0] >= ib[k][0] - 1e-9) and np.all(tb[k][1] <= ib[k][1] + 1e-9)


def test_formulation_has_no_output_binaries_and_drops_stable_neurons():
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]])
    b1 = np.array([0.0, 0.0, 5.0, -5.0])  # neuron 2 always active, neuron 3 always inactive on [-1, 1]^2
    W2 = np.ones((3, 4))
    net = ReluNetwork([W1, W2], [b1, np.zeros(3)])
    x = net.forward(np.array([0.5, -0.5]))
    form, _ = build_model(net, x, norm="exact", lower=-np.ones(2), upper=np.ones(2))
    assert form.counts == {"stable_active": 1, "stable_inactive": 1, "unstable": 2}
    assert form.model.num_integer == 2  # the unstable hidden neurons only: none for the output layer
    l1, _ = build_model(net, x, norm="l1", lower=-np.ones(2), upper=np.ones(2))
    assert l1.model.num_integer == 2 + l1.counts["output_unstable"]
    big = ReluNetwork.random([10, 30, 30, 60], seed=0)
    form, _ = build_model(big, plant_instance(big, seed=0).target, lower=-3 * np.ones(10), upper=3 * np.ones(10))
    active, inactive, unstable = stability(interval_bounds(big, -3 * np.ones(10), 3 * np.ones(10)), 0)
    assert form.model.num_integer == form.counts["unstable"] <= 60


def test_integral_instance_never_accepts_a_rounding_residual():
    """Large integer targets: a z off by 2.5 on a 4e6 target is not a pre-image (relative
    tolerance would say it is); the lattice check rejects it."""
    from reductions.generators import random_ksat
    from reductions.registry import get_reduction

    red = get_reduction("3sat", "relu", via="subset-sum")
    for s in range(3):
        cnf = random_ksat(3, 2.0, seed=s)
        inst = red.reduce(cnf)
        r = invert(inst, method="milp")
        assert r.status in ("optimal", "infeasible")
        if r.status == "optimal":
            assert r.residual_linf == 0.0 and cnf.satisfied_by(red.backward(cnf, r.z))
