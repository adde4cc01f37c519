"""The shared constraint blocks (formulations/blocks.py), each on a tiny case by hand: loosen,
stability, the observation interval of every activation, interval rows, the l1 / linf error
epigraph (solved by scipy.optimize.linprog), the selector."""

from fractions import Fraction

import numpy as np
import pytest
from helpers import act_numpy, linprog_model
from hypothesis import given
from hypothesis import strategies as st

from milpinv.activation import Activation
from milpinv.formulations.blocks import (
    Layer,
    Linear,
    OutputSpec,
    error_epigraph,
    interval_rows,
    loosen,
    observation_interval,
    observation_rows,
    selector,
    stability,
)
from milpinv.solvers.matrix import ModelBuilder

finite_floats = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)


@given(finite_floats, finite_floats, finite_floats)
def test_loosen_covers_the_rounding_of_a_difference_and_a_sum(a, b, c):
    """A right-hand side a - b (or a + b - c) computed in float64, loosened by the magnitude of its
    terms, contains the exact value."""
    for value, exact, size in (
        (a - b, Fraction(a) - Fraction(b), abs(a) + abs(b)),
        (a + b - c, Fraction(a) + Fraction(b) - Fraction(c), abs(a) + abs(b) + abs(c)),
    ):
        lo, hi = loosen(np.array([value]), np.array([value]), np.array([size]))
        assert Fraction(lo[0]) <= exact <= Fraction(hi[0])


def test_loosen_moves_a_zero_bound_by_the_smallest_normal_only():
    lo, hi = loosen(np.zeros(1), np.zeros(1), np.zeros(1))
    assert lo[0] == -np.finfo(float).tiny and hi[0] == np.finfo(float).tiny


def test_stability_at_the_edges():
    """lo >= 0 active, hi <= 0 inactive (a neuron pinned at 0 counts as inactive), else unstable."""
    lo = np.array([0.0, -1.0, 0.0, -1.0, 2.0])
    hi = np.array([1.0, 0.0, 0.0, 1.0, 3.0])
    active, inactive, unstable = stability([(lo, hi)], 0)
    assert active.tolist() == [True, False, False, False, True]
    assert inactive.tolist() == [False, True, True, False, False]
    assert unstable.tolist() == [False, False, False, True, False]


@pytest.mark.parametrize(
    "kind, x, want",
    [
        ("relu", [2.0, 0.0], ([2.0, -np.inf], [2.0, 0.0])),
        ("linear", [-3.0, 0.5], ([-3.0, 0.5], [-3.0, 0.5])),
        ("leaky_relu:0.25", [-1.0, 2.0], ([-4.0, 2.0], [-4.0, 2.0])),
        ("tanh", [0.5, np.tanh(-1.0)], ([np.arctanh(0.5), -1.0], [np.arctanh(0.5), -1.0])),
        ("sigmoid", [0.5, 0.75], ([0.0, np.log(3.0)], [0.0, np.log(3.0)])),
    ],
)
def test_observation_interval_of_a_point_by_hand(kind, x, want):
    """The pre-image of the point x: exact for relu and linear, a few ulps wide otherwise."""
    lo, hi = observation_interval(Activation.parse(kind), np.array(x))
    if kind in ("relu", "linear"):
        assert lo.tolist() == want[0] and hi.tolist() == want[1]
        return
    assert np.all(lo <= want[0]) and np.all(hi >= want[1])
    np.testing.assert_allclose(lo, want[0], atol=1e-14)
    np.testing.assert_allclose(hi, want[1], atol=1e-14)


def test_observation_interval_with_a_band_by_hand():
    """relu with band 0.1: x = 2 gives [1.9, 2.1], x = 0.05 (within the band of 0) gives a <= 0.15;
    tanh: a side beyond the range is open; sigmoid likewise."""
    lo, hi = observation_interval(Activation.parse("relu"), np.array([2.0, 0.05]), 0.1)
    np.testing.assert_allclose([lo[0], hi[0], hi[1]], [1.9, 2.1, 0.15], atol=1e-14)
    assert lo[1] == -np.inf and lo[0] <= 1.9 and hi[0] >= 2.1 and hi[1] >= 0.15
    lo, hi = observation_interval(Activation.parse("tanh"), np.array([0.95, -0.95]), 0.1)
    assert hi[0] == np.inf and lo[1] == -np.inf
    np.testing.assert_allclose([lo[0], hi[1]], [np.arctanh(0.85), np.arctanh(-0.85)], atol=1e-13)
    lo, hi = observation_interval(Activation.parse("sigmoid"), np.array([0.02, 0.5]), 0.05)
    assert lo[0] == -np.inf and np.isfinite(hi[0]) and np.all(np.isfinite([lo[1], hi[1]]))


@pytest.mark.parametrize("kind", ["relu", "linear", "leaky_relu:0.2", "tanh", "sigmoid"])
@given(st.floats(-3, 3), st.sampled_from([0.0, 1e-6, 1e-2, 0.3]), st.integers(0, 2**32 - 1))
def test_observation_interval_contains_every_pre_activation_observed_within_the_band(kind, a0, band, seed):
    """x = act(a0): every a with |act(a) - x| <= band (sampled near a0) lies in the interval."""
    act = Activation.parse(kind)
    x = act_numpy(act.kind, act.low_slope, np.array([a0]))
    lo, hi = observation_interval(act, x, band)
    assert lo[0] <= a0 <= hi[0]
    rng = np.random.default_rng(seed)
    a = a0 + rng.normal(0, max(band, 1e-9) * 10, 200)
    seen = np.abs(act_numpy(act.kind, act.low_slope, a) - x[0]) <= band
    assert np.all((lo[0] <= a[seen]) & (a[seen] <= hi[0]))


def test_interval_rows_leave_out_infinite_sides_and_empty_rows():
    """lo <= W v + b <= hi: row 0 two-sided, row 1 only <=, row 2 no side (not written)."""
    mb = ModelBuilder()
    v = mb.add_vars("v", 2, -1.0, 1.0)
    W, b = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([1.0, -1.0, 0.0])
    interval_rows(mb, "r", Linear([(v, W)], b), np.array([0.0, -np.inf, -np.inf]), np.array([2.0, 5.0, np.inf]))
    m = mb.build()
    assert m.num_rows == 2
    np.testing.assert_array_equal(m.A.toarray(), W[:2])
    np.testing.assert_allclose(m.row_lower, [-1.0, -np.inf], atol=1e-14)
    np.testing.assert_allclose(m.row_upper, [1.0, 6.0], atol=1e-14)
    assert m.row_lower[0] <= -1.0 and m.row_upper[0] >= 1.0 and m.row_upper[1] >= 6.0


def test_observation_rows_pin_a_linear_layer():
    """h1 + h2 = 1, h1 - h2 = 0.5 (observation rows) over [0, 1]^2: the one point (0.75, 0.25)."""
    mb = ModelBuilder()
    h = mb.add_vars("h", 2, 0.0, 1.0)
    layer = Layer(np.array([[1.0, 1.0], [1.0, -1.0]]), np.zeros(2))
    observation_rows(mb, layer.on(h), np.array([1.0, 0.5]), np.array([1.0, 0.5]))
    m = mb.build()
    for c in ([1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]):
        res = linprog_model(m, np.array(c))
        assert res.status == 0
        np.testing.assert_allclose(res.x, [0.75, 0.25], atol=1e-9)


def epigraph_model(norm, y_fixed, x, lower=0.0, two_sided=None):
    """Variables y (fixed by their bounds) and the error epigraph of y + const against x."""
    mb = ModelBuilder()
    y = mb.add_vars("y", len(y_fixed), y_fixed, y_fixed)
    const = np.array([0.5] * len(y_fixed))
    e = error_epigraph(
        mb, Linear([(y, np.eye(len(y_fixed)))], const), OutputSpec(x, norm), lower=lower, two_sided=two_sided
    )
    return mb.build(), e


@pytest.mark.parametrize(
    "norm, two_sided, lower, want",
    [
        ("l1", None, 0.0, 1.5 + 2.0 + 0.0),  # |y + 0.5 - x| = |1.5|, |-2|, |0|
        ("linf", None, 0.0, 2.0),
        ("l1", np.array([True, False, True]), 0.0, 1.5 + 0.0 + 0.0),  # row 1 keeps y - x <= e only
        ("linf", np.array([False, False, False]), 0.0, 1.5),
        ("l1", None, np.array([0.0, 0.0, 0.7]), 1.5 + 2.0 + 0.7),  # a floor on e_2
        ("linf", None, np.array([0.0, 3.0, 0.0]), 3.0),  # linf: t >= the largest floor
    ],
)
def test_error_epigraph_by_hand(norm, two_sided, lower, want):
    """y = (1, -1, 2), const 0.5, x = (0, 1.5, 2.5): the residuals are 1.5, -2, 0."""
    m, e = epigraph_model(norm, [1.0, -1.0, 2.0], [0.0, 1.5, 2.5], lower, two_sided)
    assert (e.stop - e.start) == (3 if norm == "l1" else 1)
    res = linprog_model(m)
    assert res.status == 0 and res.fun == pytest.approx(want, abs=1e-12)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=4), st.integers(0, 2**32 - 1))
def test_error_epigraph_value_is_the_norm(ys, seed):
    """For any fixed y, min sum e = ||y + const - x||_1 and min t = ||y + const - x||_inf."""
    x = np.random.default_rng(seed).normal(0, 100, len(ys))
    r = np.array(ys) + 0.5 - x
    for norm, want in (("l1", np.abs(r).sum()), ("linf", np.abs(r).max())):
        m, _ = epigraph_model(norm, ys, x)
        res = linprog_model(m)
        assert res.status == 0 and res.fun == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_selector_by_hand():
    """Pick indices 2 and 0 out of 4 columns, directly or through a position map."""
    assert selector([2, 0], 4).toarray().tolist() == [[0, 0, 1, 0], [1, 0, 0, 0]]
    assert selector([7, 3], 2, {7: 1, 3: 0}).toarray().tolist() == [[0, 1], [1, 0]]
    assert selector([], 3).shape == (0, 3)
