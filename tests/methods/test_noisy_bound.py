"""The noisy (l1 / linf) LPs' bounds are safe dual bounds: never above the brute-force optimum,
whatever the LP engine's float objective says, and ``optimal`` only where one meets the residual."""

import numpy as np
import pytest
from helpers import brute_force
from hypothesis import given
from hypothesis import strategies as st

from milpinv import ReluNetwork, invert
from milpinv.solvers import Solver, get_solver
from milpinv.status import FEASIBLE, OPTIMAL
from milpinv.tolerance import tolerance

BOX = 1.0


class LyingLps(Solver):
    """HiGHS, with every optimal LP's answer passed through ``lie`` (a float engine gone wrong)."""

    name = "liar"

    def __init__(self, lie) -> None:
        self.lie, self.highs = lie, get_solver("highs")
        self.supported = self.highs.supported

    def _solve(self, model, options, warm_start):
        out = self.highs.solve(model, options, warm_start)
        return self.lie(out) if out.status == OPTIMAL else out


def too_high(out):
    out.objective += 1.0
    return out


def no_duals(out):
    out.duals = None
    return out


def net_and_target(depth: int, output: str, seed: int, noise: float):
    dims = [2, 3] if depth == 1 else [2, 2, 3]
    net = ReluNetwork.random(dims, seed=seed, bias_scale=0.5, output_activation=output)
    rng = np.random.default_rng(seed)
    y = net.forward(rng.uniform(-BOX, BOX, 2)) + noise * rng.normal(size=3)
    return net, y


def run(net, y, norm, lp_solver="highs"):
    method = "lp" if net.depth == 1 else "layerwise"
    return invert(net, y, method=method, norm=norm, box=BOX, lp_solver=lp_solver)


def check(r, truth, y, norm):
    """The bound is at most the optimum; ``optimal`` only with a safe bound meeting the residual."""
    assert r.status in (OPTIMAL, FEASIBLE), r.summary()
    assert r.bound is None or r.bound <= truth + 1e-9 * (1.0 + truth), (r.bound, truth)
    assert r.objective >= truth - 1e-9 * (1.0 + truth)
    if r.status == OPTIMAL:
        assert r.bound is not None and r.objective - r.bound <= tolerance(y), r.summary()


@given(
    st.sampled_from([1, 2]),
    st.sampled_from(["relu", "linear"]),
    st.sampled_from(["l1", "linf"]),
    st.integers(0, 10**6),
    st.sampled_from([0.0, 0.3]),
)
def test_noisy_bound_never_exceeds_the_brute_force_optimum(depth, output, norm, seed, noise):
    net, y = net_and_target(depth, output, seed, noise)
    truth = brute_force(net, y, norm, -BOX * np.ones(2), BOX * np.ones(2))
    check(run(net, y, norm), truth, y, norm)


@pytest.mark.parametrize("output", ["relu", "linear"])
@pytest.mark.parametrize("norm", ["l1", "linf"])
@pytest.mark.parametrize("depth", [1, 2])
def test_an_lp_objective_too_high_is_not_taken_as_a_bound(depth, norm, output):
    """Fails before the safe bounds: the engine's float objective (here 1 too high) was the bound."""
    for seed in range(3):
        net, y = net_and_target(depth, output, seed, 0.3)
        truth = brute_force(net, y, norm, -BOX * np.ones(2), BOX * np.ones(2))
        check(run(net, y, norm, LyingLps(too_high)), truth, y, norm)


@pytest.mark.parametrize("norm", ["l1", "linf"])
def test_without_a_certificate_the_answer_is_feasible_with_no_bound(norm):
    """A linear layer whose LP comes back without duals: z is verified, nothing is proven."""
    net, y = net_and_target(1, "linear", 0, 0.3)
    r = run(net, y, norm, LyingLps(no_duals))
    assert r.status == FEASIBLE and r.bound is None and r.z is not None, r.summary()
    assert r.solver["lp_value"] is not None
    exact = run(net, y, norm)
    assert exact.status == OPTIMAL and exact.bound is not None, exact.summary()
