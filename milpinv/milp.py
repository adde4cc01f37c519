"""Method ``milp``: exact inversion of any depth by the big-M formulation, to proven optimality.

Steps: sound bounds (interval arithmetic, optionally LP-based tightening with the observation
constraints), the matrix model (:mod:`milpinv.formulation`), a backend solve, then a polish of
the solution on its linear piece (:func:`milpinv.pieces.polish`) so the returned z satisfies the
piece's equalities to LP precision rather than big-M precision. Verdicts: ``optimal`` and
``infeasible`` only as the solver (or an infeasible bound LP) proves them; ``time_limit`` keeps
the incumbent, the best bound and the gap.
"""
from __future__ import annotations

import time

import numpy as np

from .backends import solve
from .bounds import interval_bounds, tighten_bounds
from .errors import InputError
from .formulation import Formulation, build_formulation
from .network import ReluNetwork
from .pieces import polish
from .result import FAILED, INFEASIBLE, OPTIMAL, TIME_LIMIT, InversionResult, check_result
from .single_layer import solve_layer_exact

BOUND_MODES = ("interval", "lp")
PEEL_TOL = 1e-9  # relative: peeled values below it are zeros
SAFE_MAGNITUDE = 1e7  # above this, a floating-point "infeasible" is re-decided exactly (or not claimed)
LATTICE_SLACK = 1e-6  # float slop allowed before rounding bounds to integers (lattice models)
RECHECK_FEASIBILITY_TOL = 1e-7  # the second opinion on an "infeasible" (the first solve uses 1e-9)
HEURISTIC_BUDGET = 1.5  # seconds of gradient descent + piece walks before the MILP (at most)
HEURISTIC_SHARE = 0.25  # ... and at most this share of the time limit
HEURISTIC_ROUNDS, HEURISTIC_STEPS, HEURISTIC_RESTARTS, HEURISTIC_WALK = 6, 300, 32, 30


def build_model(network: ReluNetwork, target, *, norm: str = "exact", lower, upper, bounds: str = "interval",
                obbt_passes: int = 1, time_limit: float | None = None,
                lattice: bool = False) -> tuple[Formulation, dict]:
    """Bounds then the big-M model; returns the formulation and bound statistics.
    With ``bounds="lp"`` a proven-infeasible relaxation gives ``info["infeasible"] = True``.
    ``lattice``: the model is solved over integer points only (CP-SAT on an integer network), so
    bounds are rounded to the integers that integer pre-activations can reach."""
    if bounds not in BOUND_MODES:
        raise InputError(f"bounds: expected one of {BOUND_MODES}, got {bounds!r}")
    t0 = time.perf_counter()
    b = interval_bounds(network, lower, upper)
    info = {"bounds": bounds, "infeasible": False}
    if bounds == "lp":
        b, report = tighten_bounds(network, lower, upper, b, target, norm, passes=obbt_passes, time_limit=time_limit)
        info.update(obbt_lps=report.lps, obbt_stopped_early=report.stopped_early, infeasible=report.infeasible)
    if lattice:
        b = [(np.ceil(lo - LATTICE_SLACK), np.floor(hi + LATTICE_SLACK)) for lo, hi in b]
    info["bound_time_s"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    form = build_formulation(network, target, norm, lower, upper, b)
    info["build_time_s"] = time.perf_counter() - t1
    return form, info


def invert_milp(network, target, *, norm, lower, upper, time_limit=None, solver: str = "highs",
                bounds: str = "interval", obbt_passes: int = 1, threads: int | None = None,
                mip_gap: float = 1e-9, warm_start=None, integral_preimage: bool = False,
                heuristic: bool = True, peeling: bool = True, verbose: bool = False) -> InversionResult:
    """Solve the big-M model of ``network`` for ``target`` with the named backend.

    ``heuristic``: first try rounds of projected gradient descent and piece walks
    (:func:`_heuristic`); with the exact norm a verified pre-image ends the search (objective 0
    meets the bound 0), otherwise it warm-starts the solver.
    ``peeling``: the exact presolve :func:`peel` (an infeasible reduced model is re-solved in full)."""
    t0 = time.perf_counter()
    if heuristic and warm_start is None:
        budget = HEURISTIC_BUDGET if time_limit is None else min(HEURISTIC_BUDGET, HEURISTIC_SHARE * time_limit)
        found = _heuristic(network, target, norm, lower, upper, budget)
        if integral_preimage:  # accept only a lattice point that matches the target exactly
            found = check_result(found, network, np.asarray(target, float), lower, upper, integral=True)
        if found.status == OPTIMAL and norm == "exact":
            found.z = polish(network, target, found.z, norm, lower, upper)
            found.method, found.bound, found.gap = "milp", 0.0, 0.0
            found.solver = {"backend": solver, "solved_by": "heuristic (projected gradient descent)", **found.solver}
            return found
        warm_start = found.z
    full = (network, target)
    peeling = peeling and solver != "cpsat"  # CP-SAT needs the integer target, not a float solve
    network, target, peeled = peel(network, target, norm, lower, upper) if peeling else (network, target, 0)
    form, info = build_model(network, target, norm=norm, lower=lower, upper=upper, bounds=bounds,
                             obbt_passes=obbt_passes, time_limit=time_limit, lattice=solver == "cpsat")
    details = {"backend": solver, **info, **form.stats(), "magnitude": magnitude(form.model)}
    if info["infeasible"]:
        return InversionResult(INFEASIBLE, None, "milp", norm, solver=details,
                               message="the LP relaxation with the observation constraints is infeasible")
    remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
    start = None if warm_start is None else form.complete(warm_start, target)
    out = solve(form.model, solver, time_limit=remaining, mip_gap=mip_gap, threads=threads,
                warm_start=start, verbose=verbose)
    details.update(out.details(), nodes=out.nodes, iterations=out.iterations, peeled_layers=peeled)
    result = _result(out, form, network, target, norm, lower, upper, integral_preimage, details)
    doubtful = result.status == INFEASIBLE and not integer_data(network, target, lower, upper)
    if solver != "cpsat" and (out.status == "error" or doubtful):
        result = _second_opinion(result, form, network, target, norm, lower, upper, integral_preimage,
                                 time_limit, t0)
    if result.status == INFEASIBLE and solver != "cpsat" and magnitude(form.model) > SAFE_MAGNITUDE:
        result = _confirm_infeasible(result, network, target, norm, lower, upper, integral_preimage, time_limit, t0)
    if peeled and result.status == INFEASIBLE:
        # the peeled target is a float solve: only the full model may prove infeasibility
        remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
        return invert_milp(*full, norm=norm, lower=lower, upper=upper, time_limit=remaining, solver=solver,
                           bounds=bounds, obbt_passes=obbt_passes, threads=threads, mip_gap=mip_gap,
                           integral_preimage=integral_preimage, heuristic=False, peeling=False, verbose=verbose)
    return result


def magnitude(model) -> float:
    """The largest coefficient or finite right-hand side of a model."""
    finite = lambda v: np.abs(v[np.isfinite(v)])  # noqa: E731
    return float(max(np.max(np.abs(model.A.data), initial=0.0), np.max(finite(model.row_lower), initial=0.0),
                     np.max(finite(model.row_upper), initial=0.0)))


def integer_data(network: ReluNetwork, target, lower, upper) -> bool:
    """Integer weights, biases, target and box, as in the reductions: no sub-tolerance geometry
    for presolve to get wrong (no false "infeasible" on 1200 planted integer instances, degenerate
    ones included), so an "infeasible" there needs no second opinion."""
    return network.is_integral() and all(np.array_equal(a, np.round(a)) for a in (target, lower, upper))


def _second_opinion(result, form, network, target, norm, lower, upper, integral_preimage, time_limit, t0):
    """After a floating-point "infeasible" or solver error: HiGHS without presolve and with a looser
    feasibility tolerance. Presolve can lose the one feasible point of a degenerate vertex
    (pre-activations within 1e-9 of zero) or of badly scaled rows, so an "infeasible" stands only
    if this solve agrees; a point it finds is polished and re-checked like any other, and an
    error stays an error unless this solve finds one."""
    remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
    out = solve(form.model, "highs", time_limit=remaining, feasibility_tol=RECHECK_FEASIBILITY_TOL,
                options={"presolve": "off"})
    first = "infeasible" if result.status == INFEASIBLE else "error"
    note = f"{result.solver.get('backend')} said {first}; HiGHS without presolve at feasibility tolerance " \
           f"{RECHECK_FEASIBILITY_TOL:g}: {out.status}"
    if out.status == "infeasible":
        result.solver["second_opinion"] = note
        return result
    return _result(out, form, network, target, norm, lower, upper, integral_preimage,
                   {**result.solver, "second_opinion": note})


def _confirm_infeasible(result, network, target, norm, lower, upper, integral_preimage, time_limit, t0):
    """A floating-point solver's "infeasible" on a model with huge numbers is not a proof. Decide
    it exactly with CP-SAT when every pre-image is integral; otherwise report no verdict."""
    big = f"coefficients up to {result.solver.get('magnitude', 0):.3g} exceed {SAFE_MAGNITUDE:g}"
    lattice_ok = (integral_preimage and network.is_integral() and np.all(lower == np.round(lower))
                  and np.all(upper == np.round(upper)))
    if not lattice_ok:
        return InversionResult(FAILED, None, "milp", norm, solver=result.solver,
                               message=f"{result.solver.get('backend')} reports infeasible but {big}, which makes "
                                       "a floating-point infeasibility unreliable")
    remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 1e-3)
    exact = invert_milp(network, target, norm=norm, lower=lower, upper=upper, time_limit=remaining, solver="cpsat",
                        integral_preimage=True, heuristic=False, peeling=False)
    exact.solver["confirmed"] = f"{result.solver.get('backend')} said infeasible but {big}: decided exactly by CP-SAT"
    return exact


def peel(network: ReluNetwork, target, norm: str, lower, upper) -> tuple[ReluNetwork, np.ndarray, int]:
    """Exact presolve: while the last layer's pre-image over h >= 0 is one point (its active rows
    have full column rank, as in expanding layers), replace the target by that point and drop
    the layer. Returns the reduced network, its target and the number of layers removed."""
    if norm != "exact":
        return network, target, 0
    peeled, y = 0, np.asarray(target, float)
    while network.depth > 1:
        k = network.depth - 1
        W, b = network.weights[k], network.biases[k]
        band = PEEL_TOL * max(1.0, float(np.max(np.abs(y), initial=0.0)))
        sol = solve_layer_exact(W, b, y, network.applies_relu(k), np.zeros(W.shape[1]),
                                np.full(W.shape[1], np.inf), tol=band, band=band if peeled else 0.0)
        if sol.status != "optimal" or sol.how != "lstsq":
            break
        y = np.where(sol.h > band, sol.h, 0.0)
        network = ReluNetwork(network.weights[:k], network.biases[:k], "relu")
        peeled += 1
    return network, y, peeled


def _heuristic(network, target, norm, lower, upper, budget: float) -> InversionResult:
    """Rounds of batched projected gradient descent (new restarts each round). With the exact norm
    the best z of a round walks its linear pieces (:func:`polish` in linf, one LP a step), which
    turns a near miss into an exact pre-image; the first verified one ends the search. Otherwise
    the z of smallest residual is returned (a warm start)."""
    from .gd import invert_gd

    deadline = time.perf_counter() + budget
    best = None
    for rnd in range(HEURISTIC_ROUNDS):
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        found = invert_gd(network, target, norm=norm, lower=lower, upper=upper, time_limit=left, seed=rnd,
                          steps=HEURISTIC_STEPS, restarts=HEURISTIC_RESTARTS)
        if norm != "exact":
            return found
        if found.status != OPTIMAL:
            z = polish(network, target, found.z, "linf", lower, upper, rounds=HEURISTIC_WALK)
            found = check_result(InversionResult(OPTIMAL, z, "gd", norm, objective=0.0, solver=found.solver),
                                 network, np.asarray(target, float), lower, upper)
        if found.status == OPTIMAL:
            found.solver["rounds"] = rnd + 1
            return found
        if best is None or found.residual_linf < best.residual_linf:
            best = found
    return best if best is not None else InversionResult(FAILED, None, "gd", norm, message="no time for a round")


def _result(out, form, network, target, norm, lower, upper, integral_preimage, details) -> InversionResult:
    if out.status == "infeasible":
        if out.raw_status.startswith("lattice") and not integral_preimage:
            return InversionResult(FAILED, None, "milp", norm, solver=details,
                                   message=f"{out.raw_status}: no pre-image on the lattice, which proves nothing "
                                           "over the reals unless every pre-image is integral")
        return InversionResult(INFEASIBLE, None, "milp", norm, solver=details, message=out.raw_status)
    if out.status not in ("optimal", "time_limit"):
        return InversionResult(FAILED, None, "milp", norm, solver=details,
                               message=f"solver status {out.status} ({out.raw_status})")
    z = None
    if out.x is not None:
        z = polish(network, target, form.z_of(out.x), norm, lower, upper)
    status = OPTIMAL if out.status == "optimal" else TIME_LIMIT
    objective = None if out.objective is None else (0.0 if norm == "exact" else float(out.objective))
    return InversionResult(status, z, "milp", norm, objective=objective, bound=out.bound, gap=out.gap,
                           solver=details, message="" if status == OPTIMAL else out.raw_status)
