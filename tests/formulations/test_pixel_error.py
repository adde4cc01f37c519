"""Lines under a smooth output's pixel error: valid on their interval, tight where they should be,
and rows every point of the network satisfies."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import brentq

from milpinv import ReluNetwork
from milpinv.activation import Activation
from milpinv.formulations.pixel_error import error, floors, slopes, stationary
from milpinv.milp.build import build_model
from milpinv.norm import Norm
from milpinv.problem import Box, Problem
from tests.helpers import satisfies

KINDS = ["tanh", "sigmoid"]


def critical_points(act: Activation, c: float, lo: float, hi: float) -> list[float]:
    """Where act'(a) = |c| in [lo, hi], by root finding on act' itself (act' rises up to 0 and
    falls after: one root either side), apart from the module's closed form."""
    q, points = abs(c), []
    f = lambda a: float(act.derivative(np.array(a))) - q  # noqa: E731
    for a, b in ((max(lo, -60.0), min(hi, 0.0)), (max(lo, 0.0), min(hi, 60.0))):
        if a < b and f(a) * f(b) < 0:
            points.append(brentq(f, a, b, xtol=1e-15, rtol=1e-15))
    return points


def assert_below(act: Activation, x: float, lo: float, hi: float, c: np.ndarray, d: np.ndarray) -> None:
    """Every line c a + d at or below e on a fine grid of [lo, hi], at a*, at the ends and at
    every stationary point of e - c a, all in float64."""
    grid = np.linspace(lo, hi, 20001)
    extra = [lo, hi, float(np.clip(act.inverse(np.array(x)), lo, hi))]
    for ck, dk in zip(c, d):
        a = np.concatenate([grid, extra, critical_points(act, ck, lo, hi)])
        gap = error(act, a, x) - (ck * a + dk)
        assert gap.min() >= 0.0, (ck, dk, a[np.argmin(gap)], gap.min())


@given(
    kind=st.sampled_from(KINDS),
    x=st.floats(-1.2, 1.2),
    lo=st.floats(-40.0, 40.0),
    width=st.floats(1e-6, 60.0),
    extra=st.lists(st.floats(-2.0, 2.0), max_size=4),
    tiny=st.floats(1e-30, 1e-11),
)
def test_every_line_lies_below_the_error_on_its_interval(kind, x, lo, width, extra, tiny):
    act = Activation.parse(kind)
    if kind == "sigmoid":
        x = (x + 1.2) / 2.4  # around sigmoid's range [0, 1], and a little beyond
    hi = lo + width
    c = np.concatenate([slopes(act, np.array([x]), np.array([lo]), np.array([hi]))[0], extra, [tiny, -tiny]])
    d = floors(act, np.array([x]), np.array([lo]), np.array([hi]), c[None, :])[0]
    assert_below(act, x, lo, hi, c, d)


@given(kind=st.sampled_from(KINDS), x=st.floats(0.02, 0.98), lo=st.floats(-8.0, 8.0), width=st.floats(0.0, 10.0))
def test_the_flat_line_is_the_exact_minimum_of_the_error(kind, x, lo, width):
    """d(0) = min over [lo, hi] of |act(a) - x|: 0 if a* is inside, else the nearer end's error."""
    act = Activation.parse(kind)
    x = 2 * x - 1 if kind == "tanh" else x
    hi = lo + width
    exact = max(float(act(np.array(lo))) - x, x - float(act(np.array(hi))), 0.0)
    d = floors(act, np.array([x]), np.array([lo]), np.array([hi]), np.zeros((1, 1)))[0, 0]
    assert exact - 1e-14 <= d <= exact


@pytest.mark.parametrize("kind", KINDS)
def test_stationary_points_solve_act_prime_equals_q(kind):
    act = Activation.parse(kind)
    top = float(act.derivative(np.array(0.0)))
    q = np.array([top * 0.999, 0.5 * top, 1e-3, 1e-9, 2 * top])
    down, up = stationary(act, q)
    ok = q <= top
    np.testing.assert_allclose(act.derivative(up[ok]), q[ok], rtol=1e-6)
    np.testing.assert_allclose(act.derivative(down[ok]), q[ok], rtol=1e-6)
    assert np.all(up[ok] > 0) and np.all(down[ok] < 0) and np.isnan(up[~ok]).all()


@pytest.mark.parametrize("kind", KINDS)
def test_the_lines_touch_the_error_where_it_is_convex(kind):
    """Between a* < 0 and 0 the error act(a) - x is convex: its tangent there is a line of the
    family, touching e."""
    act = Activation.parse(kind)
    x = np.array([-0.6 if kind == "tanh" else 0.3])
    lo, hi = np.array([-3.0]), np.array([0.0])
    star = float(act.inverse(x)[0])
    a = star + 0.3
    c = np.concatenate([slopes(act, x, lo, hi), [[float(act.derivative(np.array(a)))]]], axis=1)
    d = floors(act, x, lo, hi, c)[0]
    assert float(error(act, np.array(a), x[0])) - max(c[0] * a + d) < 1e-12
    assert max(c[0] * star + d) > -1e-12  # the envelope reaches 0 at a*


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("norm", ["l1", "linf"])
def test_every_point_of_the_network_satisfies_the_pixel_rows(kind, norm):
    """The model with its error columns set to the forward pass's pixel errors is feasible: the
    rows cut off no point of the network (their coefficients' rounding pushed the safe way)."""
    rng = np.random.default_rng(5)
    for seed in range(4):
        net = ReluNetwork.random([2, 6, 5, 7], seed=seed, output_activation=kind)
        x = rng.uniform(*act_range(kind), size=7)
        lower, upper = -np.ones(2), np.ones(2)
        form, _ = build_model(Problem.of(net, x, Norm.parse(norm), Box(lower, upper)))
        assert form.model.row_blocks["pixel"].stop > form.model.row_blocks["pixel"].start
        for z in rng.uniform(lower, upper, size=(200, 2)):
            assert satisfies(form.model, form.complete(z, x), ulps=2.0), z


def act_range(kind: str) -> tuple[float, float]:
    return (-0.95, 0.95) if kind == "tanh" else (0.05, 0.95)
