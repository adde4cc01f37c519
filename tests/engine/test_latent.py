"""Latent splits (``latent<K>/...``): a node may halve its latent box instead of a neuron; the
verdict and the bound agree with brute force over the activation regions and with the unit-only
search, and the stabilisation score counts what interval arithmetic says."""

from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import invert
from milpinv.deadline import Deadline
from milpinv.engine.bab import Setup
from milpinv.engine.branching import LatentBox, LatentRule, ScoreRule, midpoint_stabilised, rule
from milpinv.engine.parallel import Rules, Spread
from milpinv.tolerance import tolerance
from tests.engine.test_parallel import ThreadWorkers, hard_instance
from tests.engine.tiny import HIGHS, assert_same_answer, assert_true_answer, random_case
from tests.helpers import brute_force


def test_latent_rule_names_parse():
    r = rule("latent4/deep/out/lean")
    assert r == LatentRule(4, ScoreRule("deep", "out", "lean")) and r.name == "latent4/deep/out/lean"
    assert rule(r.name) == r


def test_the_score_counts_units_a_midpoint_split_stabilises():
    """a_0 = z_0 - 0.5 (on [-1, 1]^2, in [-1.5, 0.5]): halving z_0 makes it stable in the lower
    half (in [-1.5, -0.5]), halving z_1 never; a_1 = z_0 + z_1: no single midpoint split does."""
    nonzeros = (np.array([0, 1, 1]), np.array([0, 0, 1]), np.array([1.0, 1.0, 1.0]))
    box = (-np.ones(2), np.ones(2))
    got = midpoint_stabilised(nonzeros, np.array([-0.5, 0.0]), box, np.array([0, 1]))
    assert got.tolist() == [1.0, 0.0]
    assert midpoint_stabilised(nonzeros, np.array([-0.5, 0.0]), box, np.array([1])).tolist() == [0.0, 0.0]


def test_a_split_needs_its_threshold_and_a_wide_coordinate():
    box = LatentBox(-np.ones(2), np.ones(2), 2 * np.ones(2), np.array([0.3, 0.0]), lambda: np.array([2.0, 1.0]))
    assert LatentRule(2, ScoreRule("deep", "out", "lean")).split(box) == (0, 0.0, 1)  # z_0 = 0.3: upper half first
    assert LatentRule(3, ScoreRule("deep", "out", "lean")).split(box) is None
    narrow = LatentBox(np.zeros(2), np.full(2, 1e-9), 2 * np.ones(2), np.zeros(2), lambda: np.array([5.0, 5.0]))
    assert LatentRule(1, ScoreRule("deep", "out", "lean")).split(narrow) is None


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    norm=st.sampled_from(["exact", "l1", "linf"]),
    threshold=st.sampled_from([0, 1, 2]),
    dims=st.sampled_from([(2, 4, 3, 2), (3, 5, 2), (1, 4, 2)]),
)
def test_latent_splits_agree_with_brute_force_and_the_unit_search(seed, norm, threshold, dims):
    case = random_case(seed, norm, dims=dims, noise=0.3 if norm != "exact" else 0.05)
    x = np.asarray(case.x)
    if norm == "exact" and seed % 2:  # half the exact cases realizable
        x = case.net.forward(np.random.default_rng(seed).uniform(-1, 1, dims[0]))
        case.x = list(x)
    lower, upper = case.box
    truth = brute_force(case.net, x, norm, lower, upper, band=tolerance(x) / 2 if norm == "exact" else 0.0)
    latent = case.search(Setup(HIGHS, branching=rule(f"latent{threshold}/deep/out/lean")))
    units = case.search()
    assert latent.uncertified == 0
    assert latent.status == units.status, (latent, units)
    assert_true_answer(latent, truth, norm)
    if norm != "exact":
        assert latent.objective == pytest.approx(units.objective, abs=1e-6 * max(1.0, truth))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), norm=st.sampled_from(["exact", "l1", "linf"]), workers=st.integers(1, 3))
def test_latent_nodes_travel_between_workers(seed, norm, workers):
    """The parallel search hands out nodes whose latent boxes a split narrowed: the serial
    unit-only search's verdict and bound."""
    case = random_case(seed, norm, (2, 4, 4, 2), 0.3 if norm != "exact" else 0.05)
    spread = Spread(partial(ThreadWorkers, workers), Rules(workers, 1, 2))
    setup = Setup(HIGHS, branching=rule("latent1/deep/out/lean"))
    out = spread.search(case.formulation(), case.judge, Deadline(None), setup).search
    units = case.search()
    assert_same_answer(out, units)
    if norm != "exact":
        assert out.objective == pytest.approx(units.objective, abs=1e-7)
        assert out.bound == pytest.approx(units.bound, abs=1e-7)


def test_latent_rule_in_worker_processes():
    """threads=2 through invert with a latent rule: the serial default's verdict and bound."""
    inst = hard_instance()
    serial = invert(inst, method="milp", norm="l1", threads=1)
    both = invert(inst, method="milp", norm="l1", threads=2, branching="latent2/deep/out/lean")
    assert both.status == serial.status, both.summary()
    assert both.bound == pytest.approx(serial.bound, rel=1e-6)
