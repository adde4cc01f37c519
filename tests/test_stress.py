"""Numerical stress: planted instances in hostile regimes, every backend, every answer checked.

The MILP must never return ``optimal`` with a residual above tolerance and never ``infeasible``
for a planted instance. Regimes: weights spanning many orders of magnitude, pre-activations
within 1e-9 of zero at the planted point, and large latent boxes.
"""
import numpy as np
import pytest

from milpinv import Instance, ReluNetwork, invert
from milpinv.result import INFEASIBLE, OPTIMAL, tolerance

REGIMES = ("scaled", "degenerate", "large_box")


def _random_dims(rng) -> list[int]:
    n0 = int(rng.integers(2, 5))
    return [n0] + [int(rng.integers(3, 8)) for _ in range(int(rng.integers(1, 4)))]


def planted(regime: str, seed: int) -> tuple[Instance, np.ndarray]:
    """A planted instance of one regime; returns it and the planted z."""
    rng = np.random.default_rng(seed)
    dims = _random_dims(rng)
    net = ReluNetwork.random(dims, seed=seed, bias_scale=0.5)
    ws, bs = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    radius = 3.0
    z = rng.uniform(-2.0, 2.0, size=dims[0])
    if regime == "scaled":
        for k in range(len(ws)):
            scale = 10.0 ** rng.uniform(-3, 3, size=(ws[k].shape[0], 1))
            ws[k] *= scale
            bs[k] *= scale[:, 0]
    elif regime == "large_box":
        radius = 1e4
        z = rng.uniform(-1e3, 1e3, size=dims[0])
    elif regime == "degenerate":
        h = z
        for k in range(len(ws)):
            a = ws[k] @ h + bs[k]
            near = rng.random(a.shape[0]) < 0.4
            bs[k][near] -= a[near] - rng.choice([-1e-10, 0.0, 1e-10], size=int(near.sum()))
            a = ws[k] @ h + bs[k]
            h = np.maximum(a, 0.0)
    net = ReluNetwork(ws, bs)
    x = net.forward(z)
    return Instance(net, x, np.full(dims[0], -radius), np.full(dims[0], radius), {"planted_z": z.tolist()}), z


def _check(inst: Instance, solver: str) -> str:
    res = invert(inst, method="milp", solver=solver, time_limit=60, heuristic=False)
    assert res.status != INFEASIBLE, f"planted instance declared infeasible by {solver}: {res.message}"
    if res.status == OPTIMAL:
        assert res.residual_linf <= tolerance(inst.target), res.summary()
    return res.status


@pytest.mark.parametrize("regime", REGIMES)
def test_stress_highs(regime):
    statuses = [_check(planted(regime, seed)[0], "highs") for seed in range(60)]
    assert statuses.count(OPTIMAL) >= 0.9 * len(statuses), statuses


@pytest.mark.parametrize("solver", ["ortools-scip", "pyomo:appsi_highs"])
@pytest.mark.parametrize("regime", REGIMES)
def test_stress_other_backends(solver, regime):
    statuses = [_check(planted(regime, seed)[0], solver) for seed in range(100, 115)]
    assert statuses.count(OPTIMAL) >= 0.8 * len(statuses), statuses


def test_stress_cpsat_integer_instances():
    """Integer weights and integer planted z: CP-SAT computes in exact integer arithmetic."""
    for seed in range(40):
        rng = np.random.default_rng(seed)
        dims = _random_dims(rng)
        ws = [rng.integers(-3, 4, size=(b, a)).astype(float) for a, b in zip(dims[:-1], dims[1:])]
        bs = [rng.integers(-2, 3, size=b).astype(float) for b in dims[1:]]
        net = ReluNetwork(ws, bs)
        z = rng.integers(-3, 4, size=dims[0]).astype(float)
        inst = Instance(net, net.forward(z), np.full(dims[0], -3.0), np.full(dims[0], 3.0),
                        {"planted_z": z.tolist(), "integral_preimage": False})
        res = invert(inst, method="milp", solver="cpsat", time_limit=60, heuristic=False)
        assert res.status == OPTIMAL, res.summary()
        assert res.residual_linf == 0.0
