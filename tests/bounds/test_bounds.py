"""Sound bounds: interval arithmetic covers every point of the box; OBBT never cuts off a pre-image."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import ReluNetwork
from milpinv.activation import RELU
from milpinv.bounds.interval import interval_bounds
from milpinv.bounds.obbt import Obbt, tighten_bounds
from milpinv.deadline import Deadline
from milpinv.formulations.blocks import observation_interval
from milpinv.problem import Box
from milpinv.solvers import Solver
from milpinv.solvers.outcome import Outcome
from milpinv.status import Status


@settings(max_examples=30)
@given(st.integers(0, 10**6), st.sampled_from([[3, 6, 6, 4], [2, 5, 5, 5, 3], [4, 8, 3]]))
def test_bounds_are_sound(seed, dims):
    """Every point of the box lies within the interval bounds; every pre-image within OBBT bounds."""
    net = ReluNetwork.random(dims, seed=seed, bias_scale=0.5)
    rng = np.random.default_rng(seed)
    lower, upper = -np.ones(dims[0]), np.ones(dims[0])
    z0 = rng.uniform(-1, 1, dims[0])
    x = net.forward(z0)
    ib = interval_bounds(net, lower, upper)
    tb, report = tighten_bounds(net, Box(lower, upper), ib, observation_interval(RELU, x), Obbt(passes=2))
    assert not report.infeasible
    zs = np.vstack([z0, rng.uniform(-1, 1, (200, dims[0]))])
    for i, z in enumerate(zs):
        for k, a in enumerate(net.pre_activations(z)):
            assert np.all(a >= ib[k][0]) and np.all(a <= ib[k][1])
            if i == 0 and k < net.depth - 1:  # z0 is a pre-image of x
                assert np.all(a >= tb[k][0]) and np.all(a <= tb[k][1])
    for k in range(net.depth - 1):
        assert np.all(tb[k][0] >= ib[k][0] - 1e-9) and np.all(tb[k][1] <= ib[k][1] + 1e-9)


class StoppedLPs(Solver):
    """Every LP stopped by its time limit (the clock ran out inside HiGHS)."""

    name = "stopped"
    supported = frozenset({"time_limit", "feasibility_tol", "presolve"})

    def _solve(self, model, options, warm_start):
        assert options.time_limit is not None  # the deadline's time left reaches the LP
        return Outcome(Status.TIME_LIMIT)


def test_obbt_lp_stopped_by_the_clock_stops_the_pass():
    """An LP stopped by its time limit ends OBBT early: no retry, no verdict, the bounds kept."""
    net = ReluNetwork.random([3, 6, 6, 2], seed=0)
    lower, upper = -np.ones(3), np.ones(3)
    ib = interval_bounds(net, lower, upper)
    tb, report = tighten_bounds(net, Box(lower, upper), ib, settings=Obbt(solver=StoppedLPs()), deadline=Deadline(60.0))
    assert report.stopped_early and not report.infeasible and report.lps == 1
    assert all(np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) for a, b in zip(tb, ib))
