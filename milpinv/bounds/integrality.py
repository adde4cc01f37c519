r"""Exact one-dimensional pre-images, and the integrality proof built on them.

Some outputs depend on one latent coordinate z_j only (every neuron on their paths reads a single
input: the reductions' ``relu(relu(z_j) + relu(-z_j)) = 1`` forces |z_j| = 1). For such an output
the map t -> G_i(t) on [lower_j, upper_j] is piecewise linear with few pieces; it is computed in
exact rational arithmetic (``fractions.Fraction``: every float64 weight is a rational), and so is
the set {t : G_i(t) = x_i} (``relu`` output with x_i = 0: {t : a_i(t) <= 0}). Intersecting the sets
of all such outputs of z_j gives a set that contains the j-th coordinate of every pre-image.

If that set is a finite set of integers for every coordinate, every pre-image z is integral; with
integer weights and biases every hidden value is then an integer too, so the lattice model that
CP-SAT decides exactly contains every pre-image (:mod:`milpinv.acceptance`). If it is empty
for some coordinate, no pre-image exists (a proof too).

>>> from milpinv.network import ReluNetwork
>>> net = ReluNetwork([[[1.0], [-1.0]], [[1.0, 1.0]]], [[0.0, 0.0], [0.0]])   # |z|
>>> coordinate_sets(net, np.array([1.0]), np.array([-3.0]), np.array([3.0]))
[[Fraction(-1, 1), Fraction(1, 1)]]
>>> half = ReluNetwork([[[4.0], [-4.0]], [[-1.0, -1.0]]], [[-2.0, 2.0], [1.0]])  # 1 - |4z - 2|
>>> coordinate_sets(half, np.array([1.0]), np.array([-3.0]), np.array([3.0]))
[[Fraction(1, 2)]]
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

Pwl = tuple[list[Fraction], list[Fraction]]  # breakpoints (sorted, both ends included) and values there
Points = list[Fraction] | None  # a finite set of points, or None: not known to be finite


def coordinate_sets(network: Any, target: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> list[Points]:
    """Per latent coordinate: a finite sorted list of rationals containing that coordinate of every
    pre-image (``[]``: no pre-image), or None where no one-input output constrains it to finitely
    many points (every coordinate for a network with an activation other than relu or linear)."""
    sets: list[Points] = [None] * network.input_dim
    if not all(a.exact_arithmetic for a in network.activations):
        return sets  # the exact maps below are those of relu and linear layers only
    coords = _coordinates(network)
    memo: dict[tuple[int, int], Pwl] = {}
    last = network.depth - 1
    for i in np.flatnonzero(coords[last] >= 0):
        j = int(coords[last][i])
        f = _pre_activation(network, (last, int(i)), coords, lower, upper, memo)
        allowed = _solutions(f, Fraction(float(target[i])), network.applies_relu(last))
        sets[j] = _intersect(sets[j], allowed)
    return sets


def integral_preimages(network: Any, target: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> bool:
    """True when the one-input outputs prove every coordinate of every pre-image integral (an
    empty set counts: then there is no pre-image at all)."""
    return all(
        s is not None and all(v.denominator == 1 for v in s) for s in coordinate_sets(network, target, lower, upper)
    )


def _dense(W) -> np.ndarray:
    return np.asarray(W.todense()) if hasattr(W, "todense") else np.asarray(W)


def _coordinates(network: Any) -> list[np.ndarray]:
    """Per layer and neuron: the one latent coordinate its pre-activation depends on, or -1."""
    prev = np.arange(network.input_dim)
    out = []
    for W in network.weights:
        nz = _dense(W) != 0
        big = np.iinfo(np.int64).max
        lo = np.where(nz, prev[None, :], big).min(axis=1)
        hi = np.where(nz, prev[None, :], -1).max(axis=1)
        single = (hi >= 0) & (lo == hi)  # every input read is one and the same coordinate (none is -1)
        prev = np.where(single, hi, -1)
        out.append(prev)
    return out


def _pre_activation(
    network: Any, neuron: tuple[int, int], coords: list[np.ndarray], lower, upper, memo: dict[tuple[int, int], Pwl]
) -> Pwl:
    """a_{k,i}(t) of the ``neuron`` (k, i), which reads one coordinate, in exact arithmetic."""
    if neuron in memo:
        return memo[neuron]
    k, i = neuron
    row = _dense(network.weights[k][i]).reshape(-1)
    support = np.flatnonzero(row)
    if k == 0:
        j = int(coords[0][i])
        ends = [Fraction(float(lower[j])), Fraction(float(upper[j]))]
        inputs = [(ends, list(ends))] * support.size  # the identity t -> t
    else:
        below = [_pre_activation(network, (k - 1, int(s)), coords, lower, upper, memo) for s in support]
        inputs = [_relu(f) if network.applies_relu(k - 1) else f for f in below]
    points = sorted(set().union(*(f[0] for f in inputs)))
    bias = Fraction(float(network.biases[k][i]))
    weights = [Fraction(float(row[s])) for s in support]
    values = [bias + sum((w * _at(f, t) for w, f in zip(weights, inputs)), Fraction(0)) for t in points]
    memo[neuron] = (points, values)
    return memo[neuron]


def _at(f: Pwl, t: Fraction) -> Fraction:
    """f(t) by linear interpolation between its breakpoints."""
    points, values = f
    for (t0, v0), (t1, v1) in zip(zip(points, values), zip(points[1:], values[1:])):
        if t0 <= t <= t1:
            return v0 if t1 == t0 else v0 + (v1 - v0) * (t - t0) / (t1 - t0)
    return values[-1]


def _segments(f: Pwl) -> list[tuple[Fraction, Fraction, Fraction, Fraction]]:
    """(t0, t1, f(t0), f(t1)) for every piece; a one-point domain is one piece of length 0."""
    points, values = f
    return list(zip(points, points[1:], values, values[1:]))


def _relu(f: Pwl) -> Pwl:
    """max(f, 0), with a breakpoint added wherever f crosses 0."""
    zero = Fraction(0)
    points, values = [f[0][0]], [max(f[1][0], zero)]
    for t0, t1, v0, v1 in _segments(f):
        if (v0 < 0 < v1) or (v1 < 0 < v0):
            points.append(t0 + (t1 - t0) * v0 / (v0 - v1))
            values.append(zero)
        points.append(t1)
        values.append(max(v1, zero))
    return points, values


def _solutions(f: Pwl, x: Fraction, relu: bool) -> Points:
    """{t : f(t) = x} for a linear output, {t : relu(f(t)) = x} for a relu one; None where the set
    contains an interval."""
    if relu and x < 0:
        return []
    if relu and x == 0:
        return _zero_sublevel(f)
    return _level(f, x)


def _level(f: Pwl, x: Fraction) -> Points:
    """{t : f(t) = x}, or None when f = x on a whole piece."""
    found: set[Fraction] = set()
    for t0, t1, v0, v1 in _segments(f):
        if v0 == v1:
            if v0 == x:
                if t1 > t0:
                    return None
                found.add(t0)
        elif (v0 - x) * (v1 - x) <= 0:
            found.add(t0 + (t1 - t0) * (x - v0) / (v1 - v0))
    return sorted(found)


def _zero_sublevel(f: Pwl) -> Points:
    """{t : f(t) <= 0}, or None when it contains an interval."""
    found: set[Fraction] = set()
    for t0, t1, v0, v1 in _segments(f):
        if t1 > t0 and (min(v0, v1) < 0 or v0 == v1 == 0):
            return None
        found.update(t for t, v in ((t0, v0), (t1, v1)) if v <= 0)
    return sorted(found)


def _intersect(a: Points, b: Points) -> Points:
    if a is None:
        return b
    if b is None:
        return a
    return sorted(set(a) & set(b))
