"""LP-based optimisation-based bound tightening (OBBT) over the triangle relaxation.

Minimise and maximise each unstable neuron's pre-activation over the LP relaxation of
:mod:`milpinv.formulations.relaxation` (observation rows included for the exact norm): they
shrink the bounds of the layers below, often making neurons stable. A bound is taken from the LP's
dual multipliers by :meth:`~milpinv.bounds.safe.SafeLP.bound` (valid in exact arithmetic, whatever
the solver got wrong) and is only ever intersected with the previous bound, so no true solution
is cut off; an LP without multipliers tightens nothing (an LP HiGHS calls infeasible without a
proof, as it may when the observation leaves a near-point region, is retried at a looser
feasibility tolerance: the dual bound is safe at any tolerance). An infeasible relaxation proves that no
pre-image exists only with a Farkas certificate that passes :meth:`~milpinv.bounds.safe.SafeLP.infeasible`.
The solver is a parameter; each layer's LPs share one session (HiGHS keeps its basis between
them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..deadline import Deadline
from ..formulations.blocks import stability
from ..formulations.relaxation import relaxation
from ..problem import Box
from ..rounding import UNIT
from ..solvers import Solver, SolverOptions, get_solver
from ..status import Status
from .interval import Bounds, propagate
from .safe import SafeLP

LP_TOL = 1e-9  # feasibility tolerance of the bound LPs
RETRY_TOL = 1e-7  # ... and of a retry, when HiGHS calls a near-point relaxation infeasible without a proof


@dataclass
class TightenReport:
    infeasible: bool = False
    lps: int = 0
    time_s: float = 0.0
    stopped_early: bool = False


@dataclass(frozen=True)
class Obbt:
    """How OBBT runs: ``passes`` over the hidden layers, its LPs on ``solver``."""

    passes: int = 1
    solver: str | Solver = "highs"


def tighten_bounds(
    network: Any,
    box: Box,
    bounds: Bounds,
    observed: tuple[np.ndarray, np.ndarray] | None = None,
    settings: Obbt = Obbt(),
    deadline: Deadline | None = None,
) -> tuple[Bounds, TightenReport]:
    """OBBT over the hidden layers of ``network`` on the latent ``box``, layer by layer,
    ``settings.passes`` times; returns new bounds and a report. ``observed``: the exact norm's
    interval on the output pre-activations (see
    :func:`milpinv.formulations.blocks.observation_interval`)."""
    run = _Tightening(network, box, observed, get_solver(settings.solver), deadline or Deadline(None))
    bounds = [(lo.copy(), hi.copy()) for lo, hi in bounds]
    report, deadline = run.report, run.deadline
    t0 = time.perf_counter()
    order = list(range(network.depth - 1))
    if observed is not None:
        order = order[::-1] + order  # the observation is strongest next to the output: go down, then up
    for _ in range(settings.passes):
        for k in order:
            report.stopped_early = report.stopped_early or deadline.expired()
            if report.stopped_early:
                break
            if not run.layer(bounds, k):
                report.infeasible = True
                break
        if report.infeasible or report.stopped_early:
            break
    report.time_s = time.perf_counter() - t0
    return bounds, report


@dataclass
class _Tightening:
    """One OBBT run: the relaxation's question (network, box, observation), its LP solver and clock,
    and the report its layers fill in."""

    network: Any
    box: Box
    observed: tuple[np.ndarray, np.ndarray] | None
    solver: Solver
    deadline: Deadline
    report: TightenReport = field(default_factory=TightenReport)

    def layer(self, bounds: Bounds, k: int, which: np.ndarray | None = None) -> bool:
        """Tighten the unstable neurons of layer k (or the neurons ``which`` marks) in place; False
        when the relaxation is proven infeasible."""
        network, report, deadline, solver = self.network, self.report, self.deadline, self.solver
        unstable = stability(bounds, k)[2] if which is None else which
        if not unstable.any():
            return True
        model, blocks = relaxation(network, self.box, bounds, self.observed)
        left = deadline.remaining()  # a session's LPs share the time left (HiGHS counts its run time)
        session = solver.session(model, SolverOptions(feasibility_tol=LP_TOL, presolve=False, time_limit=left))
        retry = None
        cert = SafeLP.of(model)
        src = blocks[k]  # a_k = W_k (vars of block k) + b_k
        cols = np.arange(src.start, src.stop, dtype=np.int32)
        W, b = network.weights[k], network.biases[k]
        lo, hi = bounds[k]
        for i in np.flatnonzero(unstable):
            row = W[i].toarray().ravel() if sp.issparse(W) else W[i]
            for sense in (1.0, -1.0):
                if deadline.expired():
                    report.stopped_early = True
                    return True
                out = session.minimize(cols, sense * row)
                report.lps += 1
                if out.status == Status.INFEASIBLE and cert.infeasible(out.ray):
                    return False
                if out.status == Status.TIME_LIMIT:  # the clock ran out inside the LP
                    report.stopped_early = True
                    return True
                if out.status != Status.OPTIMAL:  # no proof either way: a looser tolerance may find the point
                    retry = retry or solver.session(
                        model, SolverOptions(feasibility_tol=RETRY_TOL, presolve=False, time_limit=deadline.remaining())
                    )
                    out = retry.minimize(cols, sense * row)
                    report.lps += 1
                least = cert.bound_of(cols, sense * row, out)  # min sense * W_i v, proven
                if least is None:
                    continue
                if sense > 0:
                    lo[i] = max(lo[i], add_down(least, b[i]))
                else:
                    hi[i] = min(hi[i], -add_down(least, -b[i]))
        bounds[k] = (lo, np.maximum(hi, lo))
        propagate(network, bounds, k)
        return True


def tighten_outputs(
    network: Any, box: Box, bounds: Bounds, solver: str | Solver = "highs", deadline: Deadline | None = None
) -> tuple[Bounds, TightenReport]:
    """Every output pre-activation minimised and maximised over the relaxation on the latent
    ``box`` (the hidden layers' ``bounds`` as they are): the interval a tanh / sigmoid output's
    pixel error is bounded on (:mod:`milpinv.formulations.pixel_error`), often several times
    narrower than interval arithmetic's. Returns new bounds (the old ones intersected) and a report."""
    run = _Tightening(network, box, None, get_solver(solver), deadline or Deadline(None))
    bounds = [(lo.copy(), hi.copy()) for lo, hi in bounds]
    t0 = time.perf_counter()
    last = network.depth - 1
    run.report.infeasible = not run.layer(bounds, last, np.ones(network.output_dim, dtype=bool))
    run.report.time_s = time.perf_counter() - t0
    return bounds, run.report


def add_down(a: float, b: float) -> float:
    """A float at most a + b (the rounding of the sum pushed down)."""
    return (a + b) - 2.0 * UNIT * (abs(a) + abs(b))
