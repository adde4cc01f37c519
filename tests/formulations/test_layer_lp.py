"""One layer's LPs (formulations/layer_lp.py) by hand, solved by scipy.optimize.linprog."""

import numpy as np
import pytest
from helpers import linprog_model, satisfies

from milpinv.activation import LINEAR, RELU
from milpinv.formulations.blocks import Layer, OutputSpec, observation_interval
from milpinv.formulations.layer_lp import exact_layer_lp, noisy_layer_lp, slack_lp
from milpinv.problem import Box

W = np.array([[1.0, 1.0], [1.0, -1.0]])
B = np.zeros(2)
BOX = Box(np.zeros(2), np.ones(2))


@pytest.mark.parametrize(
    "y, feasible",
    [
        ([1.0, 0.5], True),  # h = (0.75, 0.25)
        ([0.0, 0.0], True),  # relu: h1 + h2 <= 0 and h1 - h2 <= 0 on [0, 1]^2: h = 0
        ([2.0, 0.0], True),  # (1, 1)
        ([2.5, 0.0], False),  # h1 + h2 = 2.5 is out of the box
        ([1.0, 1.5], False),  # h1 - h2 = 1.5 is out of the box
    ],
)
def test_exact_layer_lp_is_the_pre_image_of_relu_by_hand(y, feasible):
    """relu(W h) = y on [0, 1]^2: feasible exactly when a pre-image exists; the one found is one."""
    y = np.array(y)
    model = exact_layer_lp(Layer(W, B), *observation_interval(RELU, y), BOX)
    res = linprog_model(model)
    assert (res.status == 0) == feasible
    if feasible:
        np.testing.assert_allclose(np.maximum(W @ res.x + B, 0.0), y, atol=1e-9)
        assert satisfies(model, np.clip(res.x, *BOX), ulps=1e9)


def test_exact_layer_lp_accepts_the_pre_image_point_exactly():
    h = np.array([0.75, 0.25])
    y = np.maximum(W @ h, 0.0)
    assert satisfies(exact_layer_lp(Layer(W, B), *observation_interval(RELU, y), BOX), h)


def test_slack_lp_by_hand():
    """On {h1 + h2 = 1 (row 0 active), h in [0, 1]^2, G h <= g}: min G_0 h = min h1 - h2 with
    h1 <= 0.8 (row 1 of G): -1 at (0, 1); min G_1 h = min h1 = 0."""
    y = np.array([1.0, 0.0])
    active = np.array([True, False])
    G, g = np.array([[1.0, -1.0], [1.0, 0.0]]), np.array([0.0, 0.8])
    for i, want in ((0, -1.0), (1, 0.0)):
        res = linprog_model(slack_lp(Layer(W, B), y, active, (G, g), i, BOX))
        assert res.status == 0 and res.fun == pytest.approx(want, abs=1e-9)


@pytest.mark.parametrize(
    "norm, active, relu, y, want",
    [
        ("linf", [True, True], False, [1.0, 4.0], 2.0 / 3.0),  # min max(|h - 1|, |2h - 4|): h = 5/3
        ("l1", [True, True], False, [1.0, 4.0], 1.0),  # min |h - 1| + |2h - 4|: h = 2
        ("linf", [True, False], True, [1.0, 4.0], 0.0),  # row 1 one-sided: 2h - 4 <= t, h = 1
        ("l1", [True, False], True, [1.0, 4.0], 0.0),
        ("l1", [True, False], True, [1.0, -3.0], 4.0),  # relu floor e_1 >= 3, e_1 >= 2h + 3: h = 0
        ("linf", [True, False], True, [1.0, -3.0], 3.0),  # t >= max(0, -min y) = 3, |h - 1| <= 3 at h = 0
        ("linf", [False, False], False, [-1.0, -3.0], 0.0),  # plain: no floor, both rows one-sided
    ],
)
def test_noisy_layer_lp_by_hand(norm, active, relu, y, want):
    """y ~ (h, 2 h) for h in [-10, 10], with the rows ``active`` two-sided, the others one-sided."""
    Wn = np.array([[1.0], [2.0]])
    box = Box(np.array([-10.0]), np.array([10.0]))
    reach = (np.array([-10.0, -20.0]), np.array([10.0, 20.0]))
    model = noisy_layer_lp(
        Layer(Wn, np.zeros(2), RELU if relu else LINEAR), OutputSpec(y, norm), np.array(active), box, reach
    )
    res = linprog_model(model)
    assert res.status == 0 and res.fun == pytest.approx(want, abs=1e-9)
