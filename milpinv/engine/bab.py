r"""milpinv's own branch and bound over the unstable neurons, every pruning certified.

A node fixes the phase of some unstable neurons (active: a >= 0 and h = a; inactive: a <= 0 and
h = 0). At each node:

1. **bounds**: the fixings are pushed through the network by interval arithmetic
   (:mod:`milpinv.bounds.interval`, rigorous), intersected with the parent's bounds; a neuron whose
   interval no longer straddles 0 is fixed by implication, an empty interval prunes the node;
2. **LP**: the big-M model of :mod:`milpinv.formulations.bigm` with the fixed binaries at 0 / 1,
   the free ones in [0, 1] and the big-M constants of the node's bounds (one HiGHS LP for the
   whole search, warm-started by the dual simplex from the previous node's basis);
3. **certify**: an infeasible LP prunes the node only with a Farkas certificate that passes
   :func:`milpinv.bounds.safe.farkas`, and an l1 / linf node is pruned against the incumbent only
   by the lower bound of :func:`milpinv.bounds.safe.safe_bound` (both hold in exact arithmetic,
   whatever HiGHS got wrong);
4. **candidate**: the LP's z is evaluated by a float64 forward pass of the original network (an
   exact-norm pre-image ends the search; an l1 / linf residual may improve the incumbent);
5. **branch**: on the free neuron whose LP point is furthest from its ReLU (h - max(a, 0)),
   the side the LP leans to first (depth first).

A search that ends with every node pruned by a certificate proves its verdict: ``infeasible``
(exact norm) or the certified ``bound`` of an l1 / linf optimum. A node that could be pruned
only on HiGHS's word is counted in ``uncertified``, and then no proof is claimed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..bounds.interval import Bounds, interval_step
from ..bounds.safe import farkas, safe_bound
from ..deadline import Deadline
from ..formulations.bigm import Formulation
from ..formulations.blocks import loosen
from ..network import ReluNetwork
from ..solvers.highs import HighsLP
from ..solvers.outcome import SolverOptions
from ..status import Status

VIOLATION_TOL = 1e-9  # an LP point with h - relu(a) below this everywhere is a point of the network
LP_TOL = 1e-9

Candidate = Callable[[np.ndarray], tuple[bool, float, np.ndarray]]  # z -> (accepted, residual, z as judged)


@dataclass
class Neurons:
    """The binaries of a formulation: layer, neuron, columns, rows and matrix positions of each."""

    layer: np.ndarray
    neuron: np.ndarray
    d: np.ndarray  # binary column
    h: np.ndarray  # post-activation column
    lo_row: np.ndarray  # h <= a - lo (1 - d)
    hi_row: np.ndarray  # h <= hi d
    ge_row: np.ndarray  # h >= a
    bias: np.ndarray
    lo_pos: np.ndarray  # position of the d coefficient of lo_row in the CSC data
    hi_pos: np.ndarray

    @property
    def count(self) -> int:
        return int(self.d.size)


@dataclass
class Node:
    fixed: np.ndarray  # per binary: -1 free, 0 inactive, 1 active
    bounds: Bounds
    bound: float  # the parent's certified lower bound (l1 / linf), -inf at the root
    depth: int = 0


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
    info: dict = field(default_factory=dict)


class BranchAndBound:
    """The search of the module docstring over one formulation (see :func:`search`)."""

    def __init__(self, form: Formulation, bounds: Bounds, candidate: Candidate, options: SolverOptions) -> None:
        self.form, self.net = form, form.network
        self.candidate = candidate
        model = form.model
        self.model = model
        self.A = model.A.tocsc()
        self.A.sort_indices()
        self.c = model.c.copy()
        self.row_lower, self.row_upper = model.row_lower.copy(), model.row_upper.copy()
        self.col_lower, self.col_upper = model.col_lower.copy(), model.col_upper.copy()
        self.neurons = _neurons(form, self.A)
        self.root_bounds = [(lo.copy(), hi.copy()) for lo, hi in bounds]
        relaxed = _relaxed(model)
        self.lp = HighsLP(relaxed, SolverOptions(feasibility_tol=LP_TOL, threads=options.threads or 1))
        self.lp_bounds = _lp_state(self)
        self.exact = form.norm == "exact"
        self.nodes = self.lps = self.uncertified = 0

    # ------------------------------------------------------------------ search
    def run(self, deadline: Deadline, incumbent: tuple[np.ndarray, float] | None = None) -> Search:
        best_z, best = (None, np.inf) if incumbent is None else incumbent
        stack = [Node(np.full(self.neurons.count, -1, dtype=np.int8), self.root_bounds, -np.inf)]
        leaf_bound = np.inf  # min certified bound over pruned leaves (l1 / linf)
        try:
            while stack:
                if deadline.expired():
                    return self._stopped(best_z, best, min(leaf_bound, *(n.bound for n in stack)), "time limit")
                node = stack.pop()
                self.nodes += 1
                outcome = self._process(node, best)
                if outcome.found is not None:
                    z, value = outcome.found
                    if self.exact:
                        return self._search(Status.OPTIMAL, z, value, 0.0)
                    if value < best:
                        best_z, best = z, value
                if outcome.pruned:
                    leaf_bound = min(leaf_bound, outcome.bound)
                    continue
                stack.extend(outcome.children)
        except KeyboardInterrupt:  # Ctrl-C: the search stops and keeps what it has
            stack.append(node)
            return self._stopped(best_z, best, min(leaf_bound, *(n.bound for n in stack)), "interrupted (Ctrl-C)")
        return self._finished(best_z, best, leaf_bound)

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

    # -------------------------------------------------------------------- node
    def _process(self, node: Node, incumbent: float) -> NodeOutcome:
        bounds, fixed = self._propagate(node)
        if bounds is None:  # an empty interval: rigorous, so a certified prune
            return NodeOutcome(pruned=True, bound=np.inf)
        self._load(fixed, bounds)
        out = self.lp.solve()
        self.lps += 1
        if out.status == Status.INFEASIBLE:
            if (
                out.ray is not None
                and farkas(self.A, self.row_lower, self.row_upper, self.col_lower, self.col_upper, out.ray) > 0
            ):
                return NodeOutcome(pruned=True, bound=np.inf)
            return self._branch_blind(node, fixed, bounds)
        if out.status != Status.OPTIMAL or out.x is None:
            return self._branch_blind(node, fixed, bounds)
        lower = self._safe_bound(out.duals) if not self.exact else -np.inf
        found = self._candidate(out.x)
        if not self.exact:
            best = min(incumbent, found[1]) if found is not None else incumbent
            if lower >= best - self._gap(best):
                return NodeOutcome(found=found, pruned=True, bound=lower)
        elif found is not None:
            return NodeOutcome(found=found)
        return self._branch(node, fixed, bounds, out.x, lower, found)

    def _candidate(self, x: np.ndarray) -> tuple[np.ndarray, float] | None:
        accepted, value, z = self.candidate(self.form.z_of(x))
        if self.exact:
            return (z, value) if accepted else None
        return z, value

    def _gap(self, best: float) -> float:
        return 1e-9 * max(1.0, abs(best)) if np.isfinite(best) else 0.0

    def _safe_bound(self, duals: np.ndarray | None) -> float:
        if duals is None:
            return -np.inf
        return safe_bound(self.A, self.c, self.row_lower, self.row_upper, self.col_lower, self.col_upper, duals)

    def _branch(self, node, fixed, bounds, x, lower, found) -> NodeOutcome:
        free = np.flatnonzero(fixed < 0)
        if free.size == 0:  # every phase fixed: the LP is the node's exact problem
            return self._leaf(lower, found)
        nb = self.neurons
        activity = self.A[nb.ge_row[free]] @ x  # ge row: h - W prev >= b, so a = h - activity + b
        h = x[nb.h[free]]
        a = h - activity + nb.bias[free]
        violation = h - np.maximum(a, 0.0)
        pick = int(np.argmax(violation))
        if violation[pick] <= VIOLATION_TOL:  # the LP point is a point of the network on this node
            return self._leaf(lower, found)
        first = 1 if a[pick] > 0 else 0
        return NodeOutcome(children=self._children(node, fixed, bounds, int(free[pick]), first, lower))

    def _branch_blind(self, node, fixed, bounds) -> NodeOutcome:
        """No usable LP answer: branch on the widest free neuron, or give up on the leaf."""
        free = np.flatnonzero(fixed < 0)
        if free.size == 0:
            self.uncertified += 1
            return NodeOutcome(pruned=True, bound=-np.inf)
        nb = self.neurons
        width = np.array(
            [min(-bounds[nb.layer[j]][0][nb.neuron[j]], bounds[nb.layer[j]][1][nb.neuron[j]]) for j in free]
        )
        pick = int(free[int(np.argmax(width))])
        return NodeOutcome(children=self._children(node, fixed, bounds, pick, 1, node.bound))

    def _leaf(self, lower: float, found) -> NodeOutcome:
        """A node whose LP point lies on the network: its LP value is its optimum."""
        if self.exact:  # the candidate was not accepted: an LP point that misses the band by rounding
            self.uncertified += 1
            return NodeOutcome(pruned=True, bound=-np.inf)
        if found is None or not np.isfinite(lower):
            self.uncertified += 1
            return NodeOutcome(found=found, pruned=True, bound=-np.inf)
        return NodeOutcome(found=found, pruned=True, bound=lower)

    def _children(self, node: Node, fixed, bounds, j: int, first: int, lower: float) -> list[Node]:
        kids = []
        for phase in (1 - first, first):  # the stack pops the last one first
            child = fixed.copy()
            child[j] = phase
            kids.append(Node(child, bounds, max(node.bound, lower), node.depth + 1))
        return kids

    # ------------------------------------------------------------------ bounds
    def _propagate(self, node: Node) -> tuple[Bounds | None, np.ndarray]:
        """The node's bounds after its fixings, and the fixings they imply (None: empty)."""
        nb, net = self.neurons, self.net
        fixed = node.fixed.copy()
        bounds = [(lo.copy(), hi.copy()) for lo, hi in node.bounds]
        for k in range(net.depth):
            lo, hi = bounds[k]
            if k > 0:
                l, u = _activation(net, k - 1, *bounds[k - 1])
                nlo, nhi = interval_step(net.weights[k], net.biases[k], l, u)
                lo, hi = np.maximum(lo, nlo), np.minimum(hi, nhi)
            mine = nb.layer == k
            idx = nb.neuron[mine]
            on, off = fixed[mine] == 1, fixed[mine] == 0
            lo[idx[on]] = np.maximum(lo[idx[on]], 0.0)
            hi[idx[off]] = np.minimum(hi[idx[off]], 0.0)
            if np.any(lo > hi):
                return None, fixed
            bounds[k] = (lo, hi)
            sub = fixed[mine]
            sub[(sub < 0) & (lo[idx] >= 0)] = 1
            sub[(sub < 0) & (hi[idx] <= 0)] = 0
            fixed[mine] = sub
        return bounds, fixed

    def _load(self, fixed: np.ndarray, bounds: Bounds) -> None:
        """Put the node into the LP (and into the arrays the certificates read)."""
        nb = self.neurons
        lo = np.array([bounds[k][0][i] for k, i in zip(nb.layer, nb.neuron)])
        hi = np.array([bounds[k][1][i] for k, i in zip(nb.layer, nb.neuron)])
        d_lo = np.where(fixed < 0, 0.0, fixed).astype(float)
        d_hi = np.where(fixed < 0, 1.0, fixed).astype(float)
        h_hi = np.maximum(hi, 0.0)
        self.col_lower[nb.d], self.col_upper[nb.d] = d_lo, d_hi
        self.col_upper[nb.h] = h_hi
        self.lp.set_col_bounds(nb.d, d_lo, d_hi)
        self.lp.set_col_bounds(nb.h, self.col_lower[nb.h], h_hi)
        state = self.lp_bounds
        changed = np.flatnonzero((state[0] != lo) | (state[1] != hi))
        if changed.size:
            self.A.data[nb.lo_pos[changed]] = -lo[changed]
            self.A.data[nb.hi_pos[changed]] = -hi[changed]
            bias, low = nb.bias[changed], lo[changed]
            self.row_upper[nb.lo_row[changed]] = loosen(bias, bias - low, np.abs(bias) + np.abs(low))[1]
            self.lp.set_coefficients(nb.lo_row[changed], nb.d[changed], -lo[changed])
            self.lp.set_coefficients(nb.hi_row[changed], nb.d[changed], -hi[changed])
            self.lp.set_row_bounds(
                nb.lo_row[changed], self.row_lower[nb.lo_row[changed]], self.row_upper[nb.lo_row[changed]]
            )
            state[0][changed], state[1][changed] = lo[changed], hi[changed]


@dataclass
class NodeOutcome:
    found: tuple[np.ndarray, float] | None = None
    pruned: bool = False
    bound: float = -np.inf
    children: list[Node] = field(default_factory=list)


def search(
    form: Formulation,
    bounds: Bounds,
    candidate: Candidate,
    deadline: Deadline,
    options: SolverOptions | None = None,
    incumbent: tuple[np.ndarray, float] | None = None,
) -> Search:
    """Run the branch and bound of the module docstring on ``form`` (built from ``bounds``).

    ``candidate(z)`` judges a point by a float64 forward pass of the original network: (accepted
    as a pre-image, residual in the norm of the problem, the point judged: rounded or polished).
    ``incumbent``: a known (z, residual)
    for l1 / linf (nodes that cannot beat it are pruned)."""
    return BranchAndBound(form, bounds, candidate, options or SolverOptions()).run(deadline, incumbent)


# ----------------------------------------------------------------------- setup
def _activation(net: ReluNetwork, k: int, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (np.maximum(lo, 0.0), np.maximum(hi, 0.0)) if net.applies_relu(k) else (lo, hi)


def _relaxed(model):
    from dataclasses import replace

    return replace(model, integrality=np.zeros(model.num_vars, dtype=bool))


def _neurons(form: Formulation, A: sp.csc_matrix) -> Neurons:
    """Index every binary of ``form`` (layers in order; the output layer last, under l1 / linf)."""
    rows = form.model.row_blocks
    parts: dict[str, list] = {k: [] for k in ("layer", "neuron", "d", "h", "lo_row", "hi_row", "ge_row", "bias")}
    for k, lv in enumerate(form.layers):
        if lv.d is None:
            continue
        name = "out" if k == form.network.depth - 1 and len(form.layers) == form.network.depth else str(k)
        pos = {int(i): j for j, i in enumerate(lv.kept)}
        n = lv.unstable.size
        parts["layer"].append(np.full(n, k))
        parts["neuron"].append(lv.unstable)
        parts["d"].append(np.arange(lv.d.start, lv.d.stop))
        parts["h"].append(np.array([lv.h.start + pos[int(i)] for i in lv.unstable]))
        parts["lo_row"].append(np.arange(rows[f"bigm_lo{name}"].start, rows[f"bigm_lo{name}"].stop))
        parts["hi_row"].append(np.arange(rows[f"bigm_hi{name}"].start, rows[f"bigm_hi{name}"].stop))
        parts["ge_row"].append(np.arange(rows[f"ge{name}"].start, rows[f"ge{name}"].stop))
        parts["bias"].append(form.network.biases[k][lv.unstable])
    cat = {
        k: np.concatenate(v).astype(float if k == "bias" else int) if v else np.zeros(0, float if k == "bias" else int)
        for k, v in parts.items()
    }
    lo_pos = np.array([_position(A, r, c) for r, c in zip(cat["lo_row"], cat["d"])], dtype=int)
    hi_pos = np.array([_position(A, r, c) for r, c in zip(cat["hi_row"], cat["d"])], dtype=int)
    return Neurons(
        cat["layer"],
        cat["neuron"],
        cat["d"],
        cat["h"],
        cat["lo_row"],
        cat["hi_row"],
        cat["ge_row"],
        cat["bias"],
        lo_pos,
        hi_pos,
    )


def _position(A: sp.csc_matrix, row: int, col: int) -> int:
    start, stop = A.indptr[col], A.indptr[col + 1]
    hit = np.flatnonzero(A.indices[start:stop] == row)
    if hit.size != 1:
        raise ValueError(f"big-M coefficient ({row}, {col}) missing from the model")
    return int(start + hit[0])


def _lp_state(bab: BranchAndBound) -> tuple[np.ndarray, np.ndarray]:
    """The (lo, hi) that the LP's big-M coefficients currently encode, per binary."""
    nb = bab.neurons
    return -bab.A.data[nb.lo_pos].copy(), -bab.A.data[nb.hi_pos].copy()
