"""LP bound tightening (bounds/obbt.py): tighter than interval arithmetic where the triangle
relaxation knows more, never looser, and never cutting off a sampled point (or a pre-image)."""

import numpy as np
from helpers import brute_force, layer_values
from hypothesis import given
from hypothesis import strategies as st
from test_interval import sample_box

from milpinv import ReluNetwork
from milpinv.bounds.interval import interval_bounds
from milpinv.bounds.obbt import Obbt, add_down, tighten_bounds, tighten_outputs
from milpinv.formulations.blocks import observation_interval
from milpinv.problem import Box

ABS_MINUS_ONE = ReluNetwork(  # a1 = relu(z) + relu(-z) - 1 = |z| - 1, then a linear output
    [[[1.0], [-1.0]], [[1.0, 1.0]], [[1.0]]], [[0.0, 0.0], [-1.0], [0.0]], output_activation="linear"
)


def test_lp_tightening_knows_that_abs_z_minus_one_is_at_most_zero():
    """On z in [-1, 1] interval arithmetic gives |z| - 1 in [-1, 1]; the triangle relaxation gives
    relu(z) <= (z + 1) / 2, relu(-z) <= (1 - z) / 2, so |z| - 1 <= 0: the neuron becomes inactive."""
    lower, upper = -np.ones(1), np.ones(1)
    ib = interval_bounds(ABS_MINUS_ONE, lower, upper)
    assert ib[1][1][0] >= 1.0
    tb, report = tighten_bounds(ABS_MINUS_ONE, Box(lower, upper), ib)
    assert not report.infeasible and report.lps >= 2
    assert 0.0 <= tb[1][1][0] <= 1e-9  # the upper bound 0, rounded up
    assert tb[1][0][0] <= -1.0  # the lower bound -1 (|0| - 1) stays
    np.testing.assert_array_equal(tb[0][0], ib[0][0])  # layer 0 reads the box: nothing to gain
    np.testing.assert_array_equal(tb[0][1], ib[0][1])


def test_an_observation_beyond_the_triangle_is_proven_infeasible():
    """relu(z) + relu(-z) = 1.5 on z in [-1, 1]: the interval [0, 2] allows it, the triangle
    relaxation (sum <= 1) does not; OBBT reports infeasible, and brute force agrees."""
    net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])
    lower, upper = -np.ones(1), np.ones(1)
    x = np.array([1.5])
    ib = interval_bounds(net, lower, upper)
    assert ib[1][0][0] <= 1.5 <= ib[1][1][0]
    _, report = tighten_bounds(net, Box(lower, upper), ib, observation_interval(net.activation(1), x))
    assert report.infeasible
    assert brute_force(net, x, "exact", lower, upper) is None


def test_an_observation_shrinks_the_hidden_bounds_to_the_pre_image():
    """relu(z) + relu(-z) = 0.5 on [-1, 1]: the pre-image is {-0.5, 0.5}; OBBT with the observation
    keeps both points and shrinks layer 0 to within the triangle relaxation's reach."""
    net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])
    lower, upper = -np.ones(1), np.ones(1)
    observed = observation_interval(net.activation(1), np.array([0.5]))
    ib = interval_bounds(net, lower, upper)
    tb, report = tighten_bounds(net, Box(lower, upper), ib, observed, Obbt(passes=2))
    assert not report.infeasible
    for z in (-0.5, 0.5):
        a = layer_values(net, np.array([z]))[0][0]
        assert np.all(tb[0][0] <= a) and np.all(a <= tb[0][1])
    assert np.all(tb[0][0] >= -1.0) and np.all(tb[0][1] <= 1.0)
    assert np.all(tb[0][1] - tb[0][0] < ib[0][1] - ib[0][0])  # strictly tighter


def test_add_down_is_at_most_the_exact_sum():
    """add_down(a, b) <= a + b in exact arithmetic (checked with fractions)."""
    from fractions import Fraction

    rng = np.random.default_rng(0)
    for a, b in rng.normal(0, 1, (1000, 2)) * 10.0 ** rng.uniform(-8, 8, (1000, 2)):
        assert Fraction(add_down(a, b)) <= Fraction(a) + Fraction(b)


@st.composite
def small_networks(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    dims = draw(st.sampled_from([[2, 4, 3], [2, 3, 3, 2], [3, 4, 4, 2], [1, 3, 3, 1]]))
    hidden = draw(st.sampled_from(["relu", "leaky_relu:0.2"]))
    output = draw(st.sampled_from(["relu", "linear"]))
    rng = np.random.default_rng(seed)
    weights = [rng.normal(0, 1, (m, n)) for n, m in zip(dims[:-1], dims[1:])]
    biases = [rng.normal(0, 0.5, m) for m in dims[1:]]
    net = ReluNetwork(weights, biases, activations=[hidden] * (len(dims) - 2) + [output])
    return net, -np.ones(dims[0]), np.ones(dims[0]), rng


@given(small_networks(), st.integers(1, 2))
def test_lp_bounds_contain_every_sampled_point_and_are_no_looser(case, passes):
    """Without an observation every point of the box lies in the tightened bounds, and each
    tightened bound lies within the interval bound."""
    net, lower, upper, rng = case
    ib = interval_bounds(net, lower, upper)
    tb, report = tighten_bounds(net, Box(lower, upper), ib, settings=Obbt(passes=passes))
    assert not report.infeasible
    for (lo, hi), (tlo, thi) in zip(ib, tb):
        assert np.all(lo <= tlo) and np.all(thi <= hi) and np.all(tlo <= thi)
    for z in sample_box(rng, lower, upper):
        for (a, _), (lo, hi) in zip(layer_values(net, z), tb):
            assert np.all(lo <= a) and np.all(a <= hi)


@given(small_networks())
def test_lp_bounds_under_an_observation_contain_the_pre_image(case):
    """With the exact norm's observation of G(z0), z0's pre-activations lie in the tightened bounds
    (hidden layers), and the bounds are no looser than interval arithmetic."""
    net, lower, upper, rng = case
    z0 = rng.uniform(lower, upper)
    x = net.forward(z0)
    ib = interval_bounds(net, lower, upper)
    observed = observation_interval(net.activation(net.depth - 1), x, 1e-6 * max(1.0, np.abs(x).max()))
    tb, report = tighten_bounds(net, Box(lower, upper), ib, observed, Obbt(passes=2))
    assert not report.infeasible
    for k, ((a, _), (lo, hi)) in enumerate(zip(layer_values(net, z0)[:-1], tb)):
        assert np.all(ib[k][0] <= lo) and np.all(hi <= ib[k][1])
        assert np.all(lo <= a) and np.all(a <= hi), (k, a, lo, hi)


def test_output_tightening_knows_that_abs_z_minus_one_is_at_most_zero():
    """tanh(|z| - 1) on z in [-1, 1]: interval arithmetic bounds the output pre-activation by
    [-1, 1], the triangle relaxation by [-1, 0] (as above, now on the output layer, where a tanh /
    sigmoid output's pixel lines are drawn)."""
    net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [-1.0]], output_activation="tanh")
    lower, upper = -np.ones(1), np.ones(1)
    ib = interval_bounds(net, lower, upper)
    assert ib[1][1][0] >= 1.0
    tb, report = tighten_outputs(net, Box(lower, upper), ib)
    assert not report.infeasible and report.lps == 2
    assert 0.0 <= tb[1][1][0] <= 1e-9 and tb[1][0][0] <= -1.0
    np.testing.assert_array_equal(tb[0][0], ib[0][0])  # the hidden layer is left as it was


@given(small_networks(), st.sampled_from(["tanh", "sigmoid", "linear"]))
def test_output_bounds_contain_every_sampled_point_and_are_no_looser(case, output):
    """Every point of the box has its output pre-activations within the tightened output bounds,
    which lie within interval arithmetic's; the hidden layers' bounds do not change."""
    net, lower, upper, rng = case
    net = ReluNetwork(net.weights, net.biases, activations=net.activations[:-1] + (output,))
    ib = interval_bounds(net, lower, upper)
    tb, report = tighten_outputs(net, Box(lower, upper), ib)
    assert not report.infeasible and report.lps == 2 * net.output_dim
    for (lo, hi), (tlo, thi) in zip(ib[:-1], tb[:-1]):
        np.testing.assert_array_equal(lo, tlo)
        np.testing.assert_array_equal(hi, thi)
    (lo, hi), (tlo, thi) = ib[-1], tb[-1]
    assert np.all(lo <= tlo) and np.all(thi <= hi) and np.all(tlo <= thi)
    for z in sample_box(rng, lower, upper):
        a = layer_values(net, z)[-1][0]
        assert np.all(tlo <= a) and np.all(a <= thi)
