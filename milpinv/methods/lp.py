"""Inverting one ReLU layer by linear programming (Lei et al. 2019, Sections 3 and 4): the
methods around the LPs of :mod:`milpinv.formulations.layer_lp`.

Exact: the LP *is* the pre-image, so its infeasibility is a proof. The pre-image is a single
point iff the rows that are equalities on it (the active rows plus the implicit equalities among
the inequalities) have rank n; otherwise its dimension is n minus that rank.

Noisy, y = relu(W h + b) + e: the thresholded LP with threshold tau (rows y_i > tau active;
tau = 0 is the paper's LP). Any h whose residual ||relu(W h + b) - y|| is at most tau has every
row y_i > tau active, so it is feasible for the LP: the LP value is a *certified lower bound* on
the best achievable residual as soon as tau is at least that optimum, which holds when tau is
the residual of any h. Starting from the paper's LP (tau = 0, uncertified) and then setting tau
to the best residual found, every later value is certified, and no certified value exceeds the
planted noise norm ||e||. The returned h has a residual computed by a forward pass: the optimum
lies between the two.

For l1 the best residual is a sum over rows, far above any one row's error, so thresholding at it
keeps almost no active rows; and the paper's LP fits every small positive y_i (noise on an inactive
row, or an estimate from the layer above) as an active row, which wrecks the fit when such rows are
many. So l1 first thresholds at the best h's largest row residual (uncertified: it only finds a
better h), then at its l1 residual (certified).

Every LP value used as a bound is a safe one (:mod:`milpinv.bounds.safe`): the LP's row duals
bound its value in exact arithmetic whatever the solver got wrong; the solver's float objective
is kept as ``lp_value``, for information only. Without a finite safe bound (no duals, or an
unbounded box) a layer has no certified value, and method ``lp`` reports its z as ``feasible``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..activation import LINEAR, RELU, Activation
from ..bounds.interval import interval_step
from ..bounds.safe import SafeLP
from ..deadline import Deadline
from ..errors import InputError
from ..formulations.blocks import Layer, OutputSpec, observation_interval
from ..formulations.layer_lp import exact_layer_lp, noisy_layer_lp, slack_lp
from ..network import ReluNetwork
from ..norm import Norm
from ..options import LpOptions
from ..polish import polish
from ..problem import Box, Problem
from ..result import InversionResult
from ..solvers import Solver, SolverOptions, get_solver
from ..status import Status
from ..tolerance import Acceptance, relative_gap, residual_norm, tolerance

MAX_TAU_ROUNDS = 8
FAST_PATH_MAX = 4000  # widest layer solved by dense least squares before trying the LP


def noisy_refusal(network, layers) -> str:
    """Why the l1 / linf LPs cannot read these layers of ``network`` ("" when they can): they read
    relu and linear layers only; the first other layer in ``layers`` is named."""
    for k in layers:
        act = network.activation(k)
        if not act.exact_arithmetic:  # the LP is linear in h: relu and linear only
            return f"the l1 / linf LPs read relu and linear layers, not {act} (layer {k})"
    return ""


@dataclass
class LayerSolution:
    """An input h for one layer, with the status of its LP (or least-squares solve)."""

    status: Status
    h: np.ndarray | None = None
    value: float | None = None  # noisy: the certified lower bound on the layer residual (None: none)
    unique: bool | None = None
    dimension: int | None = None
    how: str = "lp"
    info: dict = field(default_factory=dict)


def _dense(W) -> np.ndarray:
    return np.asarray(W.todense()) if sp.issparse(W) else np.asarray(W)


@dataclass(frozen=True)
class BoxedLayer:
    """One layer, h -> act(W h + b), over the box of its inputs h."""

    W: Any
    b: np.ndarray
    act: Activation
    box: Box

    @classmethod
    def of(cls, network: ReluNetwork, k: int, box: Box) -> BoxedLayer:
        """Layer ``k`` of ``network`` over ``box``."""
        return cls(network.weights[k], network.biases[k], network.activation(k), box)

    def affine(self) -> Layer:
        """The layer's pre-activations W h + b, as a model reads them."""
        return Layer(self.W, self.b, self.act)


@dataclass(frozen=True)
class LayerSolve:
    """How a layer is solved: ``tol`` (the check of a least-squares point, the slack of an implicit
    equality), ``band`` (the band within which y is matched), ``need_dimension`` (the pre-image's
    dimension when it is not a single point), the clock (None: no limit) and the LP solver."""

    tol: float = 1e-7
    band: float = 0.0
    need_dimension: bool = False
    deadline: Deadline | None = None
    solver: str | Solver = "highs"

    def lp_options(self, **more: Any) -> SolverOptions:
        """An LP's options: the time left on the clock."""
        return SolverOptions(time_limit=None if self.deadline is None else self.deadline.remaining(), **more)


def _fast_path(layer: BoxedLayer, lo: np.ndarray, hi: np.ndarray, tol: float) -> np.ndarray | None:
    """Least squares on the full-column-rank rows whose interval is bounded (to its midpoint),
    accepted only if every constraint verifies within ``tol``."""
    W, b, (lower, upper) = layer.W, layer.b, layer.box
    rows = np.isfinite(lo) & np.isfinite(hi)
    if rows.sum() < W.shape[1] or W.shape[1] > FAST_PATH_MAX:
        return None
    A = _dense(W[np.flatnonzero(rows)])
    q, r = np.linalg.qr(A)
    diag = np.abs(np.diag(r))
    if diag.size == 0 or diag.min() <= 1e-10 * max(1.0, diag.max()):
        return None
    # r is upper triangular: LU with partial pivoting swaps no rows, so this is back substitution
    # (numpy's, not scipy.linalg's: importing that costs 0.2 s of start-up, PERFORMANCE.md 22)
    h = np.linalg.solve(r, q.T @ (0.5 * (lo[rows] + hi[rows]) - b[rows]))
    a = W @ h + b
    ok = bool(np.all(a >= lo - tol) and np.all(a <= hi + tol) and np.all(h >= lower - tol) and np.all(h <= upper + tol))
    return np.clip(h, lower, upper) if ok else None


def preimage_dimension(layer: BoxedLayer, lo: np.ndarray, hi: np.ndarray, how: LayerSolve = LayerSolve()) -> int:
    """Dimension of the exact single-layer pre-image {lo <= W h + b <= hi} (assumed non-empty; the
    rows bounded on both sides are its equalities, as with the exact observation).

    Equality rows are those plus the implicit equalities: one-sided rows (and box sides) that no
    point of the pre-image satisfies strictly, found by one LP per candidate (slack ``how.tol``)."""
    W, b, (lower, upper) = _dense(layer.W), layer.b, layer.box
    active = np.isfinite(lo) & np.isfinite(hi)
    one_sided = ~active & np.isfinite(hi)
    n = W.shape[1]
    G = np.vstack([W[one_sided], np.eye(n), -np.eye(n)])
    g = np.concatenate([hi[one_sided] - b[one_sided], upper, -lower])
    finite = np.isfinite(g)
    rows = (G[finite], g[finite])
    dense = replace(layer, W=W)
    target = 0.5 * (lo + hi)
    tight = [i for i in range(rows[0].shape[0]) if not _can_be_strict(dense, target, active, rows, i, how)]
    E = np.vstack([W[active]] + [rows[0][tight]]) if (active.any() or tight) else np.zeros((0, n))
    rank = int(np.linalg.matrix_rank(E, tol=1e-9 * max(1.0, np.abs(E).max(initial=0.0)))) if E.size else 0
    return n - rank


def _can_be_strict(layer: BoxedLayer, y, active, rows: tuple[np.ndarray, np.ndarray], i: int, how: LayerSolve) -> bool:
    """Is there a pre-image point with G_i h < g_i - tol (``rows``: G, g)? (maximise the slack of
    row i). An LP without a value counts as yes: the dimension reported is then an upper bound,
    never too small."""
    G, g = rows
    model = slack_lp(layer.affine(), y, active, (G, g), i, layer.box)
    out = get_solver(how.solver).solve(model, SolverOptions())
    if out.status == Status.OPTIMAL and out.objective is None:
        return True
    return out.status == Status.OPTIMAL and out.objective < g[i] - how.tol


def solve_layer_exact(layer: BoxedLayer, y, how: LayerSolve = LayerSolve()) -> LayerSolution:
    """Find h in the layer's box with act(W h + b) within ``how.band`` of y: fast path, else the
    LP, whose "infeasible" stands only with a Farkas certificate checked in exact arithmetic
    (otherwise the status is ``failed``).

    ``band``: the tolerance band of the output layer (:mod:`milpinv.tolerance`), or for an
    intermediate layer, whose y is itself a float solve, the band within which y is matched."""
    W = layer.W
    lo, hi = observation_interval(layer.act, np.asarray(y, float), how.band)
    h = _fast_path(layer, lo, hi, how.tol)
    if h is not None:
        return LayerSolution(Status.OPTIMAL, h, unique=True, dimension=0, how="lstsq")
    model = exact_layer_lp(layer.affine(), lo, hi, layer.box)
    out = get_solver(how.solver).solve(model, how.lp_options(presolve=False))
    if out.status == Status.INFEASIBLE and not SafeLP.of(model).infeasible(out.ray):
        info = {**out.details(), "uncertified": "the LP solver said infeasible without a valid Farkas certificate"}
        return LayerSolution(Status.FAILED, None, how="lp", info=info)
    if out.status != Status.OPTIMAL or out.x is None:
        return LayerSolution(out.status, None, how="lp", info=out.details())
    sol = LayerSolution(Status.OPTIMAL, out.x[: W.shape[1]], how="lp", info=out.details())
    active = np.flatnonzero(np.isfinite(lo) & np.isfinite(hi))
    rank = np.linalg.matrix_rank(_dense(W[active])) if active.size else 0
    if rank == W.shape[1]:
        sol.unique, sol.dimension = True, 0
    elif how.need_dimension:
        sol.dimension = preimage_dimension(layer, lo, hi, how)
        sol.unique = sol.dimension == 0
    else:
        sol.unique = False  # rank-deficient equalities: unique only through implicit equalities
    return sol


def solve_output_layer(layer: BoxedLayer, y, accept: Acceptance, how: LayerSolve = LayerSolve()) -> LayerSolution:
    """The observed layer: the exact pre-image first (the point the layers below can best reach) of
    y with the entries within the tolerance beyond the activation's range (a relu output of -3e-7)
    moved onto it, and only where it is empty the tolerance band, whose emptiness is the proof of
    infeasibility (``how.tol`` and ``how.band`` are the acceptance's)."""
    how = replace(how, tol=max(accept.tol, 1e-12), band=0.0)
    onto = np.clip(y, *layer.act.hull)
    y_exact = np.where(np.abs(onto - y) <= accept.tol, onto, y)
    sol = solve_layer_exact(layer, y_exact, how)
    if sol.status == Status.INFEASIBLE and accept.tol > 0:
        sol = solve_layer_exact(layer, y, replace(how, band=accept.tol))
    return sol


def solve_layer_noisy(layer: BoxedLayer, y, norm: Norm, how: LayerSolve = LayerSolve()) -> LayerSolution:
    """The thresholded l1/linf LP of the module docstring; returns the best h found and, in
    ``value``, the best certified lower bound on the layer's optimal residual (a relu layer's is
    at least the trivial 0; a linear layer's is None without a safe bound) and in
    ``info["lp_value"]`` the float LP objective it comes from."""
    W, b = layer.W, layer.b
    reach = interval_step(W, b, *(np.asarray(side, float) for side in layer.box))
    if not layer.act.is_relu:  # a linear layer: the LP is the exact l1/linf regression
        return _noisy_lp(layer, y, norm, np.ones(y.shape[0], bool), reach, how)
    best: LayerSolution | None = None
    bound, lp_value, tau, first = 0.0, None, 0.0, True  # tau = 0 is the paper's LP (active = y > 0): no certificate
    keys = ["peak", "residual"] if norm.per_output else ["residual"]
    for _ in range(len(keys) * MAX_TAU_ROUNDS):
        sol = _noisy_lp(layer, y, norm, y > tau, reach, how)
        if sol.status != Status.OPTIMAL or sol.h is None:
            break
        certified = best is not None and tau >= best.info["residual"]  # tau is at least the residual of some h
        if certified and sol.value is not None and sol.value > bound:
            bound, lp_value = sol.value, sol.info["lp_value"]
        r = np.maximum(W @ sol.h + b, 0.0) - y
        sol.info["peak"] = float(np.abs(r).max())
        sol.info["residual"] = float(np.abs(r).sum()) if norm.per_output else sol.info["peak"]
        if best is None or sol.info["residual"] < best.info["residual"]:
            best = sol
        new_tau = best.info[keys[0]]
        if not first and new_tau >= tau * (1 - 1e-9):  # this threshold has stopped decreasing
            keys.pop(0)
            if not keys:
                break
            new_tau = best.info[keys[0]]
        tau, first = new_tau, False
    if best is None:
        return sol
    best.value = bound
    best.info.update(tau=tau, lp_value=lp_value)
    return best


def _noisy_lp(layer: BoxedLayer, y, norm: Norm, active, reach, how: LayerSolve) -> LayerSolution:
    """One noisy LP (``active``: the rows read as active; ``reach``: the pre-activations' interval
    bounds): its h, its safe value (None without one; the model has no constant offset) and its
    float objective in ``info["lp_value"]``."""
    W = layer.W
    relu = Layer(W, layer.b, RELU if layer.act.is_relu else LINEAR)
    model = noisy_layer_lp(relu, OutputSpec(y, norm), active, layer.box, reach)
    out = get_solver(how.solver).solve(model, how.lp_options())
    if out.status != Status.OPTIMAL or out.x is None or out.objective is None:
        return LayerSolution(out.status, info=out.details())
    info = {**out.details(), "lp_value": float(out.objective)}
    return LayerSolution(Status.OPTIMAL, out.x[: W.shape[1]], value=SafeLP.of(model).value_of(out), how="lp", info=info)


def invert_single_layer(problem: Problem, options: LpOptions) -> InversionResult:
    """Method ``lp``: the exact or noisy single-layer LP (networks of depth 1 only)."""
    network, target, norm = problem.network, problem.target, problem.norm
    if network.depth != 1:
        raise InputError(
            f"method lp inverts a single layer; this network has {network.depth}: use method layerwise or milp"
        )
    layer = BoxedLayer.of(network, 0, problem.box)
    how = LayerSolve(deadline=problem.deadline, solver=options.lp_solver)
    if norm.exact:
        sol = solve_output_layer(layer, target, problem.accept, replace(how, need_dimension=True))
        status: Status = (
            sol.status if sol.status in (Status.OPTIMAL, Status.INFEASIBLE, Status.TIME_LIMIT) else Status.FAILED
        )
        res = InversionResult(
            status,
            sol.h,
            "lp",
            norm,
            objective=0.0 if sol.h is not None else None,
            solver={"preimage": {"unique": sol.unique, "dimension": sol.dimension}, "how": sol.how, **sol.info},
        )
        if status == Status.FAILED:
            res.message = f"LP solver status {sol.status}"
        return res
    why = noisy_refusal(network, [0])
    if why:
        raise InputError(f"method lp: {why}; use method milp or gd")
    sol = solve_layer_noisy(layer, target, norm, how)
    if sol.status != Status.OPTIMAL or sol.h is None:
        return InversionResult(
            Status.TIME_LIMIT if sol.status == Status.TIME_LIMIT else Status.FAILED,
            None,
            "lp",
            norm,
            message=f"noisy LP status {sol.status}",
        )
    sol.h = polish(problem, sol.h, solver=options.lp_solver)
    resid = residual_norm(network, target, sol.h, norm)
    proven = sol.value is not None and resid - sol.value <= tolerance(target)  # the safe bound meets the residual
    return InversionResult(
        Status.OPTIMAL if proven else Status.FEASIBLE,
        sol.h,
        "lp",
        norm,
        bound=sol.value,
        gap=relative_gap(resid, sol.value, tolerance(target)),
        solver={"lp_value": sol.info.get("lp_value"), "tau": sol.info.get("tau"), "how": "lp"},
    )
