r"""Pre-image analysis: the set S = {z in box : G(z) = x}, its extent, pieces and shape.

For every hidden activation pattern p, G is affine on the closed piece
P_p = {z in box : a_{k,i}(z) >= 0 (i active in p), <= 0 (inactive)} and S is the finite union of
the closed convex polyhedra S_p = P_p ∩ {G(z) = x}. This module computes:

* **emptiness**: decided by milpinv's certified exact-norm MILP
  (:func:`milpinv.milp.invert_milp`): a pre-image checked by a float64 forward pass, or
  ``infeasible`` with every pruning certified; when neither, the status is ``unknown``.
* **coordinate ranges** ``min / max z_i over S``: 2 n MILPs (the big-M model of
  :mod:`milpinv.formulations.bigm` with a cost on z_i) give candidate bounds l_i, u_i in floating
  point; each is then *certified*: the certified MILP must prove that no z with
  ``|G(z) - x| <= RANGE_REL_TOL`` (relative) has z_i <= l_i - m (or z_i >= u_i + m),
  m = ``POINT_TOL`` scale / 4, moving the edge past any such z it finds. A side that is not
  proven falls back to the latent box's bound, so S always lies inside the reported interval; S is
  a single point when every interval is narrower than ``POINT_TOL`` scale, and not one when every
  side is proven by a finished MILP: a claim about the pre-image up to that residual (the ranges
  are outer bounds found in floating point, so the exact equality set may be narrower).
* **pieces**: the patterns p with S_p non-empty, by depth-first search over the unstable hidden
  neurons (stable ones are fixed by sound bounds first). A node fixes some binaries of the big-M
  model; its LP relaxation (observation rows included) prunes the subtree when infeasible. With
  every binary fixed the big-M rows are exact (d = 1: h = a >= 0; d = 0: h = 0 >= a), so a feasible
  leaf LP is a point of S_p.
* **adjacency**: S_p and S_q meet iff the LP with both patterns (neurons where they differ forced to
  a = 0) is feasible. S_p are closed and convex, so the connected components of S are exactly the
  connected components of this intersection graph (a networkx graph).
* **convexity**: *non-convex* when S has two or more components, or when two points of S (extreme
  points of the pieces) have a midpoint whose float64 forward pass misses x by far more than the
  tolerance (a witness); *convex* when one piece contains all the others (S = that S_p); otherwise
  *unknown*.

The emptiness verdict and the coordinate ranges are certified (above); the pieces, adjacency and
convexity verdicts are floating-point LP / MILP ones with tolerance 1e-9: a piece that meets S
only within that tolerance may be listed. Exponential in the number of unstable neurons: meant for small nets.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from .. import interrupt
from ..acceptance import check_result
from ..deadline import Deadline
from ..errors import InputError
from ..formulations.bigm import Formulation
from ..milp import invert_milp
from ..milp.build import ModelSpec, build_model
from ..network import ReluNetwork
from ..norm import Norm
from ..options import MilpOptions
from ..problem import Box, Problem
from ..result import InversionResult
from ..solvers import Solver, SolverOptions, get_solver
from ..solvers.matrix import MatrixModel
from ..status import Status
from ..tolerance import Acceptance, tolerance
from ..validation import MAX_ENTRIES, check_int, check_number

if TYPE_CHECKING:  # networkx is imported where a graph is built: `milpinv` itself does not load it
    import networkx as nx

MAX_UNSTABLE = 30  # unstable hidden neurons allowed for piece enumeration (2^30 leaves at worst)
MAX_PIECES = 10_000
POINT_TOL = 1e-7  # relative: a coordinate range narrower than this (times scale) is a point
EDGE_TRIES = 6  # proofs per side of a coordinate range before it falls back to the box
RANGE_REL_TOL = 1e-9  # relative residual that counts as G(z) = x when the ranges are proven
TIME_LIMIT = 60.0  # seconds for the whole analysis unless asked otherwise (None: no limit)
SIDES = ("min", "max")
STOPPED = "no proof (time_limit)"  # a range side whose proof stopped at its share of the time


class Stopped(Exception):
    """A stage's time ran out (or Ctrl-C) between two of its LPs."""


class Stage:
    """One stage of the analysis: its share of the time limit and its progress bar."""

    def __init__(self, name: str, clock: Deadline, bar=None) -> None:
        self.name, self.clock, self.bar = name, clock, bar

    @classmethod
    def unlimited(cls) -> Stage:
        return cls("", Deadline(None))

    def budget(self, solves_left: int) -> float | None:
        """Seconds for the next solve: the stage's time left, shared among its ``solves_left``."""
        left = self.clock.remaining()
        return None if left is None else left / max(solves_left, 1)

    def expired(self) -> bool:
        return self.clock.expired()

    def why(self) -> str:
        return self.clock.why()

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.update()

    def __enter__(self) -> Stage:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


STAGES = {"bounds": 1, "emptiness": 2, "ranges": 2, "proofs": 4, "pieces": 2, "convexity": 2}  # weights


class Schedule:
    """The analysis's one time limit, shared out: each stage gets the time left in proportion to
    its weight among the ``stages`` still to run (:data:`STAGES`: the range proofs weigh most;
    what one leaves goes to the next), and a progress bar on stderr. ``stopped``: the stages
    whose time ran out."""

    def __init__(self, deadline: Deadline, stages: list[str], progress: bool = False) -> None:
        self.deadline, self.left, self.progress = deadline, list(stages), progress
        self.stopped: list[str] = []

    def stage(self, name: str, total: int | None = None) -> Stage:
        from tqdm import tqdm

        left = self.deadline.remaining()
        weights = sum(STAGES[s] for s in self.left)
        share = None if left is None else left * STAGES[name] / weights
        self.left.remove(name)
        bar = tqdm(total=total, desc=f"preimage: {name}", unit="solve", disable=not self.progress)
        return _Scheduled(self, name, self.deadline.within(share), bar)


class _Scheduled(Stage):
    """A stage of a :class:`Schedule`: says so when its time ran out."""

    def __init__(self, schedule: Schedule, name: str, clock: Deadline, bar) -> None:
        super().__init__(name, clock, bar)
        self.schedule = schedule

    def __exit__(self, *exc) -> None:
        super().__exit__(*exc)
        if self.expired():
            self.schedule.stopped.append(self.name)


@dataclass
class Piece:
    """One activation pattern whose piece meets the pre-image, with points of S_p."""

    pattern: list[np.ndarray]  # one boolean mask per hidden layer
    points: list[np.ndarray]  # points of S_p (extreme points along coordinate directions)

    def label(self) -> str:
        return "/".join("".join("1" if a else "0" for a in mask) for mask in self.pattern)


class PreimageStatus(str, Enum):
    """What is known of the set S: empty (proven), non-empty, non-empty with pieces not all
    enumerated, or undecided."""

    EMPTY = "empty"
    NONEMPTY = "nonempty"
    LIMIT = "limit"
    UNKNOWN = "unknown"  # neither a pre-image nor a certified proof of none (time limit, no certificate)

    def __str__(self) -> str:
        return self.value


@dataclass
class PreimageReport:
    status: PreimageStatus
    lower: np.ndarray | None = None  # proven coordinate bounds of S
    upper: np.ndarray | None = None
    uncertified: list[str] = field(default_factory=list)  # range sides that fell back to the box
    loose: list[str] = field(default_factory=list)  # range sides whose MILP was not solved (may be loose)
    single_point: bool | None = None  # None: unknown (single_point_reason says why)
    single_point_reason: str = ""
    pieces: list[Piece] = field(default_factory=list)  # maximal pieces (none inside another)
    patterns: list[str] | None = None  # labels of all patterns whose piece meets S
    graph: nx.Graph | None = None
    components: int | None = None
    convex: str = "unknown"  # "yes", "no", "unknown"
    convex_reason: str = ""
    witness: dict | None = None
    lps: int = 0
    time_s: float = 0.0
    message: str = ""
    stopped: list[str] = field(default_factory=list)  # stages whose share of the time limit ran out

    @property
    def finished(self) -> bool:
        """Every stage finished in its time and every range side is proven and tight."""
        return not (self.stopped or self.uncertified or self.loose)

    def to_dict(self) -> dict:
        def arr(a):
            return None if a is None else [float(v) for v in a]

        return {
            "status": self.status.value,
            "lower": arr(self.lower),
            "upper": arr(self.upper),
            "single_point": self.single_point,
            "single_point_reason": self.single_point_reason,
            "uncertified_sides": self.uncertified,
            "loose_sides": self.loose,
            "patterns": self.patterns,
            "pieces": [p.label() for p in self.pieces],
            "points": [arr(p.points[0]) for p in self.pieces],
            "edges": [[int(u), int(v)] for u, v in self.graph.edges] if self.graph is not None else None,
            "components": self.components,
            "convex": self.convex,
            "convex_reason": self.convex_reason,
            "witness": self.witness,
            "lps": self.lps,
            "time_s": self.time_s,
            "message": self.message,
            "stopped": self.stopped,
        }


class _Searcher:
    """LPs over the big-M model with some binaries fixed."""

    def __init__(self, form: Formulation, solver: Solver, stage: Stage | None = None) -> None:
        self.form = form
        self.solver = solver
        self.stage = stage or Stage.unlimited()
        m = form.model
        self.lp = replace(m, c=np.zeros(m.num_vars), integrality=np.zeros(m.num_vars, bool))
        self.hidden = list(form.layers)  # exact norm: hidden layers only
        self.cols = np.concatenate(
            [np.arange(lv.d.start, lv.d.stop) for lv in self.hidden if lv.d is not None] or [np.zeros(0, int)]
        ).astype(int)
        self.lps = 0

    def solve(self, fixed: np.ndarray, cost: np.ndarray | None = None, zero_h: np.ndarray | None = None):
        """LP with binaries ``fixed`` (-1 free, 0, 1); ``zero_h``: binary positions forced to a = 0.
        Raises :class:`Stopped` once the stage's time ran out."""
        if self.stage.expired():
            raise Stopped(self.stage.why())
        lo, hi = self.lp.col_lower.copy(), self.lp.col_upper.copy()
        set_ = fixed >= 0
        lo[self.cols[set_]] = hi[self.cols[set_]] = fixed[set_]
        if zero_h is not None and zero_h.any():
            hcols = self.h_columns()[zero_h]
            lo[self.cols[zero_h]] = hi[self.cols[zero_h]] = 1.0
            hi[hcols] = 0.0
        model = replace(self.lp, col_lower=lo, col_upper=hi, c=self.lp.c if cost is None else cost)
        self.lps += 1
        self.stage.advance()
        out = self.solver.solve(model, SolverOptions(time_limit=self.stage.clock.remaining()))
        if out.status == Status.TIME_LIMIT:
            raise Stopped(self.stage.why())
        return out

    def h_columns(self) -> np.ndarray:
        """The h column of each binary, in binary order."""
        out: list[int] = []
        for lv in self.hidden:
            if lv.d is None:
                continue
            pos = {int(i): j for j, i in enumerate(lv.kept)}
            out.extend(lv.h.start + pos[int(i)] for i in lv.unstable)
        return np.asarray(out, int)

    def pattern(self, bits: np.ndarray) -> list[np.ndarray]:
        """Full hidden pattern from the binaries (stable neurons from the bounds)."""
        masks, j = [], 0
        for k, lv in enumerate(self.hidden):
            mask = np.zeros(self.form.network.dims[k + 1], bool)
            mask[lv.kept] = True
            if lv.d is not None:
                n = lv.unstable.size
                mask[lv.unstable] = bits[j : j + n] > 0.5
                j += n
            masks.append(mask)
        return masks


def coordinate_ranges(
    form: Formulation, solver: str | Solver = "highs", stage: Stage | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Candidate bounds (lower, upper) on min / max z_i over the pre-image: 2 n MILPs, floating
    point (a side without a bound is the box's), and the sides whose MILP was not solved to
    optimality (their bound may be loose); :func:`certify_ranges` proves them."""
    m: MatrixModel = form.model
    solver = get_solver(solver)
    stage = stage or Stage.unlimited()
    zs = m.blocks["z"]
    n = zs.stop - zs.start
    lower, upper = m.col_lower[zs].copy(), m.col_upper[zs].copy()
    unfinished = []
    for i in range(n):
        for side, (sign, out_arr) in enumerate(((1.0, lower), (-1.0, upper))):
            c = np.zeros(m.num_vars)
            c[zs.start + i] = sign
            res = solver.solve(replace(m, c=c), SolverOptions(time_limit=stage.budget(2 * (n - i) - side)))
            stage.advance()
            if res.bound is not None and np.isfinite(res.bound) and res.status in (Status.OPTIMAL, Status.TIME_LIMIT):
                out_arr[i] = sign * res.bound
            if res.status != Status.OPTIMAL:  # its bound (or the box's) holds, but is not known to be reached
                unfinished.append(f"{SIDES[side]} z{i}: {res.status}")
    return lower, upper, unfinished


def certify_ranges(
    problem: Problem, candidate, margin: float, stage: Stage | None = None
) -> tuple[np.ndarray, np.ndarray, list[str], int]:
    """The ``candidate`` ranges of the pre-image of ``problem`` made proven: (lower, upper, sides
    left at the box's bound and why, MILPs run). See :func:`proven_edge`. Each side gets an equal
    share of the stage's time left; a second pass gives the sides whose proof stopped at its share
    what the others left; a side the stage's time does not reach is not proven."""
    stage = stage or Stage.unlimited()
    box = (problem.lower, problem.upper)
    out = [np.array(box[0], float), np.array(box[1], float)]
    fell_back, runs = [], 0
    todo = [(i, side) for i in range(out[0].size) for side in (0, 1)]
    for last in (False, True):
        stalled = []
        for j, (i, side) in enumerate(todo):
            if stage.expired():
                edge, why = box[side][i], f"not proven ({stage.why()})"
            else:
                limit = stage.budget(len(todo) - j)
                edge, why, tries = proven_edge(
                    problem.with_deadline(stage.clock.within(limit)), i, side, candidate[side][i], margin
                )
                runs += tries
            interrupt.raise_if_requested()
            if why == STOPPED and not last:
                stalled.append((i, side))
                continue
            stage.advance()
            if why:
                fell_back.append(f"{SIDES[side]} z{i}: {why}")
            else:
                out[side][i] = edge
        todo = stalled
    return out[0], out[1], fell_back, runs


def certified_milp(problem: Problem) -> InversionResult:
    """milpinv's certified exact-norm MILP on ``problem`` (its box, acceptance rule and clock), its
    z re-checked by a float64 forward pass (as :func:`milpinv.invert` re-checks every method's)."""
    found = invert_milp(problem, MilpOptions())
    network, target, lower, upper, accept = (
        problem.network,
        problem.target,
        problem.lower,
        problem.upper,
        problem.accept,
    )
    return check_result(found, network, target, lower, upper, accept)


def exact_problem(network: ReluNetwork, target: np.ndarray, box: Box, deadline: Deadline) -> Problem:
    """The exact-norm question of the analysis: x within its tolerance, under ``deadline``."""
    return Problem(network, target, Norm.EXACT, box, Acceptance(tolerance(target)), deadline)


def proven_edge(problem: Problem, i: int, side: int, start: float, margin: float) -> tuple[float, str, int]:
    """A proven bound on min (side 0) / max (side 1) of z_i over the pre-image of ``problem``: the
    certified MILP must find no pre-image (residual within ``RANGE_REL_TOL``, so the range holds for
    the exact pre-image) beyond ``start`` moved out by ``margin``; a pre-image it finds there
    moves the edge past it by ten times the margin, and so on (``EDGE_TRIES`` times at most, all
    within the problem's clock). Returns (edge, why it is not proven ("" if it is), MILPs run)."""
    direction = 1.0 if side else -1.0
    edge, runs = start + direction * margin, 0
    box = (problem.lower, problem.upper)
    accept = Acceptance(tolerance(problem.target, RANGE_REL_TOL))
    for k in range(EDGE_TRIES):
        beyond = [np.array(box[0], float), np.array(box[1], float)]  # the box cut to the far side of edge
        beyond[1 - side][i] = edge
        if not beyond[0][i] < beyond[1][i]:
            return box[side][i], "", runs  # past the box: its own bound holds
        runs += 1
        found = certified_milp(problem.restate(box=Box(beyond[0], beyond[1]), accept=accept))
        if found.status == Status.INFEASIBLE:
            return edge, "", runs
        if found.status != Status.OPTIMAL or found.z is None:
            return box[side][i], STOPPED if found.status == Status.TIME_LIMIT else f"no proof ({found.status})", runs
        edge = float(found.z[i]) + direction * margin * 10.0 ** (k + 1)
    return box[side][i], f"pre-images beyond {EDGE_TRIES} tries", runs


def enumerate_pieces(s: _Searcher, max_pieces: int = MAX_PIECES) -> tuple[list[Piece], bool]:
    """Depth-first search over the binaries; returns (pieces, complete): incomplete at
    ``max_pieces`` or when the searcher's stage runs out of time."""
    nb = s.cols.size
    pieces: list[Piece] = []
    stack = [np.full(nb, -1.0)]
    while stack:
        fixed = stack.pop()
        if len(pieces) >= max_pieces:
            return pieces, False
        try:
            out = s.solve(fixed)
        except Stopped:
            return pieces, False
        if out.status != Status.OPTIMAL:
            continue
        free = np.flatnonzero(fixed < 0)
        if free.size == 0:
            pieces.append(Piece(s.pattern(fixed), [s.form.z_of(out.x)]))
            continue
        j = free[0]
        for v in (0.0, 1.0):
            child = fixed.copy()
            child[j] = v
            stack.append(child)
    return pieces, True


def _bits(s: _Searcher, piece: Piece) -> np.ndarray:
    bits = []
    for mask, lv in zip(piece.pattern, s.hidden):
        if lv.d is not None:
            bits.extend(mask[lv.unstable].astype(float))
    return np.asarray(bits, float)


def extreme_points(s: _Searcher, piece: Piece) -> None:
    """Add the points of S_p minimising / maximising each coordinate."""
    zs = s.form.model.blocks["z"]
    bits = _bits(s, piece)
    for i in range(zs.stop - zs.start):
        for sign in (1.0, -1.0):
            c = np.zeros(s.lp.num_vars)
            c[zs.start + i] = sign
            out = s.solve(bits, cost=c)
            if out.status == Status.OPTIMAL:
                piece.points.append(s.form.z_of(out.x))


def adjacency(s: _Searcher, pieces: list[Piece]) -> nx.Graph:
    """Graph on pieces, an edge where S_p and S_q intersect."""
    import networkx as nx

    g = nx.Graph()
    for i, p in enumerate(pieces):
        g.add_node(i, pattern=p.label(), point=" ".join(f"{float(v):.17g}" for v in p.points[0]))
    bits = [_bits(s, p) for p in pieces]
    for i in range(len(pieces)):
        for j in range(i + 1, len(pieces)):
            differ = bits[i] != bits[j]
            fixed = np.where(differ, -1.0, bits[i])
            if s.solve(fixed, zero_h=differ).status == Status.OPTIMAL:
                g.add_edge(i, j)
    return g


def _contains(s: _Searcher, outer: Piece, inner: Piece) -> bool:
    """S_inner ⊆ S_outer: every binary where they differ has a = 0 on all of S_inner (then the two
    patterns give the same affine maps on S_inner, so it satisfies outer's rows too)."""
    bo, bi = _bits(s, outer), _bits(s, inner)
    for j in np.flatnonzero(bo != bi):
        c, const = _preactivation_cost(s, int(j))
        sign = -1.0 if bi[j] == 1.0 else 1.0  # active: a >= 0, need max a <= 0; inactive: need min a >= 0
        out = s.solve(bi, cost=sign * c)
        extreme = sign * out.objective + const if out.status == Status.OPTIMAL else None  # max a, or min a
        if extreme is None or sign * extreme < -1e-9 * max(1.0, abs(const)):
            return False
    return True


def _row(w, i: int) -> np.ndarray:
    """Row i of a dense or sparse weight matrix, as a dense vector."""
    return np.asarray(w[i].todense()).ravel() if sp.issparse(w) else np.asarray(w[i])


def _preactivation_cost(s: _Searcher, j: int) -> tuple[np.ndarray, float]:
    """(c, b) with a = c . v + b for the neuron of binary ``j`` (v: the model's variables)."""
    net = s.form.network
    k, i = _neuron_of(s, j)
    c = np.zeros(s.lp.num_vars)
    if k == 0:
        zs = s.form.model.blocks["z"]
        c[zs] = _row(net.weights[0], i)
    else:
        prev = s.hidden[k - 1]
        c[prev.h] = _row(net.weights[k], i)[prev.kept]
    return c, float(net.biases[k][i])


def _neuron_of(s: _Searcher, j: int) -> tuple[int, int]:
    """(layer, neuron) of binary ``j``."""
    for k, lv in enumerate(s.hidden):
        if lv.d is None:
            continue
        if j < lv.unstable.size:
            return k, int(lv.unstable[j])
        j -= lv.unstable.size
    raise IndexError(j)


def nonconvexity_witness(
    network: ReluNetwork, target: np.ndarray, pieces: list[Piece], clock: Deadline | None = None
) -> dict | None:
    """Two points of S (from different pieces) whose midpoint misses x by > 1000 x the tolerance;
    the search (quadratic in the points) stops, without a witness, when ``clock`` runs out."""
    tol = tolerance(target)
    clock = clock or Deadline(None)
    for a in range(len(pieces)):
        for b in range(a + 1, len(pieces)):
            if clock.expired():
                return None
            for u in pieces[a].points:
                for v in pieces[b].points:
                    w = _witness(network, target, u, v, tol)
                    if w is not None:
                        return w
    return None


def _stack(models: list[MatrixModel]) -> tuple[MatrixModel, list[int]]:
    """Block-diagonal union of models; returns it and each model's first column."""
    starts = list(np.cumsum([0] + [m.num_vars for m in models])[:-1])
    cat = np.concatenate
    stacked = MatrixModel(
        c=cat([m.c for m in models]),
        A=sp.block_diag([m.A for m in models], format="csr"),
        row_lower=cat([m.row_lower for m in models]),
        row_upper=cat([m.row_upper for m in models]),
        col_lower=cat([m.col_lower for m in models]),
        col_upper=cat([m.col_upper for m in models]),
        integrality=cat([m.integrality for m in models]),
        name="midpoint",
    )
    return stacked, [int(v) for v in starts]


def midpoint_test(
    network: ReluNetwork,
    target: np.ndarray,
    form: Formulation,
    box: Box,
    solver: str | Solver = "highs",
    stage: Stage | None = None,
) -> tuple[str, dict]:
    r"""Decide midpoint convexity by MILP: max over u, v in S of \pm (G((u+v)/2) - x)_i.

    Three copies of the network (u and v constrained to the pre-image, w = (u + v)/2 free) and
    2 m MILPs (within the ``stage``'s time). All proven bounds <= tol: S is convex up to tol
    (closed + midpoint convex); an incumbent missing x by more than 1000 tol is a witness.
    Returns (verdict, details): the witness (no), the bound on the miss (yes, unknown) or the status
    of the MILP that did not finish ("stopped")."""
    solver = get_solver(solver)
    stage = stage or Stage.unlimited()
    free, _ = build_model(Problem.of(network, target, Norm.L1, box))
    model, (su, sv, sw) = _stack([form.model, form.model, free.model])
    zs = form.model.blocks["z"]
    n = zs.stop - zs.start
    link = sp.hstack([sp.identity(n) * -0.5, sp.identity(n) * -0.5, sp.identity(n)], format="csr")
    cols = np.concatenate(
        [np.arange(n) + su + zs.start, np.arange(n) + sv + zs.start, np.arange(n) + sw + free.model.blocks["z"].start]
    )
    A = sp.vstack(
        [
            model.A,
            sp.csr_matrix((link.tocoo().data, (link.tocoo().row, cols[link.tocoo().col])), shape=(n, model.num_vars)),
        ],
        format="csr",
    )
    model = replace(
        model,
        A=A,
        row_lower=np.concatenate([model.row_lower, np.zeros(n)]),
        row_upper=np.concatenate([model.row_upper, np.zeros(n)]),
    )
    tol = tolerance(target)
    worst = 0.0
    m = target.shape[0]
    for i in range(m):
        cost, const, signs = _output_cost(network, free, sw, model.num_vars, i, float(target[i]))
        for sign in signs:  # maximise sign (y_i - x_i) = sign (cost . v + const - x_i)
            limit = stage.budget(2 * (m - i) - (sign < 0))
            out = solver.solve(replace(model, c=-sign * cost), SolverOptions(time_limit=limit))
            stage.advance()
            if out.status != Status.OPTIMAL or out.bound is None or out.x is None or out.objective is None:
                return "unknown", {"stopped": str(out.status)}
            shift = sign * (const - target[i])
            if -out.objective + shift > 1000 * tol:
                u = out.x[su + zs.start : su + zs.stop]
                v = out.x[sv + zs.start : sv + zs.stop]
                w = _witness(network, target, u, v, tol)
                if w is not None:
                    return "no", w
            worst = max(worst, -out.bound + shift)
    return ("yes" if worst <= tol else "unknown"), {"max_midpoint_miss_bound": worst}


def _output_cost(
    network: ReluNetwork, free: Formulation, start: int, num_vars: int, i: int, x_i: float
) -> tuple[np.ndarray, float, tuple[float, ...]]:
    """(c, b, signs): y_i = c . v + b in the stacked model (free copy starting at ``start``), and
    the signs of y_i - x_i to maximise. A relu output the l1 model keeps no h for is measured by
    its pre-activation a: where x_i <= 0 upward only (relu(a) - x_i <= max(a, 0) - x_i, and
    x_i - relu(a) <= x_i <= 0), elsewhere (x_i > 0: a neuron stable on the box, y_i = a where
    active, and x_i - relu(a) <= x_i - a where inactive) both ways."""
    c = np.zeros(num_vars)
    where = np.flatnonzero(free.layers[-1].kept == i) if network.relu_output else np.zeros(0, int)
    if where.size:  # a relu output is a layer of the l1 model (a linear one is not: no layer at depth 1)
        c[start + free.layers[-1].h.start + where[0]] = 1.0
        return c, 0.0, (1.0, -1.0)
    signs = (1.0,) if network.relu_output and x_i <= 0 else (1.0, -1.0)
    if network.depth == 1:
        zs = free.model.blocks["z"]
        c[start + zs.start : start + zs.stop] = _row(network.weights[0], i)
    else:
        last = free.layers[network.depth - 2]  # the last hidden layer
        c[start + last.h.start : start + last.h.stop] = _row(network.weights[-1], i)[last.kept]
    return c, float(network.biases[-1][i]), signs


def _witness(network: ReluNetwork, target: np.ndarray, u: np.ndarray, v: np.ndarray, tol: float) -> dict | None:
    """Forward-pass check that u, v are pre-images and their midpoint is not."""
    res = [float(np.abs(network.forward(p) - target).max(initial=0.0)) for p in (u, v)]
    miss = float(np.abs(network.forward(0.5 * (u + v)) - target).max(initial=0.0))
    if max(res) <= tol and miss > 1000 * tol:
        return {"z1": u.tolist(), "z2": v.tolist(), "residuals": res, "midpoint_residual": miss}
    return None


@dataclass(frozen=True)
class PreimageOptions:
    """What :func:`analyse_preimage` runs: the ``pieces`` (at most ``max_pieces``, with at most
    ``max_unstable`` unstable hidden neurons) and the ``convexity`` stages, ``bounds`` (``lp``: OBBT
    too, or ``interval``), ``time_limit`` seconds for the whole analysis (None: no limit), the
    LP / MILP ``solver`` and a ``progress`` bar per stage on stderr. Checked when built."""

    pieces: bool = True
    bounds: str = "lp"
    max_pieces: int = MAX_PIECES
    max_unstable: int = MAX_UNSTABLE
    convexity: bool = True
    time_limit: float | None = TIME_LIMIT
    solver: str | Solver = "highs"
    progress: bool = False

    def __post_init__(self) -> None:
        if self.time_limit is not None:
            check_number(self.time_limit, "time_limit", positive=True)
        check_int(self.max_pieces, "max_pieces", maximum=MAX_ENTRIES)
        check_int(self.max_unstable, "max_unstable", maximum=MAX_ENTRIES)

    def stages(self) -> list[str]:
        """The stages to run, in order (:data:`STAGES`)."""
        return [s for s in STAGES if (self.pieces or s != "pieces") and (self.convexity or s != "convexity")]


@dataclass(frozen=True)
class Analysis:
    """What the stages of one analysis share: the exact-norm ``problem`` (its clock: the whole
    analysis's), the big-M model of S and the ``solver`` of its LPs and MILPs."""

    problem: Problem
    form: Formulation
    solver: Solver


def analyse_preimage(
    network: ReluNetwork, target, box: Box, options: PreimageOptions = PreimageOptions()
) -> PreimageReport:
    """Extent, pieces, components and convexity of {z in box : G(z) = target}.

    ``options.time_limit``: seconds for the whole analysis (default :data:`TIME_LIMIT`; None: no
    limit), shared out among its stages (:class:`Schedule`): what the time does not reach is
    reported unknown, with the reason, never guessed."""
    if not all(a.exact_arithmetic for a in network.activations):
        raise InputError(
            f"pre-image analysis: relu networks only (relu layers, a relu or linear output); "
            f"this one applies {', '.join(sorted({str(a) for a in network.activations}))}"
        )
    t0 = time.perf_counter()
    target = np.asarray(target, float)
    box = Box(np.asarray(box.lower, float), np.asarray(box.upper, float))
    engine = get_solver(options.solver)
    schedule = Schedule(Deadline(options.time_limit), options.stages(), options.progress)
    problem = exact_problem(network, target, box, schedule.deadline)
    with interrupt.deferred():  # a Ctrl-C stops the running solve, then the analysis between stages
        with schedule.stage("bounds") as stage:
            form, info = build_model(
                problem.with_deadline(stage.clock), ModelSpec(bounds=options.bounds, lp_solver=engine)
            )
        report = PreimageReport(status=PreimageStatus.NONEMPTY)
        with schedule.stage("emptiness", 1) as stage:
            empty = emptiness(problem.with_deadline(stage.clock), info)
            stage.advance()
        interrupt.raise_if_requested()
        if empty is not None:
            report.status, report.message = empty
        else:
            _describe(report, Analysis(problem, form, engine), schedule, options)
    report.stopped = schedule.stopped
    report.time_s = time.perf_counter() - t0
    return report


def _describe(report: PreimageReport, analysis: Analysis, schedule: Schedule, options: PreimageOptions) -> None:
    """The stages after emptiness: ranges, pieces and convexity, as ``options`` ask."""
    proven_ranges(report, analysis, schedule)
    if options.pieces:
        with schedule.stage("pieces") as stage:
            _pieces(report, analysis, stage, options)
        interrupt.raise_if_requested()
    if report.convex == "unknown" and report.single_point:
        report.convex, report.convex_reason = "yes", "a single point"
    if report.convex == "unknown" and options.convexity:
        with schedule.stage("convexity", 2 * analysis.problem.target.size) as stage:
            decide_convexity(report, analysis, stage)
        interrupt.raise_if_requested()


def emptiness(problem: Problem, info: dict) -> tuple[PreimageStatus, str] | None:
    """None when S has a point (the certified MILP found one within the problem's clock), else
    (empty, nonempty or unknown, why). Bound tightening proves S (exact equality) empty; a z the
    MILP accepts within the tolerance then still makes the instance non-empty for
    :func:`milpinv.invert`, and is said."""
    target = problem.target
    found = certified_milp(problem)
    exact_empty = "bound tightening proved the pre-image empty (exact equality)"
    if found.status == Status.OPTIMAL:
        if not info.get("infeasible"):
            return None
        return PreimageStatus.NONEMPTY, (
            f"{exact_empty}, but z = {np.round(np.asarray(found.z), 9).tolist()} meets x within the tolerance "
            f"{tolerance(target):.1e} (residual {found.residual_linf:.1e}): no exact pre-image to describe"
        )
    if info.get("infeasible"):
        return PreimageStatus.EMPTY, exact_empty
    status = PreimageStatus.EMPTY if found.status == Status.INFEASIBLE else PreimageStatus.UNKNOWN
    return status, f"the certified MILP: {found.message or found.status}"


def proven_ranges(report: PreimageReport, analysis: Analysis, schedule: Schedule) -> None:
    """The coordinate ranges (candidates by MILP, then certified) and whether S is a point."""
    problem = analysis.problem
    scale = max(1.0, float(np.abs(np.concatenate([problem.lower, problem.upper])).max(initial=0.0)))
    n = problem.box.dim
    with schedule.stage("ranges", 2 * n) as stage:
        *candidate, report.loose = coordinate_ranges(analysis.form, analysis.solver, stage)
    interrupt.raise_if_requested()
    with schedule.stage("proofs", 2 * n) as stage:
        lo, hi, report.uncertified, runs = certify_ranges(problem, candidate, POINT_TOL * scale / 4, stage)
    report.lower, report.upper, report.lps = lo, hi, 2 * n + 1 + runs
    report.single_point, report.single_point_reason = point_verdict(hi - lo, POINT_TOL * scale, report)


def point_verdict(width: np.ndarray, tol: float, report: PreimageReport) -> tuple[bool | None, str]:
    """Whether S is a single point, up to the residual ``RANGE_REL_TOL`` the ranges are proven at
    (their sides bound every z with ``|G(z) - x| <= RANGE_REL_TOL`` relative, and each edge was
    moved past such a z found by the MILP): yes when every proven range is narrower than ``tol``
    (a side left at the box's bound still bounds S); no when every side is proven and was found by
    a MILP that finished, i.e. points within that residual lie the widest range apart (the exact
    equality set may be smaller: the reason says so); otherwise unknown, and why."""
    if np.all(width <= tol):
        return True, f"every range is narrower than {tol:.1e}"
    if report.uncertified:
        return None, f"{len(report.uncertified)} range side(s) not proven ({report.uncertified[0]})"
    if report.loose:
        return None, f"{len(report.loose)} range MILP(s) not solved to optimality ({report.loose[0]}): maybe loose"
    i = int(np.argmax(width))
    return False, f"z{i} ranges over {width[i]:.3g} among points within a residual of {RANGE_REL_TOL:g} (relative) of x"


def maximal_pieces(s: _Searcher, pieces: list[Piece]) -> list[Piece]:
    """Drop every piece whose S_p lies inside another's (keeping one of equal ones)."""
    keep: list[Piece] = []
    for i, p in enumerate(pieces):
        inside = any(_contains(s, q, p) and (not _contains(s, p, q) or j < i) for j, q in enumerate(pieces) if j != i)
        if not inside:
            keep.append(p)
    return keep


def _pieces(report: PreimageReport, analysis: Analysis, stage: Stage, options: PreimageOptions) -> None:
    import networkx as nx

    network, target, clock = analysis.problem.network, analysis.problem.target, analysis.problem.deadline
    max_pieces, max_unstable = options.max_pieces, options.max_unstable
    s = _Searcher(analysis.form, analysis.solver, stage)
    if s.cols.size > max_unstable:
        report.message = (
            f"piece enumeration skipped: {s.cols.size} unstable hidden neurons after bound "
            f"tightening, more than the limit {max_unstable}"
        )
        return
    found, complete = enumerate_pieces(s, max_pieces)
    report.patterns = [p.label() for p in found]
    try:
        for p in found:
            extreme_points(s, p)
        report.pieces = maximal_pieces(s, found) if complete else found
        report.graph = adjacency(s, report.pieces)
    except Stopped:
        complete, report.pieces = False, found
    report.lps += s.lps
    if not complete:
        report.status = PreimageStatus.LIMIT
        cause = stage.why() if stage.expired() else f"the limit of {max_pieces} pieces"
        report.message = f"stopped after {len(found)} patterns ({cause}): counts are lower bounds"
    if report.graph is None:  # the time ran out before the adjacency was known
        report.witness = nonconvexity_witness(network, target, report.pieces, clock)
        if report.witness is not None:
            report.convex, report.convex_reason = "no", "the midpoint of two pre-image points is not a pre-image"
        return
    report.components = nx.number_connected_components(report.graph) if found else 0
    if complete and report.components > 1:
        report.convex, report.convex_reason = "no", f"{report.components} connected components"
        report.witness = nonconvexity_witness(network, target, report.pieces, clock)
    elif complete and len(report.pieces) == 1:
        report.convex, report.convex_reason = "yes", "one maximal piece: S is a polyhedron"
    else:
        report.witness = nonconvexity_witness(network, target, report.pieces, clock)
        if report.witness is not None:
            report.convex, report.convex_reason = "no", "the midpoint of two pre-image points is not a pre-image"


def decide_convexity(report: PreimageReport, analysis: Analysis, stage: Stage) -> None:
    """The midpoint MILP, when the pieces did not settle convexity."""
    problem = analysis.problem
    target = problem.target
    verdict, info = midpoint_test(problem.network, target, analysis.form, problem.box, analysis.solver, stage)
    report.convex = verdict
    if verdict == "no":
        report.witness = info
        report.convex_reason = "midpoint MILP: two pre-image points whose midpoint is not a pre-image"
    elif "stopped" in info:
        report.convex_reason = f"midpoint MILP did not finish ({info['stopped']})"
    elif verdict == "yes":
        report.convex_reason = (
            f"midpoint MILP: no midpoint of two pre-image points misses x by more than "
            f"{info['max_midpoint_miss_bound']:.1e} (the MILP solver's bound, floating point; tolerance "
            f"{tolerance(target):.1e})"
        )
    else:
        report.convex_reason = (
            f"midpoint MILP bound {info['max_midpoint_miss_bound']:.1e} above the tolerance, no witness"
        )
