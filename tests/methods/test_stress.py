"""Numerical stress: planted instances in hostile regimes, every backend, every answer checked.

The MILP must never return ``optimal`` with a residual above tolerance and never ``infeasible``
for a planted instance. Regimes: rows scaled over six orders of magnitude, entries over eight,
pre-activations within 1e-9 of zero at the planted point, large latent boxes, and all of these
at once. Answers are checked by an independent forward pass (plain numpy, not
``ReluNetwork.forward``). ``failed`` / ``time_limit`` are honest non-answers, allowed in small
numbers; a wrong verdict never is.
"""

import numpy as np
import pytest

from milpinv import Instance, ReluNetwork, invert
from milpinv.status import INFEASIBLE, OPTIMAL
from milpinv.tolerance import tolerance

REGIMES = {
    "scaled": {"rows"},
    "mixed": {"entries"},
    "degenerate": {"degenerate"},
    "large_box": {"box"},
    "combined": {"entries", "degenerate", "box"},
}


def _random_dims(rng) -> list[int]:
    n0 = int(rng.integers(2, 5))
    return [n0] + [int(rng.integers(3, 8)) for _ in range(int(rng.integers(1, 4)))]


def planted(regime: str, seed: int) -> tuple[Instance, np.ndarray]:
    """A planted instance of one regime; returns it and the planted z."""
    features = REGIMES[regime]
    rng = np.random.default_rng(seed)
    dims = _random_dims(rng)
    net = ReluNetwork.random(dims, seed=seed, bias_scale=0.5)
    ws, bs = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    radius = 3.0
    z = rng.uniform(-2.0, 2.0, size=dims[0])
    for k in range(len(ws)):
        if "rows" in features:  # each neuron's row (and bias) scaled by 10^U(-3, 3)
            scale = 10.0 ** rng.uniform(-3, 3, size=(ws[k].shape[0], 1))
            ws[k] *= scale
            bs[k] *= scale[:, 0]
        if "entries" in features:  # every weight and bias scaled independently by 10^U(-4, 4)
            ws[k] *= 10.0 ** rng.uniform(-4, 4, size=ws[k].shape)
            bs[k] *= 10.0 ** rng.uniform(-4, 4, size=bs[k].shape)
    if "box" in features:
        radius = 1e4
        z = rng.uniform(-1e3, 1e3, size=dims[0])
    if "degenerate" in features:  # 40% of the neurons at +-1e-10 or 0 at the planted z
        h = z
        for k in range(len(ws)):
            a = ws[k] @ h + bs[k]
            near = rng.random(a.shape[0]) < 0.4
            bs[k][near] -= a[near] - rng.choice([-1e-10, 0.0, 1e-10], size=int(near.sum()))
            h = np.maximum(ws[k] @ h + bs[k], 0.0)
    net = ReluNetwork(ws, bs)
    x = net.forward(z)
    return Instance(net, x, np.full(dims[0], -radius), np.full(dims[0], radius), {"planted_z": z.tolist()}), z


def forward(inst: Instance, z: np.ndarray) -> np.ndarray:
    """G(z) by plain numpy, independent of ReluNetwork.forward."""
    h = np.asarray(z, dtype=np.float64)
    for W, b in zip(inst.network.weights, inst.network.biases):
        h = np.maximum(np.einsum("ij,j->i", W, h) + b, 0.0)
    return h


def rounding(inst: Instance, z: np.ndarray) -> float:
    """How far two float64 forward passes may differ: eps times the largest sum of |terms|."""
    h, scale = np.abs(np.asarray(z, dtype=np.float64)), 1.0
    for W, b in zip(inst.network.weights, inst.network.biases):
        terms = np.abs(W) @ h + np.abs(b)
        scale, h = max(scale, float(terms.max())), terms
    return 1e-13 * scale


def check_answer(inst: Instance, solver: str, **options) -> str:
    """Solve with the MILP alone (no heuristic) and check the answer; returns its status."""
    res = invert(inst, method="milp", solver=solver, time_limit=60, heuristic=False, **options)
    assert res.status != INFEASIBLE, f"planted instance declared infeasible by {solver}: {res.message}"
    if res.z is not None:
        assert np.all(res.z >= inst.lower) and np.all(res.z <= inst.upper)
        r = float(np.max(np.abs(forward(inst, res.z) - inst.target)))
        assert r == pytest.approx(res.residual_linf, rel=1e-6, abs=rounding(inst, res.z)), "reported residual is wrong"
        if res.status == OPTIMAL:
            assert r <= tolerance(inst.target), res.summary()
    elif res.status == OPTIMAL:
        pytest.fail(f"optimal without z: {res.summary()}")
    assert res.status == OPTIMAL or res.message, "a non-answer must say why"
    return res.status


def assert_mostly_optimal(statuses: list[str], share: float) -> None:
    assert statuses.count(OPTIMAL) >= share * len(statuses), {s: statuses.count(s) for s in set(statuses)}


@pytest.mark.parametrize("regime", list(REGIMES))
def test_stress_highs(regime):
    statuses = [check_answer(planted(regime, seed)[0], "highs") for seed in range(60)]
    assert_mostly_optimal(statuses, 0.9)


@pytest.mark.parametrize("regime", ["degenerate", "combined"])
def test_stress_highs_without_peeling(regime):
    """The big-M model alone, without the exact presolve that removes expanding layers."""
    statuses = [check_answer(planted(regime, seed)[0], "highs", peeling=False) for seed in range(60, 100)]
    assert_mostly_optimal(statuses, 0.9)


@pytest.mark.parametrize("solver", ["ortools-scip", "pyomo:appsi_highs"])
@pytest.mark.parametrize("regime", list(REGIMES))
def test_stress_other_backends(solver, regime):
    statuses = [check_answer(planted(regime, seed)[0], solver) for seed in range(100, 120)]
    assert_mostly_optimal(statuses, 0.8)


@pytest.mark.parametrize("norm", ["l1", "linf"])
def test_stress_noisy_bounds_never_exceed_the_planted_residual(norm):
    """With noise the planted z has residual e; a certified optimum or lower bound above e is wrong."""
    for seed in range(30):
        inst, z = planted(["mixed", "degenerate", "large_box"][seed % 3], 200 + seed)
        rng = np.random.default_rng(seed)
        x = inst.target + rng.normal(0.0, 1e-3 * max(1.0, float(np.abs(inst.target).max())), inst.target.shape)
        noisy = Instance(inst.network, x, inst.lower, inst.upper, {"noise": 1})
        e = forward(noisy, z) - x
        planted_residual = float(np.abs(e).sum() if norm == "l1" else np.abs(e).max())
        res = invert(noisy, method="milp", norm=norm, time_limit=60, heuristic=False)
        slack = 1e-6 * max(1.0, planted_residual, float(np.abs(x).max()))
        assert res.status != INFEASIBLE
        if res.bound is not None:
            assert res.bound <= planted_residual + slack, res.summary()
        if res.status == OPTIMAL:
            assert res.objective <= planted_residual + slack, res.summary()
        if res.z is not None:
            r = forward(noisy, res.z) - x
            true = np.abs(r).sum() if norm == "l1" else np.abs(r).max()
            assert res.objective == pytest.approx(true, rel=1e-6, abs=x.size * rounding(noisy, res.z))


def integer_planted(seed: int, degenerate: bool) -> Instance:
    """Integer weights, integer z; with ``degenerate`` some pre-activations are exactly 0 at z."""
    rng = np.random.default_rng(seed)
    dims = _random_dims(rng)
    ws = [rng.integers(-3, 4, size=(b, a)).astype(float) for a, b in zip(dims[:-1], dims[1:])]
    bs = [rng.integers(-2, 3, size=b).astype(float) for b in dims[1:]]
    z = rng.integers(-3, 4, size=dims[0]).astype(float)
    if degenerate:
        h = z
        for W, b in zip(ws, bs):
            a = W @ h + b
            zero = rng.random(a.shape[0]) < 0.4
            b[zero] -= a[zero]
            h = np.maximum(W @ h + b, 0.0)
    net = ReluNetwork(ws, bs)
    return Instance(
        net,
        net.forward(z),
        np.full(dims[0], -3.0),
        np.full(dims[0], 3.0),
        {"planted_z": z.tolist(), "integral_preimage": False},
    )


@pytest.mark.parametrize("degenerate", [False, True])
def test_stress_cpsat_integer_instances(degenerate):
    """CP-SAT computes in exact integer arithmetic: every planted integer instance is solved exactly."""
    for seed in range(40):
        inst = integer_planted(seed, degenerate)
        res = invert(inst, method="milp", solver="cpsat", time_limit=60, heuristic=False)
        assert res.status == OPTIMAL, res.summary()
        assert np.max(np.abs(forward(inst, res.z) - inst.target)) <= tolerance(inst.target)
