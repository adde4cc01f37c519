"""Node orders (engine/order.py, PERFORMANCE.md 32): an l1 / linf search in any order answers as
brute force does, its stored bases give the LP values of cold solves, and the exact norm keeps
depth first."""

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv.deadline import Deadline
from milpinv.engine.bab import BranchAndBound, Setup
from milpinv.engine.branching import rule
from milpinv.errors import InputError
from tests.engine.test_lp_protocol import Recorder
from tests.engine.test_warm_start import Checked, same_answer
from tests.engine.tiny import BRANCHING_EXACT, BRANCHING_L1, HIGHS, assert_true_answer, random_case
from tests.helpers import brute_force

ORDERED = ["plunge/deep/out/lean", "plunge/all/viol/small", "plunge/latent1/deep/out/lean"]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    norm=st.sampled_from(["l1", "linf"]),
    dims=st.sampled_from([(2, 4, 4, 2), (2, 5, 5, 3), (3, 6, 4, 3)]),
    name=st.sampled_from(ORDERED),
)
def test_an_ordered_search_answers_as_brute_force(seed, norm, dims, name):
    """The verdict and optimum of an l1 / linf search in a node order other than depth first are
    brute force's, and every LP started from a stored basis answers as a cold solve does."""
    case = random_case(seed, norm, dims, 0.3)
    lps = Recorder(Checked)
    found = case.search(Setup(lps, rule(name)))
    for warm, cold in lps.lp.pairs:
        same_answer(warm, cold)
    truth = brute_force(case.net, np.asarray(case.x), norm, *case.box, band=0.0)
    assert_true_answer(found, truth, norm)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), norm=st.sampled_from(["l1", "linf"]), name=st.sampled_from(ORDERED))
def test_a_bad_incumbent_is_replaced_and_the_nodes_it_met_dropped(seed, norm, name):
    """Started from a poor incumbent (open nodes then outlive it and are dropped on the better one),
    the search still ends at brute force's optimum."""
    case = random_case(seed, norm, (2, 5, 5, 3), 0.3)
    lower, upper = case.box
    z = upper.copy()
    _, value, z = case.judge(z)
    found = case.search(Setup(HIGHS, rule(name)), incumbent=(z, value))
    truth = brute_force(case.net, np.asarray(case.x), norm, lower, upper, band=0.0)
    assert_true_answer(found, truth, norm)


def test_the_exact_norm_searches_depth_first_whatever_the_rule_names():
    depth = BRANCHING_EXACT.search(Setup(HIGHS))
    ordered = BRANCHING_EXACT.search(Setup(HIGHS, rule("plunge/deep/out/lean")))
    assert (ordered.status, ordered.nodes, ordered.lps) == (depth.status, depth.nodes, depth.lps)


def test_both_children_keep_the_basis_and_neither_travels():
    """Under a node order either child may be taken after other nodes: both keep their parent's
    basis, and a node still pickles without it (parallel searches hand nodes over)."""
    bb = BranchAndBound(BRANCHING_L1.formulation(), BRANCHING_L1.judge, Setup(HIGHS, rule("plunge/deep/out/lean")))
    front = bb.explore(bb.begin(Deadline(None)), node_limit=1)
    assert len(front.open) == 2 and all(n.warm is not None for n in front.open)
    assert all(pickle.loads(pickle.dumps(n)).warm is None for n in front.open)


@pytest.mark.parametrize("name", ["plunge/plunge/deep/out/lean", "best/deep/out/lean", "plunge/deep/out"])
def test_unknown_orders_are_refused(name):
    with pytest.raises(InputError):
        rule(name)


def test_order_names_round_trip():
    for name in ["depth/deep/out/lean", *ORDERED]:
        assert rule(name).name == name
