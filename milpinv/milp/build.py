"""The bounds and build stages of the MILP: sound bounds (interval arithmetic, optionally OBBT),
then the big-M model of :mod:`milpinv.formulations.bigm`. Used by the MILP method, pre-image
analysis and ``milpinv export``."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from ..bounds.interval import Bounds, interval_bounds
from ..bounds.obbt import Obbt, tighten_bounds, tighten_outputs
from ..bounds.propagation import propagate_bounds
from ..deadline import Deadline
from ..formulations.bigm import Formulation, build_formulation
from ..formulations.blocks import OutputSpec, observation_interval
from ..network import ReluNetwork
from ..options import check_bounds
from ..problem import Box, Problem
from ..solvers import Solver

OBBT_SHARE = 0.5  # bound tightening may use at most this share of the time limit


@dataclass(frozen=True)
class ModelSpec:
    """How the model is built: ``bounds`` ``interval`` or ``lp`` (OBBT, ``obbt_passes`` rounds by
    ``lp_solver``); ``lattice``: solved over integer points only; ``band``: the exact norm's
    tolerance band (0: the exact pre-image), or ``observed``: its interval on the output
    pre-activations, given; ``outputs``: the output pre-activations' bounds tightened by LP too
    (:func:`~milpinv.bounds.obbt.tighten_outputs`: what a tanh / sigmoid output's pixel error lines
    are built on)."""

    bounds: str = "interval"
    obbt_passes: int = 1
    lattice: bool = False
    lp_solver: str | Solver = "highs"
    band: float | np.ndarray = 0.0
    observed: tuple[np.ndarray, np.ndarray] | None = None
    outputs: bool = False


def sound_bounds(
    network: ReluNetwork, box: Box, spec: ModelSpec = ModelSpec(), deadline: Deadline | None = None
) -> tuple[Bounds, np.ndarray, np.ndarray, dict]:
    """Sound bounds on every pre-activation over the box: interval arithmetic, propagated back from
    ``spec.observed`` (an interval on the output pre-activations) when given, then with
    ``bounds="lp"`` OBBT (at most :data:`OBBT_SHARE` of ``deadline``'s limit). Returns the bounds,
    the latent box they leave, and statistics (``infeasible``: the bounds prove ``observed``
    unreachable; the proof is rigorous)."""
    check_bounds(spec.bounds)
    lower, upper = box
    b = interval_bounds(network, lower, upper)
    info: dict = {"bounds": spec.bounds, "infeasible": False}
    if spec.observed is not None:
        p = propagate_bounds(network, b, Box(lower, upper), spec.observed)
        b, lower, upper, info["infeasible"] = p.bounds, p.z_lower, p.z_upper, p.empty
    if spec.bounds == "lp" and not info["infeasible"]:
        budget = (deadline or Deadline(None)).share(OBBT_SHARE)
        settings = Obbt(spec.obbt_passes, spec.lp_solver)
        b, report = tighten_bounds(network, Box(lower, upper), b, spec.observed, settings, budget)
        info.update(obbt_lps=report.lps, obbt_stopped_early=report.stopped_early, infeasible=report.infeasible)
    if spec.outputs and not info["infeasible"]:
        budget = (deadline or Deadline(None)).share(OBBT_SHARE)
        b, report = tighten_outputs(network, Box(lower, upper), b, spec.lp_solver, budget)
        info.update(output_lps=report.lps, infeasible=report.infeasible)
    return b, lower, upper, info


def build_model(problem: Problem, spec: ModelSpec = ModelSpec()) -> tuple[Formulation, dict]:
    """Bounds then the big-M model of ``problem`` (its clock bounds OBBT); returns the formulation
    and bound statistics.

    ``spec.bounds``: ``interval`` (interval arithmetic, and with the exact norm propagation back
    from the observation, :mod:`milpinv.bounds.propagation`) or ``lp`` (then OBBT too). Bounds that
    prove the observation unreachable give ``info["infeasible"] = True`` (the proof is rigorous).
    ``spec.lattice``: bounds are rounded to the integers that integer pre-activations can reach."""
    t0 = time.perf_counter()
    network, x, norm = problem.network, problem.target, problem.norm
    if norm.exact and spec.observed is None:
        spec = replace(spec, observed=observation_interval(network.output_activation, x, spec.band))
    b, lower, upper, info = sound_bounds(network, problem.box, spec, problem.deadline)
    if spec.lattice:
        b = [(np.ceil(lo), np.floor(hi)) for lo, hi in b]
        lower, upper = np.ceil(lower), np.floor(upper)
    info["bound_time_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    form = build_formulation(
        network, OutputSpec(x, norm, observed=spec.observed), Box(lower, upper), b, envelope=not spec.lattice
    )
    info["build_time_s"] = time.perf_counter() - t1
    return form, info
