r"""Branching rules of the branch and bound: which neuron a node splits on, and which phase is
searched first.

A rule sees only the node's *candidates*, the free neurons whose LP point is off their activation
(excess v = h - max(a, s a) > 0), and returns one of them with the phase to search first. A rule
is named ``scope/score/order`` (PERFORMANCE.md 16 compares them on the benchmark instances,
``benchmarks/branching_rules.py``):

    scope   deep     only the candidates of the layer nearest the output (default)
            all      every layer
            shallow  only the layer nearest the input
    score   viol     v
            width    v min(-lo, hi)              (the interval's shorter side around 0)
            area     v (-lo) hi / (hi - lo)      (the triangle relaxation's height at a = 0)
            tri      (-lo) hi / (hi - lo)        (the triangle alone)
            frac     min(d, 1 - d)               (the most fractional binary)
            vnorm    v / (hi - lo)
            out      v |W_next[:, j]|_1          (the excess as the next layer sees it; default)
            vout     v |W_next[:, j]|_1 / (hi - lo)
    order   lean     the side the LP leans to first (a > 0: active; default)
            small    the phase of the interval's shorter side first (-lo < hi: inactive)
            large    the phase of the longer side first

A rule may also split the node's latent box instead of a neuron (a method ``split``, asked
first; None: split a neuron). ``latent<K>/scope/score/order`` (e.g. ``latent4/deep/out/lean``)
halves the latent coordinate whose split makes the most first-layer units stable (PERFORMANCE.md
26), while that split stabilises at least K of them (both halves counted) and the coordinate is
wider than 2^-LATENT_HALVINGS of its root width; otherwise the unit rule ``scope/score/order``
splits a neuron. The first layer's pre-activations are affine in z: unit j, a_j = w_j z + b_j,
has the interval [lo_j, hi_j] = [sum_i min(w_ji l_i, w_ji u_i), sum_i max(...)] + b_j on the box,
and halving coordinate i at its midpoint moves the end its sign makes z_i's upper (lower) end
by |w_ji| (u_i - l_i) / 2 in the lower (upper) half: it stabilises j in that half when the
interval no longer straddles 0 (:func:`midpoint_stabilised`). The half holding the LP's z is
searched first.

A rule name may start with a node order (:mod:`.order`): ``plunge/deep/out/lean`` or
``plunge/latent4/deep/out/lean`` split as the rest says and search the open nodes of an l1 / linf
search in that order (the attribute ``node_order``; a rule without it searches depth first).

(lo, hi: the node's pre-activation interval; d: the binary's LP value; |W_next[:, j]|_1: the l1
norm of the neuron's column in the next layer's weights, 1 in the output layer. It does not
depend on the power-of-two scale the rescaling gave the neuron, which v alone does.) Ties go to
the first candidate, layer by layer, in the order of the binaries.

>>> rule("deep/out/lean") == DEFAULT, rule("all/width/small").name, rule("latent4/deep/out/lean").name
(True, 'all/width/small', 'latent4/deep/out/lean')
>>> rule("plunge/deep/out/lean").name, rule("plunge/latent4/deep/out/lean").node_order.name
('plunge/deep/out/lean', 'plunge')
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

import numpy as np

from ..errors import InputError
from .order import NodeOrder, is_order, order


@dataclass
class Candidates:
    """The free neurons of a node whose LP point is off their activation, and what a rule may
    score them by (one entry per candidate)."""

    excess: np.ndarray  # v = h - max(a, s a) at the LP point (> 0)
    a: np.ndarray  # the pre-activation at the LP point
    d: np.ndarray  # the binary's LP value
    layer: np.ndarray  # the network layer
    reach: np.ndarray  # |W_next[:, j]|_1 (1 in the output layer)
    bounds: Callable[[], tuple[np.ndarray, np.ndarray]]  # the node's (lo, hi), computed when asked

    @cached_property
    def interval(self) -> tuple[np.ndarray, np.ndarray]:
        """(lo, hi) of the node's pre-activation intervals, widened to contain 0."""
        lo, hi = self.bounds()
        return np.minimum(lo, 0.0), np.maximum(hi, 0.0)


@dataclass
class LatentBox:
    """A node's latent box as a latent split sees it (one entry per latent coordinate)."""

    lower: np.ndarray
    upper: np.ndarray
    root_width: np.ndarray  # the root box's widths
    z: np.ndarray  # the LP point's latent
    stabilised: Callable[
        [], np.ndarray
    ]  # first-layer units each midpoint split makes stable (:func:`midpoint_stabilised`)


class BranchingRule(Protocol):
    """Chooses a candidate: (its position in ``Candidates``, the phase to search first: 1 active,
    0 inactive)."""

    @property
    def name(self) -> str: ...

    def choose(self, candidates: Candidates) -> tuple[int, int]: ...


def _width(c: Candidates) -> np.ndarray:
    lo, hi = c.interval
    return np.maximum(hi - lo, 1e-300)


SCOPES = ("deep", "all", "shallow")
ORDERS = ("lean", "small", "large")
SCORES: dict[str, Callable[[Candidates], np.ndarray]] = {
    "viol": lambda c: c.excess,
    "width": lambda c: c.excess * np.minimum(-c.interval[0], c.interval[1]),
    "area": lambda c: c.excess * (-c.interval[0]) * c.interval[1] / _width(c),
    "tri": lambda c: (-c.interval[0]) * c.interval[1] / _width(c),
    "frac": lambda c: np.minimum(c.d, 1.0 - c.d),
    "vnorm": lambda c: c.excess / _width(c),
    "out": lambda c: c.excess * c.reach,
    "vout": lambda c: c.excess * c.reach / _width(c),
}


@dataclass(frozen=True)
class ScoreRule:
    """The rule ``scope/score/order`` of the module docstring."""

    scope: str
    score: str
    order: str

    @property
    def name(self) -> str:
        return f"{self.scope}/{self.score}/{self.order}"

    def choose(self, candidates: Candidates) -> tuple[int, int]:
        c = candidates
        keep = np.ones(c.layer.size, dtype=bool)
        if self.scope == "deep":
            keep = c.layer == c.layer.max()
        elif self.scope == "shallow":
            keep = c.layer == c.layer.min()
        pick = int(np.argmax(np.where(keep, SCORES[self.score](c), -np.inf)))
        if self.order == "lean":
            return pick, 1 if c.a[pick] > 0 else 0
        lo, hi = c.interval
        inactive_shorter = -lo[pick] < hi[pick]
        return pick, 0 if inactive_shorter == (self.order == "small") else 1


LATENT = "latent"
LATENT_HALVINGS = 12  # a coordinate is split while wider than 2^-12 of its root width (the search ends)


@dataclass(frozen=True)
class LatentRule:
    """``latent<K>/scope/score/order``: a latent split while one stabilises at least ``threshold``
    first-layer units, else the neuron ``unit`` picks (see the module docstring)."""

    threshold: int
    unit: ScoreRule

    @property
    def name(self) -> str:
        return f"{LATENT}{self.threshold}/{self.unit.name}"

    def choose(self, candidates: Candidates) -> tuple[int, int]:
        return self.unit.choose(candidates)

    def split(self, box: LatentBox) -> tuple[int, float, int] | None:
        """(coordinate, split point, half first: 0 the lower one) or None (split a neuron)."""
        wide = box.upper - box.lower > box.root_width * 2.0**-LATENT_HALVINGS
        if not wide.any():
            return None
        gain = np.where(wide, box.stabilised(), -1)
        i = int(np.argmax(gain))
        if gain[i] < max(self.threshold, 1):
            return None
        point = 0.5 * (box.lower[i] + box.upper[i])
        return i, point, 0 if box.z[i] <= point else 1


@dataclass(frozen=True)
class OrderedRule:
    """``<node order>/<rule>``: the rule ``unit`` (a score or latent rule) with a node order."""

    node_order: NodeOrder
    unit: ScoreRule | LatentRule

    @property
    def name(self) -> str:
        return f"{self.node_order.name}/{self.unit.name}"

    @property
    def split(self) -> Callable[[LatentBox], tuple[int, float, int] | None] | None:
        return getattr(self.unit, "split", None)

    def choose(self, candidates: Candidates) -> tuple[int, int]:
        return self.unit.choose(candidates)


def midpoint_stabilised(
    nonzeros: tuple[np.ndarray, np.ndarray, np.ndarray],
    bias: np.ndarray,
    box: tuple[np.ndarray, np.ndarray],
    unstable: np.ndarray,
) -> np.ndarray:
    """Per latent coordinate i: how many of the ``unstable`` units (indices) of a first layer
    a = W z + b (W given by its ``nonzeros``: rows, columns, values) have an interval that no
    longer straddles 0 in the lower half plus in the upper half when ``box`` = (l, u) is halved
    at u_i's and l_i's midpoint (interval arithmetic, unrounded: a score, not a bound)."""
    rows, cols, w = nonzeros
    l, u = box
    lo = np.bincount(rows, np.minimum(w * l[cols], w * u[cols]), minlength=bias.size) + bias
    hi = np.bincount(rows, np.maximum(w * l[cols], w * u[cols]), minlength=bias.size) + bias
    keep = np.isin(rows, unstable)
    rows, cols, w = rows[keep], cols[keep], w[keep]
    shift = np.abs(w) * 0.5 * (u[cols] - l[cols])
    lower_half = np.where(w > 0, hi[rows], -lo[rows]) <= shift  # z_i's upper end moves down
    upper_half = np.where(w > 0, -lo[rows], hi[rows]) <= shift  # z_i's lower end moves up
    return np.bincount(cols, lower_half.astype(float) + upper_half, minlength=l.size)


DEFAULT = ScoreRule("deep", "out", "lean")
RULE_NAMES = tuple(f"{a}/{b}/{c}" for a in SCOPES for b in SCORES for c in ORDERS)


def rule(name: str | BranchingRule) -> BranchingRule:
    """The rule called ``name`` (``scope/score/order``; a rule object is returned as it is)."""
    if not isinstance(name, str):
        if callable(getattr(name, "choose", None)):
            return name
        raise InputError(f"branching: expected a rule name or a rule object, got {type(name).__name__}")
    parts = name.split("/")
    if len(parts) > 3 and is_order(parts[0]):
        return OrderedRule(order(parts[0]), _unit_rule("/".join(parts[1:])))
    return _unit_rule(name)


def _unit_rule(name: str) -> ScoreRule | LatentRule:
    parts = name.split("/")
    if len(parts) == 4 and parts[0].startswith(LATENT) and parts[0][len(LATENT) :].isdigit():
        return LatentRule(int(parts[0][len(LATENT) :]), _score_rule("/".join(parts[1:])))
    return _score_rule(name)


def _score_rule(name: str) -> ScoreRule:
    parts = name.split("/")
    if len(parts) != 3 or parts[0] not in SCOPES or parts[1] not in SCORES or parts[2] not in ORDERS:
        raise InputError(
            f"branching: unknown rule {name!r}; a rule is scope/score/order with scope in {', '.join(SCOPES)}, "
            f"score in {', '.join(SCORES)}, order in {', '.join(ORDERS)} (default {DEFAULT.name}), "
            f"optionally after {LATENT}<K>/ (latent splits), all optionally after a node order "
            "(depth, plunge)/"
        )
    return ScoreRule(*parts)
