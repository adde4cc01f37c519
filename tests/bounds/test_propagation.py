"""Forward-backward propagation (bounds/propagation.py): answers by hand, an empty interval only
when no point exists, and every point that meets the observation inside the propagated bounds."""

import numpy as np
import pytest
from helpers import layer_values
from hypothesis import given
from hypothesis import strategies as st
from test_interval import networks, sample_box

from milpinv import ReluNetwork
from milpinv.bounds.interval import interval_bounds
from milpinv.bounds.propagation import dense_input_bounds, input_bounds, propagate_bounds
from milpinv.problem import Box

ABS = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])  # |z| = relu(z) + relu(-z)


def observe_abs(value: float, box: float = 3.0):
    bounds = interval_bounds(ABS, -box * np.ones(1), box * np.ones(1))
    v = np.array([value])
    return propagate_bounds(ABS, bounds, Box.around(1, box), (v, v))


def test_observing_abs_z_shrinks_the_box_to_the_observed_value():
    """|z| = 0.5 on [-3, 3]: z in [-0.5, 0.5], both hidden pre-activations in [-0.5, 0.5]."""
    out = observe_abs(0.5)
    assert not out.empty
    assert out.z_lower[0] == pytest.approx(-0.5, abs=1e-14) and out.z_upper[0] == pytest.approx(0.5, abs=1e-14)
    assert out.z_lower[0] <= -0.5 and out.z_upper[0] >= 0.5  # rounded outward, never inward
    lo, hi = out.bounds[0]
    np.testing.assert_allclose(lo, [-0.5, -0.5], atol=1e-14)
    np.testing.assert_allclose(hi, [0.5, 0.5], atol=1e-14)


def test_an_unreachable_observation_is_proven_empty():
    """|z| = 5 lies within the interval [0, 6] of the output, but relu(z) + relu(-z) = 5 with both
    terms at most 3 forces z >= 2 and -z >= 2: no point, and propagation says so."""
    assert observe_abs(5.0).empty


@pytest.mark.parametrize("value", [0.0, 1.0, 2.999, 3.0, 6.0])
def test_reachable_observations_of_abs_are_never_empty(value):
    """|z| = v on [-3, 3] has a point for v <= 3 (never empty) and none for v = 6."""
    assert observe_abs(value).empty == (value > 3.0)


def test_an_inactive_observation_makes_the_hidden_neurons_inactive():
    """relu(z1) + relu(z2) = 0 (observed as a pre-activation <= 0) forces z1, z2 <= 0."""
    net = ReluNetwork([np.eye(2), [[1.0, 1.0]]], [np.zeros(2), [0.0]])
    lower, upper = -np.ones(2), np.ones(2)
    out = propagate_bounds(
        net, interval_bounds(net, lower, upper), Box(lower, upper), (np.array([-np.inf]), np.zeros(1))
    )
    assert not out.empty
    assert np.all(out.z_upper <= 1e-14) and np.all(out.z_upper >= 0.0)
    assert np.all(out.bounds[0][1] <= 1e-14)


def test_input_bounds_of_one_row_by_hand():
    """h1 + 2 h2 = 3 with h in [0, 1]^2: h1 >= 1, h2 >= 1, h1 <= 3, h2 <= 1.5; a column that no row
    reads stays unbounded."""
    W = np.array([[1.0, 2.0, 0.0]])
    rows, cols = np.nonzero(W)
    nl, nu = input_bounds(
        (rows, cols, W[rows, cols]), W.shape, np.zeros(1), (np.array([3.0]), np.array([3.0])), (np.zeros(3), np.ones(3))
    )
    np.testing.assert_allclose(nl[:2], [1.0, 1.0], atol=1e-14)
    np.testing.assert_allclose(nu[:2], [3.0, 1.5], atol=1e-14)
    assert np.all(nl[:2] <= [1.0, 1.0]) and np.all(nu[:2] >= [3.0, 1.5])
    assert nl[2] == -np.inf and nu[2] == np.inf


def test_input_bounds_of_a_negative_weight_and_a_bias_by_hand():
    """-2 h + 1 in [-3, 5], h in [-10, 10]: h in [-2, 2]."""
    nl, nu = input_bounds(
        (np.array([0]), np.array([0]), np.array([-2.0])),
        (1, 1),
        np.array([1.0]),
        (np.array([-3.0]), np.array([5.0])),
        (np.array([-10.0]), np.array([10.0])),
    )
    assert nl[0] == pytest.approx(-2.0, abs=1e-14) and nu[0] == pytest.approx(2.0, abs=1e-14)
    assert nl[0] <= -2.0 and nu[0] >= 2.0


def _side(rng, size: int, e: int) -> tuple[np.ndarray, np.ndarray]:
    """Interval ends of magnitudes 10^-e .. 10^e, some equal, some infinite, some zero."""
    lo = rng.choice([-1.0, 1.0], size) * 10.0 ** rng.uniform(-e, e, size) * (rng.random(size) < 0.9)
    hi = lo + 10.0 ** rng.uniform(-e, e, size) * (rng.random(size) < 0.8)
    lo[rng.random(size) < 0.1], hi[rng.random(size) < 0.1] = -np.inf, np.inf
    return lo, hi


@given(st.integers(0, 2**32 - 1), st.integers(1, 30), st.integers(1, 30), st.integers(0, 6))
def test_a_dense_layer_reduces_columns_exactly_as_the_scatter_does(seed, m, n, e):
    """A W with no zero entry: :func:`dense_input_bounds` on W^T gives input_bounds's very bits
    (signs of zero included) on any rows and inputs, infinite ends and empty intervals too."""
    rng = np.random.default_rng(seed)
    W = rng.choice([-1.0, 1.0], (m, n)) * 10.0 ** rng.uniform(-e, e, (m, n))
    b = rng.choice([-1.0, 1.0], m) * 10.0 ** rng.uniform(-e, e, m) * (rng.random(m) < 0.8)
    rows, inputs = _side(rng, m, e), _side(rng, n, e)
    i, j = np.nonzero(W)
    scattered = input_bounds((i, j, W[i, j]), W.shape, b, rows, inputs)
    reduced = dense_input_bounds(np.ascontiguousarray(W.T), b, rows, inputs)
    for got, want in zip(reduced, scattered):
        assert got.tobytes() == want.tobytes(), (got, want)


# ------------------------------------------------------------------ random networks, sampled pre-images
@given(networks(max_exponent=4), st.floats(0.0, 1.0), st.integers(0, 3))
def test_every_point_meeting_the_observation_lies_in_the_propagated_bounds(case, width, passes):
    """Observe the output pre-activations of a sampled z0 within a band: z0, and every sampled z
    whose output meets the band, lies in the propagated latent box and layer bounds; the
    propagated bounds are no looser than the interval bounds."""
    net, lower, upper, rng = case
    zs = sample_box(rng, lower, upper, 100)
    z0 = zs[rng.integers(len(zs))]
    a_out = layer_values(net, z0)[-1][0]
    band = 1e-9 * (1 + np.abs(a_out)) + width * np.abs(a_out)
    out_lo, out_hi = a_out - band, a_out + band
    bounds = interval_bounds(net, lower, upper)
    out = propagate_bounds(net, bounds, Box(lower, upper), (out_lo, out_hi), passes=passes)
    assert not out.empty
    assert np.all(lower <= out.z_lower) and np.all(out.z_upper <= upper)
    for (lo, hi), (plo, phi) in zip(bounds, out.bounds):
        assert np.all(lo <= plo) and np.all(phi <= hi)
    for z in zs:
        values = layer_values(net, z)
        if not np.all((out_lo <= values[-1][0]) & (values[-1][0] <= out_hi)):
            continue
        assert np.all(out.z_lower <= z) and np.all(z <= out.z_upper), (z, out.z_lower, out.z_upper)
        for k, ((a, _), (lo, hi)) in enumerate(zip(values, out.bounds)):
            assert np.all(lo <= a) and np.all(a <= hi), (k, a, lo, hi)


@given(networks(max_exponent=2))
def test_random_observations_empty_only_without_points_and_sound_otherwise(case):
    """Observe a random sub-interval of each output's sampled range: an empty verdict comes only
    when no sampled point meets the observation; otherwise every point that does lies inside."""
    net, lower, upper, rng = case
    zs = sample_box(rng, lower, upper, 300)
    values = [layer_values(net, z) for z in zs]
    outs = np.array([v[-1][0] for v in values])
    ends = np.sort(rng.uniform(outs.min(axis=0), outs.max(axis=0), (2, outs.shape[1])), axis=0)
    out = propagate_bounds(net, interval_bounds(net, lower, upper), Box(lower, upper), (ends[0], ends[1]))
    meets = np.all((ends[0] <= outs) & (outs <= ends[1]), axis=1)
    if out.empty:
        assert not meets.any()
        return
    for z, v in zip(zs[meets], [v for v, m in zip(values, meets) if m]):
        assert np.all(out.z_lower <= z) and np.all(z <= out.z_upper)
        assert all(np.all(lo <= a) and np.all(a <= hi) for (a, _), (lo, hi) in zip(v, out.bounds))
