"""Rescaling (milp/rescale.py) preserves the network exactly: over random networks whose rows
are scaled by random powers of two, every pre-activation of the rescaled network is its row
factor times the original's, bit for bit in float64, so the forward pass (l1 / linf) and the
observation (exact norm) are unchanged."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

from milpinv import ReluNetwork, invert
from milpinv.milp.rescale import power_of_two_scale, rescale
from milpinv.validation import MAX_MAGNITUDE


@st.composite
def scaled_networks(draw, decades: int = 6, shift: int = 40):
    """Weights of magnitudes 10^-decades .. 10^decades, every row multiplied by its own power of
    two in 2^-shift .. 2^shift, dense or sparse, relu / leaky hidden layers and any output."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dims = [draw(st.integers(1, 4)) for _ in range(draw(st.integers(2, 4)))]
    weights, biases = [], []
    for n, m in zip(dims[:-1], dims[1:]):
        rows = np.ldexp(1.0, rng.integers(-shift, shift + 1, m))
        w = rng.normal(0, 1, (m, n)) * 10.0 ** rng.uniform(-decades, decades, (m, n)) * (rng.random((m, n)) < 0.8)
        b = rng.normal(0, 1, m) * 10.0 ** rng.uniform(-decades, decades, m) * (rng.random(m) < 0.7)
        top = np.maximum(np.abs(w).max(axis=1), np.abs(b)) * rows
        rows = rows * power_of_two_scale(np.maximum(top / 1e19, 0.5))  # within the weight limit 1e20
        weights.append(w * rows[:, None])
        biases.append(b * rows)
    if draw(st.booleans()):
        weights = [sp.csr_matrix(w) for w in weights]
    hidden = [draw(st.sampled_from(["relu", "leaky_relu:0.1", "leaky_relu:0.375"])) for _ in dims[2:]]
    output = draw(st.sampled_from(["relu", "leaky_relu:0.2", "linear", "tanh", "sigmoid"]))
    net = ReluNetwork(weights, biases, activations=hidden + [output])
    zs = rng.normal(0, 1, (20, dims[0])) * 10.0 ** rng.uniform(-3, 3, (20, dims[0]))
    return net, zs


def dense(w) -> np.ndarray:
    return w.toarray() if sp.issparse(w) else np.asarray(w)


@given(scaled_networks())
def test_rescaling_keeps_every_pre_activation_up_to_its_power_of_two_exactly(case):
    """l1 / linf (no observation): hidden pre-activations scale by their row factors, the output
    layer is untouched, and G(z) is the same float64 array."""
    net, zs = case
    r = rescale(net, np.zeros(net.output_dim), None)
    assert r.observed is None and len(r.scales) == net.depth - 1
    assert r.network.activations == net.activations
    for before, after, s in zip(net.pre_activations(zs), r.network.pre_activations(zs), r.scales):
        np.testing.assert_array_equal(after, before * s)
    np.testing.assert_array_equal(r.network.forward(zs), net.forward(zs))
    for z in zs[:3]:  # one at a time too (a matrix-vector product)
        np.testing.assert_array_equal(r.network.forward(z), net.forward(z))


@given(scaled_networks())
def test_rescaling_with_an_observation_scales_the_output_rows_and_the_interval(case):
    """Exact norm: the output rows are scaled too, the network then ends in its pre-activations (a
    linear output) and the observed interval is scaled by the same factors: a point is observed
    in the rescaled network exactly when it is in the original."""
    net, zs = case
    a_out = net.pre_activations(zs)[-1]
    observed = (a_out.min(axis=0), a_out.max(axis=0))
    r = rescale(net, np.zeros(net.output_dim), observed)
    assert len(r.scales) == net.depth and r.network.activation(net.depth - 1).kind == "linear"
    s = r.scales[-1]
    np.testing.assert_array_equal(r.network.forward(zs), a_out * s)
    lo, hi = r.observed
    assert np.all(lo <= observed[0] * s) and np.all(hi >= observed[1] * s)
    assert np.all(lo >= observed[0] * s - 1e-300) and np.all(hi <= observed[1] * s + 1e-300)


@given(scaled_networks(decades=2, shift=8))
def test_row_factors_are_powers_of_two_that_bring_each_row_into_half_to_one(case):
    """On moderate networks every factor is a power of two and every scaled row's largest
    magnitude (weights and bias) lies in [1/2, 1), or is 0 (factor 1)."""
    net, _ = case
    r = rescale(net, np.zeros(net.output_dim), (np.zeros(net.output_dim), np.ones(net.output_dim)))
    for k, s in enumerate(r.scales):
        mantissa, _ = np.frexp(s)
        assert np.all(mantissa == 0.5)
        top = np.maximum(np.abs(dense(r.network.weights[k])).max(axis=1), np.abs(r.network.biases[k]))
        assert np.all(((top >= 0.5) & (top < 1.0)) | ((top == 0) & (s == 1.0)))


@pytest.mark.parametrize("observed", [False, True])
@given(case=scaled_networks(decades=12, shift=60))
def test_every_rescaled_weight_stays_normal_and_within_the_limit(observed, case):
    """Whatever the magnitudes (here 1e-12 .. 1e12 times 2^-60 .. 2^60 per row), every nonzero
    weight and bias of the rescaled network lies in [smallest normal float, 1e20]: no product is
    inexact and no weight is refused."""
    net, zs = case
    m = net.output_dim
    r = rescale(net, np.zeros(m), (np.zeros(m), np.ones(m)) if observed else None)
    for w, b in zip(r.network.weights, r.network.biases):
        values = np.abs(np.concatenate([dense(w).ravel(), b]))
        values = values[values != 0]
        assert np.all((values >= np.finfo(float).tiny) & (values <= MAX_MAGNITUDE))
    if not observed:
        np.testing.assert_array_equal(r.network.forward(zs), net.forward(zs))


def test_power_of_two_scale_by_hand():
    """2^-e with 2^(e-1) <= m < 2^e: 300 -> 2^-9, 0.75 -> 1, 1 -> 1/2, 0 -> 1."""
    np.testing.assert_array_equal(power_of_two_scale(np.array([300.0, 0.75, 1.0, 0.0])), [2.0**-9, 1.0, 0.5, 1.0])


@pytest.mark.parametrize(
    "weights, biases, zs",
    [
        ([[[1e20, 1e-300]], [[1.0]]], [[0.0], [0.0]], [[0.0, 1.0], [1e-10, 3.0]]),  # 1e-300 * 2^-67 is subnormal
        ([[[1e-300]], [[1e-10]]], [[0.0], [0.0]], [[1e10], [3e12]]),  # 1e-10 / 2^997 is subnormal
        ([[[1.0], [1e-300]], [[1e-10, 1e-10]]], [[0.0, 1e-300], [0.0]], [[1e10], [-2e12]]),
    ],
)
def test_rescaling_never_makes_a_weight_subnormal(weights, biases, zs):
    """A factor that would push a nonzero weight or bias below the smallest normal float (where
    products are no longer exact) is held back: the forward pass stays the same, bit for bit."""
    net = ReluNetwork(weights, biases, output_activation="linear")
    r = rescale(net, np.zeros(1), None)
    zs = np.array(zs)
    np.testing.assert_array_equal(r.network.forward(zs), net.forward(zs))
    for w, b in zip(r.network.weights, r.network.biases):
        values = np.concatenate([dense(w).ravel(), b])
        assert np.all((values == 0) | (np.abs(values) >= np.finfo(float).tiny))


def test_a_valid_network_is_not_refused_for_its_rescaled_output_layer():
    """l1 / linf leave the output rows unscaled, so the last hidden layer's factor divides the output
    columns: 1e18 / 2^-60 would exceed the weight limit 1e20 (the network was refused with 'W1:
    values up to 1.15e+36 exceed the limit'); the factor stops where the column stays within it."""
    net = ReluNetwork([[[1e18], [1.0]], [[1e18, 1.0]]], [[0.0, 0.0], [0.0]], output_activation="linear")
    r = rescale(net, np.zeros(1), None)
    zs = np.array([[0.5], [-0.25], [1e-3]])
    np.testing.assert_array_equal(r.network.forward(zs), net.forward(zs))
    assert np.abs(dense(r.network.weights[1])).max() <= 1e20


def test_a_subnormal_row_gets_a_finite_factor():
    """Review: a row whose largest magnitude is subnormal (5e-324) asked for the factor 2^1074, which
    overflowed to inf and the rescaled network was refused ('W0: contains NaN or inf')."""
    net = ReluNetwork([[[5e-324], [1.0]], [[0.0, 1.0]]], [[0.0, 0.0], [0.0]], output_activation="linear")
    r = rescale(net, np.zeros(1), None)
    assert all(np.isfinite(s).all() for s in r.scales)
    zs = np.array([[0.5], [-1.0], [1.0]])
    np.testing.assert_array_equal(r.network.forward(zs), net.forward(zs))
    res = invert(net, net.forward(np.array([0.5])), method="milp", norm="l1", box=1.0)
    assert res.status == "optimal" and res.residual_l1 <= 1e-12, res.summary()
