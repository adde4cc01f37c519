"""The MILP's stages run on shares of the one clock of their problem (milpinv.deadline.Deadline.share):
checked on the clocks the stages are handed, never by timing a run."""

import numpy as np

from milpinv import ReluNetwork, plant_instance
from milpinv.deadline import Deadline
from milpinv.milp import build, pipeline
from milpinv.milp.build import OBBT_SHARE
from milpinv.milp.heuristic import SHARE
from milpinv.norm import Norm
from milpinv.options import MilpOptions
from milpinv.problem import Box, Problem

LIMIT = 40.0


def question(norm=Norm.EXACT, seed=0, activation="relu"):
    net = ReluNetwork.random([3, 8, 10], seed=seed, output_activation=activation)
    inst = plant_instance(net, seed=seed)
    x = inst.target if norm.exact else inst.target + 0.01
    return Problem.of(net, x, norm, Box(inst.lower, inst.upper)).with_deadline(Deadline(LIMIT))


def test_the_heuristic_gets_at_most_its_share_of_the_limit(monkeypatch):
    seen = []
    real = pipeline.heuristic
    monkeypatch.setattr(
        pipeline, "heuristic", lambda p, quick=False, explore=None: seen.append(p.deadline) or real(p, quick, explore)
    )
    problem = question(Norm.L1)  # (the exact norm's root often decides before any heuristic runs)
    pipeline.invert_milp(problem, MilpOptions())
    assert seen and all(0 < d.time_limit <= SHARE * LIMIT for d in seen)
    assert all(d.at <= problem.deadline.at for d in seen)


def test_obbt_gets_at_most_its_share_of_the_limit(monkeypatch):
    seen = []
    real = build.tighten_bounds
    monkeypatch.setattr(build, "tighten_bounds", lambda *a: seen.append(a[5]) or real(*a))
    problem = question()
    pipeline.invert_milp(problem, MilpOptions(bounds="lp", heuristic=False))
    assert seen and all(0 < d.time_limit <= OBBT_SHARE * LIMIT and d.at <= problem.deadline.at for d in seen)


def test_the_pre_activation_question_keeps_the_one_clock(monkeypatch):
    seen = []
    real = pipeline.solve_stages
    monkeypatch.setattr(pipeline, "solve_stages", lambda p, *a: seen.append(p) or real(p, *a))
    problem = question(Norm.L1, activation="tanh")
    pipeline.invert_milp(problem, MilpOptions(heuristic=False, node_limit=5))
    assert seen and all(p.deadline is problem.deadline for p in seen)
    assert seen[0].network.output_activation.identity and np.all(np.isfinite(seen[0].target))


def test_a_share_never_runs_past_a_clock_that_is_nearly_out():
    whole = Deadline(LIMIT)
    whole.at = whole.start + 1.0  # one second left of forty
    stage = whole.share(SHARE)
    assert stage.at <= whole.at and stage.time_limit <= 1.0
