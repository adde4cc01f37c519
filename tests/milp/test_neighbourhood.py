"""The exact norm's primal side: the root before the heuristic, and the neighbourhood search around
the heuristic's near misses (milpinv.milp.neighbourhood). Its points are judged by a float64
forward pass and it never decides a verdict: brute force over activation patterns says so."""

import numpy as np
import pytest
from helpers import brute_force, tiny_problems
from hypothesis import given, settings
from hypothesis import strategies as st

import milpinv.milp.pipeline as pipeline
from milpinv import Instance, ReluNetwork, invert, plant_instance
from milpinv.deadline import Deadline
from milpinv.milp.build import ModelSpec, build_model
from milpinv.milp.heuristic import heuristic
from milpinv.milp.neighbourhood import Neighbourhoods, fixed_around
from milpinv.milp.solve import Engine, candidate_judge
from milpinv.norm import Norm
from milpinv.problem import Box, Problem
from milpinv.solvers import SolverOptions, get_solver
from milpinv.tolerance import tolerance


def test_a_near_miss_of_the_heuristic_is_mended_by_its_neighbourhood():
    """10-30-30-60 seed 2: the heuristic's descents and piece walks miss, and 20 nodes of the whole
    search do not reach the pre-image (before the neighbourhood search: ``failed``); the
    neighbourhood of the first round's near miss holds it."""
    inst = plant_instance(ReluNetwork.random([10, 30, 30, 60], seed=2), seed=3)
    x = inst.target
    alone = heuristic(Problem.of(inst.network, x, Norm.EXACT, Box(inst.lower, inst.upper)))
    assert alone.status != "optimal"
    r = invert(inst, method="milp", node_limit=20)
    assert r.status == "optimal", r.summary()
    assert r.solver["solved_by"] == "neighbourhood search around a heuristic point"
    assert r.solver["neighbourhood_searches"] >= 1
    assert r.residual_linf <= tolerance(x)


def test_a_root_proof_runs_no_heuristic(monkeypatch):
    """A target the bounds or the root LP refute: proven without a descent."""
    net = ReluNetwork.random([4, 8, 12], seed=1)
    x = np.abs(np.random.default_rng(0).normal(size=12)) + 1.0  # 12 positive outputs of 4 latents
    calls = []
    monkeypatch.setattr(pipeline, "heuristic", lambda *a, **k: calls.append(1))
    r = invert(Instance(net, x, -np.ones(4), np.ones(4)), method="milp")
    assert r.status == "infeasible", r.summary()
    assert calls == []


BOX = 2.0


def _box_and_truth(net, x):
    lower, upper = np.full(net.input_dim, -BOX), np.full(net.input_dim, BOX)
    return lower, upper, brute_force(net, x, "exact", lower, upper)


def _explorer(net, x, lower, upper, free):
    problem = Problem.of(net, x, Norm.EXACT, Box(lower, upper))
    engine = Engine(None, SolverOptions(threads=1), get_solver("highs"))
    form, info = build_model(problem, ModelSpec(band=problem.accept.tol))
    if info["infeasible"]:
        return form, None
    judge = candidate_judge(problem, engine.lp_solver)
    return form, Neighbourhoods(form, judge, engine, Deadline(None), free=free, nodes=50)


@settings(max_examples=60, deadline=None)
@given(tiny_problems(), st.integers(0, 3), st.integers(0, 10**6))
def test_the_neighbourhood_search_returns_only_forward_checked_points(problem, free, seed):
    net, x = problem
    lower, upper, truth = _box_and_truth(net, x)
    form, explore = _explorer(net, x, lower, upper, free)
    unstable = sum(int(np.sum((lo < 0) & (hi > 0))) for lo, hi in form.bounds[:-1])
    for centre in np.random.default_rng(seed).uniform(-BOX, BOX, (3, net.input_dim)):
        left = sum(int(np.sum((lo < 0) & (hi > 0))) for lo, hi in fixed_around(form, centre, free)[:-1])
        assert left == min(free, unstable)
        z = None if explore is None else explore(centre)
        if z is not None:
            assert truth is not None
            assert np.all((lower <= z) & (z <= upper))
            assert np.max(np.abs(net.forward(z) - x)) <= tolerance(x)


@settings(max_examples=40, deadline=None)
@given(tiny_problems())
def test_the_exact_verdict_with_the_primal_side_matches_brute_force(problem):
    net, x = problem
    lower, upper, truth = _box_and_truth(net, x)
    r = invert(net, x, method="milp", norm="exact", box=(lower, upper))
    assert r.status == ("optimal" if truth is not None else "infeasible"), (truth, r.summary())
    if truth is not None:
        assert r.residual_linf <= tolerance(x)


def test_with_lp_bounds_the_heuristic_runs_before_bound_tightening(monkeypatch):
    """OBBT costs more than the heuristic: with bounds="lp" a planted target the heuristic inverts
    is answered before any bound is tightened (the root does not go first)."""
    import milpinv.milp.build as build

    inst = plant_instance(ReluNetwork.random([6, 12, 12, 6], seed=0), seed=0)
    monkeypatch.setattr(build, "tighten_bounds", lambda *a, **k: pytest.fail("OBBT ran"))
    r = invert(inst, method="milp", bounds="lp")
    assert r.status == "optimal" and r.solver["solved_by"] == pipeline.HEURISTIC
