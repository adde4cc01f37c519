"""The heuristic's persistent piece LP (milp/piece_lp.py): walked from pattern to pattern by bound
changes, each solve is the optimum of that piece's own z-space LP (piece_model, a new model), on
random small networks with relu and leaky_relu layers, under l1 and linf."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import ReluNetwork
from milpinv.formulations.blocks import OutputSpec
from milpinv.formulations.pieces import piece_model
from milpinv.milp.piece_lp import PieceLP
from milpinv.norm import Norm
from milpinv.problem import Box, Problem
from milpinv.solvers import SolverOptions, get_solver
from milpinv.tolerance import residual_norm


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    hidden=st.sampled_from(["relu", "leaky_relu:0.1"]),
    output=st.sampled_from(["relu", "linear", "leaky_relu:0.3"]),
    norm=st.sampled_from([Norm.L1, Norm.LINF]),
)
def test_each_piece_of_a_walk_is_solved_as_a_new_model_solves_it(seed, hidden, output, norm):
    rng = np.random.default_rng(seed)
    dims = [3, 5, 4, 3]
    weights = [rng.normal(0, 1, (m, n)) for n, m in zip(dims[:-1], dims[1:])]
    biases = [rng.normal(0, 0.5, m) for m in dims[1:]]
    net = ReluNetwork(weights, biases, activations=[hidden, hidden, output])
    box = Box(np.full(3, -1.0), np.full(3, 1.0))
    x = net.forward(rng.uniform(-1, 1, 3)) + rng.normal(0, 0.5, 3)
    problem = Problem.of(net, x, norm, box)

    def pattern():
        return [rng.random(n) < 0.5 if net.activation(k).kinked else np.ones(n, bool) for k, n in enumerate(dims[1:])]

    lp = PieceLP(problem, pattern())
    for _ in range(8):  # far jumps and single flips
        p = pattern()
        if rng.random() < 0.5:
            p = [q.copy() for q in lp.pattern]
            k = int(rng.integers(0, 3 if net.activation(2).kinked else 2))
            p[k][rng.integers(0, dims[k + 1])] ^= True
        want = get_solver("highs").solve(piece_model(net, p, OutputSpec(x, norm), box), SolverOptions())
        z = lp.solve(p)
        assert (z is None) == (want.status != "optimal")
        if z is not None:
            assert residual_norm(net, x, box.clip(z), norm) == pytest.approx(want.objective, abs=1e-7)


def test_a_piece_solved_before_is_not_solved_again():
    net = ReluNetwork.random([3, 6, 4], seed=5)
    box = Box(np.full(3, -1.0), np.full(3, 1.0))
    problem = Problem.of(net, net.forward(np.full(3, 0.3)) + 0.1, Norm.L1, box)
    first = [np.ones(6, bool), np.ones(4, bool)]
    lp = PieceLP(problem, first)
    z = lp.solve(first)
    other = [np.r_[False, np.ones(5, bool)], np.ones(4, bool)]
    lp.solve(other)
    solves = lp.lp.solve
    lp.lp.solve = None  # a second solve of a known piece would call it
    assert np.array_equal(lp.solve(first), z) and lp.pattern[0][0] == other[0][0]
    lp.lp.solve = solves
