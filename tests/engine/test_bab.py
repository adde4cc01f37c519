"""milpinv's branch and bound: what it reports when it stops early is still certified."""

import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from milpinv import ReluNetwork, Status, invert
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


def test_a_node_lp_gets_its_time_limit_afresh_on_every_solve():
    """HiGHS's time limit counts the run time of every solve of one Highs object: a limit given
    per solve is measured from that solve's start, or a long search stops its LPs at once."""
    import scipy.sparse as sp

    from milpinv.solvers.highs import HighsLP
    from milpinv.solvers.matrix import MatrixModel
    from milpinv.solvers.outcome import SolverOptions
    from milpinv.status import Status

    rng = np.random.default_rng(0)
    n = 150
    model = MatrixModel(
        rng.normal(size=n), sp.csr_matrix(rng.normal(size=(n, n))), np.full(n, -np.inf), np.ones(n),
        np.full(n, -10.0), np.full(n, 10.0), np.zeros(n, dtype=bool),
    )  # fmt: skip
    lp = HighsLP(model, SolverOptions())
    while lp.h.getRunTime() < 0.3:  # solves that add up to more than the limit below
        lp.reset()
        assert lp.solve().status == Status.OPTIMAL
    lp.reset()
    assert lp.solve(time_limit=0.25).status == Status.OPTIMAL


def stalling_instance():
    """``random-net --dims 10,40,40,40 --seed 5`` and ``make-instance --seed 1 --noise 0.1``: one
    root LP of the linf search takes HiGHS's dual simplex ~250,000 iterations (seconds)."""
    from milpinv import plant_instance

    return plant_instance(ReluNetwork.random([10, 40, 40, 40], seed=5), seed=1, noise=0.1)


@pytest.mark.parametrize("solver", ["bab", "highs", "ortools-scip"])
def test_the_root_cut_loop_keeps_the_time_limit(solver):
    """The root cut loop ran ten LP rounds with no deadline: 8 s for a 1 s limit (no heuristic:
    without an incumbent the search cannot stop at the root's interval bound)."""
    t0 = time.perf_counter()
    r = invert(stalling_instance(), method="milp", norm="linf", solver=solver, time_limit=1.0, heuristic=False)
    assert time.perf_counter() - t0 < 4.0, r.summary()
    assert r.status in (Status.TIME_LIMIT, Status.FEASIBLE), r.summary()


def test_an_incumbent_the_interval_bound_meets_ends_the_search_at_the_root():
    """The same instance with the heuristic's incumbent: the root's certified interval bound
    already reaches it, so no cut round and no node (it used to run out of time in the cuts)."""
    inst = stalling_instance()
    r = invert(inst, method="milp", norm="linf", solver="bab", time_limit=60.0)
    assert r.status == Status.OPTIMAL and r.solver["nodes"] == 0 and r.solver["lps"] == 0, r.summary()
    forward = float(np.abs(inst.network.forward(r.z) - inst.target).max())
    assert r.objective == pytest.approx(forward, rel=1e-12) and r.bound <= forward


def test_an_lp_stopped_by_its_limit_neither_prunes_nor_proves(monkeypatch):
    """A stopped LP is no answer: the search stops at its first LP, with a bound below the optimum."""
    from milpinv.solvers.highs import HighsLP
    from milpinv.solvers.outcome import Outcome

    monkeypatch.setattr(HighsLP, "solve", lambda self, time_limit=None: Outcome(Status.TIME_LIMIT))
    net = ReluNetwork.random([2, 3, 3], seed=3)
    x = net.forward(np.array([0.3, -0.2])) + np.random.default_rng(0).normal(0, 0.3, 3)
    r = invert(net, x, box=1.0, method="milp", norm="l1", solver="bab", heuristic=False, time_limit=30)
    assert r.status == Status.TIME_LIMIT and "time limit" in r.message, r.summary()
    assert r.solver["uncertified"] == 0 and r.solver["lps"] == 1
    assert r.bound is not None and r.bound <= brute_force(net, x, "l1", -np.ones(2), np.ones(2)) + 1e-12
