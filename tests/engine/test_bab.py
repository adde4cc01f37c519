"""milpinv's branch and bound: what it reports when it stops early is still certified."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from milpinv import ReluNetwork, invert
from tests.helpers import brute_force


@given(
    seed=st.integers(0, 10_000),
    norm=st.sampled_from(["l1", "linf"]),
    scale=st.sampled_from([1.0, 1e-3, 300.0]),
    output=st.sampled_from(["relu", "linear"]),
)
def test_the_bound_of_a_search_stopped_at_once_is_below_the_optimum(seed, norm, scale, output):
    """A limit met before any LP: the bound comes from the sound output intervals alone, and may
    not exceed the optimum found by brute force over the activation regions."""
    rng = np.random.default_rng(seed)
    base = ReluNetwork.random([2, 3, 3], seed=seed)
    biases = [rng.normal(size=b.shape) * scale for b in base.biases]
    net = ReluNetwork([W * scale for W in base.weights], biases, output)
    x = net.forward(rng.uniform(-1, 1, 2)) + rng.normal(0, 0.5 * scale, 3)
    lower, upper = -np.ones(2), np.ones(2)
    r = invert(net, x, box=1.0, method="milp", norm=norm, time_limit=1e-9, heuristic=False)
    truth = brute_force(net, x, norm, lower, upper)
    assert r.bound is not None and r.bound >= 0
    assert r.bound <= truth * (1 + 1e-9) + 1e-12, (r.bound, truth, r.status)
