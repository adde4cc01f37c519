"""The exact MILP against brute force over activation patterns, its infeasibility proofs and
time limits."""

import numpy as np
import pytest
from helpers import brute_force, tiny_problems
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import Instance, ReluNetwork, invert, plant_instance
from milpinv.solvers import Solver
from milpinv.solvers.outcome import Outcome
from milpinv.status import Status
from milpinv.tolerance import tolerance


@settings(max_examples=40)
@given(tiny_problems(), st.sampled_from(["exact", "l1", "linf"]))
def test_milp_matches_brute_force(problem, norm):
    net, x = problem
    lower, upper = np.full(net.input_dim, -2.0), np.full(net.input_dim, 2.0)
    truth = brute_force(net, x, norm, lower, upper)
    for bounds in ("interval", "lp"):
        r = invert(net, x, method="milp", norm=norm, box=(lower, upper), bounds=bounds, heuristic=False)
        if norm == "exact":
            assert r.status == ("optimal" if truth is not None else "infeasible"), (truth, r.summary())
            if truth is not None:
                assert r.residual_linf <= tolerance(x)
        else:
            assert r.status == "optimal", r.summary()
            assert r.objective == pytest.approx(truth, abs=1e-6 * max(1.0, truth)), (truth, r.summary())


@pytest.mark.parametrize("dims", [[8, 16, 16, 16], [10, 20, 20, 20, 20], [12, 24, 24, 12], [10, 30, 30, 60]])
def test_milp_inverts_non_expanding_nets(dims):
    """Harder seeds (e.g. 10-20-20-20-20 seed 1, ~30k nodes) are in benchmarks/, not here."""
    for seed in (0,):
        inst = plant_instance(ReluNetwork.random(dims, seed=seed), seed=seed + 1)
        r = invert(inst, method="milp", time_limit=120)
        assert r.status == "optimal", r.summary()
        assert r.residual_linf <= tolerance(inst.target)


def test_infeasible_is_proven_and_box_matters():
    net = ReluNetwork.random([3, 5, 5, 6], seed=4, bias_scale=0.3)
    z = np.array([2.5, -2.5, 2.0])
    inst = Instance(net, net.forward(z), -np.ones(3), np.ones(3))  # the planted z is outside this box
    truth = brute_force(net, inst.target, "exact", inst.lower, inst.upper)
    r = invert(inst, method="milp")
    assert r.status == ("infeasible" if truth is None else "optimal")
    wide = invert(Instance(net, inst.target, -3 * np.ones(3), 3 * np.ones(3)), method="milp")
    assert wide.status == "optimal" and wide.residual_linf <= tolerance(inst.target)


def test_time_limit_reports_incumbent_and_bound():
    """Stopped before the first LP (a limit no machine can meet for this model): the incumbent
    (the planted z, given as a warm start) and the certified interval bound are still reported."""
    inst = plant_instance(ReluNetwork.random([20, 60, 60, 120], seed=1), seed=2, noise=0.05)
    z0 = np.asarray(inst.meta["planted_z"])
    r = invert(inst, method="milp", norm="l1", time_limit=1e-3, heuristic=False, warm_start=z0)
    assert r.status == "time_limit"
    assert r.bound is not None and r.z is not None and r.gap is not None
    assert 0 <= r.bound <= r.objective <= np.abs(inst.network.forward(z0) - inst.target).sum() + 1e-9
    assert r.objective == pytest.approx(np.abs(inst.network.forward(r.z) - inst.target).sum())


def test_integral_instance_never_accepts_a_rounding_residual():
    """Large integer targets: a z off by 2.5 on a 4e6 target is not a pre-image (relative
    tolerance would say it is); the lattice check rejects it."""
    from reductions.generators import random_ksat
    from reductions.registry import get_reduction

    red = get_reduction("3sat", "relu", via="subset-sum")
    for s in range(3):
        cnf = random_ksat(3, 2.0, seed=s)
        inst = red.reduce(cnf)
        r = invert(inst, method="milp")
        assert r.status in ("optimal", "infeasible")
        if r.status == "optimal":
            assert r.residual_linf == 0.0 and cnf.satisfied_by(red.backward(cnf, r.z))


class StoppedBackend(Solver):
    """A backend that ignores the warm start and stops at its time limit with nothing."""

    name = "stopped"
    supported = frozenset({"time_limit", "mip_gap", "threads", "verbose", "feasibility_tol", "presolve"})

    def _solve(self, model, options, warm_start):
        return Outcome(Status.TIME_LIMIT, bound=-1.0)


def test_a_stopped_backend_keeps_the_warm_start_and_reports_no_uncertified_bound():
    """Audit: with pyomo:appsi_highs (which drops warm starts) a timed-out l1 run reported the
    backend's poor point (9.13) and bound 0 where the heuristic had 3.5e-15."""
    net = ReluNetwork.random([3, 6, 6], seed=2)
    z = np.array([0.3, -0.2, 0.5])
    x = net.forward(z)
    r = invert(net, x, box=1.0, method="milp", norm="l1", solver=StoppedBackend(), heuristic=False, warm_start=z)
    assert r.status == Status.TIME_LIMIT and np.allclose(r.z, z)
    assert r.objective == pytest.approx(np.abs(net.forward(r.z) - x).sum(), abs=1e-15)
    assert r.bound is None and r.solver["backend_bound"] == -1.0
