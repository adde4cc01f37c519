#!/usr/bin/env python
"""Soundness campaign: thousands of inversions checked against a ground truth of their own.

Every instance is built from a seed, run through a sample of milpinv's paths (method, norm, MILP
backend, bound mode, heuristic, peeling) via the public ``milpinv.invert``, and every answer is
judged against a truth computed *without* milpinv's code.

The oracle
----------
For tiny networks (at most ``MAX_NEURONS`` relu neurons, hidden and output) the latent box is cut
into activation regions by depth-first search over the neurons. A region is the polyhedron of z in
the box where each decided neuron has the chosen sign; on it the network is affine, so
``min ||G(z) - x||`` over it is a linear program (l-infinity: ``min t, |G_i(z) - x_i| <= t``; l1:
``min sum t_i``). The exact-norm truth is the l-infinity distance from x to the range of G over the
box (so "is x within tolerance of the range" is a number, not a feasibility verdict). Truth =
minimum over regions. The region LPs are solved by ``scipy.optimize.linprog`` in the composed
z-space (rows scaled to unit magnitude; an LP that fails is retried on a region loosened by
``EPS_REL`` of its row scales, which is still a relaxation); subtrees are pruned by a phase-1 LP
(minimise the largest normalised row value).

The truth is an interval ``[lo, hi]`` that does not rest on any LP solver's numerics:

* ``hi`` (upper side): every LP solution z is clipped to the box and re-evaluated by this file's
  own numpy forward pass; so are the planted z and the z of every run on the instance. Any z in the
  box is a witness: ``hi`` is the smallest residual actually reached.
* ``lo`` (lower side): for each region the LP's dual multipliers are turned into a Lagrangian
  bound ``min_{z in box} sum_i (a_i - b_i)(G_i(z) - x_i) + sum_r mu_r (-s_r pre_r(z))`` on the
  closed cell, which is a valid lower bound for *any* non-negative multipliers (after scaling a, b
  into the dual feasible set), whatever LP they came from. It is evaluated in exact
  ``fractions.Fraction`` arithmetic by back-propagation through the original float64 weights (not
  the composed maps). Multipliers are first refined on their support (a tiny NNLS solve), since an
  LP's duals are only as accurate as its dual tolerance. A pruned subtree needs the same
  kind of certificate: a Farkas combination of its rows with positive minimum over the box (the
  cell is empty), or one whose minimum is at least ``-2 THIN`` (no point lies deeper than
  ``THIN = 1e-12`` of its row scale inside every row: the cell has no interior, as the many cells
  meeting in one point of a zero-bias or integer net). Full-dimensional cells cover the box, so
  skipping interior-free cells loses nothing; a cell thinner than THIN but not empty could only
  hide values within (Lipschitz x 1e-12 relative) of its neighbours', far below the 1e-6 slack.
  A prune the certificate cannot confirm is explored instead, and a region whose LP fails
  contributes the trivial bound 0. Identically-zero neurons are recognised in exact arithmetic.

So a wrong LP solution can only widen ``[lo, hi]``; it cannot move the truth. Where the interval
straddles a decision threshold the case is ``ambiguous`` and counted, not judged. Independent
self-checks are counted too: a z whose residual falls below ``lo`` (``oracle_inconsistent``), and
tiny 3-SAT reductions whose enumerated verdict disagrees with the CDCL oracle.

Larger instances (reductions, larger planted nets) are not enumerated: reductions are judged by
the source problem's own oracle (``reductions.oracles``: CDCL / dynamic programming / CP-SAT) under
their lattice semantics, planted nets by "planted => a pre-image exists" (truth 0 for every norm).

The ``preimage`` regime runs ``analyse_preimage`` (what ``milpinv preimage`` prints) on 2-3 layer
nets with latent 2-4 against planted, perturbed and far targets, and holds every claim of its
report to an oracle of its own (:func:`preimage_truth`): every hidden pattern's piece as an LP in
this file's composed maps, strict (its extreme points along each coordinate, kept when this file's
forward pass puts them within ``PRE_RANGE_REL / 2`` of x, are points of S) and loosened (a
superset of the patterns S meets). Emptiness is judged against the enumerated distance as
``infeasible`` / ``optimal`` are; the proven ranges and a single point against the oracle's points;
the listed patterns against the loosened pieces; "convex" against the oracle's midpoint witness,
"non-convex" against a single loosened piece, and milpinv's own witness by this file's forward
pass (:func:`judge_preimage`).

Verdicts are given by :func:`judge` (its docstring is the rule book): ``ok``, ``WRONG``,
``nonanswer`` (failed / time_limit with no false claim), ``ambiguous``, ``crash`` (an exception
escaped ``invert``).

Running
-------
    python benchmarks/soundness.py --quick --jobs 2          # ~190 instances, ~1,500 runs, 1-2 minutes
    python benchmarks/soundness.py --jobs 2                  # the full campaign: 10,300 instances, ~1 hour
    python benchmarks/soundness.py --only integer,tiny-within-tol --per-regime 50
    python benchmarks/soundness.py --replay integer-fractional:17 --path milp/l1/cpsat
    python benchmarks/soundness.py --only integer --per-regime 120 --out-prefix parts/integer   # in parts,
    python benchmarks/soundness.py --merge parts/integer parts/near-zero ...                     # then one report

Paths per instance and norm: two MILP variants (backend, ``bounds=``, ``heuristic=``, ``peeling=``
drawn at random; CP-SAT always on integer nets, bound tightening and heuristic-free runs more often
in the hostile regimes), one of auto / layerwise / gd, ``lp`` on depth-1 nets, and layerwise plus a
heuristic-free MILP on the near-tolerance targets (see :func:`choose_paths`). ``--quick`` takes the
first instances of each regime, enough to show every class of wrong answer the baseline had.
Each instance runs in its own forked worker with a watchdog: a call that overruns its time limit
threefold (plus 30 s), or kills its process, is recorded as a ``crash`` and the instance goes on.

VNN-LIB sweep (``--vnnlib``)
---------------------------
VNN-LIB properties (an input box, a disjunction of output intervals) on networks with leaky_relu or
relu hidden layers and relu / linear / leaky_relu / tanh / sigmoid outputs, decided by milpinv's
``milpinv.queries.decide`` (method ``auto`` on 3 queries in 8, else the MILP on
milpinv's branch and bound, HiGHS or SCIP, layer-wise or gradient descent) and, for every
``--cli-every``-th query, by ``milpinv invert NET.onnx --vnnlib PROP --result-file R`` in a child process
(the network through milpinv's ONNX export: ``milpinv export --format vnnlib`` for the queries
milpinv writes, ``ReluNetwork.to_onnx`` for the others; the result file is read here). The queries:
milpinv's writer (the tolerance intervals of a planted target, of targets 0.3-3 tolerances or
1%-50% away, linf balls of noisy targets) and this file's own writer (intervals around G(z0), moved
off it, random, one to three terms, sides open, outputs free; tanh / sigmoid outputs pushed to
their ends; larger nets; the issue's four false unsat queries).

The oracle is this file's own code: its own forward pass and activations (sigmoid without
overflow), its own inverses of the output activation (the ends of tanh / sigmoid never reached),
and for tiny nets (at most VNN_MAX_KINKS hidden neurons, at most 3 latents) an enumeration of the
hidden neurons' cells (a side of a neuron holding a sample needs no LP, the others a feasibility
LP), where one LP per cell and region finds the point deepest inside the region's intervals on the
output pre-activations (rows normalised). Witnesses: the planted latent, the box's corners, a grid
and uniform samples (VNN_SAMPLES), the LPs' points and the x of the other path on the query, each
checked by the own forward pass: ``strict`` when it meets every bound of a region with the rounding
slack to spare, ``borderline`` within the slack. A property is ``nonempty`` with a strict witness,
else ``empty`` when every cell's depth is below -VNN_EMPTY, ``thin`` otherwise, or ``not
enumerated``. Judging: ``sat`` must carry an x in the box whose own forward pass meets a region
(within the slack), else WRONG; ``unsat`` with a strict witness is WRONG, with a borderline one
``ambiguous``; ``unknown`` / ``timeout`` (or a documented refusal of the method chosen) are
``nonanswer``; an exception, or a CLI exit code that does not match its verdict, is a ``crash``.
Outputs ``benchmarks/results/soundness_vnnlib.*``.

    nice python benchmarks/soundness.py --vnnlib --jobs 2 --time-limit 20     # 280 queries
    python benchmarks/soundness.py --vnnlib-replay vnn-hand-around:7            # one query, printed

Outputs go to ``benchmarks/results/soundness.{csv,json,md}`` (``--out-prefix`` to change; --quick
writes ``soundness_quick.*``). The exit code is 1 when any answer is WRONG. Everything is a
function of ``--seed``: instance i of regime R is rebuilt from ``(R, seed * 10**6 + i)``, and the
printed reproducer ``--replay R:SEED --path PATH`` prints the instance as Python literals and
re-runs that path.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # small LPs: one thread each
    os.environ.setdefault(_var, "1")

import argparse
import csv
import itertools
import json
import math
import re
import sys
import time
import traceback
import warnings
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog, nnls
from tqdm import tqdm

from milpinv import InputError, Instance, ReluNetwork, invert
from reductions.generators import planted_ksat, random_ksat, random_subsetsum
from reductions.oracles import solve_cnf, solve_subsetsum
from reductions.problems import CNF
from reductions.registry import get_reduction

RESULTS = Path(__file__).resolve().parent / "results"
NORMS = ("exact", "l1", "linf")
REL_TOL = 1e-6            # milpinv's acceptance tolerance: max|G(z) - x| <= 1e-6 * max(1, max|x|)
MAX_NEURONS = 15          # relu neurons (hidden + relu outputs) the oracle enumerates
MAX_ORACLE_LPS = 5000     # LPs one enumeration may spend before giving up (truth then not enumerated)
EPS_REL = 1e-10           # a region LP that fails is retried loosened by this share of its row scales (x1, x100)
THIN = 1e-12              # cells with no point deeper than this (share of row scale) inside are skipped
ACCEPT_DEPTH = 1e-9       # a witness this deep inside a new row needs no LP
SLACK_REL = 1e-6          # objective / bound comparisons: relative slack (see slack())
TIME_LIMIT = 20.0
SMOOTH_SAMPLES = 100_000  # uniform codes behind a smooth output's truth (tiny-smooth)
VERDICTS = ("ok", "WRONG", "nonanswer", "ambiguous", "crash")
ANSWERS = ("optimal", "feasible", "infeasible")


def tolerance(x: np.ndarray) -> float:
    """milpinv's documented pre-image tolerance, re-stated here: 1e-6 * max(1, max|x|)."""
    return REL_TOL * max(1.0, float(np.max(np.abs(x), initial=0.0)))


# =============================================================================================
# The network as plain arrays, and an own forward pass
# =============================================================================================
@dataclass
class Layers:
    """Weights and biases as plain float64 arrays."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]

    @property
    def depth(self) -> int:
        return len(self.weights)

    @property
    def dims(self) -> list[int]:
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]


@dataclass
class Net(Layers):
    """A network as plain float64 arrays; ``relu_out``: the output layer applies relu; ``smooth``:
    it applies tanh or sigmoid instead (``tiny-smooth``: no enumeration)."""

    relu_out: bool
    sparse: bool = False  # milpinv gets the weights as CSR (the reductions write them so)
    smooth: str = ""

    def relu_layer(self, k: int) -> bool:
        return k < self.depth - 1 or self.relu_out

    @property
    def relu_neurons(self) -> int:
        return sum(w.shape[0] for k, w in enumerate(self.weights) if self.relu_layer(k))

    def is_integral(self) -> bool:
        return all(np.array_equal(a, np.round(a)) for a in self.weights + self.biases)

    def to_milpinv(self) -> ReluNetwork:
        weights = [sp.csr_matrix(w) for w in self.weights] if self.sparse else self.weights
        return ReluNetwork(weights, self.biases, self.smooth or ("relu" if self.relu_out else "linear"))

    @classmethod
    def of(cls, net: ReluNetwork) -> Net:
        sparse = any(sp.issparse(w) for w in net.weights)
        dense = [w.toarray() if sp.issparse(w) else np.array(w) for w in net.weights]
        return cls(dense, [np.array(b) for b in net.biases], net.output_activation == "relu", sparse)


def forward(net: Net, z: np.ndarray) -> np.ndarray:
    """G(z) by plain numpy (einsum), independent of ReluNetwork.forward."""
    h = np.asarray(z, dtype=np.float64)
    for k, (w, b) in enumerate(zip(net.weights, net.biases)):
        a = np.einsum("ij,j->i", w, h) + b
        h = np.maximum(a, 0.0) if net.relu_layer(k) else a
    return smooth_output(net.smooth, h)


def smooth_output(kind: str, a: np.ndarray) -> np.ndarray:
    """tanh, or sigmoid as (1 + tanh(a / 2)) / 2 (no overflow), or a itself ("")."""
    if kind == "tanh":
        return np.tanh(a)
    return 0.5 * (1.0 + np.tanh(0.5 * a)) if kind == "sigmoid" else a


def rounding(net: Net, z: np.ndarray) -> float:
    """How far two float64 forward passes may differ: a multiple of eps times the largest sum of |terms|."""
    h, scale = np.abs(np.asarray(z, dtype=np.float64)), 1.0
    for w, b in zip(net.weights, net.biases):
        h = np.abs(w) @ h + np.abs(b)
        scale = max(scale, float(h.max(initial=0.0)))
    return 1e-13 * scale


def residuals(net: Net, x: np.ndarray, z: np.ndarray) -> dict[str, float]:
    r = np.abs(forward(net, z) - x)
    return {"l1": float(r.sum()), "linf": float(r.max(initial=0.0))}


# =============================================================================================
# The oracle: activation regions, region LPs, certificates
# =============================================================================================
@dataclass
class Truth:
    """What is known about the optimum: ``lo[n] <= min_z ||G(z) - x||_n <= hi[n]`` (n = l1, linf).

    ``answer``: a reduction's source verdict (True: a pre-image exists), when known."""

    lo: dict[str, float] = field(default_factory=lambda: {"l1": 0.0, "linf": 0.0})
    hi: dict[str, float] = field(default_factory=lambda: {"l1": math.inf, "linf": math.inf})
    kind: str = "none"            # enumerated | planted | reduction | none
    answer: bool | None = None
    semantics: str = "band"       # band (relative tolerance) | lattice (reductions)
    stats: dict[str, Any] = field(default_factory=dict)
    preimage: Any = None          # the pre-image oracle (PreimageTruth), for the preimage regime

    def witness(self, r: dict[str, float]) -> None:
        for n in ("l1", "linf"):
            self.hi[n] = min(self.hi[n], r[n])


def _frac(a: np.ndarray) -> np.ndarray:
    """Exact rational copy of a float array (every float64 is a dyadic rational)."""
    return np.array([Fraction(float(v)) for v in np.ravel(a)], dtype=object).reshape(np.shape(a))


@dataclass
class Row:
    """A decided neuron (layer k, index j) with sign s: ``-s * pre(z) <= 0`` on the cell.
    ``m, c``: its pre-activation as an affine map of z (composed in float, for the LPs only);
    ``w``: the row's scale; ``e``: a loosening the LP may use (0, or widened when an LP fails).
    Certificates are always evaluated on the closed cell (e = 0) from the exact weights."""

    k: int
    j: int
    s: int
    m: np.ndarray
    c: float
    w: float
    e: float


class Enumerator:
    """Depth-first search over activation patterns with LP pruning; see the module docstring."""

    def __init__(self, net: Net, x: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                 norms: Iterable[str], max_lps: int = MAX_ORACLE_LPS) -> None:
        self.net, self.x, self.lower, self.upper = net, np.asarray(x, float), lower, upper
        self.norms = sorted({"linf" if n == "exact" else n for n in norms})
        self.n0 = net.dims[0]
        self.radius = float(max(np.max(np.abs(lower)), np.max(np.abs(upper)), 1e-300))
        self.Wf = [_frac(w) for w in net.weights]
        self.bf = [_frac(b) for b in net.biases]
        self.lof, self.hif = _frac(lower), _frac(upper)
        self.xf = _frac(self.x)
        self.max_lps = max_lps
        self.truth = Truth(kind="enumerated")
        self.stats = Counter()
        self.lo = dict.fromkeys(self.norms, math.inf)
        self.lp_gap = dict.fromkeys(self.norms, 0.0)

    # ------------------------------------------------------------------ search
    def run(self) -> Truth | None:
        """The truth interval, or None when the search exceeds its LP budget."""
        w, b = self.net.weights[0], self.net.biases[0]
        mag = np.abs(w).sum(axis=1) * self.radius + np.abs(b)
        try:
            self._visit(0, 0, w.copy(), b.copy(), mag, [], [], 0.5 * (self.lower + self.upper))
        except _Budget:
            return None
        for n in self.norms:
            self.truth.lo[n] = max(0.0, self.lo[n]) if math.isfinite(self.lo[n]) else 0.0
        self.truth.stats = dict(self.stats, max_lp_gap=max(self.lp_gap.values(), default=0.0))
        return self.truth

    def _visit(self, k: int, j: int, m: np.ndarray, c: np.ndarray, mag: np.ndarray, masks: list[np.ndarray],
               rows: list[Row], wit: np.ndarray) -> None:
        """Decide neuron j of layer k. ``m, c``: layer k's pre-activations as affine maps of z (float);
        ``mag``: their magnitudes without cancellation; ``wit``: a point deep inside the current cell."""
        net = self.net
        if not net.relu_layer(k):                        # linear output layer: a leaf
            return self._leaf(rows, masks, m, c, np.ones(len(c), bool))
        if j == len(c):                                  # layer k decided
            mask = np.array([r.s > 0 for r in rows if r.k == k])
            if k == net.depth - 1:
                return self._leaf(rows, masks + [mask], m * mask[:, None], c * mask, mask)
            w, b = net.weights[k + 1], net.biases[k + 1]
            return self._visit(k + 1, 0, w @ (m * mask[:, None]), w @ (c * mask) + b,
                               np.abs(w) @ (mag * mask) + np.abs(b), masks + [mask], rows, wit)
        scale = float(np.abs(m[j]).sum() * self.radius + abs(c[j]))
        if scale <= 1e-12 * mag[j] and self._exactly_zero(k, j, masks):
            zero = Row(k, j, 1, np.zeros(self.n0), 0.0, 0.0, 0.0)   # either sign gives the same map
            return self._visit(k, j + 1, m, c, mag, masks, rows + [zero], wit)
        scale = max(scale, 1e-12 * mag[j], 1e-300)
        depth = float(m[j] @ wit + c[j]) / scale
        for s in ((1, -1) if depth >= 0 else (-1, 1)):   # the witness's own side first
            row = Row(k, j, s, m[j].copy(), float(c[j]), scale, 0.0)
            child = rows + [row]
            point = wit
            if -s * depth > -ACCEPT_DEPTH:               # the witness is not deep inside: ask an LP
                point = self._phase1(child, masks)
                if point is None:
                    continue
            self._visit(k, j + 1, m, c, mag, masks, child, point)

    # ------------------------------------------------------------------ LPs
    def _lp(self, cost, A, b, bounds):
        self.stats["lps"] += 1
        if self.stats["lps"] > self.max_lps:
            raise _Budget()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = linprog(cost, A_ub=A, b_ub=b, bounds=bounds, method="highs",
                          options={"primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9})
        return res

    @staticmethod
    def _region_rows(rows: list[Row]) -> tuple[np.ndarray, np.ndarray, list[Row]]:
        """``(-s m / w) z <= (e + s c) / w`` for every proper row (rows scaled to unit magnitude)."""
        live = [r for r in rows if r.w > 0]
        if not live:
            return np.zeros((0, 0)), np.zeros(0), live
        A = np.array([-r.s * r.m / r.w for r in live])
        b = np.array([(r.e + r.s * r.c) / r.w for r in live])
        return A, b, live

    def _phase1(self, rows: list[Row], masks: list[np.ndarray]) -> np.ndarray | None:
        """The deepest point of the cell (min over z of the largest normalised row value), or None when
        a certificate proves the cell empty (even loosened) or without interior (thinner than THIN)."""
        live = [r for r in rows if r.w > 0]
        n0 = self.n0
        cost = np.zeros(n0 + 1)
        cost[-1] = 1.0
        A = np.array([np.append(-r.s * r.m / r.w, -1.0) for r in live])
        b = np.array([r.s * r.c / r.w for r in live])
        res = self._lp(cost, A, b, list(zip(self.lower, self.upper)) + [(-2.0, None)])
        if res.status != 0:
            self.stats["phase1_failed"] += 1
            return 0.5 * (self.lower + self.upper)      # explore: never prune without a proof
        z = np.clip(res.x[:n0], self.lower, self.upper)
        if res.fun < -THIN:
            return z
        mu = np.maximum(-res.ineqlin.marginals, 0.0)
        for cand in (mu, self._refine(live, mu, z)):
            if cand is None:
                continue
            if self._certified_empty(live, cand, masks):
                self.stats["pruned_empty"] += 1
                return None
            if self._certified_thin(live, cand, masks):
                self.stats["pruned_thin"] += 1
                return None
        self.stats["prune_uncertified"] += 1             # no proof: explore it
        return z

    def _refine(self, live: list[Row], mu: np.ndarray, z: np.ndarray) -> np.ndarray | None:
        """Multipliers on the support of ``mu`` whose combined z-gradient vanishes on the coordinates
        where z is strictly inside the box (non-negative least squares, sum 1). The LP's duals are
        only accurate to its dual tolerance (1e-9), which swamps margins of 1e-10; any non-negative
        multipliers are admissible, the exact evaluation decides."""
        support = np.flatnonzero(mu > 1e-12 * max(float(mu.max(initial=0.0)), 1e-300))
        if len(support) == 0:
            return None
        span = self.upper - self.lower
        free = np.flatnonzero((z > self.lower + 1e-9 * span) & (z < self.upper - 1e-9 * span))
        G = np.array([-live[r].s * live[r].m / live[r].w for r in support])      # rows: gradients
        A = np.vstack([G[:, free].T, np.ones((1, len(support)))])
        rhs = np.zeros(A.shape[0])
        rhs[-1] = 1.0
        try:
            sol, _ = nnls(A, rhs)
        except (RuntimeError, ValueError):
            return None
        out = np.zeros_like(mu)
        out[support] = sol
        return out

    def _leaf(self, rows: list[Row], masks: list[np.ndarray], P: np.ndarray, q: np.ndarray,
              active: np.ndarray) -> None:
        self.stats["regions"] += 1
        for norm in self.norms:
            self._leaf_norm(rows, masks, P, q, active, norm)

    def _leaf_norm(self, rows, masks, P, q, active, norm: str) -> None:
        """The region's LP in ``norm``; its solution is a witness (hi), its duals a certified bound (lo).
        A failing LP is retried on a wider loosening (still a relaxation, so still a lower bound)."""
        for widen in (0.0, EPS_REL, 100 * EPS_REL):
            rows_w = rows if widen == 0.0 else [Row(r.k, r.j, r.s, r.m, r.c, r.w, widen * r.w) for r in rows]
            res, live, S = self._solve_leaf(rows_w, P, q, norm)
            if res.status == 0:
                break
            if widen == 0.0 and res.status == 2 and self._phase1(rows, masks) is None:
                return                                    # proven empty (or without interior) after all
        else:
            self.stats["leaf_uncertified"] += 1
            self.lo[norm] = min(self.lo[norm], 0.0)
            return
        if widen > 0.0:
            self.stats["leaf_widened"] += 1
        n0, mo, x = self.n0, len(q), self.x
        z = np.clip(res.x[:n0], self.lower, self.upper)
        self.truth.witness(residuals(self.net, x, z))
        marg = np.maximum(-res.ineqlin.marginals, 0.0)
        mu = marg[:len(live)] * S
        alpha, beta = marg[len(live):len(live) + mo], marg[len(live) + mo:]
        bound = self._certified_value(live, mu, masks, alpha, beta, active, norm)
        value = float(res.fun) * S
        self.lp_gap[norm] = max(self.lp_gap[norm], (value - bound) / max(1.0, abs(value), float(np.max(np.abs(x)))))
        self.lo[norm] = min(self.lo[norm], bound)

    def _solve_leaf(self, rows: list[Row], P: np.ndarray, q: np.ndarray, norm: str):
        """min t (linf) or sum t_i (l1) s.t. |P z + q - x| <= t on the (loosened) cell; residuals in units of
        S = max(1, max|x|). (Scaling by the outputs' range over the box instead would push residuals of
        steep nets below the LP's feasibility tolerance.)"""
        A, b, live = self._region_rows(rows)
        n0, mo, x = self.n0, len(q), self.x
        S = max(1.0, float(np.max(np.abs(x))))          # residual units: the LP's tolerances stay absolute
        nt = 1 if norm == "linf" else mo
        T = np.zeros((mo, nt))
        T[np.arange(mo), 0 if norm == "linf" else np.arange(mo)] = 1.0
        A_res = np.vstack([np.hstack([P / S, -T]), np.hstack([-P / S, -T])])
        b_res = np.concatenate([(x - q) / S, (q - x) / S])
        A_reg = np.hstack([A, np.zeros((len(live), nt))]) if live else np.zeros((0, n0 + nt))
        cost = np.concatenate([np.zeros(n0), np.ones(nt)])
        bounds = list(zip(self.lower, self.upper)) + [(0.0, None)] * nt
        res = self._lp(cost, np.vstack([A_reg, A_res]), np.concatenate([b, b_res]), bounds)
        return res, live, S

    # ------------------------------------------------------------------ certificates (exact)
    def _nu(self, live: list[Row], mu: np.ndarray) -> list[np.ndarray]:
        """Per-layer coefficients on pre-activations: -s_r * mu_r / w_r (Fractions)."""
        nu = [np.zeros(w.shape[0], dtype=object) for w in self.net.weights]
        for r, m in zip(live, mu):
            if m > 0:
                nu[r.k][r.j] += -r.s * Fraction(float(m / r.w))
        return nu

    def _affine(self, nu: list[np.ndarray], masks: list[np.ndarray], const) -> tuple[np.ndarray, Fraction]:
        """``sum_k nu_k . pre_k(z) + const = g . z + const'`` on the cell with pattern ``masks``, exactly:
        back-propagation through the original weights."""
        top = max((k for k, v in enumerate(nu) if any(e != 0 for e in v)), default=-1)
        if top < 0:
            return np.zeros(self.n0, dtype=object), Fraction(const)
        rho = nu[top]
        const += _dot(rho, self.bf[top])
        for k in range(top - 1, -1, -1):
            back = _backprop(rho, self.Wf[k + 1])
            rho = nu[k] + np.where(masks[k], back, 0)
            const += _dot(rho, self.bf[k])
        return _backprop(rho, self.Wf[0]), Fraction(const)

    def _min_over_box(self, nu: list[np.ndarray], masks: list[np.ndarray], const) -> Fraction:
        g, const = self._affine(nu, masks, const)
        return const + sum((min(gi * lo, gi * hi) for gi, lo, hi in zip(g, self.lof, self.hif) if gi != 0),
                           Fraction(0))

    def _exactly_zero(self, k: int, j: int, masks: list[np.ndarray]) -> bool:
        """Whether neuron (k, j)'s pre-activation is identically 0 on the cell, in exact arithmetic."""
        nu = [np.zeros(w.shape[0], dtype=object) for w in self.net.weights]
        nu[k][j] = Fraction(1)
        g, const = self._affine(nu, masks, Fraction(0))
        return const == 0 and all(v == 0 for v in g)

    def _certified_empty(self, live: list[Row], mu: np.ndarray, masks: list[np.ndarray]) -> bool:
        """Farkas: min over the box of sum_r mu_r (-s_r pre_r(z)) / w_r > 0 proves the closed cell empty."""
        self.stats["certificates"] += 1
        return self._min_over_box(self._nu(live, mu), masks, Fraction(0)) > 0

    def _certified_thin(self, live: list[Row], mu: np.ndarray, masks: list[np.ndarray]) -> bool:
        """min over the box of sum_r mu_r (-s_r pre_r(z)) / w_r >= -2 THIN sum_r mu_r (mu != 0) proves that
        no point of the cell is deeper than 2 THIN inside every row: the cell has no interior to speak of
        and its points are limits of neighbouring cells (see the module docstring)."""
        self.stats["certificates"] += 1
        total = sum((Fraction(float(m)) for m in mu if m > 0), Fraction(0))
        if total == 0:
            return False
        return self._min_over_box(self._nu(live, mu), masks, Fraction(0)) >= -2 * Fraction(THIN) * total

    def _certified_value(self, live, mu, masks, alpha, beta, active, norm: str) -> float:
        """Lagrangian lower bound on the region's optimum (module docstring), rounded down."""
        self.stats["certificates"] += 1
        a = [Fraction(float(v)) for v in alpha]
        b = [Fraction(float(v)) for v in beta]
        if norm == "linf":
            theta = sum(a, Fraction(0)) + sum(b, Fraction(0))
            if theta > 1:
                a, b = [v / theta for v in a], [v / theta for v in b]
        else:
            for i in range(len(a)):
                theta = a[i] + b[i]
                if theta > 1:
                    a[i], b[i] = a[i] / theta, b[i] / theta
        nu = self._nu(live, mu)
        L = self.net.depth - 1
        const = Fraction(0)
        for i, (ai, bi) in enumerate(zip(a, b)):
            d = ai - bi
            if d != 0:
                const -= d * self.xf[i]
                if active[i]:
                    nu[L][i] += d
        value = self._min_over_box(nu, masks, const)
        return math.nextafter(float(value), -math.inf)


class _Budget(Exception):
    """The enumeration ran out of its LP budget."""


def _dot(u: np.ndarray, v: np.ndarray) -> Fraction:
    return sum((a * b for a, b in zip(u, v) if a != 0), Fraction(0))


def _backprop(rho: np.ndarray, W: np.ndarray) -> np.ndarray:
    """W^T rho over the nonzero entries of rho (object arrays of Fractions)."""
    out = np.zeros(W.shape[1], dtype=object)
    for i, r in enumerate(rho):
        if r != 0:
            out = out + W[i] * r
    return out


def enumerate_truth(net: Net, x: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                    norms: Iterable[str]) -> Truth | None:
    """The enumerated truth of a tiny instance, or None when it is too big to enumerate."""
    if net.relu_neurons > MAX_NEURONS:
        return None
    return Enumerator(net, x, lower, upper, norms).run()


# =============================================================================================
# Instances: regimes
# =============================================================================================
@dataclass
class Case:
    """One instance of the campaign and what is known about it besides the enumeration."""

    regime: str
    seed: int
    net: Net
    x: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    norms: tuple[str, ...]
    meta: dict = field(default_factory=dict)
    planted_z: np.ndarray | None = None
    enumerate: bool = True
    source: dict | None = None        # reductions: {"problem", "reduction", "answer", "kind"}
    note: str = ""

    @property
    def ident(self) -> str:
        return f"{self.regime}:{self.seed}"

    def instance(self) -> Instance:
        return Instance(self.net.to_milpinv(), self.x, self.lower, self.upper, dict(self.meta))

    @property
    def integer(self) -> bool:
        return self.net.is_integral()


def _rng(regime: str, seed: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(regime.encode()), seed])


def _tiny_dims(rng, max_neurons: int = 14, relu_out: bool = True, depth: int | None = None) -> list[int]:
    """Depth 1-3, latent 1-4, widths 1-5, at most ``max_neurons`` relu neurons."""
    while True:
        L = depth or int(rng.integers(1, 4))
        dims = [int(rng.integers(1, 5))] + [int(rng.integers(1, 6)) for _ in range(L)]
        neurons = sum(dims[1:-1]) + (dims[-1] if relu_out else 0)
        if neurons <= max_neurons:
            return dims


def _gaussian_net(rng, dims: list[int], relu_out: bool, bias_scale: float | None = None) -> Net:
    """The paper's N(0, 1/n_in) weights; biases N(0, bias_scale^2), bias_scale in {0, 0.5, 1}."""
    bias_scale = float(rng.choice([0.0, 0.5, 1.0])) if bias_scale is None else bias_scale
    ws = [rng.normal(0.0, 1.0 / math.sqrt(a), size=(b, a)) for a, b in zip(dims[:-1], dims[1:])]
    bs = [rng.normal(0.0, bias_scale, size=b) if bias_scale else np.zeros(b) for b in dims[1:]]
    return Net(ws, bs, relu_out)


def _box(rng, n0: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric [-R, R], R in {1, 2, 3}, or an asymmetric box."""
    if rng.random() < 0.7:
        r = float(rng.choice([1.0, 2.0, 3.0]))
        return np.full(n0, -r), np.full(n0, r)
    lo = -rng.uniform(0.2, 3.0, n0)
    return lo, lo + rng.uniform(0.5, 4.0, n0)


def _tiny(rng, max_neurons: int = 14) -> tuple[Net, np.ndarray, np.ndarray, np.ndarray]:
    relu_out = bool(rng.random() < 0.7)
    dims = _tiny_dims(rng, max_neurons, relu_out)
    net = _gaussian_net(rng, dims, relu_out)
    lower, upper = _box(rng, dims[0])
    return net, lower, upper, rng.uniform(lower, upper)


def _near_range(rng, net: Net, z: np.ndarray, factor: float) -> np.ndarray:
    """G(z) moved by a perturbation whose largest entry is ``factor`` times the tolerance."""
    x = forward(net, z)
    d = rng.uniform(-1.0, 1.0, x.shape)
    d *= factor * tolerance(x) / max(np.max(np.abs(d)), 1e-300)
    x = x + d
    return np.maximum(x, 0.0) if net.relu_out else x


def _noisy(rng, x: np.ndarray) -> np.ndarray:
    sigma = float(rng.choice([1e-3, 1e-2, 1e-1])) * max(1.0, float(np.max(np.abs(x))))
    return x + rng.normal(0.0, sigma, x.shape)


def _target_mix(rng, net: Net, lower, upper, z, regime: str, seed: int, note: str = "") -> Case:
    """Planted (60%), within 0.3 tolerance of the range (20%) or noisy (20%, l1 / linf only)."""
    u = rng.random()
    if u < 0.6:
        return Case(regime, seed, net, forward(net, z), lower, upper, NORMS, planted_z=z, note=note + "planted")
    if u < 0.8:
        x = _near_range(rng, net, z, 0.3)
        return Case(regime, seed, net, x, lower, upper, ("exact", "linf"), planted_z=z, note=note + "near-0.3tol")
    x = _noisy(rng, forward(net, z))
    return Case(regime, seed, net, x, lower, upper, ("l1", "linf"), meta={"noise": 1}, planted_z=z,
                note=note + "noisy")


def gen_tiny_planted(regime: str, seed: int) -> Case:
    rng = _rng(regime, seed)
    net, lo, hi, z = _tiny(rng)
    return Case(regime, seed, net, forward(net, z), lo, hi, NORMS, planted_z=z, note="planted")


def gen_tiny_perturbed(regime: str, seed: int) -> Case:
    """A planted target moved by 1% to 50% of its scale: usually unrealizable."""
    rng = _rng(regime, seed)
    net, lo, hi, z = _tiny(rng)
    x = forward(net, z)
    sigma = float(rng.choice([0.01, 0.1, 0.5]))
    x = x + rng.normal(0.0, sigma * max(1.0, float(np.max(np.abs(x)))), x.shape)
    if net.relu_out:
        x = np.maximum(x, 0.0)
    return Case(regime, seed, net, x, lo, hi, NORMS, planted_z=z, note=f"perturbed {sigma:g}")


def gen_tiny_random(regime: str, seed: int) -> Case:
    rng = _rng(regime, seed)
    net, lo, hi, _ = _tiny(rng)
    m = net.dims[-1]
    if net.relu_out:
        x = np.abs(rng.normal(size=m)) * (rng.random(m) > 0.3)
    else:
        x = rng.normal(size=m)
    return Case(regime, seed, net, x, lo, hi, NORMS, note="random")


def gen_tiny_within_tol(regime: str, seed: int) -> Case:
    """G(z) plus a perturbation of 0.3 or 3 times the tolerance: the band's edges."""
    rng = _rng(regime, seed)
    net, lo, hi, z = _tiny(rng)
    factor = float(rng.choice([0.3, 3.0]))
    return Case(regime, seed, net, _near_range(rng, net, z, factor), lo, hi, ("exact", "linf"), planted_z=z,
                note=f"near-{factor:g}tol")


def gen_tiny_noisy(regime: str, seed: int) -> Case:
    rng = _rng(regime, seed)
    net, lo, hi, z = _tiny(rng)
    return Case(regime, seed, net, _noisy(rng, forward(net, z)), lo, hi, ("l1", "linf"), meta={"noise": 1},
                planted_z=z, note="noisy")


def _scaled(regime: str, seed: int, how: str) -> Case:
    rng = _rng(regime, seed)
    net, lo, hi, z = _tiny(rng)
    ws, bs = net.weights, net.biases
    if how == "global":              # the whole net: every layer times one factor 10^U(-4, 4)
        f = 10.0 ** rng.uniform(-4, 4)
        ws, bs = [w * f for w in ws], [b * f for b in bs]
    elif how == "rows":              # every neuron's row and bias times 10^U(-3, 3)
        fs = [10.0 ** rng.uniform(-3, 3, size=w.shape[0]) for w in ws]
        ws, bs = [w * f[:, None] for w, f in zip(ws, fs)], [b * f for b, f in zip(bs, fs)]
    else:                            # every entry independently times 10^U(-4, 4)
        ws = [w * 10.0 ** rng.uniform(-4, 4, size=w.shape) for w in ws]
        bs = [b * 10.0 ** rng.uniform(-4, 4, size=b.shape) for b in bs]
    net = Net(ws, bs, net.relu_out)
    return _target_mix(rng, net, lo, hi, z, regime, seed, note=f"scaled {how}; ")


def gen_scaled_global(regime: str, seed: int) -> Case:
    return _scaled(regime, seed, "global")


def gen_scaled_rows(regime: str, seed: int) -> Case:
    return _scaled(regime, seed, "rows")


def gen_scaled_entries(regime: str, seed: int) -> Case:
    return _scaled(regime, seed, "entries")


def gen_near_duplicate(regime: str, seed: int) -> Case:
    """Two rows of one layer differing by 1e-9 (relative) in one weight or the bias; in half of the
    instances the pair straddles the planted z (one pre-activation 0 there, the other 1e-9 away)."""
    rng = _rng(regime, seed)
    while True:
        net, lo, hi, z = _tiny(rng)
        layers = [k for k, w in enumerate(net.weights) if w.shape[0] >= 2 and net.relu_layer(k)]
        if layers:
            break
    k = int(rng.choice(layers))
    ws, bs = list(net.weights), list(net.biases)
    w, b = ws[k].copy(), bs[k].copy()
    i, j = (int(v) for v in rng.choice(w.shape[0], size=2, replace=False))
    straddle = bool(rng.random() < 0.5)
    if straddle:                     # row i vanishes at z*: its input there is the planted hidden value
        h = z
        for kk in range(k):
            h = np.maximum(ws[kk] @ h + bs[kk], 0.0)
        b[i] -= w[i] @ h + b[i]
    w[j], b[j] = w[i], b[i]
    col = int(rng.integers(0, w.shape[1] + 1))
    delta = 1e-9 * max(1.0, float(np.abs(w[i]).max()), abs(float(b[i]))) * float(rng.choice([-1.0, 1.0]))
    if col == w.shape[1]:
        b[j] += delta
    else:
        w[j, col] += delta
    ws[k], bs[k] = w, b
    note = f"rows {i},{j} of layer {k}{' straddling z*' if straddle else ''}; "
    return _target_mix(rng, Net(ws, bs, net.relu_out), lo, hi, z, regime, seed, note=note)


def gen_near_zero(regime: str, seed: int) -> Case:
    """Pre-activations at the planted z moved to 0, +-1e-9, +-1e-7 or +-3e-7 (absolute, or relative to the
    layer's scale); expanding last layers make the exact presolve peel them, and an output layer scaled
    by 10^U(0, 4) puts hidden values of 3e-7 below its relative zero threshold."""
    rng = _rng(regime, seed)
    relu_out = bool(rng.random() < 0.8)
    n0 = int(rng.integers(1, 4))
    hidden = [int(rng.integers(n0, 5)) for _ in range(int(rng.integers(1, 3)))]
    dims = [n0] + hidden + [int(rng.integers(hidden[-1], 6))]
    while sum(dims[1:-1]) + (dims[-1] if relu_out else 0) > 14:
        dims[-1] -= 1
    net = _gaussian_net(rng, dims, relu_out, 0.5)
    lo, hi = _box(rng, n0)
    z = rng.uniform(lo, hi)
    ws, bs = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    out_scale = 10.0 ** rng.uniform(0, 4) if rng.random() < 0.7 else 1.0
    ws[-1] *= out_scale
    bs[-1] *= out_scale
    h = z
    for k in range(net.depth):
        a = ws[k] @ h + bs[k]
        hit = rng.random(a.shape[0]) < (0.5 if k < net.depth - 1 else 0.25)
        unit = 1.0 if rng.random() < 0.5 else max(1.0, float(np.max(np.abs(a))))
        vals = rng.choice([0.0, 1e-9, -1e-9, 1e-7, -1e-7, 3e-7, -3e-7], size=int(hit.sum())) * unit
        bs[k][hit] -= a[hit] - vals
        a = ws[k] @ h + bs[k]
        h = np.maximum(a, 0.0) if net.relu_layer(k) else a
    net = Net(ws, bs, relu_out)
    return _target_mix(rng, net, lo, hi, z, regime, seed, note=f"output x {out_scale:.3g}; ")


def gen_integer(regime: str, seed: int) -> Case:
    """Small integer weights and biases, integer box; targets from an integer z, a half-integer z,
    or random integers."""
    rng = _rng(regime, seed)
    relu_out = bool(rng.random() < 0.8)
    dims = _tiny_dims(rng, 14, relu_out)
    ws = [rng.integers(-3, 4, size=(b, a)).astype(float) for a, b in zip(dims[:-1], dims[1:])]
    bs = [rng.integers(-2, 3, size=b).astype(float) for b in dims[1:]]
    net = Net(ws, bs, relu_out)
    r = float(rng.choice([2.0, 3.0]))
    lo, hi = (np.full(dims[0], -r), np.full(dims[0], r)) if rng.random() < 0.8 else (np.zeros(dims[0]), np.full(dims[0], r))
    u = rng.random()
    if u < 0.4:
        z = rng.integers(lo.astype(int), hi.astype(int) + 1).astype(float)
        return Case(regime, seed, net, forward(net, z), lo, hi, NORMS, planted_z=z, note="integer z")
    if u < 0.6:
        z = rng.integers(2 * lo.astype(int), 2 * hi.astype(int) + 1) / 2.0
        return Case(regime, seed, net, forward(net, z), lo, hi, NORMS, planted_z=z, note="half-integer z")
    m = dims[-1]
    x = rng.integers(0, 4, size=m).astype(float) if relu_out else rng.integers(-3, 4, size=m).astype(float)
    return Case(regime, seed, net, x, lo, hi, NORMS, note="random integer target")


def gen_integer_fractional(regime: str, seed: int) -> Case:
    """Integer weights up to +-1000 whose only pre-image is a half-integer point (the issue's
    W0=[[4],[-4]], b0=[-2,2], W1=[[-1,-1]], b1=[1], x=[1] generalised); half of them carry a *false*
    ``integral_preimage: True`` in their meta."""
    rng = _rng(regime, seed)
    n0 = int(rng.integers(1, 4))
    k = int(rng.choice([1, 2, 10, 100, 500]))
    c = rng.choice([-5, -3, -1, 1, 3, 5], size=n0).astype(float)
    extra_h, extra_o = (0, 0) if rng.random() < 0.5 else (int(rng.integers(0, 3)), int(rng.integers(0, 3)))
    W0 = np.vstack([2 * k * np.eye(n0), -2 * k * np.eye(n0), rng.integers(-2, 3, size=(extra_h, n0))]).astype(float)
    b0 = np.concatenate([-k * c, k * c, rng.integers(-2, 3, size=extra_h)]).astype(float)
    K = float(rng.choice([1.0, float(k)]))
    nh = 2 * n0 + extra_h
    W1 = np.zeros((n0 + extra_o, nh))
    for i in range(n0):
        W1[i, i] = W1[i, n0 + i] = -1.0
    W1[n0:] = rng.integers(-2, 3, size=(extra_o, nh))
    b1 = np.concatenate([np.full(n0, K), rng.integers(-2, 3, size=extra_o)]).astype(float)
    net = Net([W0, W1], [b0, b1], True)
    z = c / 2.0
    lo, hi = np.full(n0, -3.0), np.full(n0, 3.0)
    claim = bool(rng.random() < 0.5)
    meta = {"integral_preimage": True} if claim else {}
    return Case(regime, seed, net, forward(net, z), lo, hi, NORMS, meta=meta, planted_z=z,
                note=f"k={k}, " + ("false integral_preimage claim" if claim else "no claim"))


def _reduction_case(regime: str, seed: int, problem, reduction, answer, kind: str) -> Case:
    inst = reduction.reduce(problem)
    net = Net.of(inst.network)
    witness = None if answer is None else np.asarray(reduction.forward(problem, answer), float)
    norms = NORMS if answer is not None else ("exact",)   # l1 / linf truth is 0 on yes-instances only
    small = kind == "3sat->relu" and net.relu_neurons <= MAX_NEURONS
    return Case(regime, seed, net, inst.target, inst.lower, inst.upper, norms, meta=dict(inst.meta),
                planted_z=witness, enumerate=small,
                source={"problem": problem, "reduction": reduction, "answer": answer is not None, "kind": kind},
                note=f"{kind}, {'yes' if answer is not None else 'no'}-instance")


def gen_reduction_subsetsum(regime: str, seed: int) -> Case:
    """Random subset-sum, weights up to 2^6 .. 2^49, reduced to inversion; truth by DP / CP-SAT."""
    rng = _rng(regime, seed)
    n = int(rng.integers(2, 9))
    bits = int(rng.choice([6, 16, 30, 40, 45, 49]))
    bits = min(bits, 50 - int(math.ceil(math.log2(n + 2))))
    ss = random_subsetsum(n, n / bits, seed=int(rng.integers(2 ** 31)))
    answer = solve_subsetsum(ss, time_limit=60)
    return _reduction_case(regime, seed, ss, get_reduction("subset-sum", "relu"), answer, "subset-sum->relu")


def gen_reduction_3sat(regime: str, seed: int) -> Case:
    """Random 3-SAT (n = 3..5), reduced directly (small integers) or through subset-sum (numbers up
    to 6^19, about 2^49); truth by CDCL."""
    rng = _rng(regime, seed)
    n = int(rng.integers(3, 6))
    ratio = float(rng.choice([1.0, 2.0, 3.0, 4.26, 6.0]))
    s = int(rng.integers(2 ** 31))
    cnf = planted_ksat(n, ratio, seed=s)[0] if rng.random() < 0.3 else random_ksat(n, ratio, seed=s)
    chain = bool(rng.random() < 0.5)
    if chain and n + cnf.num_clauses > 19:
        cnf = CNF(n, cnf.clauses[:19 - n])
    if not chain and rng.random() < 0.5:     # small enough to enumerate: a self-test of the oracle
        cnf = CNF(n, cnf.clauses[:max(1, 14 - 3 * n)])
    red = get_reduction("3sat", "relu", via="subset-sum") if chain else get_reduction("3sat", "relu")
    while True:                   # drop clauses until the chain's numbers fit in exact float64
        try:
            red.reduce(cnf)
            break
        except InputError:
            cnf = CNF(n, cnf.clauses[:-1])
    answer = solve_cnf(cnf)
    return _reduction_case(regime, seed, cnf, red, answer, "3sat->subset-sum->relu" if chain else "3sat->relu")


def gen_tiny_smooth(regime: str, seed: int) -> Case:
    """Latent 1 or 2, one or two relu layers of 2-5 units, 2-5 tanh / sigmoid outputs; the target
    G(z*) plus noise of 2%-30% of the range, clipped into it. Not enumerated: the truth's upper
    side is the best of SMOOTH_SAMPLES codes (and every run's z), its lower side 0."""
    rng = _rng(regime, seed)
    dims = [int(rng.integers(1, 3))] + [int(rng.integers(2, 6)) for _ in range(int(rng.integers(1, 3)))]
    dims.append(int(rng.integers(2, 6)))
    net = _gaussian_net(rng, dims, False)
    net.smooth = str(rng.choice(["tanh", "sigmoid"]))
    lower, upper = _box(rng, dims[0])
    z = rng.uniform(lower, upper)
    low, high = (-1.0, 1.0) if net.smooth == "tanh" else (0.0, 1.0)
    sigma = float(rng.choice([0.02, 0.1, 0.3])) * (high - low)
    x = np.clip(forward(net, z) + rng.normal(0.0, sigma, dims[-1]), low + 1e-3, high - 1e-3)
    return Case(regime, seed, net, x, lower, upper, ("l1", "linf"), planted_z=z, enumerate=False,
                note=f"{net.smooth} noise {sigma:g}")


def sampled_truth(case: Case, samples: int) -> Truth:
    """A smooth output's truth from above: the best of ``samples`` uniform codes (own forward pass),
    refined by Nelder-Mead from the five best; the lower side stays 0 (so ``optimal`` is judged
    WRONG above the upper side, else ``ambiguous``; a bound above the upper side is WRONG)."""
    from scipy.optimize import minimize

    truth = Truth(kind="sampled")
    rng = np.random.default_rng(case.seed)
    Z = np.vstack([rng.uniform(case.lower, case.upper, size=(samples, case.lower.size)), [case.planted_z]])
    err = np.abs(np.array([forward(case.net, z) for z in Z]) - case.x)
    for n, values in (("l1", err.sum(axis=1)), ("linf", err.max(axis=1))):
        for z0 in Z[np.argsort(values)[:5]]:
            f = lambda z: residuals(case.net, case.x, np.clip(z, case.lower, case.upper))[n]  # noqa: E731
            r = minimize(f, z0, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-15})
            truth.witness(residuals(case.net, case.x, np.clip(r.x, case.lower, case.upper)))
        truth.hi[n] = min(truth.hi[n], float(values.min()))
    return truth


def gen_planted_large(regime: str, seed: int) -> Case:
    """Planted nets too big to enumerate (depth 2-3, widths 6-12), sometimes with scaled rows,
    near-zero pre-activations or a near-duplicate row; judged by "planted => never infeasible"."""
    rng = _rng(regime, seed)
    n0 = int(rng.integers(2, 6))
    dims = [n0] + [int(rng.integers(6, 13)) for _ in range(int(rng.integers(1, 3)))] + [int(rng.integers(6, 17))]
    net = _gaussian_net(rng, dims, bool(rng.random() < 0.8), 0.5)
    lo, hi = _box(rng, n0)
    z = rng.uniform(lo, hi)
    ws, bs = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    feature = str(rng.choice(["plain", "rows", "near-zero", "near-duplicate"]))
    h = z
    for k in range(len(ws)):
        if feature == "rows":
            f = 10.0 ** rng.uniform(-3, 3, size=ws[k].shape[0])
            ws[k] *= f[:, None]
            bs[k] *= f
        elif feature == "near-duplicate" and k == 0:
            ws[k][1], bs[k][1] = ws[k][0], bs[k][0] + 1e-9
        a = ws[k] @ h + bs[k]
        if feature == "near-zero":
            hit = rng.random(a.shape[0]) < 0.3
            bs[k][hit] -= a[hit] - rng.choice([0.0, 3e-7, -3e-7, 1e-9], size=int(hit.sum()))
            a = ws[k] @ h + bs[k]
        h = np.maximum(a, 0.0) if (k < len(ws) - 1 or net.relu_out) else a
    net = Net(ws, bs, net.relu_out)
    if rng.random() < 0.25:
        x = _near_range(rng, net, z, 0.3)
        return Case(regime, seed, net, x, lo, hi, ("exact",), planted_z=z, enumerate=False,
                    note=f"{feature}; near-0.3tol")
    return Case(regime, seed, net, forward(net, z), lo, hi, NORMS, planted_z=z, enumerate=False,
                note=f"{feature}; planted")


# =============================================================================================
# The pre-image analysis (``milpinv preimage``) held to an oracle of its own
# =============================================================================================
PRE_RANGE_REL = 1e-9      # the residual (relative) up to which milpinv proves its coordinate ranges
PRE_POINT_REL = 1e-7      # milpinv's single-point width (relative to the box's scale)
PRE_LOOSE = 1e-9          # the loosened piece LPs: sign rows and observation widened by this (relative)
PRE_MIDPOINTS = 60        # oracle points whose pairwise midpoints are tried for a non-convexity witness
PRE_ANSWERS = ("empty", "nonempty", "limit")   # the statuses of a pre-image report that claim something
PRE_LP = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}


def gen_preimage(regime: str, seed: int) -> Case:
    """2-3 layers, latent 2-4, widths 2-4; planted (50%), perturbed by 1%-50% (25%) or far off
    the range (25%) targets; the exact norm only (``milpinv preimage``'s question)."""
    rng = _rng(regime, seed)
    relu_out = bool(rng.random() < 0.7)
    dims = [int(rng.integers(2, 5))] + [int(rng.integers(2, 5)) for _ in range(int(rng.integers(1, 3)))]
    dims.append(int(rng.integers(1, 4)))
    net = _gaussian_net(rng, dims, relu_out)
    lower, upper = _box(rng, dims[0])
    z = rng.uniform(lower, upper)
    x, u = forward(net, z), rng.random()
    if u < 0.5:
        note = "planted"
    elif u < 0.75:
        sigma = float(rng.choice([0.01, 0.1, 0.5]))
        x, note = x + rng.normal(0.0, sigma * max(1.0, float(np.max(np.abs(x)))), x.shape), f"perturbed {sigma:g}"
    else:
        x, note = x + 10.0 * max(1.0, float(np.max(np.abs(x)))) * rng.choice([-1.0, 1.0], x.shape), "far"
    if relu_out:
        x = np.maximum(x, 0.0)
    return Case(regime, seed, net, x, lower, upper, ("exact",), planted_z=z, note=note)


@dataclass
class PreimageTruth:
    """The oracle's view of S = {z in box : G(z) = x}: ``points`` of S (own forward residual at most
    PRE_RANGE_REL / 2 relative), the hidden patterns whose loosened piece meets S (``loose``: a
    superset of every pattern of S), the strictly feasible ones, and a non-convexity ``witness``."""

    points: list[np.ndarray]
    strict: list[str]
    loose: list[str]
    witness: tuple[np.ndarray, np.ndarray] | None

    @property
    def convex(self) -> bool | None:
        """True when one pattern alone meets S even loosened (S is that piece: a polyhedron),
        False with a witness, else None (undecided)."""
        if self.witness is not None:
            return False
        return True if len(self.loose) == 1 else None


def _pattern_maps(net: Net, pattern: tuple[bool, ...]) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    """The hidden pre-activations (P_k, q_k) on the piece of ``pattern`` and the output map (P_L, q_L)."""
    P, q, maps, j = np.eye(net.dims[0]), np.zeros(net.dims[0]), [], 0
    for k, (w, b) in enumerate(zip(net.weights, net.biases)):
        Pk, qk = w @ P, w @ q + b
        if k == net.depth - 1:
            return maps, Pk, qk
        maps.append((Pk, qk))
        on = np.array(pattern[j:j + w.shape[0]], dtype=float)
        j += w.shape[0]
        P, q = Pk * on[:, None], qk * on
    raise AssertionError("unreachable")


def _piece_rows(case: Case, pattern: tuple[bool, ...], loose: float) -> tuple[np.ndarray, np.ndarray]:
    """A z <= c for the piece of ``pattern`` meeting the observation (exact, widened by ``loose``
    relative), every row scaled to unit norm."""
    maps, PL, qL = _pattern_maps(case.net, pattern)
    signs = np.where(np.array(pattern), -1.0, 1.0)
    rows, rhs = [], []
    P = np.vstack([m[0] for m in maps]) if maps else np.zeros((0, case.net.dims[0]))
    q = np.concatenate([m[1] for m in maps]) if maps else np.zeros(0)
    rows.append(signs[:, None] * P)
    rhs.append(-signs * q)
    band = loose * max(1.0, float(np.max(np.abs(case.x))))
    two = case.x > 0.0 if case.net.relu_out else np.ones(case.x.size, bool)  # relu(a) = 0 needs a <= 0 only
    rows += [PL, -PL[two]]
    rhs += [case.x - qL + band, -(case.x - qL)[two] + band]
    A, c = np.vstack(rows), np.concatenate(rhs)
    scale = np.maximum(np.linalg.norm(A, axis=1), 1e-300)
    return A / scale[:, None], c / scale + loose * float(np.max(np.abs(np.concatenate([case.lower, case.upper]))))


def _piece_lp(case: Case, A: np.ndarray, c: np.ndarray, cost: np.ndarray) -> np.ndarray | None:
    res = linprog(cost, A_ub=A, b_ub=c, bounds=list(zip(case.lower, case.upper)), method="highs", options=PRE_LP)
    return res.x if res.status == 0 else None


def preimage_truth(case: Case) -> PreimageTruth:
    """Every hidden pattern's piece as an LP (scipy's HiGHS, this file's own maps): the strict
    piece's extreme points along each coordinate are points of S when their own forward pass
    confirms it; the loosened pieces bound the patterns S can meet."""
    hidden = sum(case.net.dims[1:-1])
    n = case.net.dims[0]
    tol_pt = 0.5 * PRE_RANGE_REL * max(1.0, float(np.max(np.abs(case.x))))
    points = [case.planted_z] if case.planted_z is not None else []
    strict, loose = [], []
    for pattern in itertools.product((False, True), repeat=hidden):
        label = "".join("1" if p else "0" for p in pattern)
        if _piece_lp(case, *_piece_rows(case, pattern, PRE_LOOSE), np.zeros(n)) is None:
            continue
        loose.append(label)
        A, c = _piece_rows(case, pattern, 0.0)
        for i, sign in itertools.product(range(n), (1.0, -1.0)):
            z = _piece_lp(case, A, c, sign * np.eye(n)[i])
            if z is not None:
                points.append(np.clip(z, case.lower, case.upper))
                strict.append(label)
    points = [z for z in points if residuals(case.net, case.x, z)["linf"] <= tol_pt]
    return PreimageTruth(points, sorted(set(strict)), loose, _midpoint_witness(case, points[:PRE_MIDPOINTS]))


def _midpoint_witness(case: Case, points: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """Two points of S whose midpoint misses x by more than 1000 tolerances (own forward pass)."""
    tol = tolerance(case.x)
    for u, v in itertools.combinations(points, 2):
        if residuals(case.net, case.x, 0.5 * (u + v))["linf"] > 1000 * tol:
            return u, v
    return None


def run_preimage(case: Case, path: InvertPath, time_limit: float) -> Outcome:
    """``analyse_preimage`` (what ``milpinv preimage`` prints); its report travels as ``solver``."""
    from milpinv.analysis.preimage import PreimageOptions, analyse_preimage
    from milpinv.problem import Box

    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rep = analyse_preimage(case.net.to_milpinv(), case.x, Box(case.lower, case.upper),
                                   PreimageOptions(time_limit=time_limit))
    except Exception as exc:  # noqa: BLE001 - a crash is data here
        return Outcome(path, "crash", time_s=time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")
    return Outcome(path, str(rep.status), message=rep.message, solver=rep.to_dict(), time_s=time.perf_counter() - t0)


def judge_preimage(case: Case, out: Outcome, truth: Truth) -> tuple[str, str]:
    """Every claim of the report against the oracle: emptiness against the enumerated distance
    (as invert's infeasible / optimal), the proven ranges and a single point against the oracle's
    points of S, the listed patterns against the loosened pieces, convexity against a witness or a
    single loosened piece, and milpinv's own non-convexity witness by this file's forward pass."""
    rep, pre, tol = out.solver, truth.preimage, tolerance(case.x)
    if out.status == "empty":
        if truth.hi["linf"] > tol / 2:
            return ("ok", "") if truth.lo["linf"] > tol else ("ambiguous", "empty near the tolerance")
        exact_only = "exact equality" in out.message
        if exact_only and truth.hi["linf"] > 10 * rounding(case.net, case.upper):
            return "ambiguous", "exact equality proven empty; a point within the tolerance exists"
        return "WRONG", f"empty, but a z with residual {truth.hi['linf']:.3g} exists"
    if out.status not in ("nonempty", "limit"):
        return "nonanswer", out.status
    if truth.lo["linf"] > tol:
        return "WRONG", f"{out.status}, but no z comes within {truth.lo['linf']:.3g} of x"
    if pre is None:
        return "ok", "no oracle"
    return _judge_claims(case, rep, pre)


def _judge_claims(case: Case, rep: dict, pre: PreimageTruth) -> tuple[str, str]:
    scale = max(1.0, float(np.max(np.abs(np.concatenate([case.lower, case.upper])))))
    if rep["lower"] is not None:
        lo, hi, eps = np.array(rep["lower"]), np.array(rep["upper"]), 1e-12 * scale
        for z in pre.points:
            if np.any(z < lo - eps) or np.any(z > hi + eps):
                return "WRONG", f"the point {z.tolist()} of S lies outside the ranges [{lo.tolist()}, {hi.tolist()}]"
    if rep["single_point"] and pre.points:
        spread = float(np.max(np.ptp(np.array(pre.points), axis=0)))
        if spread > 1.01 * PRE_POINT_REL * scale:
            return "WRONG", f"a single point, but points of S lie {spread:.3g} apart"
    unknown = [p for p in rep["patterns"] or [] if p.replace("/", "") not in pre.loose]
    if unknown:
        return "WRONG", f"pattern {unknown[0]} listed, but its piece misses S (loosened LP infeasible)"
    return _judge_convexity(case, rep, pre)


def _judge_convexity(case: Case, rep: dict, pre: PreimageTruth) -> tuple[str, str]:
    tol = tolerance(case.x)
    if rep["convex"] == "no" and rep["witness"] is not None:
        w = rep["witness"]
        u, v = np.array(w["z1"]), np.array(w["z2"])
        r = [residuals(case.net, case.x, p)["linf"] for p in (u, v, 0.5 * (u + v))]
        if max(r[:2]) > tol + 10 * rounding(case.net, u) or r[2] <= 1000 * tol:
            return "WRONG", f"non-convexity witness fails the own forward pass (residuals {r})"
        return "ok", ""
    if rep["convex"] == "no" and pre.convex:
        return "WRONG", f"non-convex ({rep['convex_reason']}), but only the piece {pre.loose[0]} meets S"
    if rep["convex"] == "yes" and pre.convex is False:
        u, v = pre.witness
        return "WRONG", f"convex ({rep['convex_reason']}), but the midpoint of {u.tolist()} and {v.tolist()} misses x"
    return "ok", ""


@dataclass(frozen=True)
class Regime:
    make: Callable[[str, int], Case]
    full: int       # instances in the full campaign
    quick: int      # instances with --quick
    doc: str


REGIMES: dict[str, Regime] = {
    "tiny-planted": Regime(gen_tiny_planted, 1000, 8, "random tiny nets, x = G(z*)"),
    "tiny-perturbed": Regime(gen_tiny_perturbed, 800, 6, "x = G(z*) + N(0, (1%-50%)^2): usually unrealizable"),
    "tiny-random": Regime(gen_tiny_random, 500, 6, "random targets"),
    "tiny-within-tol": Regime(gen_tiny_within_tol, 1000, 10, "x = G(z*) + perturbation of 0.3 or 3 tol"),
    "tiny-noisy": Regime(gen_tiny_noisy, 600, 6, "noisy targets (may be negative), l1 / linf"),
    "scaled-global": Regime(gen_scaled_global, 800, 32, "whole net times 10^U(-4,4)"),
    "scaled-rows": Regime(gen_scaled_rows, 700, 8, "rows times 10^U(-3,3)"),
    "scaled-entries": Regime(gen_scaled_entries, 700, 8, "entries times 10^U(-4,4)"),
    "near-duplicate": Regime(gen_near_duplicate, 800, 8, "two rows differing by 1e-9"),
    "near-zero": Regime(gen_near_zero, 800, 60, "pre-activations 0, 1e-9, 1e-7, 3e-7 at z*"),
    "integer": Regime(gen_integer, 800, 8, "small integer weights"),
    "integer-fractional": Regime(gen_integer_fractional, 700, 8, "integer nets, only a half-integer pre-image; "
                                                                 "half with a false integral_preimage claim"),
    "reduction-subsetsum": Regime(gen_reduction_subsetsum, 450, 6, "subset-sum -> relu, numbers up to 2^49"),
    "reduction-3sat": Regime(gen_reduction_3sat, 400, 8, "3sat -> relu and 3sat -> subset-sum -> relu"),
    "planted-large": Regime(gen_planted_large, 250, 4, "planted nets beyond enumeration"),
    "preimage": Regime(gen_preimage, 300, 4, "milpinv preimage (analyse_preimage): every claim against the oracle"),
    "tiny-smooth": Regime(gen_tiny_smooth, 200, 4, "tanh / sigmoid outputs, l1 / linf in pixels, sampled truth"),
}
HOSTILE = {"scaled-global", "scaled-rows", "scaled-entries", "near-duplicate", "near-zero", "planted-large"}


def make_case(regime: str, seed: int) -> Case:
    return REGIMES[regime].make(regime, seed)


# =============================================================================================
# Paths
# =============================================================================================
@dataclass(frozen=True)
class InvertPath:
    """One way of calling ``invert``: method, norm and (for milp / auto) the MILP options."""

    method: str
    norm: str
    solver: str | None = None
    bounds: str = "interval"
    heuristic: bool = True
    peeling: bool = True
    branching: str = ""  # milpinv's branch and bound: a rule other than the default

    @property
    def key(self) -> str:
        parts = [self.method, self.norm]
        if self.solver:
            parts.append(self.solver)
            if self.bounds != "interval":
                parts.append(f"bounds={self.bounds}")
            if not self.heuristic:
                parts.append("heuristic=off")
            if not self.peeling:
                parts.append("peeling=off")
            if self.branching:
                parts.append(f"branching={self.branching.replace('/', ':')}")
        return "/".join(parts)

    @property
    def family(self) -> str:
        return "/".join([self.method, self.norm] + ([self.solver] if self.solver else []))

    def options(self) -> dict[str, Any]:
        if not self.solver:
            return {}
        opts: dict[str, Any] = {"solver": self.solver, "bounds": self.bounds, "heuristic": self.heuristic}
        if self.norm == "exact":
            opts["peeling"] = self.peeling
        if self.branching:
            opts["branching"] = self.branching
        return opts

    @classmethod
    def parse(cls, key: str) -> InvertPath:
        tokens = key.split("/")
        kw: dict[str, Any] = {"method": tokens[0], "norm": tokens[1]}
        for t in tokens[2:]:
            name, _, value = t.partition("=")
            if not value:
                kw["solver"] = name
            elif name == "bounds":
                kw["bounds"] = value
            elif name == "branching":
                kw["branching"] = value.replace(":", "/")
            else:
                kw[name] = value not in ("off", "0", "false")
        if kw["method"] in ("milp", "auto") and "solver" not in kw:
            kw["solver"] = "highs"
        return cls(**kw)


LATENT_RULE = "latent1/deep/out/lean"  # a latent split wherever one stabilises a first-layer unit
PLUNGE_RULE = "plunge/deep/out/lean"  # l1 / linf: best bound after each dive, open nodes dropped on their parents' bounds


def _milp_path(rng, case: Case, norm: str, solver: str | None = None, method: str = "milp") -> InvertPath:
    hostile = case.regime in HOSTILE
    if solver is None:
        solver = str(rng.choice(["highs", "ortools-scip", "pyomo:appsi_highs"], p=[0.6, 0.28, 0.12]))
    bounds = "lp" if rng.random() < (0.6 if hostile else 0.4) else "interval"
    heuristic = bool(rng.random() < (0.35 if hostile else 0.5))   # the heuristic hides the MILP's verdicts
    peeling = bool(rng.random() < 0.7) if norm == "exact" else True
    return InvertPath(method, norm, solver, bounds, heuristic, peeling)


def choose_paths(case: Case) -> list[InvertPath]:
    """Per norm: two MILP variants (one on CP-SAT for integer nets), one of auto / layerwise / gd /
    lp (depth 1), and for exact norms near the range's edge always layerwise and heuristic-free MILP."""
    if case.regime == "preimage":
        return [InvertPath("preimage", "exact")]
    rng = np.random.default_rng([zlib.crc32(b"paths"), zlib.crc32(case.regime.encode()), case.seed])
    paths: list[InvertPath] = []
    others = ["auto", "layerwise", "gd"] + (["lp"] if case.net.depth == 1 else [])
    for norm in case.norms:
        first = "cpsat" if case.integer else None
        paths.append(_milp_path(rng, case, norm, first))
        if case.regime != "planted-large":
            paths.append(_milp_path(rng, case, norm))
        other = str(rng.choice(others))
        paths.append(_milp_path(rng, case, norm, "highs", "auto") if other == "auto" else InvertPath(other, norm))
        if case.net.depth == 1 and other != "lp":
            paths.append(InvertPath("lp", norm))
        if case.net.dims[0] <= 3 and case.seed % 2 == 0:  # latent splits of the branch and bound
            paths.append(InvertPath("milp", norm, "bab", branching=LATENT_RULE))
        if norm != "exact" and case.seed % 2 == 1:  # the plunging node order (incumbents found in the search)
            paths.append(InvertPath("milp", norm, "bab", heuristic=False, branching=PLUNGE_RULE))
        if case.net.smooth:  # the pixel-space search is milpinv's own engine's
            paths.append(InvertPath("milp", norm, "bab", heuristic=bool(rng.random() < 0.5)))
            paths.append(InvertPath("milp", norm, "auto"))
        if case.regime == "tiny-within-tol" and norm == "exact":
            paths.append(InvertPath("layerwise", norm))
            paths.append(InvertPath("milp", norm, "highs", str(rng.choice(["interval", "lp"])), False, True))
    return list(dict.fromkeys(paths))


# =============================================================================================
# Running and judging
# =============================================================================================
@dataclass
class Outcome:
    """One ``invert`` call as the judge sees it."""

    path: InvertPath
    status: str
    z: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None
    message: str = ""
    solver: dict = field(default_factory=dict)
    time_s: float = 0.0
    error: str | None = None


def run_path(case: Case, path: InvertPath, time_limit: float) -> Outcome:
    """``invert`` through the public API; an escaping exception is recorded, not raised."""
    if path.method == "preimage":
        return run_preimage(case, path, time_limit)
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = invert(case.instance(), method=path.method, norm=path.norm, time_limit=time_limit, **path.options())
    except InputError as exc:  # a documented refusal (e.g. cpsat on non-integer data): no claim made
        return Outcome(path, "failed", message=f"refused: {exc}", time_s=time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 - a crash is data here
        return Outcome(path, "crash", time_s=time.perf_counter() - t0, error=f"{type(exc).__name__}: {exc}")
    z = None if r.z is None else np.asarray(r.z, dtype=np.float64)
    solver = r.to_dict().get("solver", {})
    return Outcome(path, r.status, z, r.objective, r.bound, r.message or "", solver, time.perf_counter() - t0)


def slack(case: Case, norm: str, truth: Truth, z: np.ndarray | None) -> float:
    """Allowed slack when comparing an objective or bound with the truth: SLACK_REL relative to
    max(1, max|x|, the truth), times the number of outputs for l1, plus float rounding of z."""
    n = "linf" if norm == "exact" else norm
    scale = max(1.0, float(np.max(np.abs(case.x))), truth.hi[n] if math.isfinite(truth.hi[n]) else 0.0)
    m = len(case.x) if n == "l1" else 1
    r = rounding(case.net, z) if z is not None else rounding(case.net, np.maximum(np.abs(case.lower), np.abs(case.upper)))
    return (SLACK_REL * scale + 10 * r) * m


def judge(case: Case, out: Outcome, truth: Truth) -> tuple[str, str]:
    """The verdict on one answer, with its reason. The rules:

    * An exception out of ``invert``: ``crash``; an ``InputError`` (a documented refusal, such as
      CP-SAT on a non-integer target) is a ``nonanswer``.
    * Any z an answer carries must lie in the box (1e-9 relative); if an objective is reported with
      status optimal / feasible / time_limit in l1 / linf, it must equal z's residual recomputed
      here (within :func:`slack`); any reported ``bound`` (l1 / linf) must not exceed the truth's
      upper end ``hi`` by more than the slack. Violations are WRONG whatever the status.
    * ``failed`` / ``time_limit`` otherwise: ``nonanswer``.
    * Exact norm, band semantics (tol = 1e-6 max(1, max|x|), truth = the l-infinity distance
      from x to the range over the box, in [lo, hi]):
      ``infeasible`` is WRONG when hi <= tol/2 (a z with residual <= tol/2 exists), ok when
      lo > tol, else ambiguous. ``optimal`` / ``feasible`` is WRONG without a z or when z's
      recomputed residual exceeds tol (plus rounding), else ok.
    * Exact norm, reductions (lattice semantics; the instance's integral-pre-image claim is true):
      ``infeasible`` is WRONG on a yes-instance; ``optimal`` is WRONG on a no-instance, when z's
      residual exceeds tol, or when the reduction's backward map of z does not solve the source.
    * l1 / linf: ``infeasible`` is always WRONG (the box is not empty). ``optimal`` is WRONG when
      its objective exceeds hi + slack, ok when it is at most lo + 2 slack, else ambiguous;
      ``feasible`` is ok once the checks above pass.
    """
    if out.error is not None:
        return "crash", out.error
    if out.path.method == "preimage":
        return judge_preimage(case, out, truth)
    norm, x = out.path.norm, case.x
    n = "linf" if norm == "exact" else norm
    z = out.z
    sl = slack(case, norm, truth, z)
    if z is not None:
        box_tol = 1e-9 * max(1.0, float(np.max(np.abs(np.concatenate([case.lower, case.upper])))))
        if np.any(z < case.lower - box_tol) or np.any(z > case.upper + box_tol):
            return "WRONG", "z outside the box"
    res = residuals(case.net, x, z) if z is not None else None
    if norm != "exact":
        if out.objective is not None and res is not None and out.status in ("optimal", "feasible", "time_limit") \
                and abs(out.objective - res[n]) > sl:
            return "WRONG", f"objective {out.objective:.6g} but z's residual is {res[n]:.6g}"
        obj = out.objective if out.objective is not None else (res[n] if res is not None else None)
        if out.status == "optimal" and obj is not None and obj > truth.hi[n] + sl:
            return "WRONG", f"optimal {obj:.6g} but a z with residual {truth.hi[n]:.6g} exists"
        if out.bound is not None and out.bound > truth.hi[n] + sl:
            return "WRONG", f"bound {out.bound:.6g} above the truth (<= {truth.hi[n]:.6g})"
    if out.status in ("failed", "time_limit"):
        return "nonanswer", out.status
    if out.status not in ANSWERS:
        return "WRONG", f"unknown status {out.status!r}"
    if norm == "exact":
        return _judge_exact(case, out, truth, res)
    if out.status == "infeasible":
        return "WRONG", "infeasible under l1/linf (the box is not empty)"
    if out.status == "feasible":
        return "ok", ""
    if obj is None:
        return "WRONG", "optimal without objective or z"
    if obj <= truth.lo[n] + 2 * sl:
        return "ok", ""
    return "ambiguous", f"optimal {obj:.6g}, truth in [{truth.lo[n]:.6g}, {truth.hi[n]:.6g}]"


def _judge_exact(case: Case, out: Outcome, truth: Truth, res: dict[str, float] | None) -> tuple[str, str]:
    tol = tolerance(case.x)
    if truth.semantics == "lattice":
        if out.status == "infeasible":
            return ("WRONG", "infeasible, but the source problem has a solution") if truth.answer else ("ok", "")
        if res is None:
            return "WRONG", "optimal without z"
        if not truth.answer:
            return "WRONG", f"optimal (residual {res['linf']:.3g}) on a no-instance"
        if res["linf"] > tol + rounding(case.net, out.z):
            return "WRONG", f"optimal but z's residual {res['linf']:.3g} exceeds tol {tol:.3g}"
        src = case.source
        if not _solves_source(src, out.z):
            return "WRONG", "optimal but the backward map of z does not solve the source problem"
        return "ok", ""
    if out.status == "infeasible":
        if truth.hi["linf"] <= tol / 2:
            return "WRONG", f"infeasible, but a z with residual {truth.hi['linf']:.3g} <= tol/2 ({tol / 2:.3g}) exists"
        if truth.lo["linf"] > tol:
            return "ok", ""
        return "ambiguous", f"infeasible, distance in [{truth.lo['linf']:.3g}, {truth.hi['linf']:.3g}], tol {tol:.3g}"
    if res is None:
        return "WRONG", f"{out.status} without z"
    if res["linf"] > tol + rounding(case.net, out.z):
        return "WRONG", f"{out.status} but z's residual {res['linf']:.3g} exceeds tol {tol:.3g}"
    return "ok", ""


def _solves_source(src: dict, z: np.ndarray) -> bool:
    problem, red = src["problem"], src["reduction"]
    try:
        solution = red.backward(problem, z)
    except Exception:  # noqa: BLE001
        return False
    return bool(problem.satisfied_by(solution))


# =============================================================================================
# One instance: build, oracle, runs, verdicts
# =============================================================================================
def base_truth(case: Case) -> tuple[Truth, dict[str, Any]]:
    """The truth before the runs: enumeration, planted witness, reduction source."""
    info: dict[str, Any] = {"enumerated": False}
    truth = None
    t0 = time.perf_counter()
    if case.enumerate and case.net.relu_neurons <= MAX_NEURONS:
        truth = enumerate_truth(case.net, case.x, case.lower, case.upper, case.norms)
        info["enumerated"] = truth is not None
        info["budget_exceeded"] = truth is None
    info["oracle_s"] = time.perf_counter() - t0
    if truth is None and case.net.smooth:
        truth = sampled_truth(case, SMOOTH_SAMPLES)
    if truth is None:
        truth = Truth(kind="planted" if case.planted_z is not None else "none")
    else:
        info.update(truth.stats)
    if case.planted_z is not None:
        truth.witness(residuals(case.net, case.x, case.planted_z))
    if case.source is not None:
        truth.answer = case.source["answer"]
        truth.semantics = "lattice"
        if info["enumerated"]:           # oracle self-test against CDCL (3sat -> relu, small)
            tol = tolerance(case.x)
            enum_yes = truth.hi["linf"] <= tol / 2
            enum_no = truth.lo["linf"] > tol
            info["self_test"] = "agree" if (enum_yes and truth.answer) or (enum_no and not truth.answer) else \
                ("unsettled" if not (enum_yes or enum_no) else "DISAGREE")
        truth.kind = "reduction"
    if case.regime == "preimage":
        t0 = time.perf_counter()
        truth.preimage = preimage_truth(case)
        info.update(pre_points=len(truth.preimage.points), pre_pieces=len(truth.preimage.strict),
                    pre_loose=len(truth.preimage.loose), pre_convex=truth.preimage.convex,
                    pre_oracle_s=time.perf_counter() - t0)
    return truth, info


def finish_instance(case: Case, truth: Truth, info: dict[str, Any], outcomes: list[Outcome]) -> dict[str, Any]:
    """Judge every outcome of one instance; returns its CSV rows and its instance record."""
    inconsistent = _add_witnesses(case, truth, outcomes)
    rows = [_row(case, truth, o, *judge(case, o, truth)) for o in outcomes]
    inst = {"id": case.ident, "regime": case.regime, "seed": case.seed, "dims": case.net.dims,
            "relu_neurons": case.net.relu_neurons, "note": case.note, "truth_kind": truth.kind,
            "oracle_inconsistent": inconsistent, **info}
    return {"instance": inst, "rows": rows}


def _add_witnesses(case: Case, truth: Truth, outcomes: list[Outcome]) -> int:
    """Every run's z is a witness for ``hi``; one below ``lo`` (minus slack) is an oracle inconsistency."""
    bad = 0
    for o in outcomes:
        if o.z is None or o.z.shape != case.lower.shape or not np.all(np.isfinite(o.z)):
            continue
        z = np.clip(o.z, case.lower, case.upper)
        r = residuals(case.net, case.x, z)
        for n in ("l1", "linf"):
            if r[n] < truth.lo[n] - slack(case, n, truth, z):
                bad += 1
                truth.lo[n] = 0.0
        truth.witness(r)
    return bad


def _row(case: Case, truth: Truth, o: Outcome, verdict: str, reason: str) -> dict[str, Any]:
    n = "linf" if o.path.norm == "exact" else o.path.norm
    res = residuals(case.net, case.x, o.z) if o.z is not None else None
    return {
        "instance": case.ident, "regime": case.regime, "seed": case.seed, "dims": "-".join(map(str, case.net.dims)),
        "relu_neurons": case.net.relu_neurons, "target": case.note, "path": o.path.key, "family": o.path.family,
        "method": o.path.method, "norm": o.path.norm, "solver": o.path.solver or "",
        "bounds": o.path.bounds if o.path.solver else "", "heuristic": o.path.heuristic if o.path.solver else "",
        "peeling": o.path.peeling if o.path.solver and o.path.norm == "exact" else "",
        "status": o.status, "objective": _num(o.objective), "bound": _num(o.bound),
        "residual": _num(None if res is None else res[n]), "tol": _num(tolerance(case.x)),
        "truth_kind": truth.kind, "truth_lo": _num(truth.lo[n]), "truth_hi": _num(truth.hi[n]),
        "truth_answer": "" if truth.answer is None else truth.answer,
        "verdict": verdict, "reason": reason, "time_s": round(o.time_s, 4),
        "message": (o.error or o.message)[:300], "notes": NOTE_SEP.join(certification_notes(o)),
        "solver_json": json.dumps(o.solver, default=str, sort_keys=True),
    }


def _num(v: float | None) -> str:
    return "" if v is None else repr(float(v))


NOTE_SEP = " || "
NOTE_KEY = re.compile(r"second_opinion|confirm|certif|downgrad|recheck|re_check|verif|trust|demot|refus", re.I)
MESSAGE_NOTES = [
    (re.compile(r"forward pass residual .* exceeds tolerance"), "residual above tolerance: downgraded to failed"),
    (re.compile(r"below the forward-pass residual"), "objective below the residual: downgraded to feasible"),
    (re.compile(r"left the box"), "z left the box: clipped"),
    (re.compile(r"proves nothing over the reals"), "lattice infeasibility not taken as a proof"),
    (re.compile(r"floating-point infeasibility unreliable"), "big-coefficient infeasibility not claimed"),
]


def certification_notes(o: Outcome) -> list[str]:
    """Certification steps recorded by the result: solver-dict keys that name one (second opinions,
    confirmations, certification / downgrade notes, whatever their nesting) and known message
    patterns; numbers are replaced by # so that notes can be tallied."""
    notes = [label for rx, label in MESSAGE_NOTES if rx.search(o.message or "")]

    def walk(d: Any, prefix: str) -> None:
        if isinstance(d, dict):
            for k, v in d.items():
                key = f"{prefix}{k}"
                if NOTE_KEY.search(str(k)) and v not in (None, False, "", [], {}):
                    notes.extend(_note_values(key, v))
                elif isinstance(v, (dict, list)):
                    walk(v, key + ".")
        elif isinstance(d, list):
            for v in d:
                walk(v, prefix)

    walk(o.solver, "")
    return list(dict.fromkeys(notes))


def _note_values(key: str, v: Any) -> list[str]:
    norm = lambda s: re.sub(r"[-+]?\d[\d.]*(e[-+]?\d+)?", "#", str(s)).replace(NOTE_SEP, ", ")[:160]  # noqa: E731
    if isinstance(v, str):
        return [f"{key}: {norm(v)}"]
    if isinstance(v, list):
        return [f"{key}: {norm(e)}" if isinstance(e, str) else key for e in v] or [key]
    if isinstance(v, dict):
        return [f"{key}.{k}" for k in v] or [key]
    return [key]


# =============================================================================================
# The campaign: tasks, pool, outputs
# =============================================================================================
def tasks_for(args, regimes: dict[str, Regime] = REGIMES) -> list[tuple[str, int, float]]:
    names = list(regimes) if not args.only else [s.strip() for s in args.only.split(",")]
    for n in names:
        if n not in regimes:
            sys.exit(f"unknown regime {n!r}; known: {', '.join(regimes)}")
    out = []
    for name in names:
        count = args.per_regime if args.per_regime is not None else \
            (regimes[name].quick if args.quick else regimes[name].full)
        out += [(name, args.seed * 10 ** 6 + i, args.time_limit) for i in range(count)]
    return out


HANG_GRACE = 30.0      # a call silent for 3 x time_limit + this many seconds is killed and counted as a hang
TRUTH_LIMIT = 600.0    # seconds to build one instance and its truth


def _instance_worker(conn, regime: str, seed: int, time_limit: float, start: int, need_truth: bool) -> None:
    """Child process for one instance: the case and its truth, then one message per path outcome
    (from path ``start`` on), so that the parent can kill a hung solver call and resume after it."""
    try:
        case = make_case(regime, seed)
        if need_truth:
            truth, info = base_truth(case)
            conn.send(("truth", case, truth, info))
        paths = choose_paths(case)
        for i in range(start, len(paths)):
            conn.send(("outcome", i, run_path(case, paths[i], time_limit)))
        conn.send(("done",))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as a harness error
        conn.send(("error", f"{type(exc).__name__}: {exc}", traceback.format_exc()))
    finally:
        conn.close()


@dataclass
class _Job:
    """One instance in flight: its worker process and what it has reported so far."""

    regime: str
    seed: int
    proc: Any = None
    conn: Any = None
    deadline: float = 0.0
    next: int = 0                                  # the path the worker is running
    case: Case | None = None
    truth: Truth | None = None
    info: dict = field(default_factory=dict)
    outcomes: list = field(default_factory=list)


class Campaign:
    """Runs instances in forked worker processes (``jobs`` at a time) with a watchdog: a solver call
    that ignores its time limit (or kills its process) is recorded as a ``crash`` ("hang" / "worker
    died") and the instance resumes with its next path. Only processes started here are killed."""

    def __init__(self, tasks: list[tuple[str, int, float]], jobs: int, time_limit: float) -> None:
        import multiprocessing
        self.ctx = multiprocessing.get_context("fork")
        self.tasks, self.jobs, self.time_limit = list(tasks), max(1, jobs), time_limit
        self.call_limit = 3 * time_limit + HANG_GRACE

    def run(self, take: Callable[[dict], None]) -> None:
        from multiprocessing.connection import wait
        pending, active = list(reversed(self.tasks)), {}
        try:
            while pending or active:
                while pending and len(active) < self.jobs:
                    regime, seed, _ = pending.pop()
                    job = _Job(regime, seed)
                    self._spawn(job, 0, True)
                    active[job.conn] = job
                for conn in wait(list(active), timeout=1.0):
                    job = active.pop(conn)
                    result = self._receive(job)
                    if result is not None:
                        take(result)
                    if job.proc is not None:
                        active[job.conn] = job
                now = time.monotonic()
                for conn, job in list(active.items()):
                    if now > job.deadline:
                        del active[conn]
                        result = self._interrupt(job, f"hang: no answer after {self.call_limit:.0f} s "
                                                      f"(time limit {self.time_limit:g} s); process killed")
                        if result is not None:
                            take(result)
                        if job.proc is not None:
                            active[job.conn] = job
        finally:
            for job in active.values():
                self._kill(job)

    def _spawn(self, job: _Job, start: int, need_truth: bool) -> None:
        parent, child = self.ctx.Pipe(duplex=False)
        job.proc = self.ctx.Process(target=_instance_worker, daemon=True,
                                    args=(child, job.regime, job.seed, self.time_limit, start, need_truth))
        job.proc.start()
        child.close()
        job.conn, job.next = parent, start
        job.deadline = time.monotonic() + (TRUTH_LIMIT if need_truth else self.call_limit)

    def _kill(self, job: _Job) -> None:
        if job.proc is not None:
            if job.proc.is_alive():
                job.proc.kill()
            job.proc.join()
            job.conn.close()
            job.proc = None

    def _receive(self, job: _Job) -> dict | None:
        """Handle one message; returns the instance's result once it is complete."""
        try:
            msg = job.conn.recv()
        except (EOFError, OSError):
            return self._interrupt(job, f"worker died (exit code {job.proc.exitcode})")
        kind = msg[0]
        if kind == "truth":
            job.case, job.truth, job.info = msg[1], msg[2], msg[3]
        elif kind == "outcome":
            job.outcomes.append(msg[2])
            job.next = msg[1] + 1
        elif kind == "done":
            self._kill(job)
            return finish_instance(job.case, job.truth, job.info, job.outcomes)
        else:
            self._kill(job)
            return self._harness_error(job, msg[1], msg[2])
        job.deadline = time.monotonic() + self.call_limit
        return None

    def _interrupt(self, job: _Job, why: str) -> dict | None:
        """The worker hung or died: record its current call as a crash and resume after it."""
        self._kill(job)
        if job.case is None:
            return self._harness_error(job, f"building the instance and its truth: {why}", "")
        paths = choose_paths(job.case)
        job.outcomes.append(Outcome(paths[job.next], "crash", error=why))
        if job.next + 1 >= len(paths):
            return finish_instance(job.case, job.truth, job.info, job.outcomes)
        self._spawn(job, job.next + 1, False)
        return None

    @staticmethod
    def _harness_error(job: _Job, error: str, trace: str) -> dict:
        return {"instance": {"id": f"{job.regime}:{job.seed}", "regime": job.regime, "seed": job.seed,
                             "harness_error": error, "trace": trace}, "rows": []}


def run_campaign(tasks, jobs: int, time_limit: float) -> tuple[list[dict], list[dict]]:
    rows, instances = [], []
    bar = tqdm(total=len(tasks), unit="inst", smoothing=0.02, dynamic_ncols=True)
    wrong = 0

    def take(result: dict) -> None:
        nonlocal wrong
        rows.extend(result["rows"])
        instances.append(result["instance"])
        for r in result["rows"]:
            if r["verdict"] == "WRONG":
                wrong += 1
                tqdm.write(f"WRONG {r['path']} {r['instance']} ({r['target']}): {r['reason'][:100]}  "
                           f"[{replay_command(r)}]")
            elif r["verdict"] == "crash" and r["message"].startswith(("hang", "worker died")):
                tqdm.write(f"CRASH {r['path']} {r['instance']}: {r['message'][:100]}  [{replay_command(r)}]")
        bar.set_postfix(runs=len(rows), wrong=wrong)
        bar.update()

    Campaign(tasks, jobs, time_limit).run(take)
    bar.close()
    rows.sort(key=lambda r: (r["regime"], r["seed"], r["path"]))
    instances.sort(key=lambda i: (i["regime"], i["seed"]))
    return rows, instances


def _tally(rows: list[dict], by: Callable[[dict], str]) -> dict[str, dict[str, int]]:
    table: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        t = table[by(r)]
        t["runs"] += 1
        t["answers"] += r["status"] in ANSWERS + PRE_ANSWERS
        t[r["verdict"]] += 1
    return {k: {c: int(v.get(c, 0)) for c in ("runs", "answers") + VERDICTS} for k, v in sorted(table.items())}


def summarise(rows: list[dict], instances: list[dict], args, wall: float) -> dict[str, Any]:
    notes = Counter()
    notes_by_family: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        for note in filter(None, r["notes"].split(NOTE_SEP)):
            notes[note] += 1
            notes_by_family[note][r["family"]] += 1
    crashes = Counter(r["message"][:160] for r in rows if r["verdict"] == "crash")
    enumerated = [i for i in instances if i.get("enumerated")]
    oracle = {
        "instances_enumerated": len(enumerated),
        "budget_exceeded": sum(bool(i.get("budget_exceeded")) for i in instances),
        "regions": sum(i.get("regions", 0) for i in enumerated),
        "lps": sum(i.get("lps", 0) for i in enumerated),
        "certificates": sum(i.get("certificates", 0) for i in enumerated),
        "pruned_empty": sum(i.get("pruned_empty", 0) for i in enumerated),
        "pruned_thin": sum(i.get("pruned_thin", 0) for i in enumerated),
        "prunes_uncertified": sum(i.get("prune_uncertified", 0) for i in enumerated),
        "leaves_widened": sum(i.get("leaf_widened", 0) for i in enumerated),
        "leaves_uncertified": sum(i.get("leaf_uncertified", 0) for i in enumerated),
        "lp_gap_above_1e-6": sum(i.get("max_lp_gap", 0.0) > 1e-6 for i in enumerated),
        "oracle_inconsistent_instances": sum(i.get("oracle_inconsistent", 0) > 0 for i in instances),
        "self_test": dict(Counter(i["self_test"] for i in instances if "self_test" in i)),
        "oracle_seconds": round(sum(i.get("oracle_s", 0.0) for i in instances), 1),
        "harness_errors": [i for i in instances if "harness_error" in i],
    }
    return {
        "args": {k: v for k, v in vars(args).items()}, "wall_seconds": round(wall, 1),
        "instances": len(instances), "runs": len(rows),
        "instances_per_regime": dict(Counter(i["regime"] for i in instances)),
        "enumerated_per_regime": dict(Counter(i["regime"] for i in instances if i.get("enumerated"))),
        "verdicts": dict(Counter(r["verdict"] for r in rows)),
        "by_family": _tally(rows, lambda r: r["family"]),
        "by_path": _tally(rows, lambda r: r["path"]),
        "by_regime": _tally(rows, lambda r: r["regime"]),
        "by_milp_option": _tally([r for r in rows if r["solver"]], _option_key),
        "ambiguous_reasons": dict(Counter(re.sub(r"[-+]?\d[\d.]*(e[-+]?\d+)?", "#", r["reason"])[:70]
                                          for r in rows if r["verdict"] == "ambiguous")),
        "wrong_classes": _wrong_classes(rows),
        "crashes": dict(crashes.most_common()),
        "certification_notes": {k: {"total": v, "by_family": dict(notes_by_family[k])} for k, v in notes.most_common()},
        "oracle": oracle,
    }


def _option_key(r: dict) -> str:
    parts = [r["norm"], f"bounds={r['bounds']}", f"heuristic={'on' if r['heuristic'] else 'off'}"]
    if r["norm"] == "exact":
        parts.append(f"peeling={'on' if r['peeling'] else 'off'}")
    return " ".join(parts)


def _reason_class(reason: str) -> str:
    return re.sub(r"[-+]?\d[\d.]*(e[-+]?\d+)?", "#", reason)[:80]


def target_kind(note: str) -> str:
    """The kind of target an instance has (planted, near-0.3tol, noisy, no-instance ...), from its note."""
    last = note.split("; ")[-1]
    return re.sub(r"^k=\d+, |^output x [\d.e+]+$", "", last) or "planted"


def _wrong_classes(rows: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for r in rows:
        if r["verdict"] == "WRONG":
            groups[(r["family"], r["status"], _reason_class(r["reason"]), target_kind(r["target"]))].append(r)
    out = []
    for (family, status, reason, kind), rs in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        rs = sorted(rs, key=lambda r: (r["relu_neurons"], r["dims"], r["instance"]))
        out.append({"family": family, "status": status, "reason": reason, "target": kind, "count": len(rs),
                    "regimes": dict(Counter(r["regime"] for r in rs)),
                    "smallest": [{"instance": r["instance"], "path": r["path"], "dims": r["dims"], "target": r["target"],
                                  "reason": r["reason"], "replay": replay_command(r)} for r in rs[:3]]})
    return out


def replay_command(r: dict) -> str:
    return f"python benchmarks/soundness.py --replay {r['instance']} --path {r['path']}"


def write_csv(path: Path, rows: list[dict]) -> None:
    if not rows:
        return
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    tmp.replace(path)


def _md_table(title: str, table: dict[str, dict[str, int]], first: str) -> list[str]:
    cols = ("runs", "answers", "WRONG", "nonanswer", "crash", "ambiguous")
    lines = [f"### {title}", "", f"| {first} | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for k, v in table.items():
        cells = [f"**{v[c]}**" if c == "WRONG" and v[c] else str(v[c]) for c in cols]
        lines.append(f"| `{k}` | " + " | ".join(cells) + " |")
    return lines + [""]


def markdown(summary: dict[str, Any], instances: list[dict]) -> str:
    s = summary
    v = s["verdicts"]
    lines = [
        "# Soundness campaign", "",
        f"Generated by `benchmarks/soundness.py` ({' '.join(sys.argv[1:]) or 'full run'}): "
        f"{s['instances']} instances, {s['runs']} runs, {s['wall_seconds']:.0f} s wall. "
        "Oracle and verdict rules: the script's docstring.", "",
        "| verdict | runs |", "|---|---|",
        *[f"| {k} | {v.get(k, 0)} |" for k in VERDICTS], "",
        "## Instances per regime", "",
        "| regime | instances | enumerated | description |", "|---|---|---|---|",
        *[f"| {k} | {n} | {s['enumerated_per_regime'].get(k, 0)} | {REGIMES[k].doc} |"
          for k, n in sorted(s["instances_per_regime"].items())], "",
    ]
    lines += _md_table("Per path family (method / norm / backend)", s["by_family"], "family")
    lines += _md_table("Per regime", s["by_regime"], "regime")
    lines += _md_table("MILP options (milp and auto runs)", s["by_milp_option"], "norm / options")
    lines += ["## WRONG answers by class", ""]
    if not s["wrong_classes"]:
        lines += ["None.", ""]
    for c in s["wrong_classes"]:
        lines += [f"- **{c['count']}** x `{c['family']}` -> {c['status']} on {c['target']} targets: {c['reason']} "
                  f"(regimes: {', '.join(f'{k} {n}' for k, n in c['regimes'].items())})"]
        for e in c["smallest"]:
            lines += [f"  - {e['dims']} ({e['target']}): `{e['replay']}`"]
    lines += ["", "## Crashes", ""]
    lines += [f"- {n} x `{m}`" for m, n in s["crashes"].items()] or ["None."]
    lines += ["", "## Certification notes recorded by the results (downgrades, second opinions)", "",
              "| note | answers | by family |", "|---|---|---|"]
    for note, d in s["certification_notes"].items():
        fam = ", ".join(f"{k} {n}" for k, n in sorted(d["by_family"].items(), key=lambda kv: -kv[1])[:6])
        lines.append(f"| {note.replace('|', '/')} | {d['total']} | {fam} |")
    o = s["oracle"]
    lines += ["", "## Oracle", "",
              f"- enumerated instances: {o['instances_enumerated']} ({o['regions']} regions, {o['lps']} LPs, "
              f"{o['certificates']} exact certificates, {o['oracle_seconds']} s); budget exceeded: {o['budget_exceeded']}",
              f"- subtrees pruned with an exact certificate: {o['pruned_empty']} empty, {o['pruned_thin']} without "
              f"interior; prunes the certificate could not prove (explored instead): {o['prunes_uncertified']}",
              f"- region LPs retried loosened: {o['leaves_widened']}; regions whose bound fell back to 0: "
              f"{o['leaves_uncertified']}",
              f"- instances where a certified lower bound is more than 1e-6 (relative) below scipy's LP value: "
              f"{o['lp_gap_above_1e-6']}",
              f"- instances where some z beat the certified lower bound (oracle inconsistent): "
              f"{o['oracle_inconsistent_instances']}",
              f"- 3-SAT -> relu self-test (enumeration vs CDCL): {o['self_test']}",
              f"- harness errors: {len(o['harness_errors'])}", "",
              "Ambiguous answers (truth too close to a threshold to call):", ""]
    lines += [f"- {n} x {k}" for k, n in sorted(s["ambiguous_reasons"].items(), key=lambda kv: -kv[1])] or ["- none"]
    lines += ["", "<details><summary>Every path</summary>", ""]
    lines += _md_table("Per path", s["by_path"], "path")
    lines += ["</details>", ""]
    return "\n".join(lines)


# =============================================================================================
# Replay: one instance, printed, one path re-run
# =============================================================================================
def _literal(a: np.ndarray) -> str:
    return "np.array(" + repr(np.asarray(a).tolist()) + ")"


def instance_literal(case: Case) -> str:
    """The instance as Python code that rebuilds it."""
    ws = ", ".join(_literal(w) for w in case.net.weights)
    bs = ", ".join(_literal(b) for b in case.net.biases)
    act = "relu" if case.net.relu_out else "linear"
    return (f"net = ReluNetwork([{ws}],\n                 [{bs}], {act!r})\n"
            f"inst = Instance(net, {_literal(case.x)}, {_literal(case.lower)}, {_literal(case.upper)}, {case.meta!r})")


def replay(ident: str, path_key: str | None, time_limit: float) -> int:
    regime, _, seed = ident.rpartition(":")
    case = make_case(regime, int(seed))
    truth, info = base_truth(case)
    print(f"# {case.ident}: {REGIMES[regime].doc}; {case.note}; dims {case.net.dims}")
    print("import numpy as np\nfrom milpinv import Instance, ReluNetwork, invert")
    print(instance_literal(case))
    if case.planted_z is not None:
        print(f"# planted z: {case.planted_z.tolist()!r}")
    print(f"# truth ({truth.kind}): linf in [{truth.lo['linf']:.6g}, {truth.hi['linf']:.6g}], "
          f"l1 in [{truth.lo['l1']:.6g}, {truth.hi['l1']:.6g}], answer {truth.answer}, tol {tolerance(case.x):.3g}")
    paths = [InvertPath.parse(path_key)] if path_key else choose_paths(case)
    worst = 0
    for p in paths:
        o = run_path(case, p, time_limit)
        _add_witnesses(case, truth, [o])
        verdict, reason = judge(case, o, truth)
        worst = max(worst, verdict == "WRONG")
        opts = "".join(f", {k}={v!r}" for k, v in p.options().items())
        print(f"invert(inst, method={p.method!r}, norm={p.norm!r}, time_limit={time_limit:g}{opts})")
        print(f"#   -> {o.status} objective={o.objective} bound={o.bound} z={None if o.z is None else o.z.tolist()}"
              f"\n#   -> {verdict} {reason} {o.error or o.message[:200]}")
    return worst


# =============================================================================================
# Merge: campaigns run in parts (one regime at a time, so that a stopped run keeps what it did)
# =============================================================================================
def _add(into: dict, part: dict) -> None:
    """Sum ``part`` into ``into``: numbers add, dicts merge recursively, lists concatenate."""
    for k, v in part.items():
        if isinstance(v, bool) or k == "args":
            continue
        if isinstance(v, dict):
            _add(into.setdefault(k, {}), v)
        elif isinstance(v, list):
            into[k] = into.get(k, []) + v
        elif isinstance(v, (int, float)):
            into[k] = into.get(k, 0) + v


def merge(parts: list[Path]) -> dict[str, Any]:
    """One summary from the JSON summaries of several runs (wall seconds add up: the parts ran one
    after the other)."""
    total: dict[str, Any] = {}
    for part in parts:
        _add(total, json.loads(part.with_suffix(".json").read_text()))
    total["wrong_classes"] = sorted(total.get("wrong_classes", []), key=lambda c: -c["count"])
    notes = total.get("certification_notes", {})
    total["certification_notes"] = dict(sorted(notes.items(), key=lambda kv: -kv[1]["total"]))
    total["oracle"]["oracle_seconds"] = round(total["oracle"]["oracle_seconds"], 1)
    total["wall_seconds"] = round(total["wall_seconds"], 1)
    total["parts"] = [str(p) for p in parts]
    return total


# =============================================================================================
# VNN-LIB sweep: properties decided by milpinv's `decide` and by `milpinv invert NET.onnx --vnnlib`
# =============================================================================================
VNN_HIDDEN = ("relu", "leaky_relu:0.1", "leaky_relu:0.5")
VNN_OUTPUTS = ("relu", "linear", "leaky_relu:0.3", "tanh", "sigmoid")
VNN_MAX_KINKS = 8        # kinked hidden neurons the sweep's oracle enumerates (2^8 cells)
VNN_SAMPLES = 3000       # latents sampled per query (box corners, a grid, uniform points)
VNN_EMPTY = 1e-7         # a cell's LP depth below -VNN_EMPTY (normalised rows) misses the region
VNN_TRUTHS = ("nonempty", "empty", "thin", "not enumerated")


@dataclass
class ActNet(Layers):
    """A network with one activation per layer (milpinv's names: relu, leaky_relu:S, linear, tanh,
    sigmoid), as plain float64 arrays."""

    acts: list[str]

    @property
    def kinks(self) -> int:
        return sum(self.dims[1:-1])

    def to_milpinv(self) -> ReluNetwork:
        return ReluNetwork(self.weights, self.biases, activations=self.acts)


def act_value(name: str, a: np.ndarray) -> np.ndarray:
    """This file's own activation values (sigmoid written without overflow)."""
    kind, _, slope = name.partition(":")
    if kind == "relu":
        return np.where(a > 0, a, 0.0)
    if kind == "leaky_relu":
        return np.where(a > 0, a, float(slope) * a)
    if kind == "tanh":
        return np.tanh(a)
    if kind == "sigmoid":
        e = np.exp(-np.abs(a))
        return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return a


def act_slope(name: str) -> float:
    """The slope below 0 of a hidden (kinked) activation."""
    kind, _, slope = name.partition(":")
    return float(slope) if kind == "leaky_relu" else 0.0


def act_preimage(name: str, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """{a : act(a) in [lo, hi]} as an interval (lo > hi: empty), by this file's own inverses (the
    oracle only proposes points from it; every witness is a forward pass)."""
    kind, _, slope = name.partition(":")
    with np.errstate(all="ignore"):
        if kind == "relu":
            return np.where(hi < 0, np.inf, np.where(lo > 0, lo, -np.inf)), np.where(hi < 0, -np.inf, hi)
        if kind == "leaky_relu":
            s = float(slope)
            return np.where(lo < 0, lo / s, lo), np.where(hi < 0, hi / s, hi)
        if kind in ("tanh", "sigmoid"):
            bottom, top = (-1.0, 1.0) if kind == "tanh" else (0.0, 1.0)
            inv = np.arctanh if kind == "tanh" else (lambda y: np.log(y) - np.log1p(-y))
            empty = (lo >= top) | (hi <= bottom)        # the open range (bottom, top) is never reached at its ends
            a_lo = np.where(lo <= bottom, -np.inf, inv(np.clip(lo, bottom, top)))
            a_hi = np.where(hi >= top, np.inf, inv(np.clip(hi, bottom, top)))
            return np.where(empty, np.inf, a_lo), np.where(empty, -np.inf, a_hi)
    return lo, hi


def act_forward(net: ActNet, z: np.ndarray) -> np.ndarray:
    """G(z) for z of shape (n,) or (batch, n), plain numpy."""
    h = np.asarray(z, dtype=np.float64)
    for w, b, name in zip(net.weights, net.biases, net.acts):
        h = act_value(name, np.einsum("ij,...j->...i", w, h) + b)
    return h


@dataclass
class VnnRegion:
    """One term of a property: bounds on the outputs (the box is the query's)."""

    lo: np.ndarray
    hi: np.ndarray


@dataclass
class VnnQuery:
    regime: str
    seed: int
    net: ActNet
    lower: np.ndarray
    upper: np.ndarray
    regions: list[VnnRegion]
    text: str                     # the VNN-LIB file
    writer: str                   # milpinv (export's writer) | own (this file's)
    z0: np.ndarray | None = None
    instance: Instance | None = None   # the instance a milpinv-written query comes from
    note: str = ""

    @property
    def ident(self) -> str:
        return f"{self.regime}:{self.seed}"


def vnn_slack(net: ActNet, Z: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """How far two float64 forward passes may differ at each row of Z (as :func:`rounding`: the
    sums' rounding, through activations of slope <= 1), plus a few ulps of the activation."""
    h, scale = np.abs(Z), np.ones(len(Z))
    for w, b in zip(net.weights, net.biases):
        h = h @ np.abs(w).T + np.abs(b)
        scale = np.maximum(scale, h.max(axis=1, initial=0.0))
    return 1e-13 * scale[:, None] + 1e-14 * np.maximum(1.0, np.abs(Y))


def vnn_meets(q: VnnQuery, Z) -> list[str]:
    """Per latent: ``strict`` (in the box, and its forward pass meets some region with the rounding
    slack to spare), ``borderline`` (only within the slack) or ``no``."""
    Z = np.array([np.full(q.lower.size, np.nan) if z is None else np.asarray(z, float) for z in Z]).reshape(-1, q.lower.size)
    ok = np.all(np.isfinite(Z), axis=1) & np.all((q.lower <= Z) & (Z <= q.upper), axis=1)
    Z = np.where(ok[:, None], Z, q.lower)
    Y = act_forward(q.net, Z)
    d = vnn_slack(q.net, Z, Y)
    strict = np.zeros(len(Z), bool)
    loose = np.zeros(len(Z), bool)
    for r in q.regions:
        strict |= np.all((r.lo + d <= Y) & (Y <= r.hi - d), axis=1)
        loose |= np.all((r.lo - d <= Y) & (Y <= r.hi + d), axis=1)
    return [("strict" if s else "borderline" if b else "no") if o else "no" for o, s, b in zip(ok, strict, loose)]


def vnn_samples(q: VnnQuery, rng) -> np.ndarray:
    n = q.lower.size
    corners = np.array(list(itertools.product(*zip(q.lower, q.upper))))
    per_axis = max(2, int(round((VNN_SAMPLES / 2) ** (1.0 / n))))
    axes = [np.linspace(lo, hi, per_axis) for lo, hi in zip(q.lower, q.upper)]
    grid = np.stack(np.meshgrid(*axes), axis=-1).reshape(-1, n)
    return np.vstack([corners, grid, rng.uniform(q.lower, q.upper, size=(VNN_SAMPLES // 2, n))])


def vnn_cells(net: ActNet, lower: np.ndarray, upper: np.ndarray, samples: np.ndarray, stats: Counter) -> list:
    """The sign patterns of the hidden neurons whose cells meet the box, neuron by neuron: a side
    holding a sample needs no LP, the others a feasibility LP (kept unless proven empty). Each
    cell: (A, b) with A z <= b on it, and (P, q) with the output pre-activations P z + q there."""
    n0 = lower.size
    cells = [(np.zeros((0, n0)), np.zeros(0), np.eye(n0), np.zeros(n0), np.ones(len(samples), bool))]
    h = samples
    for k in range(net.depth - 1):
        W, c = net.weights[k], net.biases[k]
        pre = h @ W.T + c
        h = act_value(net.acts[k], pre)
        cells = [(A, b, W @ P, W @ q + c, mem, []) for A, b, P, q, mem in cells]
        for j in range(W.shape[0]):
            split = []
            for A, b, Pk, qk, mem, on in cells:
                for side in (True, False):
                    sign = -1.0 if side else 1.0          # sign * (P_j z + q_j) <= 0
                    A2, b2 = np.vstack([A, sign * Pk[j]]), np.append(b, -sign * qk[j])
                    mem2 = mem & (pre[:, j] >= 0 if side else pre[:, j] <= 0)
                    if mem2.any() or _cell_meets_box(A2, b2, lower, upper, stats):
                        split.append((A2, b2, Pk, qk, mem2, on + [side]))
            cells = split
        slope = act_slope(net.acts[k])
        cells = [(A, b, Pk * np.where(on, 1.0, slope)[:, None], qk * np.where(on, 1.0, slope), mem)
                 for A, b, Pk, qk, mem, on in cells]
    W, c = net.weights[-1], net.biases[-1]
    return [(A, b, W @ P, W @ q + c) for A, b, P, q, _ in cells]


def _cell_meets_box(A: np.ndarray, b: np.ndarray, lower, upper, stats: Counter) -> bool:
    scale = np.abs(A).sum(axis=1) * float(max(np.max(np.abs(lower)), np.max(np.abs(upper)))) + np.abs(b) + 1e-300
    stats["lps"] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = linprog(np.zeros(lower.size), A_ub=A / scale[:, None], b_ub=b / scale,
                      bounds=list(zip(lower, upper)), method="highs")
    return res.status != 2


def vnn_enumerate(q: VnnQuery, samples: np.ndarray) -> tuple[str, list[np.ndarray], dict]:
    """The oracle over every cell and region: per cell, the LP max t with every finite side of the
    region's pre-activation intervals (this file's inverses) t deep inside (rows normalised), the
    cell's rows closed. Returns the class (``empty`` when every cell misses every region by more
    than VNN_EMPTY, else ``thin``; a witness upgrades it later), the LP points, and statistics."""
    R = float(max(np.max(np.abs(q.lower)), np.max(np.abs(q.upper)), 1e-300))
    n0, best, points, stats = q.lower.size, -math.inf, [], Counter()
    cells = vnn_cells(q.net, q.lower, q.upper, samples, stats)
    stats["cells"] = len(cells)
    for region in q.regions:
        p_lo, p_hi = act_preimage(q.net.acts[-1], region.lo, region.hi)
        if np.any(p_lo > p_hi):
            stats["regions_outside_range"] += 1
            continue
        for A, b, P, c in cells:
            rows, rhs = [], []
            scale = np.abs(A).sum(axis=1) * R + np.abs(b) + 1e-300
            for j in range(P.shape[0]):
                w = float(np.abs(P[j]).sum() * R + abs(c[j])) + 1e-300
                if np.isfinite(p_hi[j]):                 # (P z + c - p_hi) / w + t <= 0
                    rows.append(np.append(P[j] / (w + abs(p_hi[j])), 1.0))
                    rhs.append((p_hi[j] - c[j]) / (w + abs(p_hi[j])))
                if np.isfinite(p_lo[j]):                 # (p_lo - P z - c) / w + t <= 0
                    rows.append(np.append(-P[j] / (w + abs(p_lo[j])), 1.0))
                    rhs.append((c[j] - p_lo[j]) / (w + abs(p_lo[j])))
            A_ub = np.vstack([np.hstack([A / scale[:, None], np.zeros((len(b), 1))])] + ([np.array(rows)] if rows else []))
            b_ub = np.concatenate([b / scale] + ([np.array(rhs)] if rhs else []))
            stats["lps"] += 1
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = linprog(np.append(np.zeros(n0), -1.0), A_ub=A_ub, b_ub=b_ub,
                              bounds=list(zip(q.lower, q.upper)) + [(None, 1.0)], method="highs")
            if res.status == 2:
                continue                                 # the cell is empty
            if res.status != 0:
                stats["lp_failed"] += 1
                best = max(best, 0.0)                    # no claim about this cell
                continue
            best = max(best, -float(res.fun))
            if -res.fun > -VNN_EMPTY:
                points.append(np.clip(res.x[:n0], q.lower, q.upper))
    stats["best_depth"] = best
    return ("empty" if best < -VNN_EMPTY else "thin"), points, dict(stats)


# ---------------------------------------------------------------------------------- queries
def vnn_net(rng, larger: bool = False, output: str | None = None) -> ActNet:
    """Tiny nets (1-3 latents, 1-3 hidden layers, at most VNN_MAX_KINKS hidden neurons) or larger
    ones (2-5 latents, widths 6-10); hidden relu / leaky_relu, any output activation."""
    while True:
        n0 = int(rng.integers(2, 6)) if larger else int(rng.integers(1, 4))
        hidden = [int(rng.integers(6, 11)) for _ in range(int(rng.integers(1, 3)))] if larger else \
            [int(rng.integers(1, 5)) for _ in range(int(rng.integers(1, 4)))]
        if larger or sum(hidden) <= VNN_MAX_KINKS:
            break
    dims = [n0, *hidden, int(rng.integers(1, 4))]
    acts = [str(rng.choice(VNN_HIDDEN)) for _ in hidden] + [output or str(rng.choice(VNN_OUTPUTS))]
    ws = [rng.normal(0.0, 1.5 / math.sqrt(a), size=(b, a)) for a, b in zip(dims[:-1], dims[1:])]
    bs = [rng.normal(0.0, float(rng.choice([0.0, 0.5, 1.0])), size=b) for b in dims[1:]]
    return ActNet(ws, bs, acts)


def _own_number(v: float) -> str:
    """The shortest decimal that reads back as v; a third of the negative ones spelled (- c)."""
    text = repr(float(v))
    return f"(- {text[1:]})" if v < 0 and zlib.crc32(text.encode()) % 3 == 0 else text


def own_vnnlib(lower: np.ndarray, upper: np.ndarray, regions: list[VnnRegion]) -> str:
    """This file's own VNN-LIB writer: the box, then the regions (one: top-level asserts; several:
    one (or (and ...) ...)), bounds in both spellings."""
    m = regions[0].lo.size
    out = [f"(declare-const X_{i} Real)" for i in range(lower.size)]
    out += [f"(declare-const Y_{j} Real)" for j in range(m)]
    out += [f"(assert (<= X_{i} {_own_number(hi)}))\n(assert (>= X_{i} {_own_number(lo)}))"
            for i, (lo, hi) in enumerate(zip(lower, upper))]

    def bounds(r: VnnRegion) -> list[str]:
        terms = []
        for j in range(m):
            if np.isfinite(r.lo[j]):
                terms.append(f"(>= Y_{j} {_own_number(r.lo[j])})" if j % 2 else f"(<= {_own_number(r.lo[j])} Y_{j})")
            if np.isfinite(r.hi[j]):
                terms.append(f"(<= Y_{j} {_own_number(r.hi[j])})")
        return terms

    if len(regions) == 1:
        out += [f"(assert {t})" for t in bounds(regions[0])]
    else:
        out.append("(assert (or " + " ".join(f"(and {' '.join(bounds(r))})" for r in regions) + "))")
    return "\n".join(out) + "\n"


def _hull(name: str) -> tuple[float, float]:
    return {"relu": (0.0, math.inf), "tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0)}.get(name, (-math.inf, math.inf))


def _inside_hull(name: str, x: np.ndarray) -> np.ndarray:
    lo, hi = _hull(name)
    if name in ("tanh", "sigmoid"):
        return np.clip(x, lo + 1e-9, hi - 1e-9)
    return np.clip(x, lo, hi)


def _written(regime: str, seed: int, rng, net: ActNet, z0, x, lower, upper, norm="exact", radius=None,
             note="") -> VnnQuery:
    """A query by milpinv's writer (``export --format vnnlib``): the instance's tolerance intervals
    or its linf ball."""
    from milpinv.queries import instance_outputs, query_comments
    from milpinv.interop.vnnlib import vnnlib_text
    inst = Instance(net.to_milpinv(), x, lower, upper, {"noise": 1} if norm == "linf" else {})
    lo, hi = instance_outputs(inst, norm, radius)
    text = vnnlib_text(lower, upper, [(lo, hi)], query_comments(inst, norm, radius))
    return VnnQuery(regime, seed, net, lower, upper, [VnnRegion(lo, hi)], text, "milpinv", z0, inst, note)


def _hand(regime: str, seed: int, net: ActNet, z0, lower, upper, regions: list[VnnRegion], note: str) -> VnnQuery:
    return VnnQuery(regime, seed, net, lower, upper, regions, own_vnnlib(lower, upper, regions), "own", z0, None, note)


def _interval(rng, centre: np.ndarray, scale: np.ndarray, widths=(0.0, 1e-9, 1e-6, 1e-3, 0.05, 0.5)) -> VnnRegion:
    """An interval per output around ``centre``, of random width and sides (some open, some free;
    at least one output bounded)."""
    m = centre.size
    w = np.array([float(rng.choice(widths)) for _ in range(m)]) * scale
    lo, hi = centre - w * rng.uniform(0.1, 1.0, m), centre + w * rng.uniform(0.1, 1.0, m)
    sides = rng.choice(["both", "both", "both", "lower", "upper", "free"], size=m)
    if np.all(sides == "free"):
        sides[int(rng.integers(m))] = "both"
    lo = np.where(np.isin(sides, ["upper", "free"]), -np.inf, lo)
    hi = np.where(np.isin(sides, ["lower", "free"]), np.inf, hi)
    return VnnRegion(lo, hi)


def _setup(regime: str, seed: int, larger: bool = False, output: str | None = None):
    rng = _rng(regime, seed)
    net = vnn_net(rng, larger, output or VNN_OUTPUTS[seed % len(VNN_OUTPUTS)])
    lower, upper = _box(rng, net.dims[0])
    z0 = rng.uniform(lower, upper)
    return rng, net, lower, upper, z0, act_forward(net, z0)


def gen_vnn_written_planted(regime: str, seed: int) -> VnnQuery:
    rng, net, lo, hi, z0, y0 = _setup(regime, seed)
    return _written(regime, seed, rng, net, z0, y0, lo, hi, note="planted")


def gen_vnn_written_near(regime: str, seed: int) -> VnnQuery:
    """G(z0) moved by 0.3, 0.9, 1.1 or 3 tolerances: the band's edges."""
    rng, net, lo, hi, z0, y0 = _setup(regime, seed)
    factor = float(rng.choice([0.3, 0.9, 1.1, 3.0]))
    d = rng.uniform(-1.0, 1.0, y0.shape)
    x = _inside_hull(net.acts[-1], y0 + d * factor * tolerance(y0) / max(float(np.max(np.abs(d))), 1e-300))
    return _written(regime, seed, rng, net, z0, x, lo, hi, note=f"near-{factor:g}tol")


def gen_vnn_written_far(regime: str, seed: int) -> VnnQuery:
    """G(z0) plus noise of 1% to 50% of its scale: usually no pre-image."""
    rng, net, lo, hi, z0, y0 = _setup(regime, seed)
    sigma = float(rng.choice([0.01, 0.1, 0.5]))
    x = _inside_hull(net.acts[-1], y0 + rng.normal(0.0, sigma * max(1.0, float(np.max(np.abs(y0)))), y0.shape))
    return _written(regime, seed, rng, net, z0, x, lo, hi, note=f"perturbed {sigma:g}")


def gen_vnn_written_ball(regime: str, seed: int) -> VnnQuery:
    """A noisy target and the linf ball of 0.5, 1 or 2 times its noise (export --norm linf)."""
    rng, net, lo, hi, z0, y0 = _setup(regime, seed)
    noise = rng.normal(0.0, float(rng.choice([1e-3, 1e-2, 1e-1])), y0.shape)
    factor = float(rng.choice([0.5, 1.0, 2.0]))
    radius = factor * float(np.max(np.abs(noise)))
    return _written(regime, seed, rng, net, z0, y0 + noise, lo, hi, "linf", radius, f"ball {factor:g} x noise")


def gen_vnn_hand_around(regime: str, seed: int) -> VnnQuery:
    """Intervals around G(z0) (random widths and sides), 1-3 terms (the others moved off)."""
    rng, net, lo, hi, z0, y0 = _setup(regime, seed)
    scale = np.maximum(np.abs(y0), 0.1)
    regions = [_interval(rng, y0, scale)]
    for _ in range(int(rng.integers(0, 3))):
        regions.append(_interval(rng, y0 + rng.choice([-1, 1], y0.size) * rng.uniform(0.05, 0.5, y0.size) * scale, scale))
    rng.shuffle(regions)
    return _hand(regime, seed, net, z0, lo, hi, regions, f"around G(z0), {len(regions)} term(s)")


def gen_vnn_hand_moved(regime: str, seed: int) -> VnnQuery:
    rng, net, lo, hi, z0, y0 = _setup(regime, seed)
    scale = np.maximum(np.abs(y0), 0.1)
    shift = rng.choice([-1, 1], y0.size) * rng.uniform(0.01, 0.5, y0.size) * scale
    return _hand(regime, seed, net, z0, lo, hi, [_interval(rng, y0 + shift, scale)], "moved off G(z0)")


def gen_vnn_hand_random(regime: str, seed: int) -> VnnQuery:
    """Intervals around outputs of random latents, spread by the sampled outputs' spread."""
    rng, net, lo, hi, z0, y0 = _setup(regime, seed)
    ys = act_forward(net, rng.uniform(lo, hi, size=(200, lo.size)))
    spread = np.maximum(ys.max(axis=0) - ys.min(axis=0), 1e-3)
    regions = [_interval(rng, ys[int(rng.integers(200))] + rng.normal(0.0, 0.3, y0.size) * spread, spread,
                         (1e-3, 0.05, 0.2, 0.5)) for _ in range(int(rng.integers(1, 4)))]
    return _hand(regime, seed, net, None, lo, hi, regions, f"random, {len(regions)} term(s)")


def gen_vnn_hand_saturated(regime: str, seed: int) -> VnnQuery:
    """tanh / sigmoid outputs pushed towards their ends (output biases +-5 to +-30), thin intervals
    near -1, 0 or 1 (and a side at or beyond the end): the inverses' rounding."""
    rng = _rng(regime, seed)
    net = vnn_net(rng, output="tanh" if seed % 2 else "sigmoid")
    net.biases[-1] = net.biases[-1] + rng.choice([-1, 1], net.biases[-1].size) * rng.uniform(5, 30, net.biases[-1].size)
    lower, upper = _box(rng, net.dims[0])
    z0 = rng.uniform(lower, upper)
    y0 = act_forward(net, z0)
    gap = np.minimum(np.abs(y0 - _hull(net.acts[-1])[0]), np.abs(_hull(net.acts[-1])[1] - y0))
    w = np.maximum(gap * float(rng.choice([0.01, 0.5, 2.0])), 1e-300)
    region = VnnRegion(y0 - w, y0 + w)
    if rng.random() < 0.3:                        # a side at or beyond the activation's end
        end = _hull(net.acts[-1])[int(rng.integers(2))]
        region = VnnRegion(np.where(y0 > end, end, region.lo), np.where(y0 < end, end, region.hi))
    return _hand(regime, seed, net, z0, lower, upper, [region], "saturated")


def gen_vnn_larger(regime: str, seed: int) -> VnnQuery:
    """Larger nets (not enumerated): intervals around G(z0), judged by the planted witness."""
    rng, net, lo, hi, z0, y0 = _setup(regime, seed, larger=True)
    return _hand(regime, seed, net, z0, lo, hi, [_interval(rng, y0, np.maximum(np.abs(y0), 0.1))], "larger, around G(z0)")


VNN_ISSUE = [  # issue 21: false unsat answers confirmed by a witness (acts, biases, y, box radius)
    (["leaky_relu:0.5", "linear"], [0.0, 0.0], -0.25),
    (["sigmoid"], [-4.0], 0.017986),
    (["tanh"], [-3.0], -0.99505),
    (["leaky_relu:0.5"], [-3.0], -1.5),
]


def gen_vnn_issue(regime: str, seed: int) -> VnnQuery:
    acts, biases, y = VNN_ISSUE[seed % len(VNN_ISSUE)]
    net = ActNet([np.ones((1, 1)) for _ in acts], [np.array([b]) for b in biases], acts)
    lower, upper = -np.ones(1), np.ones(1)
    region = VnnRegion(np.array([y - 1e-5]), np.array([y + 1e-5]))
    return _hand(regime, seed, net, None, lower, upper, [region], f"issue 21: {'/'.join(acts)} at {y}")


VNN_REGIMES: dict[str, Regime] = {
    "vnn-written-planted": Regime(gen_vnn_written_planted, 30, 4, "export's writer: tolerance intervals of G(z0)"),
    "vnn-written-near": Regime(gen_vnn_written_near, 30, 4, "export's writer: G(z0) moved 0.3-3 tolerances"),
    "vnn-written-far": Regime(gen_vnn_written_far, 30, 4, "export's writer: G(z0) plus 1%-50% noise"),
    "vnn-written-ball": Regime(gen_vnn_written_ball, 30, 4, "export's writer: linf ball of a noisy target"),
    "vnn-hand-around": Regime(gen_vnn_hand_around, 40, 5, "own writer: intervals around G(z0), 1-3 terms"),
    "vnn-hand-moved": Regime(gen_vnn_hand_moved, 30, 4, "own writer: intervals moved off G(z0)"),
    "vnn-hand-random": Regime(gen_vnn_hand_random, 40, 5, "own writer: random intervals, 1-3 terms"),
    "vnn-hand-saturated": Regime(gen_vnn_hand_saturated, 30, 4, "own writer: tanh / sigmoid near their ends"),
    "vnn-larger": Regime(gen_vnn_larger, 16, 2, "own writer: larger nets, witness only"),
    "vnn-issue": Regime(gen_vnn_issue, 4, 4, "issue 21's false unsat queries"),
}


def make_vnn_query(regime: str, seed: int) -> VnnQuery:
    return VNN_REGIMES[regime].make(regime, seed)


# ---------------------------------------------------------------------------------- running, judging
def vnn_truth(q: VnnQuery, rng) -> tuple[str, dict]:
    """The property's class before the runs (VNN_TRUTHS): a strict witness (planted latent, samples,
    the enumeration's LP points) makes it ``nonempty``; otherwise the enumeration's class, or ``not
    enumerated``."""
    info: dict[str, Any] = {}
    t0 = time.perf_counter()
    samples = vnn_samples(q, rng)
    candidates = ([q.z0] if q.z0 is not None else []) + list(samples)
    meets = Counter(vnn_meets(q, candidates))
    truth = "not enumerated"
    if not meets["strict"] and q.net.kinks <= VNN_MAX_KINKS and q.net.dims[0] <= 3:
        truth, points, info = vnn_enumerate(q, samples)
        meets.update(vnn_meets(q, points))
    if meets["strict"]:
        truth = "nonempty"
    info.update(witnesses=meets["strict"], borderline=meets["borderline"], oracle_s=round(time.perf_counter() - t0, 3))
    return truth, info


def vnn_judge(q: VnnQuery, verdict: str, x, error: str | None, others: list) -> tuple[str, str]:
    """``ok`` / ``WRONG`` / ``nonanswer`` / ``ambiguous`` / ``crash``: a sat must carry an x in the
    box whose forward pass (this file's) meets a region within the rounding slack; an unsat is
    WRONG when any strict witness exists (planted latent, samples, the oracle's LP points, and the
    x of the other paths on the query), ambiguous when only a borderline one does."""
    if error is not None:
        return "crash", error
    if verdict == "sat":
        got = vnn_meets(q, [x])[0]
        return ("ok", "") if got != "no" else ("WRONG", "sat, but its x misses every region (or the box)")
    if verdict == "unsat":
        if "strict" in others:
            return "WRONG", "unsat, but a latent meets every bound of a region"
        if "borderline" in others:
            return "ambiguous", "unsat, a latent meets a region within the rounding slack only"
        return "ok", ""
    if verdict in ("unknown", "timeout", "refused"):
        return "nonanswer", verdict
    return "WRONG", f"unknown verdict {verdict!r}"


VNN_METHODS = (  # decide's method and options: auto mostly, the MILP on each engine, layer-wise, gd
    ("auto", None), ("auto", None), ("auto", None), ("milp", "bab"), ("milp", "highs"), ("milp", "ortools-scip"),
    ("layerwise", None), ("gd", None),
)


def vnn_method(q: VnnQuery) -> tuple[str, dict]:
    method, solver = VNN_METHODS[zlib.crc32(q.ident.encode()) % len(VNN_METHODS)]
    return method, ({"solver": solver} if solver else {})


def vnn_api(q: VnnQuery, time_limit: float) -> dict:
    from milpinv.queries import decide
    from milpinv.interop.vnnlib import parse_vnnlib
    method, options = vnn_method(q)
    path = "/".join(["api", method, *options.values()])
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            d = decide(q.net.to_milpinv(), parse_vnnlib(q.text), method=method, time_limit=time_limit, **options)
    except InputError as exc:  # a documented refusal (layer-wise's l1 / linf LPs on a leaky_relu net): no claim
        return {"path": path, "verdict": "refused", "x": None, "error": None, "time_s": time.perf_counter() - t0,
                "reason_milpinv": f"refused: {exc}"}
    except Exception as exc:  # noqa: BLE001 - a crash is data here
        return {"path": path, "verdict": "crash", "x": None, "error": f"{type(exc).__name__}: {exc}",
                "time_s": time.perf_counter() - t0, "reason_milpinv": ""}
    why = "; ".join(r["reason"] for r in d.regions)
    return {"path": path, "verdict": d.verdict, "x": d.x, "error": None, "time_s": time.perf_counter() - t0,
            "reason_milpinv": why}


X_PAIR = re.compile(r"\(X_(\d+)\s+([^()\s]+)\)")


def vnn_cli(q: VnnQuery, time_limit: float) -> dict:
    """``milpinv invert NET.onnx --vnnlib PROP --result-file R`` in a child process: the network
    through milpinv's ONNX export (``export --format vnnlib`` for a milpinv-written query), the
    result file read by this file."""
    import subprocess
    import tempfile
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if q.instance is not None:
            q.instance.save(folder / "i.npz")
            cmd = [sys.executable, "-m", "milpinv", "export", str(folder / "i.npz"), "--format", "vnnlib",
                   "--out", str(folder / "q")]
            if q.instance.meta.get("noise"):
                lo = np.array([float(v) for v in re.findall(r"\(>= Y_\d+ ([^)\s]+)\)", q.text)])
                cmd += ["--norm", "linf", "--radius", repr(float(np.max(q.instance.target - lo)))]
            made = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            if made.returncode != 0:
                return {"path": "cli", "verdict": "crash", "x": None, "error": f"export: {made.stderr.strip()[:200]}",
                        "time_s": time.perf_counter() - t0, "reason_milpinv": ""}
            net_path, prop_path = folder / "q" / "network.onnx", folder / "q" / "property.vnnlib"
        else:
            q.net.to_milpinv().to_onnx(folder / "network.onnx")
            (folder / "property.vnnlib").write_text(q.text)
            net_path, prop_path = folder / "network.onnx", folder / "property.vnnlib"
        cmd = [sys.executable, "-m", "milpinv", "invert", str(net_path), "--vnnlib", str(prop_path),
               "--result-file", str(folder / "r.txt"), "--time-limit", repr(time_limit)]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=3 * time_limit + HANG_GRACE)
        except subprocess.TimeoutExpired:
            return {"path": "cli", "verdict": "crash", "x": None, "error": "hang: the CLI overran its time limit",
                    "time_s": time.perf_counter() - t0, "reason_milpinv": ""}
        result = folder / "r.txt"
        lines = result.read_text().splitlines() if result.is_file() else []
    out = {"path": "cli", "x": None, "error": None, "time_s": time.perf_counter() - t0,
           "reason_milpinv": done.stdout.splitlines()[1] if len(done.stdout.splitlines()) > 1 else ""}
    expected = {"sat": 0, "unsat": 0, "unknown": 1, "timeout": 3}
    if not lines or lines[0] not in expected or expected[lines[0]] != done.returncode:
        out.update(verdict="crash", error=f"exit {done.returncode}, result {lines[:1]}: {done.stderr.strip()[:200]}")
        return out
    out["verdict"] = lines[0]
    if lines[0] == "sat":
        pairs = {int(i): float(v) for i, v in X_PAIR.findall("\n".join(lines[1:]))}
        out["x"] = np.array([pairs.get(i, math.nan) for i in range(q.lower.size)])
    return out


def vnn_task(regime: str, seed: int, time_limit: float, cli: bool) -> dict:
    """One query: build it, its truth, milpinv's verdicts (API, and the CLI where asked), judged."""
    q = make_vnn_query(regime, seed)
    truth, info = vnn_truth(q, np.random.default_rng([zlib.crc32(b"vnn-samples"), seed]))
    runs = [vnn_api(q, time_limit)] + ([vnn_cli(q, time_limit)] if cli else [])
    witness_of = vnn_meets(q, [r["x"] for r in runs])
    rows = []
    for i, r in enumerate(runs):
        seen = [w for j, w in enumerate(witness_of) if j != i] + (["strict"] * info["witnesses"]) + \
            (["borderline"] * info["borderline"])
        verdict, reason = vnn_judge(q, r["verdict"], r["x"], r["error"], seen)
        rows.append({"instance": q.ident, "regime": regime, "seed": seed, "dims": "-".join(map(str, q.net.dims)),
                     "activations": "/".join(q.net.acts), "output": q.net.acts[-1], "writer": q.writer,
                     "regions": len(q.regions), "note": q.note, "path": r["path"], "truth": truth,
                     "decision": r["verdict"], "verdict": verdict, "reason": reason,
                     "milpinv_reason": (r["error"] or r["reason_milpinv"])[:300], "time_s": round(r["time_s"], 3)})
    if any(w == "strict" for w in witness_of) and truth != "nonempty":
        for row in rows:
            row["truth"] = "nonempty"
    return {"rows": rows, "instance": {"id": q.ident, "regime": regime, "truth": rows[0]["truth"], **info}}


def _vnn_worker(args) -> dict:
    regime, seed = args[0], args[1]
    try:
        return vnn_task(*args)
    except Exception as exc:  # noqa: BLE001 - a harness error is reported, not raised
        return {"rows": [], "instance": {"id": f"{regime}:{seed}", "regime": regime,
                                         "harness_error": f"{type(exc).__name__}: {exc}",
                                         "trace": traceback.format_exc()}}


def vnn_tasks(args) -> list[tuple[str, int, float, bool]]:
    """The sweep's queries (as :func:`tasks_for`), every ``--cli-every``-th of a regime also through the CLI."""
    first = args.seed * 10 ** 6
    return [(name, seed, limit, (seed - first) % args.cli_every == 0)
            for name, seed, limit in tasks_for(args, VNN_REGIMES)]


def run_vnn(tasks, jobs: int) -> tuple[list[dict], list[dict]]:
    """Every query in forked workers (``jobs`` at a time); each decide call has its time limit and
    the CLI its child-process timeout."""
    import multiprocessing
    rows, instances, wrong = [], [], 0
    with multiprocessing.get_context("fork").Pool(max(1, jobs), maxtasksperchild=25) as pool:
        for result in tqdm(pool.imap_unordered(_vnn_worker, tasks), total=len(tasks), unit="query",
                           dynamic_ncols=True):
            rows.extend(result["rows"])
            instances.append(result["instance"])
            for r in result["rows"]:
                if r["verdict"] in ("WRONG", "crash"):
                    wrong += r["verdict"] == "WRONG"
                    tqdm.write(f"{r['verdict']} {r['path']} {r['instance']} ({r['note']}): {r['reason'][:120]}  "
                               f"[python benchmarks/soundness.py --vnnlib-replay {r['instance']}]")
            if "harness_error" in result["instance"]:
                tqdm.write(f"HARNESS ERROR {result['instance']['id']}: {result['instance']['harness_error']}")
    rows.sort(key=lambda r: (r["regime"], r["seed"], r["path"]))
    instances.sort(key=lambda i: i["id"])
    return rows, instances


def summarise_vnn(rows: list[dict], instances: list[dict], args, wall: float) -> dict[str, Any]:
    def table(key: Callable[[dict], str]) -> dict[str, dict[str, int]]:
        out: dict[str, Counter] = defaultdict(Counter)
        for r in rows:
            out[key(r)]["runs"] += 1
            out[key(r)][r["verdict"]] += 1
            out[key(r)][f"decided {r['decision']}"] += 1
        return {k: dict(v) for k, v in sorted(out.items())}

    return {
        "args": {k: v for k, v in vars(args).items()}, "wall_seconds": round(wall, 1),
        "queries": len(instances), "runs": len(rows),
        "verdicts": dict(Counter(r["verdict"] for r in rows)),
        "by_regime": table(lambda r: r["regime"]), "by_output": table(lambda r: r["output"]),
        "by_path": table(lambda r: r["path"]), "by_writer": table(lambda r: f"{r['path'].split('/')[0]}, {r['writer']} writer"),
        "by_truth": table(lambda r: r["truth"]),
        "truth_vs_decision": {f"{t} / {d}": n for (t, d), n in
                              sorted(Counter((r["truth"], r["decision"]) for r in rows).items())},
        "wrong": [r for r in rows if r["verdict"] == "WRONG"],
        "crashes": [r for r in rows if r["verdict"] == "crash"],
        "oracle": {"lps": sum(i.get("lps", 0) for i in instances),
                   "lp_failed": sum(i.get("lp_failed", 0) for i in instances),
                   "oracle_seconds": round(sum(i.get("oracle_s", 0.0) for i in instances), 1),
                   "harness_errors": [i for i in instances if "harness_error" in i]},
    }


def markdown_vnn(s: dict[str, Any]) -> str:
    v = s["verdicts"]
    lines = ["# Soundness campaign: VNN-LIB sweep", "",
             f"Generated by `benchmarks/soundness.py {' '.join(sys.argv[1:])}`: {s['queries']} queries, "
             f"{s['runs']} decisions, {s['wall_seconds']:.0f} s wall. Oracle and rules: the script's docstring "
             "(VNN-LIB sweep).", "", "| verdict | runs |", "|---|---|",
             *[f"| {k} | {v.get(k, 0)} |" for k in VERDICTS], ""]
    cols = ("runs", "WRONG", "crash", "ambiguous", "decided sat", "decided unsat", "decided unknown", "decided timeout",
            "decided refused")
    for title, key in (("Per regime", "by_regime"), ("Per output activation", "by_output"),
                       ("Per path", "by_path"), ("Per path and writer", "by_writer"), ("Per truth (the oracle's class)", "by_truth")):
        lines += [f"### {title}", "", "| | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        lines += [f"| {k} | " + " | ".join(str(t.get(c, 0)) for c in cols) + " |" for k, t in s[key].items()] + [""]
    lines += ["### Truth / decision", "", "| truth / decision | runs |", "|---|---|"]
    lines += [f"| {k} | {n} |" for k, n in s["truth_vs_decision"].items()] + ["", "## WRONG", ""]
    lines += [f"- {r['path']} {r['instance']} ({r['note']}): {r['reason']} "
              f"`python benchmarks/soundness.py --vnnlib-replay {r['instance']}`" for r in s["wrong"]] or ["None."]
    lines += ["", "## Crashes", ""]
    lines += [f"- {r['path']} {r['instance']}: {r['milpinv_reason'][:200]}" for r in s["crashes"]] or ["None."]
    o = s["oracle"]
    lines += ["", f"Oracle: {o['lps']} cell LPs ({o['lp_failed']} failed), {o['oracle_seconds']} s; harness errors: "
              f"{len(o['harness_errors'])}.", ""]
    return "\n".join(lines)


def vnn_replay(ident: str, time_limit: float) -> int:
    regime, _, seed = ident.rpartition(":")
    q = make_vnn_query(regime, int(seed))
    print(f"# {q.ident}: {VNN_REGIMES[regime].doc}; {q.note}; dims {q.net.dims}, activations {q.net.acts}")
    print("import numpy as np\nfrom milpinv import ReluNetwork\nfrom milpinv.queries import decide\n"
          "from milpinv.interop.vnnlib import parse_vnnlib")
    print(f"net = ReluNetwork([{', '.join(_literal(w) for w in q.net.weights)}],\n"
          f"                 [{', '.join(_literal(b) for b in q.net.biases)}], activations={q.net.acts!r})")
    print(f"prop = parse_vnnlib({q.text!r})")
    print("print(decide(net, prop).summary())")
    result = vnn_task(regime, int(seed), time_limit, True)
    for r in result["rows"]:
        print(f"# {r['path']}: {r['decision']} -> {r['verdict']} {r['reason']} (truth {r['truth']}; {r['milpinv_reason']})")
    return int(any(r["verdict"] == "WRONG" for r in result["rows"]))


def main_vnn(args) -> int:
    prefix = Path(args.out_prefix) if args.out_prefix else \
        RESULTS / ("soundness_vnnlib_quick" if args.quick else "soundness_vnnlib")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    tasks = vnn_tasks(args)
    t0 = time.perf_counter()
    rows, instances = run_vnn(tasks, args.jobs)
    summary = summarise_vnn(rows, instances, args, time.perf_counter() - t0)
    write_csv(prefix.with_suffix(".csv"), rows)
    prefix.with_suffix(".json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    md = markdown_vnn(summary)
    prefix.with_suffix(".md").write_text(md)
    print(md)
    return 1 if summary["verdicts"].get("WRONG") or summary["oracle"]["harness_errors"] else 0


# =============================================================================================
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few instances per regime (a few hundred runs)")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only", help="comma-separated regimes")
    ap.add_argument("--per-regime", type=int, help="instances per regime (overrides the defaults)")
    ap.add_argument("--time-limit", type=float, default=TIME_LIMIT, help="seconds per invert call")
    ap.add_argument("--out-prefix", help="output path prefix (default benchmarks/results/soundness[_quick])")
    ap.add_argument("--replay", metavar="REGIME:SEED", help="print one instance and re-run its paths")
    ap.add_argument("--path", help="with --replay: only this path (e.g. milp/l1/cpsat/bounds=lp)")
    ap.add_argument("--merge", nargs="+", type=Path, metavar="PREFIX",
                    help="one report (PREFIX.json, .md) from the summaries of runs made in parts")
    ap.add_argument("--vnnlib", action="store_true", help="the VNN-LIB sweep instead (regimes vnn-*)")
    ap.add_argument("--cli-every", type=int, default=6, help="with --vnnlib: every Nth query also through the CLI")
    ap.add_argument("--vnnlib-replay", metavar="REGIME:SEED", help="print one VNN-LIB query and decide it again")
    args = ap.parse_args(argv)
    if args.vnnlib_replay:
        return vnn_replay(args.vnnlib_replay, args.time_limit)
    if args.vnnlib:
        return main_vnn(args)
    if args.replay:
        return replay(args.replay, args.path, args.time_limit)
    prefix = Path(args.out_prefix) if args.out_prefix else RESULTS / ("soundness_quick" if args.quick else "soundness")
    prefix.parent.mkdir(parents=True, exist_ok=True)
    if args.merge:
        summary = merge(args.merge)
        prefix.with_suffix(".json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
        prefix.with_suffix(".md").write_text(markdown(summary, []))
        print(markdown(summary, []))
        return 1 if summary["verdicts"].get("WRONG") else 0
    tasks = tasks_for(args)
    t0 = time.perf_counter()
    rows, instances = run_campaign(tasks, args.jobs, args.time_limit)
    summary = summarise(rows, instances, args, time.perf_counter() - t0)
    write_csv(prefix.with_suffix(".csv"), rows)
    prefix.with_suffix(".json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    md = markdown(summary, instances)
    prefix.with_suffix(".md").write_text(md)
    print(md)
    for i in summary["oracle"]["harness_errors"]:
        print(f"HARNESS ERROR {i['id']}: {i['harness_error']}", file=sys.stderr)
    return 1 if summary["verdicts"].get("WRONG") else 0


if __name__ == "__main__":
    sys.exit(main())
