r"""Linear under-estimators of a smooth output's pixel error, valid on an interval of its
pre-activation: the l1 / linf model of a tanh / sigmoid output, in pixel space.

One pixel j: target x, pre-activation a in [l, u] (sound bounds), error

    e(a) = |act(a) - x|,

quasi-convex in a (act is strictly increasing): 0 at a* = act^-1(x) when x lies in act's range,
monotone on each side of it. For any slope c the best line of that slope below e on [l, u] is

    e(a) >= c a + d(c),     d(c) = min_{a in [l, u]} (e(a) - c a),

and the sup over c of these lines is the convex envelope of e on [l, u]. The minimum is exact and
cheap: g(a) = e(a) - c a is smooth on each side of a*, where g'(a) = +-act'(a) - c vanishes only
where act'(a) = |c|. Both smooth activations solve the logistic equation

    act'(a) = (act(a) - L) (H - act(a)),    [L, H] = act's range (tanh [-1, 1], sigmoid [0, 1]),

so act'(a) = q at a = act^-1(m +- sqrt(r^2 - q)), m = (L + H) / 2, r = (H - L) / 2 (none where
q > r^2). d(c) is the minimum of g over the endpoints l, u, a* (clipped into [l, u]) and those
points (clipped too, and a few ulps either side): a finite set holding every minimiser (for
0 < |c| < :data:`FLAT`, whose stationary points lie where act' nears 0 and round far off, d(0) -
|c| max(|l|, |u|) instead). It is
pushed down by :data:`MARGIN` times the magnitudes of the terms (the float64 evaluation of act,
of the difference and of c a), so the line stays below e in exact arithmetic.

The slopes (:func:`slopes`): 0 (d(0) is the pixel's exact minimal error on the interval), the
chords from a* to each endpoint, and the tangent slopes e'(p) at :data:`TANGENTS` points p spread
over [l, u]; a slope below :data:`FLAT` is taken as 0 (its line is all but the flat one). A
tighter interval (a smaller latent box) raises every d(c).

In the model (:func:`pixel_rows`), with a = W h + b the output pre-activation over the last hidden
layer's variables h, each line is the row  e_j - c W_j h >= c b_j + d  (l1: e_j the pixel's error
column; linf: one column t for every pixel), its right-hand side loosened by the rounding of c W_j
h (as :func:`~milpinv.formulations.blocks.loosen` does).

>>> from milpinv.activation import Activation
>>> tanh = Activation.parse("tanh")
>>> d = floors(tanh, np.array([0.0]), np.array([-1.0]), np.array([2.0]), np.array([[0.0, 1.0]]))
>>> d.round(4).tolist()   # min |tanh a| = 0 at a = 0; min |tanh a| - a = tanh 2 - 2 at a = 2
[[-0.0, -1.036]]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..activation import Activation
from ..solvers.matrix import ModelBuilder
from .blocks import Layer, OutputSpec, loosen

TANGENTS = 12  # tangent slopes per pixel, at points spread over its interval
MARGIN = 16 * 2.0**-53  # relative: the float64 error of e(a) - c a at one point, with room
NEIGHBOURS = 4  # ulps either side of a stationary point evaluated too (its float error)
FLAT = 1e-12  # |c| below this: d(0) - |c| max(|l|, |u|) (stationary points this far out round badly)


def error(act: Activation, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """e(a) = |act(a) - x| (elementwise, broadcast)."""
    return np.abs(act(a) - x)


def stationary(act: Activation, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two pre-activations where act'(a) = q (the module docstring), NaN where there is none."""
    low, high = act.hull
    m, r2 = 0.5 * (low + high), (0.5 * (high - low)) ** 2
    with np.errstate(invalid="ignore"):
        s = np.sqrt(r2 - q)
    gone = ~(s >= 0)
    up, down = act.inverse(m + s), act.inverse(m - s)
    return np.where(gone, np.nan, down), np.where(gone, np.nan, up)


def floors(act: Activation, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, c: np.ndarray) -> np.ndarray:
    """d(c) of the module docstring per pixel (rows) and slope (columns of ``c``), pushed down by
    its rounding: every line c a + d lies below e on [lo, hi]. ``lo`` and ``hi`` finite."""
    x, lo, hi = (np.asarray(v, dtype=np.float64)[:, None] for v in (x, lo, hi))
    c = np.asarray(c, dtype=np.float64)
    flat = np.abs(c) < FLAT
    reach = np.maximum(np.abs(lo), np.abs(hi))
    c, tilt = np.where(flat, 0.0, c), np.where(flat, np.abs(c) * reach, 0.0)  # e - c a >= e - |c| |a|
    points = [lo, hi, act.inverse(x)]
    for p in stationary(act, np.abs(c)):
        points += _around(np.where(np.isnan(p), lo, p), NEIGHBOURS)
    best = np.full(np.broadcast_shapes(x.shape, c.shape), np.inf)
    for p in points:
        p = np.clip(np.broadcast_to(p, best.shape), lo, hi)
        best = np.minimum(best, error(act, p, x) - c * p)
    size = np.abs(x) + max(abs(v) for v in act.hull) + np.abs(c) * reach + tilt
    return best - tilt - MARGIN * size - np.finfo(float).tiny


def _around(p: np.ndarray, n: int) -> list[np.ndarray]:
    """p and the n floats either side of it."""
    out, up, down = [p], p, p
    for _ in range(n):
        up, down = np.nextafter(up, np.inf), np.nextafter(down, -np.inf)
        out += [up, down]
    return out


def slopes(act: Activation, x: np.ndarray, lo: np.ndarray, hi: np.ndarray, tangents: int = TANGENTS) -> np.ndarray:
    """Per pixel (rows): 0, the chords from a* to each end of [lo, hi], and the tangent slopes of e
    at ``tangents`` points spread over [lo, hi] (the module docstring)."""
    x, lo, hi = (np.asarray(v, dtype=np.float64)[:, None] for v in (x, lo, hi))
    star = np.clip(act.inverse(x), lo, hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(hi > star, error(act, hi, x) / (hi - star), 0.0)
        down = np.where(lo < star, -error(act, lo, x) / (star - lo), 0.0)
    p = lo + (hi - lo) * (np.arange(tangents) + 0.5) / tangents
    tangent = np.sign(act(p) - x) * act.derivative(p)
    c = np.concatenate([np.zeros_like(lo), up, down, tangent], axis=1)
    return np.where(np.abs(c) < FLAT, 0.0, c)  # near-flat lines: the flat one (rows a solver can read)


def pixel_rows(
    mb: ModelBuilder,
    prev: slice,
    out: Layer,
    spec: OutputSpec,
    interval: tuple[np.ndarray, np.ndarray],
    cap: np.ndarray,
) -> slice:
    """The error columns (``e`` per pixel for l1, one ``t`` for linf; cost 1, at most ``cap``) and
    the lines of the module docstring for the output layer ``out`` (its activation tanh / sigmoid)
    on the variables ``prev``, its pre-activations within ``interval``, against ``spec``'s target
    and norm. Returns the error columns."""
    W, b, act, x = out.W, out.b, out.act, spec.target
    lo, hi = interval
    m = x.shape[0]
    if spec.norm.per_output:
        e = mb.add_vars("e", m, 0.0, cap, cost=1.0)
    else:
        e = mb.add_vars("t", 1, 0.0, float(cap.max(initial=0.0)), cost=1.0)
    rows = np.flatnonzero(np.isfinite(lo) & np.isfinite(hi))
    if not rows.size:
        return e
    c = slopes(act, x[rows], lo[rows], hi[rows])
    d = floors(act, x[rows], lo[rows], hi[rows], c)
    keep = (c != 0.0).ravel()
    keep[:: c.shape[1]] = True  # each pixel's flat line once (other zero slopes repeat it)
    pix = np.repeat(rows, c.shape[1])[keep]
    c, d = c.ravel()[keep], d.ravel()[keep]
    reach = abs(W[pix]) @ np.maximum(np.abs(mb.lower_of(prev)), np.abs(mb.upper_of(prev))) + np.abs(b[pix])
    rhs = c * b[pix] + d
    low = loosen(rhs, rhs, 2.0 * (np.abs(c) * reach + np.abs(d)))[0]
    at = pix if spec.norm.per_output else np.zeros_like(pix)
    col = sp.csr_matrix((np.ones(pix.size), (np.arange(pix.size), at)), shape=(pix.size, e.stop - e.start))
    mb.add_rows("pixel", [(e, col), (prev, -(sp.diags(c) @ W[pix]))], low, np.inf)
    return e
