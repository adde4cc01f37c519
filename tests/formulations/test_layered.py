"""The layered piece LP (formulations/layered.py): on every piece of tiny networks (relu and
leaky_relu hidden layers; relu, linear and leaky_relu outputs) its optimum is the optimum of the
z-space piece LP, its z is a point of the piece, and a change of pattern is the bounds of the
model built on the new pattern."""

import numpy as np
import pytest
from helpers import linprog_model
from hypothesis import given
from hypothesis import strategies as st
from test_bigm_graph import LOWER, UPPER, tiny

from milpinv.formulations.blocks import OutputSpec
from milpinv.formulations.layered import layered_piece
from milpinv.formulations.pieces import piece_model
from milpinv.problem import Box


def a_pattern(data, net) -> list[np.ndarray]:
    """Any pattern of the network's kinked layers (all True where a layer has no kink)."""
    return [
        np.array(data.draw(st.lists(st.booleans(), min_size=n, max_size=n)))
        if net.activation(k).kinked
        else np.ones(n, bool)
        for k, n in enumerate(net.dims[1:])
    ]


@pytest.mark.parametrize("norm", ["l1", "linf"])
@given(data=st.data())
def test_the_layered_optimum_is_the_pieces(norm, data):
    net, _, x, _ = data.draw(tiny(norm))
    pattern = a_pattern(data, net)
    spec, box = OutputSpec(x, norm), Box(LOWER, UPPER)
    want = linprog_model(piece_model(net, pattern, spec, box))
    piece = layered_piece(net, pattern, spec, box)
    got = linprog_model(piece.model)
    assert got.status == want.status, "the layered LP is empty exactly where the piece is"
    if want.status == 0:
        assert got.fun == pytest.approx(want.fun, abs=1e-7)
        z = np.clip(piece.point(got.x), LOWER, UPPER)
        err = np.abs(net.forward(z) - x)  # z is on the piece: G(z) is the piece's map there
        assert (err.sum() if norm == "l1" else err.max()) == pytest.approx(got.fun, abs=1e-7)


@given(data=st.data())
def test_a_change_of_pattern_is_the_new_patterns_bounds(data):
    net, _, x, _ = data.draw(tiny(data.draw(st.sampled_from(["l1", "linf"]))))
    old, new = a_pattern(data, net), a_pattern(data, net)
    box = Box(LOWER, UPPER)
    piece = layered_piece(net, old, OutputSpec(x, "l1"), box)
    change = piece.changes(old, new)
    lower, upper = piece.model.col_lower.copy(), piece.model.col_upper.copy()
    lower[change.cols], upper[change.cols] = change.lower, change.upper
    target = layered_piece(net, new, OutputSpec(x, "l1"), box).model
    assert np.array_equal(lower, target.col_lower) and np.array_equal(upper, target.col_upper)
    assert (piece.model.A != target.A).nnz == 0, "a change of pattern leaves the matrix as it is"
    moved = np.unique(change.cols)
    assert moved.size == change.cols.size == 2 * sum(int((o != n).sum()) for o, n in zip(old, new))
