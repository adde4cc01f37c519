"""The triangle relaxation (formulations/relaxation.py): it contains the graph (every sampled
point meets every row), its triangle is the convex hull of one neuron by hand, and it equals the
LP relaxation of the big-M model (same optimum in random directions, scipy.optimize.linprog)."""

import numpy as np
import pytest
from helpers import layer_values, linprog_model, satisfies
from hypothesis import given
from hypothesis import strategies as st
from test_bigm_graph import LOWER, UPPER, tiny

from milpinv import ReluNetwork
from milpinv.bounds.interval import interval_bounds
from milpinv.formulations.bigm import build_formulation
from milpinv.formulations.blocks import OutputSpec, observation_interval
from milpinv.formulations.relaxation import relaxation
from milpinv.problem import Box


def relaxation_point(model, blocks, net: ReluNetwork, z: np.ndarray) -> np.ndarray:
    """z and every hidden layer's values (all neurons) from a numpy forward pass."""
    v = np.zeros(model.num_vars)
    v[blocks[0]] = z
    for (_, h), block in zip(layer_values(net, z), blocks[1:]):
        v[block] = h
    return v


@pytest.mark.parametrize("kind, slope", [("relu", 0.0), ("leaky_relu:0.25", 0.25)])
def test_one_neuron_triangle_by_hand(kind, slope):
    """act(z) on z in [-1, 2]: the triangle h >= z, h >= s z, h <= s lo + (2 - s lo)(z + 1) / 3;
    at a fixed z the largest h is the chord, the least act(z)."""
    net = ReluNetwork([[[1.0]], [[1.0]]], [[0.0], [0.0]], activations=[kind, "linear"])
    lower, upper = np.array([-1.0]), np.array([2.0])
    bounds = interval_bounds(net, lower, upper)
    model, blocks = relaxation(net, Box(lower, upper), bounds)
    z, h = blocks[0].start, blocks[1].start
    for zv in np.linspace(-1.0, 2.0, 13):
        chord = -slope + (2.0 + slope) * (zv + 1.0) / 3.0
        for sense, want in ((1.0, max(zv, slope * zv)), (-1.0, chord)):
            c = np.zeros(model.num_vars)
            c[h] = sense
            res = linprog_model(model, c, {z: zv})
            assert res.status == 0 and res.x[h] == pytest.approx(want, abs=1e-9)


def test_stable_neurons_are_exact_in_the_relaxation():
    """An always active neuron is h = a, an always inactive one h = s a (0 for relu)."""
    W = np.array([[1.0, 1.0], [1.0, -1.0]])
    for hidden, slope in (("relu", 0.0), ("leaky_relu:0.5", 0.5)):
        net = ReluNetwork([W, np.ones((1, 2))], [np.array([5.0, -5.0]), np.zeros(1)], activations=[hidden, "linear"])
        model, blocks = relaxation(net, Box(LOWER, UPPER), interval_bounds(net, LOWER, UPPER))
        for zv in ([0.3, -0.2], [-1.0, 1.0]):
            for sense in (1.0, -1.0):
                c = np.zeros(model.num_vars)
                c[blocks[1]] = sense
                fixed = dict(zip(range(blocks[0].start, blocks[0].stop), zv))
                res = linprog_model(model, c, fixed)
                a = W @ np.array(zv) + [5.0, -5.0]
                np.testing.assert_allclose(res.x[blocks[1]], [a[0], slope * a[1]], atol=1e-9)


@pytest.mark.parametrize("norm", ["exact", "l1"])
@given(data=st.data())
def test_the_relaxation_contains_every_sampled_point_of_the_graph(norm, data):
    """Every sampled z of the box (with the exact norm: the pre-image point z0, with the observation
    rows) meets every row of the relaxation."""
    net, z0, x, rng = data.draw(tiny(norm))
    bounds = interval_bounds(net, LOWER, UPPER)
    observed = None
    if norm == "exact":
        observed = observation_interval(net.activation(net.depth - 1), x, 1e-6 * max(1.0, np.abs(x).max()))
    model, blocks = relaxation(net, Box(LOWER, UPPER), bounds, observed)
    zs = [z0] if norm == "exact" else [z0, *rng.uniform(LOWER, UPPER, (100, 2))]
    for z in zs:
        assert satisfies(model, relaxation_point(model, blocks, net, z))


@given(tiny("l1"))
def test_the_relaxation_is_the_lp_relaxation_of_the_big_m_model(case):
    """With the same bounds, min c (z, h) over the relaxation equals min c (z, h) over the big-M
    model with its binaries relaxed to [0, 1] (the big-M rows of one neuron project onto its
    triangle), for random c on z and the kept neurons."""
    net, _, x, rng = case
    bounds = interval_bounds(net, LOWER, UPPER)
    model, blocks = relaxation(net, Box(LOWER, UPPER), bounds)
    form = build_formulation(net, OutputSpec(x, "l1"), Box(LOWER, UPPER), bounds)
    for _ in range(4):
        c_relax, c_bigm = np.zeros(model.num_vars), np.zeros(form.model.num_vars)
        cz = rng.normal(0, 1, 2)
        c_relax[blocks[0]], c_bigm[form.model.blocks["z"]] = cz, cz
        for block, lv in zip(blocks[1:], form.layers):
            ch = rng.normal(0, 1, lv.kept.size)
            c_relax[block.start + lv.kept] = ch
            c_bigm[lv.h] = ch
        ours, theirs = linprog_model(model, c_relax), linprog_model(form.model, c_bigm)
        assert ours.status == theirs.status == 0
        assert ours.fun == pytest.approx(theirs.fun, abs=1e-7)
