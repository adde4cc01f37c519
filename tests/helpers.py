"""Shared oracles of the tests: brute force over activation patterns; tiny random problems."""

import itertools

import numpy as np
import scipy.sparse as sp
from hypothesis import strategies as st

from milpinv import ReluNetwork
from milpinv.formulations.blocks import OutputSpec
from milpinv.formulations.pieces import piece_model
from milpinv.problem import Box
from milpinv.solvers import solve


def brute_force(net: ReluNetwork, x, norm, lower, upper, band=0.0) -> float | None:
    """min ||G(z) - x|| over the box by one LP per activation pattern (closed pieces cover the box);
    exact norm: 0.0 if some piece meets the pre-image of x's ``band`` (0, a number, or one per
    output), else None."""
    widths = [net.dims[k + 1] for k in range(net.depth)]
    free = [k for k in range(net.depth) if net.activation(k).kinked and not (norm == "exact" and k == net.depth - 1)]
    best = None
    for bits in itertools.product([False, True], repeat=sum(widths[k] for k in free)):
        pattern, i = [], 0
        for k, w in enumerate(widths):
            if k in free:
                pattern.append(np.array(bits[i : i + w]))
                i += w
            else:  # no kink, or the exact norm's output (its pattern is the observation's)
                pattern.append(np.ones(w, bool))
        out = solve(piece_model(net, pattern, OutputSpec(x, norm, band), Box(lower, upper)), "highs")
        if out.status == "optimal":
            value = 0.0 if norm == "exact" else out.objective
            best = value if best is None else min(best, value)
    return best


def one_line_error(code: int, out: str, err: str, fragment: str) -> None:
    """The CLI's bad-input rule: exit 2, one line on stderr naming ``fragment``, no traceback."""
    assert code == 2, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in out + err


# ---------------------------------------------------------------- independent checks of models
def act_numpy(kind: str, slope: float, a: np.ndarray) -> np.ndarray:
    """An activation written out in numpy, apart from milpinv.activation."""
    if kind == "relu":
        return np.maximum(a, 0.0)
    if kind == "leaky_relu":
        return np.where(a > 0, a, slope * a)
    if kind == "tanh":
        return np.tanh(a)
    if kind == "sigmoid":
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-a))
    return a


def layer_values(net: ReluNetwork, z: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(pre-activation, post-activation) of every layer by a dense numpy forward pass."""
    out, h = [], np.asarray(z, float)
    for W, b, act in zip(net.weights, net.biases, net.activations):
        W = W.toarray() if hasattr(W, "toarray") else np.asarray(W)
        a = W @ h + b
        h = act_numpy(act.kind, act.slope, a)
        out.append((a, h))
    return out


def row_slack(model, v: np.ndarray, ulps: float = 16.0) -> np.ndarray:
    """Per row of ``model``: how far A v lies inside its bounds, in units of the rounding error of
    evaluating the row in float64 (negative beyond ``ulps`` unit roundoffs per term: violated)."""
    Av = model.A @ v
    terms = np.diff(model.A.tocsr().indptr) + 2
    finite = lambda x: np.where(np.isfinite(x), np.abs(x), 0.0)  # noqa: E731
    scale = abs(model.A) @ np.abs(v) + finite(model.row_lower) + finite(model.row_upper) + 1e-300
    tol = ulps * terms * 2.0**-53 * scale
    return np.minimum(Av - model.row_lower, model.row_upper - Av) / tol + 1.0


def satisfies(model, v: np.ndarray, ulps: float = 16.0) -> bool:
    """v meets every row, column bound and integrality of ``model`` up to float64 rounding."""
    cols = (v >= model.col_lower - 1e-15 * np.abs(v)) & (v <= model.col_upper + 1e-15 * np.abs(v))
    ints = np.all(v[model.integrality] == np.round(v[model.integrality]))
    return bool(np.all(row_slack(model, v, ulps) >= 0) and np.all(cols) and ints)


def linprog_model(model, c: np.ndarray | None = None, fixed: dict[int, float] | None = None):
    """The LP relaxation of ``model`` (integrality dropped, columns in ``fixed`` fixed) solved by
    scipy.optimize.linprog, apart from milpinv's solver layer; ``c`` replaces the model's costs."""
    from scipy.optimize import linprog

    A = model.A.tocsr()
    lo, hi = model.row_lower, model.row_upper
    eq = np.isfinite(lo) & (lo == hi)
    up = np.isfinite(hi) & ~eq
    dn = np.isfinite(lo) & ~eq
    A_ub = sp.vstack([A[up], -A[dn]], format="csr")
    b_ub = np.concatenate([hi[up], -lo[dn]])
    col_lo, col_hi = model.col_lower.copy(), model.col_upper.copy()
    for j, value in (fixed or {}).items():
        col_lo[j] = col_hi[j] = value
    bounds = [(None if not np.isfinite(a) else a, None if not np.isfinite(b) else b) for a, b in zip(col_lo, col_hi)]
    return linprog(
        model.c if c is None else c,
        A_ub=A_ub if A_ub.shape[0] else None,
        b_ub=b_ub if A_ub.shape[0] else None,
        A_eq=A[eq] if eq.any() else None,
        b_eq=lo[eq] if eq.any() else None,
        bounds=bounds,
        method="highs-ds",
    )


@st.composite
def tiny_problems(draw):
    """(net, x): a tiny random network (1-3 units a layer, 2-3 layers) and a planted or random target."""
    dims = [draw(st.integers(1, 3))] + [draw(st.integers(1, 3)) for _ in range(draw(st.integers(2, 3)))]
    seed = draw(st.integers(0, 10**6))
    net = ReluNetwork.random(dims, seed=seed, bias_scale=draw(st.sampled_from([0.0, 0.5, 1.0])))
    rng = np.random.default_rng(seed)
    kind = draw(st.sampled_from(["planted", "random"]))
    x = net.forward(rng.uniform(-2, 2, dims[0])) if kind == "planted" else np.abs(rng.normal(size=dims[-1]))
    x[rng.random(dims[-1]) < 0.2] = 0.0
    return net, x
