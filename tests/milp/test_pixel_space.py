"""l1 / linf through a tanh / sigmoid output, measured in pixels: the certified bound never exceeds
the true distance (brute force on tiny networks), and the search proves the optimum."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize, minimize_scalar

from milpinv import ReluNetwork, invert
from milpinv.milp.build import build_model
from milpinv.norm import Norm
from milpinv.problem import Box, Problem
from tests.helpers import linprog_model


def distances(net: ReluNetwork, x: np.ndarray, norm: str, Z: np.ndarray) -> np.ndarray:
    err = np.abs(np.array([net.forward(z) for z in Z]) - x)
    return err.sum(axis=1) if norm == "l1" else err.max(axis=1)


def true_distance(net: ReluNetwork, x: np.ndarray, norm: str, lower: np.ndarray, upper: np.ndarray) -> float:
    """min over the box of ||act(G(z)) - x||, from above: a fine grid (every activation region of a
    latent of 1 or 2 is many cells wide), then a local minimisation from the best cells."""
    dim = lower.size
    axes = [np.linspace(lower[i], upper[i], 4001 if dim == 1 else 301) for i in range(dim)]
    Z = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, dim)
    values = distances(net, x, norm, Z)
    f = lambda z: float(distances(net, x, norm, np.clip(np.atleast_1d(z), lower, upper)[None, :])[0])  # noqa: E731
    best = float(values.min())
    step = (upper - lower) / (len(axes[0]) - 1)
    for z0 in Z[np.argsort(values)[:5]]:
        if dim == 1:
            r = minimize_scalar(f, bounds=(max(lower[0], z0[0] - step[0]), min(upper[0], z0[0] + step[0])))
            best = min(best, float(r.fun))
        else:
            best = min(best, float(minimize(f, z0, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-14}).fun))
    return best


def tiny_case(kind: str, dim: int, seed: int) -> tuple[ReluNetwork, np.ndarray, np.ndarray, np.ndarray]:
    net = ReluNetwork.random([dim, 5, 4, 6], seed=seed, output_activation=kind)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-0.95, 0.95, 6) if kind == "tanh" else rng.uniform(0.05, 0.95, 6)
    return net, x, -np.ones(dim), np.ones(dim)


@pytest.mark.parametrize("kind", ["tanh", "sigmoid"])
@pytest.mark.parametrize("norm", ["l1", "linf"])
@pytest.mark.parametrize("dim,seed", [(1, 0), (1, 1), (2, 2)])
def test_the_root_relaxation_never_exceeds_the_true_pixel_distance(kind, norm, dim, seed):
    """The model's LP optimum (solved apart from milpinv's solver layer) is a lower bound."""
    net, x, lower, upper = tiny_case(kind, dim, seed)
    form, _ = build_model(Problem.of(net, x, Norm.parse(norm), Box(lower, upper)))
    lp = linprog_model(form.model)
    assert lp.status == 0
    assert lp.fun <= true_distance(net, x, norm, lower, upper) + 1e-12


@pytest.mark.parametrize("kind", ["tanh", "sigmoid"])
@pytest.mark.parametrize("norm", ["l1", "linf"])
@pytest.mark.parametrize("dim,seed", [(1, 0), (2, 2)])
def test_the_pixel_search_proves_the_true_distance(kind, norm, dim, seed):
    net, x, lower, upper = tiny_case(kind, dim, seed)
    truth = true_distance(net, x, norm, lower, upper)
    r = invert(net, x, method="milp", norm=norm, box=(lower, upper))
    assert r.status == "optimal", r.summary()
    assert r.bound <= truth + 1e-12 and r.objective >= truth - 1e-9
    assert r.objective == pytest.approx(truth, abs=1e-5)
    residual = r.residual_l1 if norm == "l1" else r.residual_linf
    assert r.objective == residual  # bound and objective speak of the same pixels


def test_a_stopped_pixel_search_answers_with_a_certified_interval():
    net, x, lower, upper = tiny_case("tanh", 2, 3)
    r = invert(net, x, method="milp", norm="l1", box=(lower, upper), node_limit=3)
    assert r.status == "feasible" and r.bound is not None and r.gap is not None, r.summary()
    assert r.bound <= true_distance(net, x, "l1", lower, upper) + 1e-12 <= r.objective + 1e-9


@pytest.mark.parametrize("kind", ["tanh", "sigmoid"])
def test_the_pixel_bound_stays_below_the_best_of_100000_sampled_codes(kind):
    """A generator too big for brute force (latent 4, 40 hidden units, 16 outputs), stopped early:
    its certified bound never exceeds the distance of any code tried."""
    net = ReluNetwork.random([4, 40, 16], seed=11, output_activation=kind)
    rng = np.random.default_rng(4)
    x = rng.uniform(-0.9, 0.9, 16) if kind == "tanh" else rng.uniform(0.1, 0.9, 16)
    lower, upper = -np.ones(4), np.ones(4)
    r = invert(net, x, method="milp", norm="l1", box=(lower, upper), node_limit=60)
    assert r.bound is not None, r.summary()
    sampled = np.abs(net.forward(rng.uniform(lower, upper, size=(100_000, 4))) - x).sum(axis=1).min()
    assert r.bound <= min(sampled, r.objective)


@settings(max_examples=8, deadline=None)
@given(
    st.sampled_from(["tanh", "sigmoid"]),
    st.sampled_from(["l1", "linf"]),
    st.integers(1, 2),
    st.integers(0, 10_000),
    st.integers(2, 40),
)
def test_every_stopped_box_search_bound_is_below_the_true_pixel_distance(kind, norm, dim, seed, nodes):
    """The box search stopped after ``nodes`` nodes (the latent box's search, then halves searched
    at their roots, their output bounds tightened by LP): its bound never exceeds the brute-force
    distance, and the incumbent never lies below it."""
    net, x, lower, upper = tiny_case(kind, dim, seed)
    r = invert(net, x, method="milp", norm=norm, box=(lower, upper), node_limit=nodes, heuristic=False)
    truth = true_distance(net, x, norm, lower, upper)
    assert r.objective is not None and r.objective >= truth - 1e-9, r.summary()
    assert r.bound is None or r.bound <= truth + 1e-12, (r.summary(), truth)
