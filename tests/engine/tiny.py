"""Tiny hand-built networks whose answers are known by hand, and a direct run of the branch and
bound on their big-M model (no heuristic, no peeling, no rescaling: the engine alone)."""

from dataclasses import dataclass

import numpy as np
import pytest

from milpinv import ReluNetwork
from milpinv.bounds.interval import interval_bounds
from milpinv.deadline import Deadline
from milpinv.engine.bab import Search, Setup, search
from milpinv.formulations.bigm import Formulation, build_formulation
from milpinv.formulations.blocks import OutputSpec, observation_interval
from milpinv.norm import Norm
from milpinv.problem import Box
from milpinv.solvers import get_solver
from milpinv.status import Status
from milpinv.tolerance import residual_norm, tolerance

HIGHS = get_solver("highs").incremental


def clipped_ramp() -> ReluNetwork:
    """G(z) = relu(z) - relu(z - 1): 0 below 0, z on [0, 1], 1 above; its image is [0, 1]."""
    return ReluNetwork([[[1.0], [1.0]], [[1.0, -1.0]]], [np.array([0.0, -1.0]), np.zeros(1)], "linear")


def v_shape() -> ReluNetwork:
    """G(z) = relu(z) + relu(-z) = |z|: the pre-image of x > 0 is the two points -x and x."""
    return ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [np.zeros(2), np.zeros(1)], "linear")


def xor() -> ReluNetwork:
    """G(z) = relu(relu(z1 - z2) + relu(z2 - z1)) = |z1 - z2|: on [0, 1]^2, G = 1 at the two corners
    (1, 0) and (0, 1) only."""
    return ReluNetwork([[[1.0, -1.0], [-1.0, 1.0]], [[1.0, 1.0]]], [np.zeros(2), np.zeros(1)], "relu")


@dataclass
class Case:
    """An instance: the network, the target, the norm and the box [lower, upper]^n."""

    net: ReluNetwork
    x: list
    norm: str
    lower: float | list = -2.0
    upper: float | list = 2.0

    @property
    def box(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.net.input_dim
        return np.broadcast_to(self.lower, n).astype(float), np.broadcast_to(self.upper, n).astype(float)

    def formulation(self) -> Formulation:
        """The big-M model on the interval bounds of the box (nothing propagated back); the exact
        norm observes x within half the tolerance (an LP point on the band's edge is accepted)."""
        x, (lower, upper) = np.asarray(self.x, float), self.box
        act = self.net.activation(self.net.depth - 1)
        observed = observation_interval(act, x, tolerance(x) / 2) if self.norm == "exact" else None
        bounds = interval_bounds(self.net, lower, upper)
        return build_formulation(self.net, OutputSpec(x, self.norm, observed=observed), Box(lower, upper), bounds)

    def judge(self, z: np.ndarray) -> tuple[bool, float, np.ndarray]:
        """The search's candidate rule: a float64 forward pass, nothing else."""
        x = np.asarray(self.x, float)
        z = np.clip(z, *self.box)
        value = residual_norm(self.net, x, z, Norm.LINF if self.norm == "exact" else Norm(self.norm))
        return (value <= tolerance(x) if self.norm == "exact" else True), value, z

    def search(self, setup: Setup | None = None, **kw) -> Search:
        """The branch and bound alone (``setup``: HiGHS and the default rule)."""
        return search(self.formulation(), self.judge, Deadline(None), setup or Setup(HIGHS), **kw)


def random_case(seed: int, norm: str, dims: tuple = (2, 3, 3, 2), noise: float = 0.3) -> Case:
    """A random network (linear output) on [-1, 1]^n, x = G(z) + N(0, noise^2) for a random z."""
    rng = np.random.default_rng(seed)
    net = ReluNetwork.random(dims, seed=seed, bias_scale=0.3, output_activation="linear")
    x = net.forward(rng.uniform(-1, 1, dims[0])) + rng.normal(0, noise, dims[-1])
    return Case(net, list(x), norm, -1.0, 1.0)


BRANCHING_L1 = random_case(1, "linf", (2, 6, 6, 2))  # 11 nodes
BRANCHING_EXACT = random_case(0, "exact", (2, 6, 6, 3), 0.1)  # infeasible: 15 nodes, 6 infeasible LPs


def assert_true_answer(r: Search, truth: float | None, norm: str) -> None:
    """A finished search against brute force's ``truth`` (None: no pre-image): exact, infeasible
    exactly when there is none; l1 / linf, optimal, its bound below and its objective at the true
    distance."""
    if norm == "exact":
        assert r.status == (Status.INFEASIBLE if truth is None else Status.OPTIMAL), (truth, r)
    else:
        assert r.status == Status.OPTIMAL, r
        assert r.bound <= truth * (1 + 1e-9) + 1e-12
        assert r.objective == pytest.approx(truth, abs=1e-6 * max(1.0, truth))


TOLERANCE_GAP = 1e-8  # a search whose LP points meet the network only within HiGHS's tolerances


def assert_same_answer(r: Search, other: Search) -> None:
    """Two searches of one question agree: the same status, or (l1 / linf) one ``feasible`` because
    its last LP points met the network only within the LP's tolerances (a warm-started basis may
    land on such a point): its certified interval [bound, objective] then holds the other's optimum
    and is at most :data:`TOLERANCE_GAP` (relative) wide. (Such a leaf is solved again from no
    basis, which mends every case seen, PERFORMANCE.md 33; the interval is what stays if not.)"""
    if r.status == other.status:
        return
    if r.status == Status.OPTIMAL:  # either search may be the one left with the tolerance gap
        r, other = other, r
    assert r.status == Status.FEASIBLE and other.status == Status.OPTIMAL, (r, other)
    assert "gap stays open" in r.message, r
    scale = max(1.0, abs(other.objective))
    assert r.bound <= other.objective + 1e-12 * scale and r.objective >= other.bound - 1e-12 * scale, (r, other)
    assert r.objective - r.bound <= TOLERANCE_GAP * scale, r
