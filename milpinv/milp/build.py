"""The bounds and build stages of the MILP: sound bounds (interval arithmetic, optionally OBBT),
then the big-M model of :mod:`milpinv.formulations.bigm`. Used by the MILP method, pre-image
analysis and ``milpinv export``."""

from __future__ import annotations

import time

import numpy as np

from ..bounds.interval import Bounds, interval_bounds
from ..bounds.obbt import Obbt, tighten_bounds
from ..bounds.propagation import propagate_bounds
from ..deadline import Deadline
from ..errors import InputError
from ..formulations.bigm import Formulation, build_formulation
from ..formulations.blocks import OutputSpec, observation_interval
from ..network import ReluNetwork
from ..norm import Norm
from ..problem import Box
from ..solvers import Solver

BOUND_MODES = ("interval", "lp")
OBBT_SHARE = 0.5  # bound tightening may use at most this share of the time left


def check_bounds(bounds, name: str = "bounds") -> str:
    """``interval`` or ``lp`` (:data:`BOUND_MODES`)."""
    if bounds not in BOUND_MODES:
        raise InputError(f"{name}: expected one of {BOUND_MODES}, got {bounds!r}")
    return bounds


def sound_bounds(
    network: ReluNetwork,
    lower,
    upper,
    *,
    bounds: str = "interval",
    observed: tuple[np.ndarray, np.ndarray] | None = None,
    obbt_passes: int = 1,
    deadline: Deadline | None = None,
    lp_solver: str | Solver = "highs",
) -> tuple[Bounds, np.ndarray, np.ndarray, dict]:
    """Sound bounds on every pre-activation over the box: interval arithmetic, propagated back from
    ``observed`` (an interval on the output pre-activations) when given, then with ``bounds="lp"``
    OBBT. Returns the bounds, the latent box they leave, and statistics (``infeasible``: the
    bounds prove ``observed`` unreachable; the proof is rigorous)."""
    check_bounds(bounds)
    b = interval_bounds(network, lower, upper)
    info: dict = {"bounds": bounds, "infeasible": False}
    if observed is not None:
        p = propagate_bounds(network, b, Box(lower, upper), observed)
        b, lower, upper, info["infeasible"] = p.bounds, p.z_lower, p.z_upper, p.empty
    if bounds == "lp" and not info["infeasible"]:
        left = None if deadline is None else deadline.remaining()
        budget = Deadline(None if left is None else OBBT_SHARE * left)
        b, report = tighten_bounds(network, Box(lower, upper), b, observed, Obbt(obbt_passes, lp_solver), budget)
        info.update(obbt_lps=report.lps, obbt_stopped_early=report.stopped_early, infeasible=report.infeasible)
    return b, lower, upper, info


def build_model(
    network: ReluNetwork,
    target,
    *,
    norm: Norm | str = Norm.EXACT,
    lower,
    upper,
    bounds: str = "interval",
    obbt_passes: int = 1,
    deadline: Deadline | None = None,
    lattice: bool = False,
    lp_solver: str | Solver = "highs",
    band: float | np.ndarray = 0.0,
    observed: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Formulation, dict]:
    """Bounds then the big-M model; returns the formulation and bound statistics.

    ``bounds``: ``interval`` (interval arithmetic, and with the exact norm propagation back from the
    observation, :mod:`milpinv.bounds.propagation`) or ``lp`` (then OBBT too). Bounds that prove the
    observation unreachable give ``info["infeasible"] = True`` (the proof is rigorous).
    ``lattice``: the model is solved over integer points only (CP-SAT on an integer network), so
    bounds are rounded to the integers that integer pre-activations can reach. ``band``: the exact
    norm's tolerance band (0: the exact pre-image), or ``observed``: its interval on the output
    pre-activations, given."""
    t0 = time.perf_counter()
    x = np.asarray(target, dtype=np.float64)
    norm = Norm.parse(norm)
    if norm.exact and observed is None:
        observed = observation_interval(network.output_activation, x, band)
    b, lower, upper, info = sound_bounds(
        network,
        lower,
        upper,
        bounds=bounds,
        observed=observed,
        obbt_passes=obbt_passes,
        deadline=deadline,
        lp_solver=lp_solver,
    )
    if lattice:
        b = [(np.ceil(lo), np.floor(hi)) for lo, hi in b]
        lower, upper = np.ceil(lower), np.floor(upper)
    info["bound_time_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    form = build_formulation(
        network, OutputSpec(x, norm, observed=observed), Box(lower, upper), b, envelope=not lattice
    )
    info["build_time_s"] = time.perf_counter() - t1
    return form, info
