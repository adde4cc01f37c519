"""Interval arithmetic (bounds/interval.py): exact answers by hand, and every sampled point of the
graph inside the bounds, for every activation and weights from 1e-6 to 1e6."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from helpers import layer_values
from hypothesis import given
from hypothesis import strategies as st

from milpinv import ReluNetwork
from milpinv.activation import Activation
from milpinv.bounds.interval import activation_range, interval_bounds, interval_step, propagate

PAD = 1e-14  # relative: the outward rounding of a bound is a few unit roundoffs


def close_outside(bound: tuple[np.ndarray, np.ndarray], lo, hi) -> None:
    """``bound`` contains [lo, hi] and exceeds it by rounding only."""
    lo, hi = np.asarray(lo, float), np.asarray(hi, float)
    assert np.all(bound[0] <= lo) and np.all(bound[0] >= lo - PAD * (1 + np.abs(lo)))
    assert np.all(bound[1] >= hi) and np.all(bound[1] <= hi + PAD * (1 + np.abs(hi)))


def test_difference_of_two_inputs_by_hand():
    """W = [[1, -1]] on [0, 1]^2: z1 - z2 ranges over [-1, 1] exactly."""
    net = ReluNetwork([[[1.0, -1.0]]], [[0.0]])
    [(lo, hi)] = interval_bounds(net, np.zeros(2), np.ones(2))
    close_outside((lo, hi), [-1.0], [1.0])


def test_two_layers_by_hand():
    """a0 = (z, -z) on z in [-3, 2]; relu gives h in [0, 2] x [0, 3]; a1 = h1 - 2 h2 - 1 in [-7, 1]
    and h1 + h2 - 1 in [-1, 4]."""
    net = ReluNetwork([[[1.0], [-1.0]], [[1.0, -2.0], [1.0, 1.0]]], [[0.0, 0.0], [-1.0, -1.0]])
    b0, b1 = interval_bounds(net, np.array([-3.0]), np.array([2.0]))
    close_outside(b0, [-3.0, -2.0], [2.0, 3.0])
    close_outside(b1, [-7.0, -1.0], [1.0, 4.0])


def test_leaky_hidden_layer_by_hand():
    """leaky_relu:0.5 maps a0 in [-3, 2] to [-1.5, 2]; then a1 = 2 h in [-3, 4]."""
    net = ReluNetwork([[[1.0]], [[2.0]]], [[0.0], [0.0]], activations=["leaky_relu:0.5", "linear"])
    _, b1 = interval_bounds(net, np.array([-3.0]), np.array([2.0]))
    close_outside(b1, [-3.0], [4.0])


def test_zero_box_and_bias_only():
    """A point box gives the point's pre-activations; a zero weight leaves the bias alone, exactly."""
    net = ReluNetwork([[[0.0, 0.0], [2.0, 3.0]]], [[5.0, 1.0]])
    [(lo, hi)] = interval_bounds(net, np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    close_outside((lo, hi), [5.0, 9.0], [5.0, 9.0])


def test_interval_step_rounding_pad_is_the_stated_one():
    """The bound is pushed out by gamma_n (|W| max(|l|, |u|) + |b|), n = 2: here 4 u / (1 - 4 u) * 3."""
    lo, hi = interval_step(np.array([[1.0, -1.0]]), np.array([1.0]), np.zeros(2), np.ones(2))
    u = 2.0**-53
    pad = 4 * u / (1 - 4 * u) * 3.0
    assert lo[0] == pytest.approx(0.0 - pad, abs=1e-30) and hi[0] == pytest.approx(2.0 + pad, abs=1e-30)


@pytest.mark.parametrize(
    "kind, lo, hi, want",
    [
        ("relu", -2.0, 3.0, (0.0, 3.0)),
        ("relu", -2.0, -1.0, (0.0, 0.0)),
        ("linear", -2.0, 3.0, (-2.0, 3.0)),
        ("leaky_relu:0.25", -2.0, 3.0, (-0.5, 3.0)),
        ("tanh", -1.0, 2.0, (np.tanh(-1.0), np.tanh(2.0))),
        ("sigmoid", 0.0, np.log(3.0), (0.5, 0.75)),
    ],
)
def test_activation_range_by_hand(kind, lo, hi, want):
    """act([lo, hi]) = [act(lo), act(hi)]: exact for relu and linear, a few ulps outward otherwise."""
    out = activation_range(Activation.parse(kind), np.array([lo]), np.array([hi]))
    if kind in ("relu", "linear"):
        assert (out[0][0], out[1][0]) == want
    else:
        close_outside(out, [want[0]], [want[1]])


def test_propagate_from_a_smaller_layer_interval_equals_the_smaller_box():
    """Tightening layer 0 to the bounds of a sub-box and propagating gives, above it, the
    interval bounds of that sub-box (interval arithmetic is monotone; the old bounds are looser)."""
    net = ReluNetwork.random([3, 5, 4, 2], seed=3, bias_scale=0.5)
    big = interval_bounds(net, -np.ones(3), np.ones(3))
    small = interval_bounds(net, np.array([0.0, -0.5, 0.2]), np.array([0.5, 0.0, 0.9]))
    bounds = [small[0]] + big[1:]
    propagate(net, bounds, 0)
    for (lo, hi), (slo, shi) in zip(bounds[1:], small[1:]):
        np.testing.assert_array_equal(lo, slo)
        np.testing.assert_array_equal(hi, shi)


def test_propagate_keeps_the_tighter_old_bound():
    """Where the old bound is tighter than interval arithmetic, propagate keeps it."""
    net = ReluNetwork([[[1.0]], [[1.0]]], [[0.0], [0.0]])
    bounds = interval_bounds(net, np.array([-1.0]), np.array([1.0]))
    bounds[1] = (np.array([0.25]), np.array([0.5]))  # tighter than relu([-1, 1]) = [0, 1]
    propagate(net, bounds, 0)
    assert bounds[1] == (np.array([0.25]), np.array([0.5]))


# ------------------------------------------------------------------ random networks, sampled points
HIDDEN = st.sampled_from(["relu", "leaky_relu:0.1", "leaky_relu:0.7"])
OUTPUT = st.sampled_from(["relu", "leaky_relu:0.3", "linear", "tanh", "sigmoid"])


@st.composite
def networks(draw, max_exponent: int = 6, sparse: bool = False):
    """A small network whose weights and biases have magnitudes 10^-e .. 10^e, e <= max_exponent."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    dims = [draw(st.integers(1, 3))] + [draw(st.integers(1, 4)) for _ in range(draw(st.integers(1, 3)))]
    e = draw(st.integers(0, max_exponent))

    def entries(shape):
        mags = 10.0 ** rng.uniform(-e, e, shape)
        return rng.choice([-1.0, 1.0], shape) * mags * (rng.random(shape) < 0.85)

    weights = [entries((n_out, n_in)) for n_in, n_out in zip(dims[:-1], dims[1:])]
    if sparse:
        weights = [sp.csr_matrix(w) for w in weights]
    biases = [entries(n) for n in dims[1:]]
    acts = [draw(HIDDEN) for _ in dims[2:]] + [draw(OUTPUT)]
    net = ReluNetwork(weights, biases, activations=acts)
    width = 10.0 ** rng.uniform(-3, 3, dims[0])
    lower = rng.uniform(-1, 1, dims[0]) * width
    upper = lower + width * rng.random(dims[0])
    return net, lower, upper, rng


def sample_box(rng, lower, upper, n: int = 200) -> np.ndarray:
    """Random points of the box and its corners."""
    corners = np.array(list(itertools.product(*zip(lower, upper))))
    return np.vstack([corners, rng.uniform(lower, upper, (n, lower.size))])


def assert_inside(net: ReluNetwork, bounds, zs: np.ndarray) -> None:
    """Every layer's pre-activation of every z (a float64 forward pass) lies in the bounds, and
    the output in the output activation's range over the last layer's bounds."""
    for z in zs:
        values = layer_values(net, z)
        for k, ((a, _), (lo, hi)) in enumerate(zip(values, bounds)):
            assert np.all(lo <= a) and np.all(a <= hi), (k, z, a, lo, hi)
        y_lo, y_hi = activation_range(net.activation(net.depth - 1), *bounds[-1])
        y = net.forward(z)
        assert np.all(y_lo <= y) and np.all(y <= y_hi)


@given(networks())
def test_every_sampled_point_lies_in_the_interval_bounds(case):
    net, lower, upper, rng = case
    bounds = interval_bounds(net, lower, upper)
    assert all(np.all(lo <= hi) for lo, hi in bounds)
    assert_inside(net, bounds, sample_box(rng, lower, upper))


@given(networks(max_exponent=2, sparse=True))
def test_sparse_weights_give_sound_bounds_close_to_the_dense_ones(case):
    net, lower, upper, rng = case
    dense = ReluNetwork([w.toarray() for w in net.weights], net.biases, activations=net.activations)
    sparse_b, dense_b = interval_bounds(net, lower, upper), interval_bounds(dense, lower, upper)
    for (slo, shi), (dlo, dhi) in zip(sparse_b, dense_b):
        np.testing.assert_allclose(slo, dlo, rtol=1e-12, atol=1e-12 * (1 + np.abs(dlo).max()))
        np.testing.assert_allclose(shi, dhi, rtol=1e-12, atol=1e-12 * (1 + np.abs(dhi).max()))
    assert_inside(net, sparse_b, sample_box(rng, lower, upper, 50))


@given(networks(max_exponent=3))
def test_interval_bounds_are_the_tightest_box_for_one_layer(case):
    """For one affine layer interval arithmetic is exact: each bound is attained at a corner of the
    box (up to the rounding pad)."""
    net, lower, upper, _ = case
    W, b = net.weights[0], net.biases[0]
    lo, hi = interval_bounds(net, lower, upper)[0]
    corners = np.array(list(itertools.product(*zip(lower, upper))))
    values = corners @ W.T + b
    scale = np.abs(W) @ np.maximum(np.abs(lower), np.abs(upper)) + np.abs(b)
    assert np.all(np.abs(values.min(axis=0) - lo) <= 1e-14 * (1 + scale))
    assert np.all(np.abs(values.max(axis=0) - hi) <= 1e-14 * (1 + scale))
