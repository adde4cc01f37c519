"""Exact one-dimensional pre-images (bounds/integrality.py): sets by hand, and on random
one-input networks every returned point is an exact pre-image and every sampled pre-image is
returned (both checked by a forward pass in rational arithmetic)."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from milpinv import ReluNetwork
from milpinv.bounds.integrality import coordinate_sets, integral_preimages

F = Fraction
BOX = (np.array([-3.0]), np.array([3.0]))
ABS = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])  # |z|


def exact_forward(net: ReluNetwork, z: list[Fraction]) -> list[Fraction]:
    """G(z) in rational arithmetic (relu hidden layers, relu or linear output)."""
    h = list(z)
    for k, (W, b) in enumerate(zip(net.weights, net.biases)):
        W = np.asarray(W.toarray() if hasattr(W, "toarray") else W)
        a = [F(float(b[i])) + sum((F(float(W[i, j])) * h[j] for j in range(len(h))), F(0)) for i in range(len(b))]
        h = [max(v, F(0)) for v in a] if net.applies_relu(k) else a
    return h


def test_abs_z_equal_to_one_has_two_points():
    assert coordinate_sets(ABS, np.array([1.0]), *BOX) == [[F(-1), F(1)]]
    assert integral_preimages(ABS, np.array([1.0]), *BOX)


def test_a_half_integral_point_is_found_and_is_not_integral():
    """1 - |4z - 2| = 1 only at z = 1/2."""
    half = ReluNetwork([[[4.0], [-4.0]], [[-1.0, -1.0]]], [[-2.0, 2.0], [1.0]])
    assert coordinate_sets(half, np.array([1.0]), *BOX) == [[F(1, 2)]]
    assert not integral_preimages(half, np.array([1.0]), *BOX)


@pytest.mark.parametrize("x, want", [(4.0, []), (3.0, [F(-3), F(3)]), (-1.0, []), (0.0, [F(0)])])
def test_abs_z_at_the_edge_and_beyond_the_box(x, want):
    """|z| = 4 has no point in [-3, 3]; |z| = 3 the two ends; a relu output never equals -1;
    relu(|z|) = 0 means |z| <= 0, the single point 0. An empty set counts as integral."""
    assert coordinate_sets(ABS, np.array([x]), *BOX) == [want]
    assert integral_preimages(ABS, np.array([x]), *BOX)


def test_a_relu_output_observed_at_zero_on_an_interval_is_not_finite():
    """relu(z - 1) = 0 for every z <= 1: not a finite set."""
    net = ReluNetwork([[[1.0]]], [[-1.0]])
    assert coordinate_sets(net, np.array([0.0]), *BOX) == [None]
    assert not integral_preimages(net, np.array([0.0]), *BOX)


def test_a_linear_output_constant_on_a_piece_is_not_finite():
    """relu(z) with a linear output equals 0 on [-3, 0]: not finite; equals 2 only at z = 2."""
    net = ReluNetwork([[[1.0]], [[1.0]]], [[0.0], [0.0]], output_activation="linear")
    assert coordinate_sets(net, np.array([0.0]), *BOX) == [None]
    assert coordinate_sets(net, np.array([2.0]), *BOX) == [[F(2)]]


def test_two_outputs_of_one_coordinate_intersect():
    """|z| = 1 gives {-1, 1}, relu(z) = 1 gives {1}: together {1}."""
    net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0], [1.0, 0.0]]], [[0.0, 0.0], [0.0, 0.0]])
    assert coordinate_sets(net, np.array([1.0, 1.0]), *BOX) == [[F(1)]]
    assert coordinate_sets(net, np.array([1.0, 2.0]), *BOX) == [[]]  # relu(z) = 2 but |z| = 1


def test_an_output_reading_two_coordinates_constrains_neither():
    """z1 + z2 = 1 is an interval of pre-images: no finite set, no integrality proof; a coordinate
    that no one-input output reads stays unknown while another coordinate is pinned."""
    both = ReluNetwork([[[1.0, 1.0]]], [[0.0]])
    box = (-3 * np.ones(2), 3 * np.ones(2))
    assert coordinate_sets(both, np.array([1.0]), *box) == [None, None]
    assert not integral_preimages(both, np.array([1.0]), *box)
    pinned = ReluNetwork([[[1.0, 0.0], [-1.0, 0.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])  # |z1|
    assert coordinate_sets(pinned, np.array([2.0]), *box) == [[F(-2), F(2)], None]


def test_a_box_end_that_is_not_an_integer_is_kept_exactly():
    """2 z = 1 on [0.5, 3] (a linear output): z = 1/2, the box's end itself."""
    net = ReluNetwork([[[2.0]]], [[0.0]], output_activation="linear")
    assert coordinate_sets(net, np.array([1.0]), np.array([0.5]), np.array([3.0])) == [[F(1, 2)]]


@st.composite
def one_input_networks(draw):
    """A relu network on one input with small integer weights, relu or linear output."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    widths = [1] + [draw(st.integers(1, 3)) for _ in range(draw(st.integers(1, 2)))] + [draw(st.integers(1, 2))]
    weights = [rng.integers(-3, 4, (m, n)).astype(float) for n, m in zip(widths[:-1], widths[1:])]
    biases = [rng.integers(-3, 4, m).astype(float) for m in widths[1:]]
    for w in weights:  # no all-zero row: every neuron reads the input
        w[np.all(w == 0, axis=1), 0 if w.shape[1] == 1 else rng.integers(w.shape[1])] = 1.0
    net = ReluNetwork(weights, biases, output_activation=draw(st.sampled_from(["relu", "linear"])))
    return net, rng


def one_output(net: ReluNetwork, i: int) -> ReluNetwork:
    """The sub-network computing output i alone."""
    weights = list(net.weights[:-1]) + [np.asarray(net.weights[-1])[i : i + 1]]
    biases = list(net.biases[:-1]) + [net.biases[-1][i : i + 1]]
    return ReluNetwork(weights, biases, activations=net.activations)


@given(one_input_networks())
def test_random_one_input_networks_exact_pre_images(case):
    """Observe x = G(t0) at t0 on a grid of quarters. Output by output, a finite set is exactly
    that output's pre-image: each point maps to x_i in exact arithmetic, and every grid point that
    does is in it (t0 among them). The network's set is the intersection of the finite ones (a
    superset of the pre-image: None where no output gives a finite set)."""
    net, rng = case
    lower, upper = np.array([-2.0]), np.array([2.0])
    grid = [F(i, 4) for i in range(-8, 9)]
    t0 = grid[rng.integers(len(grid))]
    x = exact_forward(net, [t0])
    if any(v.denominator != 1 or abs(v) > 2**40 for v in x):  # keep x exact in float64, maybe unreachable
        x = [F(round(v)) for v in x]
    target = np.array([float(v) for v in x])
    want = None
    for i in range(net.output_dim):
        sub = one_output(net, i)
        [found] = coordinate_sets(sub, target[i : i + 1], lower, upper)
        if found is None:
            continue
        assert found == sorted(found)
        assert all(F(-2) <= t <= F(2) and exact_forward(sub, [t]) == [x[i]] for t in found), (found, x)
        assert {t for t in grid if exact_forward(sub, [t]) == [x[i]]} <= set(found)
        want = set(found) if want is None else want & set(found)
    [found] = coordinate_sets(net, target, lower, upper)
    assert (found is None and want is None) or set(found) == want
    if found is not None:
        assert {t for t in grid if exact_forward(net, [t]) == x} <= set(found)


@pytest.mark.parametrize(
    "activations, bias, x",
    [
        (["leaky_relu:0.5", "linear"], 0.0, 0.5),  # 0.5 |z| = 0.5 at z = -1, 1 (read as z - z = 0: [])
        (["relu", "tanh"], 0.0, np.tanh(1.0)),  # tanh(|z|) = tanh(1) at z = -1, 1 (read as |z| = 0.76...)
        (["relu", "leaky_relu:0.5"], -2.0, -0.5),  # leaky(|z| - 2) = -0.5 at z = -1, 1 (read as |z| = 1.5)
    ],
)
def test_activations_it_does_not_model_give_no_claim(activations, bias, x):
    """The exact sets are computed for relu and linear layers; any other activation gives no claim
    (None) rather than a wrong set (a leaky layer or a tanh output read as linear did)."""
    net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [bias]], activations=activations)
    assert np.allclose(net.forward(np.array([[1.0], [-1.0]])).ravel(), x)  # both are pre-images
    assert coordinate_sets(net, np.array([x]), *BOX) == [None]
    assert not integral_preimages(net, np.array([x]), *BOX)
