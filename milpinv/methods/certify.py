"""Certification: what a result may claim, checked apart from the engine that produced it.

* :func:`check_result` re-checks every z by a float64 forward pass and downgrades any claim the
  residual does not support (every method's result goes through it, in :func:`milpinv.invert`).
* :func:`certify_infeasible` decides whether a floating-point engine's "infeasible" stands: on
  models with non-integer data it is re-solved by HiGHS without presolve at a looser tolerance
  (presolve can lose the one feasible point of a degenerate vertex); on models with coefficients
  above :data:`SAFE_MAGNITUDE` it is re-decided exactly by CP-SAT where every pre-image is
  integral, and otherwise not claimed; after peeling, only the full model may prove it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..network import ReluNetwork
from ..result import InversionResult
from ..solvers import SolverOptions, get_solver
from ..solvers.matrix import MatrixModel
from ..status import Status
from ..tolerance import INTEGRAL_TOL, residuals, tolerance
from .build import build_model
from .solve import Engine, Problem, solve_model

SAFE_MAGNITUDE = 1e7  # above this, a floating-point "infeasible" is re-decided exactly (or not claimed)
RECHECK_FEASIBILITY_TOL = 1e-7  # the second opinion on an "infeasible" (the first solve uses 1e-9)


def check_result(
    result: InversionResult,
    network: ReluNetwork,
    x: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    integral: bool = False,
) -> InversionResult:
    """Re-check ``result.z`` by a float64 forward pass; downgrade any claim it does not support.

    ``integral``: every pre-image is known to be integral (reduced instances, integer weights);
    z is rounded to the lattice and must then match the target to :data:`INTEGRAL_TOL`, so
    that a relative tolerance never accepts an integer residual on large-valued targets."""
    integral = integral and result.norm == "exact"
    tol = INTEGRAL_TOL if integral else tolerance(x)
    if result.status == Status.INFEASIBLE:
        result.z = None
        result.residual_l1 = result.residual_linf = None
        return result
    if result.z is None:
        if result.status in (Status.OPTIMAL, Status.FEASIBLE):
            result.status, result.message = Status.FAILED, result.message or "method returned no z"
        return result
    z = np.asarray(result.z, dtype=np.float64).reshape(-1)
    if z.shape != (network.input_dim,) or not np.all(np.isfinite(z)):
        result.status, result.z = Status.FAILED, None
        result.message = "method returned a malformed z"
        return result
    box_tol = 1e-7 * max(1.0, float(np.max(np.abs(np.concatenate([lower, upper])))))
    if np.any(z < lower - box_tol) or np.any(z > upper + box_tol):
        result.message = (result.message + "; " if result.message else "") + "z left the box: clipped"
    z = np.clip(z, lower, upper)
    if integral:
        z = _snap(network, x, z, lower, upper)
    result.z = z
    result.residual_l1, result.residual_linf = residuals(network, x, z)
    result.verified = result.norm != "exact" or result.residual_linf <= tol
    if result.status not in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT):
        return result
    if result.norm == "exact":
        _check_exact(result, tol)
    else:
        _check_objective(result, x, tol)
    return result


def _check_exact(result: InversionResult, tol: float) -> None:
    if result.residual_linf is None or result.residual_linf > tol:
        if result.status != Status.TIME_LIMIT:
            result.status = Status.FAILED
        result.note(f"forward pass residual {result.residual_linf:.3g} exceeds tolerance {tol:.3g}")


def _check_objective(result: InversionResult, x: np.ndarray, tol: float) -> None:
    true_obj = result.residual(result.norm)
    assert true_obj is not None  # set by check_result
    slack = tol * max(1, x.size if result.norm == "l1" else 1)
    if result.objective is not None and true_obj > result.objective + slack:
        result.note(
            f"solver objective {result.objective:.6g} below the forward-pass residual "
            f"{true_obj:.6g}; reporting the residual"
        )
        if result.status == Status.OPTIMAL:
            result.status = Status.FEASIBLE
    result.objective = true_obj


def _snap(network: ReluNetwork, x: np.ndarray, z: np.ndarray, lower, upper) -> np.ndarray:
    """The nearest lattice point when it is at least as good as z."""
    zr = np.clip(np.round(z), np.ceil(lower), np.floor(upper))
    return zr if residuals(network, x, zr)[1] <= residuals(network, x, z)[1] else z


def magnitude(model: MatrixModel) -> float:
    """The largest coefficient or finite right-hand side of a model."""

    def finite(v: np.ndarray) -> np.ndarray:
        return np.abs(v[np.isfinite(v)])

    return float(
        max(
            np.max(np.abs(model.A.data), initial=0.0),
            np.max(finite(model.row_lower), initial=0.0),
            np.max(finite(model.row_upper), initial=0.0),
        )
    )


def integer_data(problem: Problem) -> bool:
    """Integer weights, biases, target and box, as in the reductions: no sub-tolerance geometry
    for presolve to get wrong (no false "infeasible" on 1200 planted integer instances, degenerate
    ones included), so an "infeasible" there needs no second opinion."""
    return problem.network.is_integral() and all(
        np.array_equal(a, np.round(a)) for a in (problem.target, problem.lower, problem.upper)
    )


Rebuild = Callable[[], InversionResult]


def certify_infeasible(
    result: InversionResult,
    model: MatrixModel,
    form,
    problem: Problem,
    engine: Engine,
    peeled: int,
    solve_full: Rebuild,
) -> InversionResult:
    """The checks of the module docstring, in order, for a result from the solve stage."""
    lattice = engine.solver.lattice
    doubtful = result.status == Status.INFEASIBLE and not integer_data(problem)
    engine_failed = result.solver.get("engine_status") == Status.FAILED
    if not lattice and (engine_failed or doubtful):
        result = second_opinion(result, form, problem, engine)
    if result.status == Status.INFEASIBLE and not lattice and magnitude(model) > SAFE_MAGNITUDE:
        result = confirm_exactly(result, problem, engine)
    if peeled and result.status == Status.INFEASIBLE:
        return solve_full()  # the peeled target is a float solve: only the full model may prove infeasibility
    return result


def second_opinion(result: InversionResult, form, problem: Problem, engine: Engine) -> InversionResult:
    """HiGHS without presolve, at a looser feasibility tolerance: an "infeasible" stands only if it
    agrees; a point it finds is polished and re-checked like any other; an error stays an error
    unless this solve finds one."""
    options = SolverOptions(
        time_limit=engine.deadline.remaining(), feasibility_tol=RECHECK_FEASIBILITY_TOL, presolve=False
    )
    again = solve_model(form, problem, engine, solver=get_solver("highs"), options=options)
    first = "infeasible" if result.status == Status.INFEASIBLE else "error"
    note = (
        f"{result.solver.get('backend')} said {first}; HiGHS without presolve at feasibility tolerance "
        f"{RECHECK_FEASIBILITY_TOL:g}: {again.solver['engine_status']}"
    )
    if again.status == Status.INFEASIBLE:
        result.solver["second_opinion"] = note
        return result
    again.solver = {**result.solver, "second_opinion": note}
    return again


def confirm_exactly(result: InversionResult, problem: Problem, engine: Engine) -> InversionResult:
    """A floating-point "infeasible" on a model with huge numbers is not a proof: decide it exactly
    with CP-SAT when every pre-image is integral; otherwise report no verdict."""
    big = f"coefficients up to {result.solver.get('magnitude', 0):.3g} exceed {SAFE_MAGNITUDE:g}"
    lo, up = problem.lower, problem.upper
    lattice_ok = (
        problem.integral_preimage
        and problem.network.is_integral()
        and np.all(lo == np.round(lo))
        and np.all(up == np.round(up))
    )
    if not lattice_ok:
        return InversionResult(
            Status.FAILED,
            None,
            "milp",
            problem.norm,
            solver=result.solver,
            message=f"{result.solver.get('backend')} reports infeasible but {big}, which makes "
            "a floating-point infeasibility unreliable",
        )
    cpsat = get_solver("cpsat")
    form, info = build_model(problem.network, problem.target, norm=problem.norm, lower=lo, upper=up, lattice=True)
    exact = solve_model(
        form, problem, engine, solver=cpsat, options=SolverOptions(time_limit=engine.deadline.remaining())
    )
    exact.solver["confirmed"] = f"{result.solver.get('backend')} said infeasible but {big}: decided exactly by CP-SAT"
    return exact
