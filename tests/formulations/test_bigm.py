"""The big-M formulation: no output binaries, stable neurons dropped."""

import numpy as np

from milpinv import ReluNetwork, plant_instance
from milpinv.bounds.interval import interval_bounds
from milpinv.formulations.blocks import stability
from milpinv.milp.build import build_model
from milpinv.norm import Norm
from milpinv.problem import Box, Problem


def test_formulation_has_no_output_binaries_and_drops_stable_neurons():
    W1 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, -1.0]])
    b1 = np.array([0.0, 0.0, 5.0, -5.0])  # neuron 2 always active, neuron 3 always inactive on [-1, 1]^2
    W2 = np.ones((3, 4))
    net = ReluNetwork([W1, W2], [b1, np.zeros(3)])
    x = net.forward(np.array([0.5, -0.5]))
    form, _ = build_model(Problem.of(net, x, Norm.EXACT, Box.around(2, 1.0)))
    assert form.counts == {"stable_active": 1, "stable_inactive": 1, "unstable": 2}
    assert form.model.num_integer == 2  # the unstable hidden neurons only: none for the output layer
    l1, _ = build_model(Problem.of(net, x, Norm.L1, Box.around(2, 1.0)))
    assert l1.model.num_integer == 2 + l1.counts["output_unstable"]
    big = ReluNetwork.random([10, 30, 30, 60], seed=0)
    form, _ = build_model(Problem.of(big, plant_instance(big, seed=0).target, Norm.EXACT, Box.around(10, 3.0)))
    active, inactive, unstable = stability(interval_bounds(big, -3 * np.ones(10), 3 * np.ones(10)), 0)
    assert form.model.num_integer == form.counts["unstable"] <= 60
