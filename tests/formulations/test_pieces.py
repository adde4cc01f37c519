"""Linear pieces (formulations/pieces.py): the affine maps agree with the forward pass on their
piece, and the LP of one piece (exact, gap, l1, linf) is right by hand and contains its points."""

import numpy as np
import pytest
from helpers import layer_values, linprog_model, satisfies
from hypothesis import given
from hypothesis import strategies as st
from test_bigm_graph import LOWER, UPPER, tiny

from milpinv import ReluNetwork
from milpinv.formulations.blocks import OutputSpec
from milpinv.formulations.pieces import affine_maps, pattern_of, piece_model
from milpinv.problem import Box


def test_pattern_and_affine_maps_by_hand():
    """G(z) = relu(z1 - z2) then 2 h + 1 (linear): at z = (1, 0.25) the hidden neuron is on,
    a0 = z1 - z2, a1 = 2 z1 - 2 z2 + 1; at (0, 1) it is off and a1 = 1 (leaky 0.5: z1 - z2 + 1)."""
    for hidden, slope in (("relu", 0.0), ("leaky_relu:0.5", 0.5)):
        net = ReluNetwork([[[1.0, -1.0]], [[2.0]]], [[0.0], [1.0]], activations=[hidden, "linear"])
        on = pattern_of(net, np.array([1.0, 0.25]))
        assert [p.tolist() for p in on] == [[True], [True]]  # no kink at the output: all True
        (P0, q0), (P1, q1) = affine_maps(net, on)
        assert P0.tolist() == [[1.0, -1.0]] and q0.tolist() == [0.0]
        assert P1.tolist() == [[2.0, -2.0]] and q1.tolist() == [1.0]
        off = pattern_of(net, np.array([0.0, 1.0]))
        assert off[0].tolist() == [False]
        _, (P1, q1) = affine_maps(net, off)
        assert P1.tolist() == [[2.0 * slope, -2.0 * slope]] and q1.tolist() == [1.0]


@given(tiny("l1"))
def test_affine_maps_are_the_pre_activations_on_the_piece(case):
    """For sampled z, P_k z + q_k with z's own pattern is every pre-activation of the forward pass."""
    net, _, _, rng = case
    for z in rng.uniform(LOWER, UPPER, (30, 2)):
        maps = affine_maps(net, pattern_of(net, z))
        for (P, q), (a, _) in zip(maps, layer_values(net, z)):
            np.testing.assert_allclose(P @ z + q, a, atol=1e-12 * (1 + np.abs(a).max()))


@pytest.mark.parametrize("norm", ["exact", "gap", "l1", "linf"])
@given(data=st.data())
def test_a_point_of_the_piece_meets_its_model(norm, data):
    """z0 with its own pattern: the exact and gap models hold z0 when x = G(z0) (gap value <= 0);
    the l1 / linf model holds z0 with its error, and its optimum is at most that error and is the
    error of its own point (the piece's map is G there)."""
    exact = norm in ("exact", "gap")
    net, z0, x, _ = data.draw(tiny("exact" if exact else norm))
    pattern = pattern_of(net, z0)
    spec = OutputSpec(x, "exact" if exact else norm, band=1e-6 if exact else 0.0)
    model = piece_model(net, pattern, spec, Box(LOWER, UPPER), nearest=norm == "gap")
    v = np.zeros(model.num_vars)
    v[model.blocks["z"]] = z0
    err = np.abs(net.forward(z0) - x)
    if norm == "l1":
        v[model.blocks["e"]] = err
    if norm == "linf":
        v[model.blocks["t"]] = err.max()
    if norm == "gap":
        v[model.blocks["t"]] = 0.0
    assert satisfies(model, v)
    res = linprog_model(model)
    assert res.status == 0
    if norm == "gap":
        assert res.fun <= 1e-9
    if norm in ("l1", "linf"):
        z = model.value(res.x, "z")
        got = np.abs(net.forward(z) - x)
        assert res.fun <= (err.sum() if norm == "l1" else err.max()) + 1e-9
        assert res.fun == pytest.approx(got.sum() if norm == "l1" else got.max(), abs=1e-7)


def one_dim():
    """G(z) = (h - 2, 2 - h), h = relu(z1 + 2) = z1 + 2 on the box: G(z) = (z1, -z1)."""
    return ReluNetwork([[[1.0, 0.0]], [[1.0], [-1.0]]], [[2.0], [-2.0, 2.0]], activations=["relu", "linear"])


@pytest.mark.parametrize(
    "norm, x, want",
    [
        ("l1", [2.0, 0.0], 2.0),  # G = (z1, -z1) on the active piece z1 >= -2; |z1 - 2| + |z1| over [-1, 1]
        ("linf", [2.0, 0.0], 1.0),  # max(|z1 - 2|, |z1|): z1 = 1
        ("gap", [3.0, -3.0], 2.0),  # z1 = 3 is 2 beyond the box: the gap to the interval
        ("gap", [0.5, -0.5], 0.0),  # inside: t <= 0 reaches down to the band's edge (t = 0, band 0)
    ],
)
def test_piece_model_values_by_hand(norm, x, want):
    """a0 = z1 + 2 >= 1 on the box (always active); G(z) = (z1, -z1)."""
    net = one_dim()
    pattern = pattern_of(net, np.zeros(2))
    spec = OutputSpec(x, "exact" if norm == "gap" else norm)
    res = linprog_model(piece_model(net, pattern, spec, Box(LOWER, UPPER), nearest=norm == "gap"))
    assert res.status == 0 and res.fun == pytest.approx(want, abs=1e-9)


def test_exact_piece_model_is_infeasible_off_its_piece():
    """relu(z1) then a relu output observed as 0.5: the piece with the hidden neuron on meets the
    observation, the one with it off does not; the output layer's pattern is the observation's,
    whatever the pattern says."""
    net = ReluNetwork([[[1.0, 0.0]], [[1.0]]], [[0.0], [0.0]])
    x = np.array([0.5])
    for hidden, output, status in ((True, True, 0), (False, True, 2), (True, False, 0)):
        model = piece_model(net, [np.array([hidden]), np.array([output])], OutputSpec(x, "exact"), Box(LOWER, UPPER))
        assert linprog_model(model).status == status


def test_slack_widens_the_pattern_rows():
    """relu(z1 - 2) is never active on [-1, 1]^2 (z1 - 2 >= 0 has no point); slack 1.5 loosens the
    row to z1 - 2 >= -1.5, which z1 = 1 meets."""
    net = ReluNetwork([[[1.0, 0.0]], [[1.0]]], [[-2.0], [0.0]], output_activation="linear")
    on = [np.array([True]), np.array([True])]
    x = np.array([0.0])
    assert linprog_model(piece_model(net, on, OutputSpec(x, "l1"), Box(LOWER, UPPER))).status == 2
    assert linprog_model(piece_model(net, on, OutputSpec(x, "l1"), Box(LOWER, UPPER), slack=1.5)).status == 0
