r"""milpinv's own branch and bound over the unstable neurons, every pruning certified.

A node fixes the phase of some unstable neurons (active: a >= 0 and h = a; inactive: a <= 0 and
h = s a, s the slope below the kink: 0 for relu). At each node:

1. **bounds**: the fixings, and the observation (exact norm) or the incumbent's error (l1 /
   linf), are propagated forward and backward through the network
   (:mod:`milpinv.bounds.propagation`, rigorous); a neuron whose interval no longer straddles 0
   is fixed by implication, an empty interval prunes the node;
2. **LP**: the big-M model of :mod:`milpinv.formulations.bigm` with the fixed binaries at 0 / 1,
   the free ones in [0, 1], the node's latent box and big-M constants of the node's bounds (a
   fixed binary keeps an earlier node's while they contain its own: :func:`constants_to_load`; one
   incremental LP for the whole search, :mod:`milpinv.solvers.incremental`, HiGHS unless the
   caller hands another: warm-started by the dual simplex from the previous node, or, for a node
   searched after a backtrack, from its parent's basis stored with it);
3. **certify**: an infeasible LP prunes the node only with a Farkas certificate that passes
   :meth:`milpinv.bounds.safe.SafeLP.infeasible`, and an l1 / linf node is pruned against the
   incumbent only by the lower bound of :meth:`milpinv.bounds.safe.SafeLP.bound` (both hold in
   exact arithmetic, whatever the LP solver got wrong);
4. **candidate**: the LP's z is judged by a float64 forward pass of the original network (an
   exact-norm pre-image ends the search; an l1 / linf residual may improve the incumbent);
5. **branch**: a branching rule (:mod:`.branching`) picks, among the free neurons whose LP point
   is off their activation (h > max(a, s a)), the neuron to split and the side to search first
   (depth first, unless the rule names another node order for l1 / linf: :mod:`.order`). The
   default, ``deep/out/lean``: on the layer nearest the output (there the
   observation bites hardest), the neuron whose excess h - max(a, s a) moves the next layer's
   pre-activations most (excess times the l1 norm of its column in the next layer's weights), the
   side the LP leans to first (PERFORMANCE.md 16: 11% fewer nodes than the excess alone). A
   rule with a ``split`` method (``latent<K>/...``) may halve a coordinate of the node's latent
   box instead: both halves keep the node's fixings, and step 1 re-derives their bounds from the
   narrower box (interval arithmetic forward), fixing the units that became stable; the two
   boxes cover the node's, so every pruning below stays a pruning of the node.

l1 / linf searches start with rounds of cuts of the ideal single-neuron formulation at the root
(:mod:`.cuts`); every cut is valid at every node.

Every LP gets the time the deadline has left; an LP stopped by it (or by a Ctrl-C, see
:mod:`milpinv.interrupt`) is no answer at all: the search stops there, its node still open.

A search that ends with every node pruned by a certificate proves its verdict: ``infeasible``
(exact norm) or the certified ``bound`` of an l1 / linf optimum. A node that could be pruned
only on the LP solver's word is counted in ``uncertified``, and then no proof is claimed. A
``progress`` hook (:mod:`.progress`) sees the nodes, open nodes, incumbent and certified bound
after every node.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from .. import interrupt
from ..bounds.interval import Bounds
from ..bounds.propagation import propagate_bounds
from ..bounds.safe import SafeLP
from ..deadline import Deadline
from ..errors import SolverError
from ..formulations.bigm import Formulation, NeuronIndex, kink_constants
from ..formulations.blocks import loosen, observation_interval
from ..problem import Box
from ..solvers.incremental import LPFactory
from ..solvers.outcome import Outcome, SolverOptions
from ..status import Status
from .branching import DEFAULT, BranchingRule, Candidates, LatentBox, midpoint_stabilised
from .cuts import separate
from .order import DEPTH
from .progress import Progress

CUT_ROUNDS = 10  # rounds of root cuts at most
NODE_PASSES = 1  # bound propagation sweeps per node (more rarely tighten a child of a tightened node)
VIOLATION_TOL = 1e-9  # an LP point with h - relu(a) below this everywhere is a point of the network
LP_TOL = 1e-9
NODE_LIMIT = "node limit"  # why a search stopped at its node budget

Candidate = Callable[[np.ndarray], tuple[bool, float, np.ndarray]]  # z -> (accepted, residual, z as judged)


@dataclass(frozen=True)
class Setup:
    """How to search: ``lp`` loads the node LPs (an incremental LP of :mod:`milpinv.solvers`, e.g.
    ``get_solver("highs").incremental``), ``branching`` picks the neuron to split
    (:mod:`.branching`), ``progress`` is called after every node (:mod:`.progress`), ``threads``
    go to the LP solver."""

    lp: LPFactory
    branching: BranchingRule = DEFAULT
    progress: Callable[[Progress], None] | None = None
    threads: int = 1


@dataclass
class Node:
    fixed: np.ndarray  # per binary: -1 free, 0 inactive, 1 active
    bounds: Bounds
    z_lower: np.ndarray
    z_upper: np.ndarray
    bound: float  # the parent's certified lower bound (l1 / linf), -inf at the root
    depth: int = 0
    warm: tuple[int, object] | None = None  # (LPs solved then, the parent's basis): see _warm_start

    def __getstate__(self) -> dict:
        """A stored basis is this process's LP's (and HiGHS's does not pickle): it stays here."""
        return {**self.__dict__, "warm": None}


@dataclass
class NodeOutcome:
    found: tuple[np.ndarray, float] | None = None
    pruned: bool = False
    bound: float = -np.inf
    children: list[Node] = field(default_factory=list)


@dataclass
class Frontier:
    """Where a search stands: its open nodes (a stack: the last one is searched first), its best
    point and value (l1 / linf: the incumbent), the least certified bound of its pruned leaves, why
    it stopped with nodes open ("" if it did not), and ``found``: an exact-norm pre-image ended it."""

    open: list[Node]
    z: np.ndarray | None
    value: float
    leaf_bound: float = np.inf
    why: str = ""
    found: bool = False


class LPStopped(Exception):
    """A node LP stopped by the deadline or a Ctrl-C before it had an answer."""


@dataclass
class Search:
    """The outcome of a search (bounds in the units of the original problem)."""

    status: Status
    z: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None
    nodes: int = 0
    lps: int = 0
    uncertified: int = 0
    message: str = ""


class BranchAndBound:
    """The search of the module docstring over one formulation (see :func:`search`)."""

    def __init__(self, form: Formulation, candidate: Candidate, setup: Setup) -> None:
        self.form, self.net, self.candidate, self.setup = form, form.network, candidate, setup
        self.exact = form.norm is not None and form.norm.exact
        model = form.model
        self.lp_data = SafeLP.of(model)
        self.neurons = form.neurons
        self.lo_pos, self.hi_pos = _positions(self.neurons, self.lp_data)
        self.z_cols = np.arange(form.latent.start, form.latent.stop)
        self.ge = model.A.tocsr()[self.neurons.ge_row]  # the h >= a rows never change
        self.lp = setup.lp(model, SolverOptions(feasibility_tol=LP_TOL, threads=setup.threads))
        self.coef = (-self.lp_data.A.data[self.lo_pos], -self.lp_data.A.data[self.hi_pos])
        self.load_cols = np.concatenate([self.neurons.d, self.neurons.h, self.z_cols])  # what _load bounds
        self.reach = _reach(self.net, self.neurons)  # what the "out" score weighs the excess by
        self.root_width = model.col_upper[self.z_cols] - model.col_lower[self.z_cols]
        self.nodes = self.lps = self.uncertified = 0
        self.cuts = 0
        self.cut_rows: list[tuple] = []
        self.order = DEPTH if self.exact else getattr(setup.branching, "node_order", DEPTH)
        self.deadline = Deadline(None)
        self.started = time.perf_counter()

    # ------------------------------------------------------------------ search
    def run(
        self, deadline: Deadline, incumbent: tuple[np.ndarray, float] | None = None, node_limit: int | None = None
    ) -> Search:
        front = self.begin(deadline, incumbent)
        if front.open and not front.why:
            front = self.explore(front, node_limit)
        return self.conclude(front)

    def begin(self, deadline: Deadline, incumbent: tuple[np.ndarray, float] | None = None) -> Frontier:
        """Start the clock; the frontier the search starts from: the root after its rounds of cuts
        (l1 / linf), or no node if the root's interval bound meets the incumbent already."""
        self.deadline, self.started = deadline, time.perf_counter()
        best_z, best = (None, np.inf) if incumbent is None else incumbent
        m = self.form.model
        zs = self.form.latent
        node = Node(
            np.full(self.neurons.count, -1, dtype=np.int8),
            self.form.bounds,
            m.col_lower[zs].copy(),
            m.col_upper[zs].copy(),
            self._interval_bound(),
        )
        if node.bound >= best - self._gap(best):  # the root's interval bound meets the incumbent
            return Frontier([], best_z, best, node.bound)
        front = Frontier([node], best_z, best)
        try:
            if not self.exact:  # an objective to separate against (exact-norm LPs have none)
                self._cut_loop(node, best)
        except (KeyboardInterrupt, LPStopped) as exc:  # the search stops and keeps what it has
            front.why = self._why(exc)
        return front

    def explore(self, front: Frontier, node_limit: int | None = None) -> Frontier:
        """Search from ``front``'s open nodes (a stack: the last one first, unless the node order
        takes another, :mod:`.order`) until none is left, a pre-image is found (exact norm),
        ``node_limit`` nodes are searched in all, or the clock stops it; the frontier it leaves."""
        stack, best_z, best, leaf_bound = front.open, front.z, front.value, front.leaf_bound
        node, pruned = None, False
        try:
            while stack:
                why = self._stop_reason(node_limit)
                if why:
                    return Frontier(stack, best_z, best, leaf_bound, why)
                take = self.order.take(stack, pruned) if np.isfinite(best) else -1
                node = stack.pop(take)
                self.nodes += 1
                outcome = self._process(node, best)
                if outcome.found is not None:
                    z, value = outcome.found
                    if self.exact:
                        return Frontier([], z, value, leaf_bound, found=True)
                    if value < best:
                        best_z, best = z, value
                        leaf_bound = min(leaf_bound, self._drop_met(stack, best))
                pruned = outcome.pruned
                if pruned:
                    leaf_bound = min(leaf_bound, outcome.bound)
                else:
                    stack.extend(outcome.children)
                if self.setup.progress is not None:
                    self.setup.progress(self._progress(stack, best, leaf_bound))
        except (KeyboardInterrupt, LPStopped) as exc:  # the search stops and keeps what it has
            if node is not None:
                stack.append(node)
            return Frontier(stack, best_z, best, leaf_bound, self._why(exc))
        return Frontier([], best_z, best, leaf_bound)

    def _drop_met(self, stack: list[Node], best: float) -> float:
        """A node order other than depth first: drop the open nodes whose bound (their parent's,
        certified on their smaller regions) meets the new incumbent ``best``, without their LPs;
        the least bound dropped (inf: none)."""
        if self.order is DEPTH:
            return np.inf
        cut = best - self._gap(best)
        met = [n.bound for n in stack if n.bound >= cut]
        stack[:] = [n for n in stack if n.bound < cut]
        return min(met, default=np.inf)

    def conclude(self, front: Frontier) -> Search:
        """The verdict of a search that left ``front`` (its counts: this object's)."""
        if front.found:
            return self._search(Status.OPTIMAL, front.z, front.value, 0.0)
        if front.why:
            bound = min([front.leaf_bound, *(n.bound for n in front.open)])
            return self._stopped(front.z, front.value, bound, front.why)
        return self._finished(front.z, front.value, front.leaf_bound)

    def _why(self, exc: BaseException) -> str:
        return self.deadline.why() if isinstance(exc, LPStopped) else interrupt.INTERRUPTED

    def _progress(self, stack: list[Node], best: float, leaf_bound: float) -> Progress:
        """The search so far; the bound is the certified one :meth:`_stopped` would report."""
        bound = min(leaf_bound, *(n.bound for n in stack), best)
        certified = not (self.exact or self.uncertified) and np.isfinite(bound)
        incumbent = float(best) if np.isfinite(best) else None
        elapsed = time.perf_counter() - self.started
        return Progress(self.nodes, len(stack), incumbent, float(bound) if certified else None, elapsed)

    def _stop_reason(self, node_limit: int | None) -> str:
        """Why the search must stop before its next node ("" to go on)."""
        if self.deadline.expired():
            return self.deadline.why()
        return NODE_LIMIT if node_limit is not None and self.nodes >= node_limit else ""

    def _interval_bound(self) -> float:
        """l1 / linf: a certified lower bound before any LP, from the sound output intervals: each
        output's distance from x to the image of its pre-activation interval (the activation is
        monotone), summed (l1) or maximised (linf), rounded down."""
        if self.exact or self.form.target is None:
            return -np.inf
        lo, hi = self.form.bounds[-1]
        act = self.net.output_activation
        x = np.asarray(self.form.target, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            a_lo, a_hi = act(lo), act(hi)
            gap = np.maximum(a_lo - x, x - a_hi)
            slack = 4 * np.finfo(float).eps * (np.abs(x) + np.maximum(np.abs(a_lo), np.abs(a_hi)))
            gap = np.maximum(gap - slack, 0.0)  # below the rounding of act and of the difference
        gap = np.where(np.isfinite(gap), gap, 0.0)
        assert self.form.norm is not None  # not exact: a norm with an objective
        return self.form.norm.total(gap) * (1 - 1e-12)  # the sum's rounding

    def _finished(self, best_z, best: float, leaf_bound: float) -> Search:
        if self.uncertified:
            why = f"{self.uncertified} node(s) pruned without a certificate: no proof"
            if self.exact:
                return self._search(Status.FAILED, message=why)
            return self._search(Status.FEASIBLE, best_z, best, message=why)
        if self.exact:
            return self._search(Status.INFEASIBLE, message="every node pruned by a certificate")
        if best_z is None:  # l1 / linf always have points: the model was empty (cannot happen)
            return self._search(Status.FAILED, message="no point found")
        if leaf_bound < best - self._gap(best):  # leaves whose LP optimum no forward pass reached
            why = "every node searched, but the gap stays open (LP points within tolerance of the network)"
            return self._search(Status.FEASIBLE, best_z, best, leaf_bound, message=why)
        return self._search(Status.OPTIMAL, best_z, best, min(leaf_bound, best))

    def _stopped(self, best_z, best: float, bound: float, why: str) -> Search:
        certified = None if self.uncertified or not np.isfinite(bound) else min(bound, best)
        return self._search(
            Status.TIME_LIMIT,
            best_z,
            None if best_z is None else best,
            certified,
            message=f"{why} in the branch and bound",
        )

    def _search(
        self,
        status: Status,
        z: np.ndarray | None = None,
        objective: float | None = None,
        bound: float | None = None,
        message: str = "",
    ) -> Search:
        return Search(status, z, objective, bound, self.nodes, self.lps, self.uncertified, message)

    def _cut_loop(self, root: Node, incumbent: float) -> None:
        """Rounds of ideal-formulation cuts on the root LP (global: valid at every node), while the
        deadline allows."""
        for _ in range(CUT_ROUNDS):
            if self.deadline.expired():
                return
            node = self._propagate(root, incumbent)
            if node is None:
                return
            self._load(node)
            out = self._solve_lp()
            if out.status != Status.OPTIMAL or out.x is None:
                return
            rows, rhs = separate(self.form, node.bounds, out.x)
            if rows.shape[0] == 0:
                return
            self.add_cuts(rows, rhs)

    def add_cuts(self, rows, rhs: np.ndarray) -> None:
        """Rows ``rows x <= rhs`` valid at every node, into the LP and the certificates' data (and
        :attr:`cut_rows`, for searches of the same tree in other processes)."""
        lower = np.full(rows.shape[0], -np.inf)
        self.lp.add_rows(rows, lower, rhs)
        self.lp_data = self.lp_data.with_rows(rows, lower, rhs)
        self.lo_pos, self.hi_pos = _positions(self.neurons, self.lp_data)
        self.cuts += rows.shape[0]
        self.cut_rows.append((rows, rhs))

    # -------------------------------------------------------------------- node
    def _process(self, parent: Node, incumbent: float) -> NodeOutcome:
        node = self._propagate(parent, incumbent)
        if node is None:  # an empty interval: rigorous, so a certified prune
            return NodeOutcome(pruned=True, bound=np.inf)
        self._load(node)
        self._warm_start(node)
        out = self._solve_lp()
        if out.status == Status.INFEASIBLE:
            if self.lp_data.infeasible(out.ray):
                return NodeOutcome(pruned=True, bound=np.inf)
            return self._branch_blind(node)
        if out.status != Status.OPTIMAL or out.x is None:
            return self._branch_blind(node)
        lower = -np.inf if self.exact or out.duals is None else self.lp_data.bound(out.duals)
        found = self._candidate(out.x)
        if not self.exact:
            best = min(incumbent, found[1]) if found is not None else incumbent
            if lower >= best - self._gap(best):
                return NodeOutcome(found=found, pruned=True, bound=lower)
        elif found is not None:
            return NodeOutcome(found=found)
        return self._branch(node, out.x, lower, found)

    def _warm_start(self, node: Node) -> None:
        """A node searched after a backtrack starts from its parent's basis, not from the last node
        LP's (another subtree's): PERFORMANCE.md 29 (half the simplex iterations of such a node).
        Only a warm start: the answer is certified whatever basis the LP started from."""
        if node.warm is not None and node.warm[0] != self.lps:  # some LP was solved since the parent's
            self.lp.set_basis(node.warm[1])

    def _stored_basis(self) -> tuple[int, object] | None:
        """The last LP's basis, for the child searched after its sibling's subtree."""
        basis = self.lp.basis()
        return None if basis is None else (self.lps, basis)

    def _solve_lp(self) -> Outcome:
        """The loaded node's LP within the time left; a solver error is an LP without a usable
        answer (the node is then branched on blindly, never pruned), a stopped LP raises
        :class:`LPStopped`."""
        self.lps += 1
        try:
            out = self.lp.solve(self.deadline.remaining())
        except SolverError as exc:
            self.lp.reset()
            return Outcome(Status.FAILED, raw_status=str(exc))
        if out.status == Status.TIME_LIMIT:
            raise LPStopped(out.raw_status)
        return out

    def _candidate(self, x: np.ndarray) -> tuple[np.ndarray, float] | None:
        accepted, value, z = self.candidate(self.form.z_of(x))
        if self.exact:
            return (z, value) if accepted else None
        return z, value

    def _gap(self, best: float) -> float:
        return 1e-9 * max(1.0, abs(best)) if np.isfinite(best) else 0.0

    def _branch(self, node: Node, x: np.ndarray, lower: float, found) -> NodeOutcome:
        free = np.flatnonzero(node.fixed < 0)
        if free.size == 0:  # every phase fixed: the LP is the node's exact problem
            if not self._attained(lower, found):
                lower, found = self._cold(lower, found)
            return self._leaf(lower, found)
        nb = self.neurons
        h = x[nb.h[free]]
        a = h - (self.ge @ x)[free] + nb.bias[free]  # ge row: h - W prev >= b; every row (a slice costs more)
        violation = h - np.maximum(a, nb.slope[free] * a)
        if violation.max() <= VIOLATION_TOL:  # the LP point is a point of the network on this node
            if self._attained(lower, found):
                return self._leaf(lower, found)
            return self._branch_blind(node, lower)  # ... up to a tolerance the objective notices, or
            # below a tanh / sigmoid output's pixel lines: look closer (the LP's bound holds below)
        off = np.flatnonzero(violation > VIOLATION_TOL)
        among = free[off]

        def interval() -> tuple[np.ndarray, np.ndarray]:
            lo, hi = nb.interval(node.bounds)
            return lo[among], hi[among]

        split = getattr(self.setup.branching, "split", None)
        halves = None if split is None else split(self._latent_box(node, x))
        if halves is not None:
            return NodeOutcome(children=self._halves(node, halves, lower))
        candidates = Candidates(violation[off], a[off], x[nb.d[among]], nb.layer[among], self.reach[among], interval)
        pick, first = self.setup.branching.choose(candidates)
        return NodeOutcome(children=self._children(node, int(among[pick]), first, lower))

    def _latent_box(self, node: Node, x: np.ndarray) -> LatentBox:
        """The node's latent box for a latent split (the first layer's free units scored lazily)."""
        nb = self.neurons

        def stabilised() -> np.ndarray:
            first = [sl for k, sl in nb.groups if k == 0]
            unstable = nb.unit[first[0]][node.fixed[first[0]] < 0] if first else np.zeros(0, dtype=int)
            box = (node.z_lower, node.z_upper)
            return midpoint_stabilised(self.net.nonzeros(0), self.net.biases[0], box, unstable)

        return LatentBox(node.z_lower, node.z_upper, self.root_width, x[self.z_cols], stabilised)

    def _halves(self, node: Node, split: tuple[int, float, int], lower: float) -> list[Node]:
        """The node's two boxes, coordinate i halved at ``point`` (the ``first`` one searched first:
        the stack pops the last one)."""
        i, point, first = split
        below, above = node.z_upper.copy(), node.z_lower.copy()
        below[i], above[i] = point, point
        bound, depth = max(node.bound, lower), node.depth + 1
        kids = [
            replace(node, z_upper=below, bound=bound, depth=depth, warm=None),
            replace(node, z_lower=above, bound=bound, depth=depth, warm=None),
        ]
        return self._warm(kids if first == 1 else kids[::-1])

    def _branch_blind(self, node: Node, lower: float = -np.inf) -> NodeOutcome:
        """No usable LP answer (or an LP point its objective prices below its value): branch on the
        free neuron with the widest interval around 0, or give up on the leaf. ``lower``: the
        node's certified LP bound, if it has one (its children inherit it)."""
        free = np.flatnonzero(node.fixed < 0)
        if free.size == 0:
            self.uncertified += 1
            return NodeOutcome(pruned=True, bound=-np.inf)
        lo, hi = self.neurons.interval(node.bounds)
        pick = int(free[int(np.argmax(np.minimum(-lo[free], hi[free])))])
        return NodeOutcome(children=self._children(node, pick, 1, lower))

    def _attained(self, lower: float, found) -> bool:
        """l1 / linf: the forward pass of the LP point reaches the LP's bound (within the gap)."""
        return self.exact or found is None or found[1] <= lower + self._gap(found[1])

    def _cold(self, lower: float, found) -> tuple[float, tuple[np.ndarray, float] | None]:
        """A leaf LP point whose forward pass misses the LP's bound by more than the gap: a warm
        start can end on a point that meets the network only within HiGHS's tolerances (1e-9 off
        the optimum, PERFORMANCE.md 33). The same LP solved again from no basis, its bound and its
        point's forward pass kept where better (both certified as any node's)."""
        self.lp.reset()
        out = self._solve_lp()
        if out.status != Status.OPTIMAL or out.x is None or out.duals is None:
            return lower, found
        again = self._candidate(out.x)
        better = found if again is None or (found is not None and found[1] <= again[1]) else again
        return max(lower, self.lp_data.bound(out.duals)), better

    def _leaf(self, lower: float, found) -> NodeOutcome:
        """A node whose LP point lies on the network: its LP value is its optimum."""
        if self.exact or found is None or not np.isfinite(lower):
            self.uncertified += 1  # exact: an LP point that misses the band by rounding
            return NodeOutcome(found=found, pruned=True, bound=-np.inf)
        return NodeOutcome(found=found, pruned=True, bound=lower)

    def _children(self, node: Node, j: int, first: int, lower: float) -> list[Node]:
        """The node's two children on neuron j (the stack pops the last one first, right after this
        LP; the other keeps this LP's basis for its turn)."""
        kids = []
        for phase in (1 - first, first):
            fixed = node.fixed.copy()
            fixed[j] = phase
            kids.append(replace(node, fixed=fixed, bound=max(node.bound, lower), depth=node.depth + 1, warm=None))
        return self._warm(kids)

    def _warm(self, kids: list[Node]) -> list[Node]:
        """The children (the last one searched first) with this LP's basis: the one searched after
        a backtrack, and under another node order both (either may be taken after other nodes)."""
        basis = self._stored_basis()
        for kid in kids if self.order is not DEPTH else kids[:1]:
            kid.warm = basis
        return kids

    # ------------------------------------------------------------------ bounds
    def _propagate(self, node: Node, incumbent: float) -> Node | None:
        """The node with its fixings and the observation propagated, and the fixings that implies."""
        nb = self.neurons
        bounds = [(lo.copy(), hi.copy()) for lo, hi in node.bounds]
        for k, sl in nb.groups:
            idx, phase = nb.unit[sl], node.fixed[sl]
            lo, hi = bounds[k]
            lo[idx[phase == 1]] = np.maximum(lo[idx[phase == 1]], 0.0)
            hi[idx[phase == 0]] = np.minimum(hi[idx[phase == 0]], 0.0)
        out_lo, out_hi = self._observed(incumbent)
        p = propagate_bounds(self.net, bounds, Box(node.z_lower, node.z_upper), (out_lo, out_hi), NODE_PASSES)
        if p.empty:
            return None
        fixed = node.fixed.copy()
        lo, hi = nb.interval(p.bounds)
        fixed[(fixed < 0) & (lo >= 0)] = 1
        fixed[(fixed < 0) & (hi <= 0)] = 0
        return replace(node, fixed=fixed, bounds=p.bounds, z_lower=p.z_lower, z_upper=p.z_upper)

    def _observed(self, incumbent: float) -> tuple[np.ndarray, np.ndarray]:
        """What the output pre-activations may be: the observation's band, or (l1 / linf) within
        the incumbent's error of x (a better point is all a node is searched for)."""
        if self.form.observed is not None:
            return self.form.observed
        m = self.net.output_dim
        if not np.isfinite(incumbent):
            return np.full(m, -np.inf), np.full(m, np.inf)
        x = np.asarray(self.form.target, dtype=np.float64)
        return observation_interval(self.net.output_activation, x, incumbent)

    def _load(self, node: Node) -> None:
        """Put the node into the LP (and into the data the certificates read): the column bounds
        that differ from the loaded ones, and the big-M constants :func:`constants_to_load` names."""
        nb, data = self.neurons, self.lp_data
        lo, hi = nb.interval(node.bounds)
        fixed = node.fixed
        cols = self.load_cols
        lower = np.concatenate([np.where(fixed < 0, 0.0, fixed), data.col_lower[nb.h], node.z_lower])
        upper = np.concatenate([np.where(fixed < 0, 1.0, fixed), np.maximum(hi, 0.0), node.z_upper])
        moved = np.flatnonzero((data.col_lower[cols] != lower) | (data.col_upper[cols] != upper))
        if moved.size:
            data.col_lower[cols[moved]], data.col_upper[cols[moved]] = lower[moved], upper[moved]
            self.lp.set_col_bounds(cols[moved], lower[moved], upper[moved])
        c_lo, c_hi = kink_constants(lo, hi, nb.slope)
        changed = constants_to_load(*self.coef, c_lo, c_hi, fixed >= 0)
        if changed.size:
            low, high, bias = c_lo[changed], c_hi[changed], nb.bias[changed]
            data.set_entries(self.lo_pos[changed], -low)
            data.set_entries(self.hi_pos[changed], -high)
            rows = nb.lo_row[changed]
            data.row_upper[rows] = loosen(bias, bias - low, np.abs(bias) + np.abs(low))[1]
            self.lp.set_coefficients(rows, nb.d[changed], -low)
            self.lp.set_coefficients(nb.hi_row[changed], nb.d[changed], -high)
            self.lp.set_row_bounds(rows, data.row_lower[rows], data.row_upper[rows])
            self.coef[0][changed], self.coef[1][changed] = low, high


def search(
    form: Formulation,
    candidate: Candidate,
    deadline: Deadline,
    setup: Setup,
    incumbent: tuple[np.ndarray, float] | None = None,
    node_limit: int | None = None,
) -> Search:
    """Run the branch and bound of the module docstring on ``form``, as ``setup`` says.

    ``candidate(z)`` judges a point by a float64 forward pass of the original network: (accepted
    as a pre-image, residual in the norm of the problem, the point judged: rounded or polished).
    ``incumbent``: a known (z, residual) for l1 / linf (nodes that cannot beat it are pruned);
    ``node_limit``: stop (status ``time_limit``, with the certified bound) after that many nodes."""
    return BranchAndBound(form, candidate, setup).run(deadline, incumbent, node_limit)


def constants_to_load(
    old_lo: np.ndarray, old_hi: np.ndarray, c_lo: np.ndarray, c_hi: np.ndarray, fixed: np.ndarray
) -> np.ndarray:
    """The binaries whose loaded big-M constants (``old_lo``, ``old_hi``) the node's own (``c_lo``,
    ``c_hi``) replace: every free binary whose constants differ (they shape the relaxation), and a
    ``fixed`` one only when the node's interval does not lie within its loaded constants (those of
    another subtree: keeping them could cut off the node's points). A fixed binary's constants
    only bound its pre-activation in the LP, so looser ones it already holds are kept: the LP stays
    a relaxation of the node (every certificate is checked on the LP as loaded), and each
    coefficient left alone spares HiGHS a new factorisation (PERFORMANCE.md 21)."""
    stale = (old_lo > c_lo) | (old_hi < c_hi)
    return np.flatnonzero(stale | (~fixed & ((old_lo != c_lo) | (old_hi != c_hi))))


def _reach(net, nb: NeuronIndex) -> np.ndarray:
    """Per binary: the l1 norm of its neuron's column in the next layer's weights (1 in the output
    layer): how far a unit of excess h - max(a, s a) can move the next pre-activations."""
    reach = np.ones(nb.count)
    for k, sl in nb.groups:
        if k + 1 < net.depth:
            column = np.asarray(abs(net.weights[k + 1]).sum(axis=0)).ravel()
            reach[sl] = column[nb.unit[sl]]
    return reach


def _positions(nb: NeuronIndex, data: SafeLP) -> tuple[np.ndarray, np.ndarray]:
    """Where the d coefficients of every binary's two big-M rows sit in the LP's CSC data."""
    lo_pos = np.array([data.position(r, c) for r, c in zip(nb.lo_row, nb.d)], dtype=int)
    hi_pos = np.array([data.position(r, c) for r, c in zip(nb.hi_row, nb.d)], dtype=int)
    return lo_pos, hi_pos
