"""The exact norm's neighbourhood search: a near miss of the heuristic as the centre of a small
branch and bound (local branching around a point).

Gradient descent often ends a few activations away from a pre-image (a planted 20-60-60-120 net:
2 of 120 hidden neurons on the wrong side of their kink, ``|z - z*|`` about 0.2), where the piece
walk cannot cross and the whole search, depth first from a weak relaxation, takes a wrong turn
near its root. Here every hidden neuron keeps the side it has at the centre z except the
:data:`FREE` nearest their kinks (``|a| / |W_i|_1``); the fixings and the observation are
propagated (:mod:`milpinv.bounds.propagation`), and milpinv's branch and bound
(:mod:`milpinv.engine.bab`) searches the remaining model for at most :data:`NODES` nodes.

The budget is a count of neurons and of nodes, never a clock. The neighbourhood is a restriction
of the problem: only its points count (judged by the caller's float64 forward pass and acceptance
rule); its ``infeasible`` proves nothing about the whole problem and is never reported.
"""

from __future__ import annotations

import numpy as np

from ..bounds.interval import Bounds
from ..bounds.propagation import propagate_bounds
from ..deadline import Deadline
from ..engine.bab import Candidate, Setup, search
from ..errors import SolverError
from ..formulations.bigm import Formulation, build_formulation
from ..formulations.blocks import OutputSpec
from ..formulations.pieces import kink_order
from ..problem import Box
from ..status import Status
from .solve import Engine

FREE = 16  # hidden neurons left free around the centre: those nearest their kinks
NODES = 25  # the node budget of one neighbourhood's search (PERFORMANCE.md 22)


def fixed_around(form: Formulation, z: np.ndarray, free: int = FREE) -> Bounds:
    """``form``'s bounds with every unstable hidden neuron but the ``free`` nearest their kinks at
    z fixed to z's side (active: a >= 0, inactive: a <= 0)."""
    net = form.network
    bounds = [(lo.copy(), hi.copy()) for lo, hi in form.bounds]
    pre = net.pre_activations(z)
    hidden = [(k, i) for k, i in kink_order(net, z) if k < net.depth - 1]
    unstable = [(k, i) for k, i in hidden if bounds[k][0][i] < 0 < bounds[k][1][i]]
    for k, i in unstable[free:]:
        lo, hi = bounds[k]
        if pre[k][i] > 0:
            lo[i] = max(lo[i], 0.0)
        else:
            hi[i] = min(hi[i], 0.0)
    return bounds


class Neighbourhoods:
    """The neighbourhood search of the module docstring over the exact-norm model ``form``, called
    with a centre z: a point ``judge`` accepts, or None, on ``deadline``. Counts its ``searches``
    and ``nodes``; each leaves ``free`` neurons free and searches at most ``nodes`` nodes."""

    def __init__(
        self,
        form: Formulation,
        judge: Candidate,
        engine: Engine,
        deadline: Deadline,
        free: int = FREE,
        nodes: int = NODES,
    ):
        assert form.observed is not None and form.target is not None, "the neighbourhood search is the exact norm's"
        self.form, self.judge, self.engine, self.deadline = form, judge, engine, deadline
        self.free, self.budget = free, nodes
        self.setup = Setup(engine.lp_solver.incremental, engine.branching, None, engine.options.threads or 1)
        self.searches = self.nodes = 0

    def __call__(self, z: np.ndarray) -> np.ndarray | None:
        form, observed = self.form, self.form.observed
        assert observed is not None and form.norm is not None and form.target is not None
        if self.deadline.expired():
            return None
        zs = form.latent
        bounds = fixed_around(form, np.asarray(z, float), self.free)
        p = propagate_bounds(form.network, bounds, Box(form.model.col_lower[zs], form.model.col_upper[zs]), observed)
        self.searches += 1
        if p.empty:
            return None
        spec = OutputSpec(form.target, form.norm, observed=observed)
        local = build_formulation(form.network, spec, Box(p.z_lower, p.z_upper), p.bounds)
        try:
            s = search(local, self.judge, self.deadline, self.setup, node_limit=self.budget)
        except SolverError:
            return None
        self.nodes += s.nodes
        return s.z if s.status == Status.OPTIMAL else None
