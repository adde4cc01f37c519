"""LP-based optimisation-based bound tightening (OBBT) over the triangle relaxation.

Minimise and maximise each unstable neuron's pre-activation over the LP relaxation of
:mod:`milpinv.formulations.relaxation` (observation rows included for the exact norm): they
shrink the bounds of the layers below, often making neurons stable. A bound read off a solver is
moved outward by a margin covering its tolerances before use, and is only ever intersected with
the previous bound, so no true solution is cut off. An infeasible relaxation proves that no
pre-image exists. The solver is a parameter; each layer's LPs share one session (HiGHS keeps
its basis between them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..deadline import Deadline
from ..formulations.blocks import stability
from ..formulations.relaxation import relaxation
from ..solvers import Solver, SolverOptions, get_solver
from ..status import Status
from .interval import Bounds, propagate

LP_MARGIN = 1e-6  # relative outward step for solver-derived bounds
LP_TOL = 1e-9  # feasibility tolerance of the bound LPs


@dataclass
class TightenReport:
    infeasible: bool = False
    lps: int = 0
    time_s: float = 0.0
    stopped_early: bool = False


def tighten_bounds(
    network: Any,
    lower,
    upper,
    bounds: Bounds,
    target=None,
    norm: str = "exact",
    passes: int = 1,
    deadline: Deadline | None = None,
    solver: str | Solver = "highs",
) -> tuple[Bounds, TightenReport]:
    """OBBT over the hidden layers, layer by layer, ``passes`` times; returns new bounds and a report."""
    bounds = [(lo.copy(), hi.copy()) for lo, hi in bounds]
    report = TightenReport()
    deadline = deadline or Deadline(None)
    engine = get_solver(solver)
    t0 = time.perf_counter()
    order = list(range(network.depth - 1))
    if target is not None and norm == "exact":
        order = order[::-1] + order  # the observation is strongest next to the output: go down, then up
    for _ in range(passes):
        for k in order:
            if deadline.expired():
                report.stopped_early = True
                break
            if not _tighten_layer(network, lower, upper, bounds, k, target, norm, report, deadline, engine):
                report.infeasible = True
                break
        if report.infeasible:
            break
    report.time_s = time.perf_counter() - t0
    return bounds, report


def _tighten_layer(network, lower, upper, bounds, k, target, norm, report, deadline: Deadline, solver: Solver) -> bool:
    """Tighten the unstable neurons of layer k in place; False when the relaxation is infeasible."""
    _, _, unstable = stability(bounds, k)
    if not unstable.any():
        return True
    model, blocks = relaxation(network, lower, upper, bounds, target, norm)
    session = solver.session(model, SolverOptions(feasibility_tol=LP_TOL))
    src = blocks[k]  # a_k = W_k (vars of block k) + b_k
    cols = np.arange(src.start, src.stop, dtype=np.int32)
    W, b = network.weights[k], network.biases[k]
    lo, hi = bounds[k]
    upper_src = np.where(np.isfinite(model.col_upper[src]), model.col_upper[src], 0.0)
    scale = 1.0 + np.maximum(np.abs(model.col_lower[src]), np.abs(upper_src))
    for i in np.flatnonzero(unstable):
        margin = LP_MARGIN * (1.0 + np.abs(W[i]) @ scale)
        for sense in (1.0, -1.0):
            if deadline.expired():
                report.stopped_early = True
                return True
            out = session.minimize(cols, sense * W[i])
            report.lps += 1
            if out.status == Status.INFEASIBLE:
                return False
            if out.status != Status.OPTIMAL or out.objective is None:
                continue
            value = sense * out.objective + b[i]
            if sense > 0:
                lo[i] = max(lo[i], value - margin)
            else:
                hi[i] = min(hi[i], value + margin)
    bounds[k] = (lo, np.maximum(hi, lo))
    propagate(network, bounds, k)
    return True
