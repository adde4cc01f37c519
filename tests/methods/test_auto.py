"""Method auto: the layer-wise z is one more candidate incumbent of the MILP, never a replacement for
its heuristic, so auto's verdicts are milp's (README: "as milp")."""

import importlib

import numpy as np
import pytest
from helpers import brute_force
from hypothesis import given, settings
from hypothesis import strategies as st
from test_activations import problems, random_net

from milpinv import InputError, Measurement, ReluNetwork, invert, plant_instance
from milpinv.deadline import Deadline
from milpinv.methods.layerwise import refusal as layerwise_refusal
from milpinv.norm import Norm
from milpinv.options import AUTO_NODES, MilpOptions, auto_budget
from milpinv.problem import Box, Problem
from milpinv.tolerance import objective_slack, tolerance


@pytest.fixture(scope="module")
def deep_instance():
    """The audit's 10-30-30-60 instance: layer-wise fails, its z made auto time out at objective 1.4."""
    return plant_instance(ReluNetwork.random([10, 30, 30, 60], seed=0), seed=1)


@pytest.mark.parametrize("norm", ["l1", "linf"])
@pytest.mark.parametrize("mask", [False, True])
def test_auto_is_as_good_as_milp(deep_instance, norm, mask):
    measurement = Measurement.mask(np.arange(60) % 2) if mask else None
    kwargs = {"norm": norm, "time_limit": 20, "measurement": measurement}
    milp = invert(deep_instance, method="milp", **kwargs)
    auto = invert(deep_instance, method="auto", **kwargs)
    assert milp.status == auto.status == "optimal", (milp.summary(), auto.summary())
    slack = objective_slack(Norm(norm), tolerance(deep_instance.target), deep_instance.target.size)
    assert auto.objective <= milp.objective + slack
    assert auto.solver["layerwise"]["status"] != "optimal"  # the MILP was needed


def test_an_optimum_reports_gap_zero(deep_instance):
    """Objective 3.8e-15 and bound -1.1e-12 (within the tolerance) reported gap 0.0113."""
    r = invert(deep_instance, method="milp", norm="l1", time_limit=20)
    slack = objective_slack(Norm.L1, tolerance(deep_instance.target), deep_instance.target.size)
    assert r.status == "optimal" and abs(r.objective - r.bound) <= slack
    assert r.gap == 0.0


# ------------------------------------------------- networks layer-wise's l1 / linf LPs do not read
@settings(max_examples=30, deadline=None)
@given(problems(), st.sampled_from(["l1", "linf"]))
def test_auto_goes_on_to_the_milp_for_every_activation(problem, norm):
    """Layer-wise's l1 / linf LPs read relu and linear layers; for a tanh, sigmoid or leaky_relu
    layer auto used to raise their refusal instead of running the MILP (issue 21)."""
    net, x = problem
    lower, upper = np.full(net.input_dim, -2.0), np.full(net.input_dim, 2.0)
    r = invert(net, x, norm=norm, box=(lower, upper))
    assert r.method.startswith("auto:") and r.z is not None, r.summary()
    assert r.residual_l1 == pytest.approx(np.abs(net.forward(r.z) - x).sum(), rel=1e-12, abs=1e-15)
    if layerwise_refusal(net, Norm(norm)):
        assert r.method == "auto:milp" and "relu and linear" in r.solver["layerwise"]["skipped"]
    if net.activation(net.depth - 1).smooth:  # measured in pixels: the bound below every code tried
        Z = np.random.default_rng(0).uniform(lower, upper, size=(20000, net.input_dim))
        err = np.abs(net.forward(Z) - x)
        sampled = float((err.sum(axis=1) if norm == "l1" else err.max(axis=1)).min())
        assert r.status in ("optimal", "feasible") and r.bound is not None, r.summary()
        assert r.bound <= min(sampled, r.objective) + 1e-12, (sampled, r.summary())
        return
    truth = brute_force(net, x, norm, lower, upper)
    assert r.bound is not None and r.bound <= truth + 1e-7 * max(1.0, truth), (truth, r.summary())
    assert r.status in ("optimal", "feasible") and r.objective >= truth - 1e-7 * max(1.0, truth)
    if r.status == "optimal":
        assert r.objective == pytest.approx(truth, abs=1e-6)


@pytest.mark.parametrize("method", ["layerwise", "lp"])
def test_the_lp_methods_still_refuse_naming_the_layer(method):
    net = random_net([3, 6], 0, "relu", "tanh")
    with pytest.raises(InputError, match=r"l1 / linf LPs read relu and linear layers, not tanh \(layer 0\)"):
        invert(net, net.forward(np.zeros(3)), method=method, norm="l1")


# ----------------------------------------------------------- auto's node budget without a time limit
@pytest.fixture(scope="module")
def noisy_instance():
    """A noisy l1 instance the MILP proves in about 30 nodes, not at its root."""
    return plant_instance(ReluNetwork.random([3, 8, 12], seed=3), seed=1, noise=0.1)


def test_auto_without_a_time_limit_ends_after_its_node_budget(noisy_instance, monkeypatch):
    """A budget of 2 nodes: feasible, its bound certified (below the optimum node_limit=None proves)."""
    inst = noisy_instance
    monkeypatch.setattr(importlib.import_module("milpinv.options"), "AUTO_NODES", 2)
    r = invert(inst, norm="l1")
    assert r.status == "feasible" and r.solver["node_limit_spent"] == 2, r.summary()
    assert "auto without a time limit searches 2 nodes" in r.message and "node_limit=2 spent" in r.message
    assert r.objective == pytest.approx(r.residual_l1, rel=1e-12)  # the verified z's own residual
    full = invert(inst, norm="l1", node_limit=None)  # no budget: the search goes on to the proof
    assert full.status == "optimal" and "node_limit_spent" not in full.solver, full.summary()
    slack = objective_slack(Norm.L1, tolerance(inst.target), inst.target.size)
    assert r.bound <= full.objective + slack and full.objective <= r.objective + slack


@pytest.mark.parametrize(
    "norm, time_limit, options, budget",
    [
        ("l1", None, {}, True),
        ("linf", None, {"solver": "bab"}, True),
        ("exact", None, {}, False),  # the exact norm's search is never cut short
        ("l1", 60.0, {}, False),  # the user's clock decides
        ("l1", None, {"solver": "highs"}, False),  # node_limit is the branch and bound's
    ],
)
def test_which_runs_get_the_budget(norm, time_limit, options, budget):
    question = Problem.of(ReluNetwork.random([2, 3], seed=0), np.zeros(3), Norm(norm), Box.around(2, 3.0))
    found = auto_budget(MilpOptions(**options), options, question.with_deadline(Deadline(time_limit)))
    assert found == (AUTO_NODES if budget else None)


def test_node_limit_is_refused_with_a_backend_and_checked(noisy_instance):
    with pytest.raises(InputError, match="node_limit: budgets milpinv's branch and bound"):
        invert(noisy_instance, method="milp", norm="l1", solver="highs", node_limit=5)
    with pytest.raises(InputError, match="node_limit: expected an integer in 1.."):
        invert(noisy_instance, method="milp", norm="l1", node_limit=0)


@pytest.mark.parametrize("acts", [["leaky_relu:0.5", "linear"], ["relu", "tanh"], ["relu", "leaky_relu:0.2"]])
@pytest.mark.parametrize("norm", ["l1", "linf"])
def test_auto_goes_to_the_milp_where_layerwise_does_not_read_the_network(acts, norm):
    """l1 / linf layer-wise reads relu and linear layers only: auto raised its refusal (InputError)."""
    net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 0.5]]], [[0.0, 0.0], [0.1]], activations=acts)
    x = net.forward(np.array([-0.4]))
    r = invert(net, x, method="auto", norm=norm, box=1.0)
    assert r.method == "auto:milp" and r.status in ("optimal", "feasible") and r.residual_linf <= tolerance(x)


@pytest.mark.parametrize("given, expected_none", [({}, False), ({"warm_start": None}, True)])
def test_auto_warm_starts_the_milp_from_layerwise_unless_a_warm_start_is_given(
    noisy_instance, monkeypatch, given, expected_none
):
    seen = []
    module = importlib.import_module("milpinv.invert")
    real = module.METHODS["milp"]
    monkeypatch.setitem(module.METHODS, "milp", lambda problem, options: seen.append(options) or real(problem, options))
    invert(noisy_instance, norm="l1", time_limit=60.0, **given)
    assert len(seen) == 1 and (seen[0].warm_start is None) == expected_none
