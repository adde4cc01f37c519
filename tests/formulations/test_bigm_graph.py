"""The big-M model (formulations/bigm.py) is the graph of the network, block by block.

* every sampled point of the graph, (z, each layer's values, the activation pattern as binaries,
  the errors), meets every row of the model up to float64 rounding;
* conversely, on tiny networks (2 inputs, 2 x 2 hidden), for every assignment of the binaries the
  LP with those binaries fixed (scipy.optimize.linprog) has the same projection on z as the linear
  piece of that pattern, built here in numpy apart from milpinv (same optimum in random
  directions), every point it finds lies on the graph, and with l1 / linf its best value is the
  network's least error over every pattern (brute force, again in numpy and linprog);
* stable neurons get no binary.
"""

import itertools

import numpy as np
import pytest
from helpers import layer_values, linprog_model, satisfies
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from milpinv import ReluNetwork
from milpinv.bounds.interval import interval_bounds
from milpinv.bounds.propagation import propagate_bounds
from milpinv.formulations.bigm import build_formulation, kink_constants
from milpinv.formulations.blocks import OutputSpec
from milpinv.problem import Box

LOWER, UPPER = -np.ones(2), np.ones(2)


# ------------------------------------------------------------------ the graph, apart from milpinv
def observed_interval(kind: str, slope: float, x: np.ndarray, band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pre-activations a with act(a) within band of x, written out per activation."""
    lo, hi = x - band, x + band
    if kind == "relu":
        return np.where(lo > 0, lo, -np.inf), hi
    if kind == "leaky_relu":
        return np.where(lo >= 0, lo, lo / slope), np.where(hi >= 0, hi, hi / slope)
    if kind == "tanh":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(lo <= -1, -np.inf, np.arctanh(lo)), np.where(hi >= 1, np.inf, np.arctanh(hi))
    if kind == "sigmoid":
        logit = lambda y: np.log(y / (1 - y))  # noqa: E731
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(lo <= 0, -np.inf, logit(lo)), np.where(hi >= 1, np.inf, logit(hi))
    return lo, hi


def affine_pieces(net: ReluNetwork, pattern: list[np.ndarray]) -> list[tuple[np.ndarray, np.ndarray]]:
    """a_k = P_k z + q_k on the piece of ``pattern`` (True: the kink's upper side), every layer."""
    P, q = np.eye(net.input_dim), np.zeros(net.input_dim)
    maps = []
    for k, (W, b) in enumerate(zip(net.weights, net.biases)):
        P, q = np.asarray(W) @ P, np.asarray(W) @ q + b
        maps.append((P, q))
        act = net.activation(k)
        if act.kinked:
            s = np.where(pattern[k], 1.0, act.low_slope)
            P, q = P * s[:, None], q * s
    return maps


def piece_rows(maps, pattern: list[np.ndarray], signed: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """G z <= g: the side of every neuron in ``signed`` (a mask per layer) that ``pattern`` gives."""
    G, g = [], []
    for (P, q), on, keep in zip(maps, pattern, signed):
        side = np.where(on, -1.0, 1.0)[keep]  # on: -(P z + q) <= 0, off: P z + q <= 0
        G.append(side[:, None] * P[keep])
        g.append(-side * q[keep])
    return np.vstack(G), np.concatenate(g)


def piece_lp(c: np.ndarray, G: np.ndarray, g: np.ndarray, out=None, x=None, norm=None, obs=None):
    """min c z over the piece (G z <= g, z in the box), with the observation rows (exact) or the
    error epigraph of y = P z + q against x (l1 / linf; then c is ignored: min the error)."""
    n = LOWER.size
    if norm in (None, "exact"):
        A, bvec = G, g
        if obs is not None:
            P, q = out
            lo, hi = obs
            up, dn = np.isfinite(hi), np.isfinite(lo)
            A = np.vstack([A, P[up], -P[dn]])
            bvec = np.concatenate([bvec, hi[up] - q[up], q[dn] - lo[dn]])
        return linprog(c, A_ub=A, b_ub=bvec, bounds=list(zip(LOWER, UPPER)), method="highs-ds")
    P, q = out
    m = P.shape[0]
    k = m if norm == "l1" else 1
    E = np.eye(m) if norm == "l1" else np.ones((m, 1))
    A = np.vstack([np.hstack([G, np.zeros((G.shape[0], k))]), np.hstack([P, -E]), np.hstack([-P, -E])])
    bvec = np.concatenate([g, x - q, q - x])
    cost = np.concatenate([np.zeros(n), np.ones(k)])
    return linprog(cost, A_ub=A, b_ub=bvec, bounds=list(zip(LOWER, UPPER)) + [(0, None)] * k, method="highs-ds")


def graph_point(form, net: ReluNetwork, z: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The model's variables at z, filled in here from a numpy forward pass: z, each layer's values
    where the model keeps them, the pattern of the neurons with a binary, the errors."""
    m = form.model
    v = np.zeros(m.num_vars)
    v[m.blocks["z"]] = z
    values = layer_values(net, z)
    for (a, h), lv in zip(values, form.layers):
        v[lv.h] = h[lv.kept]
        if lv.d is not None:
            v[lv.d] = a[lv.unstable] > 0
    err = np.abs(values[-1][1] - x)
    if "e" in m.blocks:
        v[m.blocks["e"]] = err
    if "t" in m.blocks:
        v[m.blocks["t"]] = err.max()
    return v


# ------------------------------------------------------------------ tiny networks
@st.composite
def tiny(draw, norm: str):
    """2 inputs, two hidden layers of 2, 1 output (exact: the pre-image is a curve) or 2 (l1 /
    linf), weights N(0, 1); the target is G(z0) (exact) or G(z0) plus noise."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hidden = draw(st.sampled_from(["relu", "leaky_relu:0.2"]))
    outputs = ["relu", "linear", "leaky_relu:0.3"] + (["tanh", "sigmoid"] if norm == "exact" else [])
    output = draw(st.sampled_from(outputs))
    dims = [2, 2, 2, 1 if norm == "exact" else 2]
    weights = [rng.normal(0, 1, (m, n)) for n, m in zip(dims[:-1], dims[1:])]
    biases = [rng.normal(0, 0.5, m) for m in dims[1:]]
    net = ReluNetwork(weights, biases, activations=[hidden, hidden, output])
    z0 = rng.uniform(LOWER, UPPER)
    x = net.forward(z0)
    if norm != "exact":
        x = x + rng.normal(0, 0.5, x.shape)
    return net, z0, x, rng


def formulation(net, x, norm, propagated=False):
    bounds = interval_bounds(net, LOWER, UPPER)
    band = 1e-6 * max(1.0, np.abs(x).max()) if norm == "exact" else 0.0
    act = net.activation(net.depth - 1)
    obs = observed_interval(act.kind, act.low_slope, x, np.full(x.shape, band)) if norm == "exact" else None
    lower, upper = LOWER, UPPER
    if propagated:  # bounds that hold on the pre-image only (build_model's way with the exact norm)
        p = propagate_bounds(net, bounds, Box(LOWER, UPPER), obs)
        assert not p.empty
        bounds, lower, upper = p.bounds, p.z_lower, p.z_upper
    return build_formulation(net, OutputSpec(x, norm, band), Box(lower, upper), bounds), obs


def patterns_of(form, net: ReluNetwork, bits) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The pattern that the binaries ``bits`` (in column order) and the stable neurons give, and
    which neurons the piece constrains (every hidden one; at the output those with a binary)."""
    values = dict(zip(np.flatnonzero(form.model.integrality), bits))
    pattern, signed = [], []
    for k in range(net.depth):
        lo, hi = form.bounds[k]
        on = lo >= 0
        keep = np.ones(lo.shape, bool) if k < net.depth - 1 else np.zeros(lo.shape, bool)
        if k < len(form.layers) and form.layers[k].d is not None:
            lv = form.layers[k]
            on[lv.unstable] = [values[j] > 0.5 for j in range(lv.d.start, lv.d.stop)]
            keep[lv.unstable] = True
        pattern.append(on)
        signed.append(keep)
    return pattern, signed


def assert_on_graph(form, net: ReluNetwork, v: np.ndarray, tol: float = 1e-6) -> None:
    """The model's layer values at its solution v are the network's at v's z."""
    z = form.model.value(v, "z")
    for (_, h), lv in zip(layer_values(net, z), form.layers):
        np.testing.assert_allclose(v[lv.h], h[lv.kept], atol=tol * (1 + np.abs(h).max()))


def binary_assignments(form):
    n = form.model.num_integer
    assert n <= 6
    return list(itertools.product([0.0, 1.0], repeat=n))


# ------------------------------------------------------------------ graph inside the model
@pytest.mark.parametrize("norm", ["exact", "l1", "linf"])
@given(data=st.data())
def test_every_sampled_point_of_the_graph_meets_every_row(norm, data):
    net, z0, x, rng = data.draw(tiny(norm))
    for propagated in (False, True) if norm == "exact" else (False,):
        form, _ = formulation(net, x, norm, propagated)
        zs = (
            [z0]
            if norm == "exact"
            else [z0, *rng.uniform(LOWER, UPPER, (50, 2)), *itertools.product(*zip(LOWER, UPPER))]
        )
        for z in zs:
            v = graph_point(form, net, np.asarray(z), x)
            assert satisfies(form.model, v), (z, propagated)
            np.testing.assert_array_equal(form.complete(np.asarray(z), x), v)  # the library's own filling agrees


# ------------------------------------------------------------------ the model inside the graph
@given(tiny("exact"), st.booleans())
def test_exact_model_with_fixed_binaries_is_the_piece_inside_the_observation(case, propagated):
    """For every binary assignment: the fixed-binary LP is feasible exactly when the piece meets
    the observation, has the same least c z for random c, and its points are on the graph with
    G(z) observed as x."""
    net, z0, x, rng = case
    form, obs = formulation(net, x, "exact", propagated)
    cz = np.zeros(form.model.num_vars)
    zcols = form.model.blocks["z"]
    feasible = 0
    for bits in binary_assignments(form):
        pattern, signed = patterns_of(form, net, bits)
        maps = affine_pieces(net, pattern)
        G, g = piece_rows(maps[:-1], pattern[:-1], signed[:-1])
        fixed = dict(zip(np.flatnonzero(form.model.integrality), bits))
        for c in rng.normal(0, 1, (3, 2)):
            cz[zcols] = c
            mine, theirs = piece_lp(c, G, g, maps[-1], obs=obs), linprog_model(form.model, cz, fixed)
            assert mine.status == theirs.status, (bits, mine.message, theirs.message)
            if theirs.status != 0:
                break
            assert theirs.fun == pytest.approx(mine.fun, abs=1e-6)
            assert_on_graph(form, net, theirs.x)
            a_out = layer_values(net, form.model.value(theirs.x, "z"))[-1][0]
            assert np.all(obs[0] - 1e-6 <= a_out) and np.all(a_out <= obs[1] + 1e-6)
            feasible += 1
    assert feasible > 0  # z0's own piece at least


@pytest.mark.parametrize("norm", ["l1", "linf"])
@given(data=st.data())
def test_error_model_with_fixed_binaries_is_the_piece_and_its_optimum_the_least_error(norm, data):
    """For every binary assignment the fixed-binary LP has the piece's projection on z, its points
    are on the graph, and its error is at least the network's at its z; its least value over
    every assignment is the least error over every pattern of the network (brute force)."""
    net, _, x, rng = data.draw(tiny(norm))
    form, _ = formulation(net, x, norm)
    zcols = form.model.blocks["z"]
    best = np.inf
    for bits in binary_assignments(form):
        pattern, signed = patterns_of(form, net, bits)
        maps = affine_pieces(net, pattern)
        G, g = piece_rows(maps, pattern, signed)
        fixed = dict(zip(np.flatnonzero(form.model.integrality), bits))
        theirs = linprog_model(form.model, None, fixed)
        assert theirs.status == piece_lp(np.zeros(2), G, g).status
        if theirs.status != 0:
            continue
        best = min(best, theirs.fun)
        assert_on_graph(form, net, theirs.x)
        err = np.abs(net.forward(form.model.value(theirs.x, "z")) - x)
        assert theirs.fun >= (err.sum() if norm == "l1" else err.max()) - 1e-6
        for c in rng.normal(0, 1, (2, 2)):
            cz = np.zeros(form.model.num_vars)
            cz[zcols] = c
            assert linprog_model(form.model, cz, fixed).fun == pytest.approx(piece_lp(c, G, g).fun, abs=1e-6)
    assert best == pytest.approx(least_error(net, x, norm), abs=1e-6)


def least_error(net: ReluNetwork, x: np.ndarray, norm: str) -> float:
    """min over the box of ||G(z) - x||, by one LP per pattern of every kinked neuron (numpy and
    linprog only)."""
    widths = net.dims[1:]
    best = np.inf
    for bits in itertools.product([False, True], repeat=sum(widths)):
        pattern = list(np.split(np.array(bits), np.cumsum(widths)[:-1]))
        if not net.activation(net.depth - 1).kinked and not pattern[-1].all():
            continue  # a linear output has one pattern
        maps = affine_pieces(net, pattern)
        signed = [np.full(w, net.activation(k).kinked) for k, w in enumerate(widths)]
        G, g = piece_rows(maps, pattern, signed)
        P, q = maps[-1]
        if net.activation(net.depth - 1).kinked:
            s = np.where(pattern[-1], 1.0, net.activation(net.depth - 1).low_slope)
            P, q = P * s[:, None], q * s
        res = piece_lp(None, G, g, (P, q), x, norm)
        if res.status == 0:
            best = min(best, res.fun)
    return best


# ------------------------------------------------------------------ by hand
def one_neuron(kind: str = "relu"):
    """G(z) = act(z) on z in [-1, 2] with a linear output h: the big-M rows of one unstable neuron."""
    net = ReluNetwork([[[1.0]], [[1.0]]], [[0.0], [0.0]], activations=[kind, "linear"])
    lower, upper = np.array([-1.0]), np.array([2.0])
    bounds = [(np.array([-1.0]), np.array([2.0])), (np.array([-1.0]), np.array([2.0]))]
    return net, build_formulation(net, OutputSpec(np.array([0.0]), "l1"), Box(lower, upper), bounds)


@pytest.mark.parametrize("kind, slope", [("relu", 0.0), ("leaky_relu:0.5", 0.5)])
def test_one_unstable_neuron_by_hand(kind, slope):
    """d = 0: z in [-1, 0] and h = s z; d = 1: z in [0, 2] and h = z (linprog over the model)."""
    net, form = one_neuron(kind)
    m = form.model
    assert m.num_integer == 1
    z, h, d = m.blocks["z"].start, form.layers[0].h.start, form.layers[0].d.start
    for bit, (z_lo, z_hi) in ((0.0, (-1.0, 0.0)), (1.0, (0.0, 2.0))):
        for sense, want in ((1.0, z_lo), (-1.0, z_hi)):
            c = np.zeros(m.num_vars)
            c[z] = sense
            res = linprog_model(m, c, {d: bit})
            assert res.status == 0 and sense * res.fun == pytest.approx(want, abs=1e-9)
            assert res.x[h] == pytest.approx(res.x[z] if bit else slope * res.x[z], abs=1e-9)
        for zv in np.linspace(z_lo, z_hi, 7):  # h is pinned to act(z) at each z of the piece
            for sense in (1.0, -1.0):
                c = np.zeros(m.num_vars)
                c[h] = sense
                res = linprog_model(m, c, {d: bit, z: zv})
                assert res.status == 0 and res.x[h] == pytest.approx(max(zv, slope * zv), abs=1e-9)


def test_kink_constants_round_outward_in_exact_arithmetic():
    """c_lo <= (1 - s) lo and c_hi >= (1 - s) hi over the rationals; exactly lo, hi for relu."""
    from fractions import Fraction

    rng = np.random.default_rng(1)
    lo, hi = -rng.exponential(1.0, 200) * 10.0 ** rng.uniform(-6, 6, 200), rng.exponential(1.0, 200)
    for s in (0.0, 0.01, 0.1, 0.3, 1 / 3):
        c_lo, c_hi = kink_constants(lo, hi, s)
        if s == 0.0:
            assert np.array_equal(c_lo, lo) and np.array_equal(c_hi, hi)
        for a, b, cl, ch in zip(lo, hi, c_lo, c_hi):
            assert Fraction(cl) <= (1 - Fraction(s)) * Fraction(a)
            assert Fraction(ch) >= (1 - Fraction(s)) * Fraction(b)


def test_stable_neurons_get_no_binary():
    """On z in [-1, 1]^2: neuron 0 = z1 + z2 + 5 is always active (an equality, no binary),
    neuron 1 = z1 - z2 - 5 always inactive (relu: no variable, the row a <= 0; leaky: h = s a),
    neurons 2, 3 unstable (one binary each). Each binary sits on an unstable neuron."""
    W0 = np.array([[1.0, 1.0], [1.0, -1.0], [1.0, 0.0], [0.0, 1.0]])
    b0 = np.array([5.0, -5.0, 0.0, 0.0])
    for hidden in ("relu", "leaky_relu:0.1"):
        net = ReluNetwork([W0, np.ones((1, 4))], [b0, np.zeros(1)], activations=[hidden, "linear"])
        bounds = interval_bounds(net, LOWER, UPPER)
        for norm in ("exact", "l1"):
            form = build_formulation(net, OutputSpec(np.array([5.5]), norm), Box(LOWER, UPPER), bounds)
            lv = form.layers[0]
            assert form.model.num_integer == 2 and list(lv.unstable) == [2, 3]
            assert list(lv.kept) == ([0, 2, 3] if hidden == "relu" else [0, 1, 2, 3])
            assert form.counts == {"stable_active": 1, "stable_inactive": 1, "unstable": 2}
            names = set(form.model.row_blocks)
            assert ("off0" in names) == (hidden == "relu") and "act0" in names
            assert ("inact0" in names) == (hidden != "relu")


@settings(max_examples=300, deadline=None)
@given(
    st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=True),
    st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=True),
    st.floats(-1e6, 1e6, allow_nan=False, allow_subnormal=True),
)
def test_the_output_error_cap_holds_the_exact_error(lo, hi, x):
    """Review: the l1 / linf error columns' upper bound max(hi - x, x - lo) was one float
    subtraction, rounded to nearest, so it could sit half an ulp below the exact error of an output
    at its bound; the cap is pushed up by that rounding (checked in exact fractions)."""
    from fractions import Fraction

    from milpinv.formulations.bigm import _error_cap

    lo, hi = min(lo, hi), max(lo, hi)
    cap = _error_cap(np.maximum(np.array([hi - x]), np.array([x - lo])))[0]
    exact = max(Fraction(hi) - Fraction(x), Fraction(x) - Fraction(lo))
    assert Fraction(cap) >= exact
