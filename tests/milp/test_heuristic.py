"""The gradient-descent + piece-walk heuristic of the MILP claims only verified pre-images; its
budget is a count of iterations, so these runs take the same path on any machine."""

import numpy as np

from milpinv import ReluNetwork, plant_instance
from milpinv.bounds.interval import interval_bounds
from milpinv.milp.heuristic import heuristic
from milpinv.norm import Norm
from milpinv.problem import Box, Problem
from milpinv.status import OPTIMAL
from milpinv.tolerance import tolerance


def test_heuristic_claims_only_verified_preimages():
    solved = 0
    for seed in range(4):
        net = ReluNetwork.random([6, 12, 12, 6], seed=seed)
        inst = plant_instance(net, seed=seed)
        box = Box(inst.lower, inst.upper)
        r = heuristic(Problem.of(net, inst.target, Norm.EXACT, box))
        if r.status == OPTIMAL:
            assert np.max(np.abs(net.forward(r.z) - inst.target)) <= tolerance(inst.target)
            solved += 1
        far = inst.target + 1e3  # above every output the box can reach:
        assert np.all(interval_bounds(net, inst.lower, inst.upper)[-1][1] < far)
        assert heuristic(Problem.of(net, far, Norm.EXACT, box)).status != OPTIMAL
    assert solved >= 2, "the heuristic should invert some small planted instances"
