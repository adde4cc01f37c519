"""The ideal single-neuron cuts (engine/cuts.py) are valid on the graph of the network: every point
(z, h(z), d(z)) of the graph satisfies every cut separated at any point, and each cut separated
at a point cuts that point off."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from milpinv import ReluNetwork
from milpinv.engine.cuts import separate
from tests.engine.tiny import Case, xor


def graph_points(case: Case, form, count: int, rng) -> np.ndarray:
    """Rows: the full variable vectors of ``count`` random z of the box (and its corners)."""
    lower, upper = case.box
    corners = np.array(np.meshgrid(*zip(lower, upper))).reshape(lower.size, -1).T
    zs = np.vstack([corners, rng.uniform(lower, upper, (count, lower.size))])
    return np.array([form.complete(z, np.asarray(case.x, float)) for z in zs])


def random_points(form, count: int, rng) -> np.ndarray:
    """Points of the model's column box (binaries anywhere in [0, 1]): mostly off the graph."""
    m = form.model
    lo, hi = np.maximum(m.col_lower, -1e3), np.minimum(m.col_upper, 1e3)
    return rng.uniform(lo, hi, (count, m.num_vars))


def check_cuts(case: Case, seed: int) -> int:
    """Cuts separated at random points: violated there, valid on the graph; returns how many."""
    rng = np.random.default_rng(seed)
    form = case.formulation()
    graph = graph_points(case, form, 200, rng)
    made = 0
    for v in random_points(form, 20, rng):
        rows, rhs = separate(form, form.bounds, v)
        if rows.shape[0] == 0:
            continue
        made += rows.shape[0]
        assert np.all(rows @ v > rhs), "a cut that does not cut off the point it was separated at"
        worst = (graph @ rows.T - rhs).max()
        assert worst <= 1e-9, f"a graph point violates a cut by {worst}"
    return made


def test_the_xor_cuts_are_valid_on_its_graph():
    assert check_cuts(Case(xor(), [1.0], "l1", 0.0, 1.0), seed=0) > 0


@given(seed=st.integers(0, 10_000), dims=st.sampled_from([[2, 4, 3], [3, 4, 4, 2], [2, 5, 5, 5, 1]]))
def test_cuts_of_random_networks_are_valid_on_their_graph(seed, dims):
    net = ReluNetwork.random(dims, seed=seed, bias_scale=0.5, output_activation="linear")
    x = net.forward(np.zeros(dims[0])) + 0.1
    check_cuts(Case(net, list(x), "l1", -1.0, 1.0), seed)


def test_a_point_of_the_graph_gets_no_cut():
    """The graph lies in the hull the cuts describe: nothing to separate at its own points."""
    case = Case(ReluNetwork.random([3, 6, 6, 2], seed=4, bias_scale=0.5, output_activation="linear"), [0.1, 0.2], "l1")
    form = case.formulation()
    for v in graph_points(case, form, 50, np.random.default_rng(1)):
        assert separate(form, form.bounds, v)[0].shape[0] == 0
