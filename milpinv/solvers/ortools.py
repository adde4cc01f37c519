"""OR-Tools engines, independent of HiGHS: SCIP through ``pywraplp`` (a second MILP solver for
cross-checks) and CP-SAT for integer-weight models, decided in exact integer arithmetic.

CP-SAT solves over the lattice: *every* variable is made integer. A CP-SAT "infeasible" is
therefore a proof only that no integer point exists (raw status ``lattice-infeasible``);
:mod:`milpinv.milp.certify` accepts it as a proof over the reals only for instances whose
pre-images are all integral (the reductions' instances, which say so in their meta).
"""

from __future__ import annotations

import signal
import threading
import time

import numpy as np

from .. import interrupt
from ..errors import InputError, SolverError
from ..status import Status
from ..tolerance import relative_gap
from .base import Solver
from .matrix import MatrixModel
from .outcome import Outcome, SolverOptions

INT_TOL = 1e-9
CPSAT_MAX = 2**62


def _rows(model: MatrixModel):
    """(lower, upper, column indices, values) for every row."""
    A = model.A.tocsr()
    for i in range(model.num_rows):
        sl = slice(A.indptr[i], A.indptr[i + 1])
        yield model.row_lower[i], model.row_upper[i], A.indices[sl], A.data[sl]


class ScipSolver(Solver):
    """SCIP through ``pywraplp``: a second MILP engine, independent of HiGHS."""

    name = "ortools-scip"
    supported = frozenset({"time_limit", "mip_gap", "threads", "feasibility_tol", "presolve", "verbose"})

    def _solve(self, model: MatrixModel, options: SolverOptions, warm_start: np.ndarray | None) -> Outcome:
        from ortools.linear_solver import pywraplp

        solver = pywraplp.Solver.CreateSolver("SCIP")
        if solver is None:
            raise SolverError("OR-Tools was built without SCIP")
        xs, obj = _scip_model(solver, model)
        if options.time_limit is not None:
            solver.SetTimeLimit(max(1, int(1000 * options.time_limit)))
        if options.threads:
            solver.SetNumThreads(int(options.threads))
        if warm_start is not None:
            solver.SetHint(xs, [float(v) for v in warm_start])
        if options.verbose:
            solver.EnableOutput()
        params = pywraplp.MPSolverParameters()
        params.SetDoubleParam(params.RELATIVE_MIP_GAP, 1e-9 if options.mip_gap is None else float(options.mip_gap))
        if options.feasibility_tol is not None:
            params.SetDoubleParam(params.PRIMAL_TOLERANCE, float(options.feasibility_tol))
        if options.presolve is not None:
            params.SetIntegerParam(params.PRESOLVE, params.PRESOLVE_ON if options.presolve else params.PRESOLVE_OFF)
        t0 = time.perf_counter()
        code, interrupted = _solve_interruptible(solver, params)
        elapsed = time.perf_counter() - t0
        outcome = _scip_outcome(solver, model, xs, obj, code, elapsed)
        # SCIP catches SIGINT itself and stops early: a stop well before the time limit is the user's
        early = options.time_limit is None or elapsed < 0.9 * options.time_limit
        if interrupted or (outcome.status == Status.TIME_LIMIT and early):
            outcome.status, outcome.raw_status = Status.TIME_LIMIT, interrupt.INTERRUPTED
        return outcome


def _solve_interruptible(solver, params) -> tuple[int, bool]:
    """SCIP solves in a thread of its own (pywraplp releases the GIL) while the main thread, SIGINT
    deferred (:mod:`milpinv.interrupt`), stops it through ``InterruptSolve`` on a Ctrl-C; SCIP
    keeps its incumbent."""
    box: dict = {}
    worker = threading.Thread(target=lambda: box.setdefault("code", solver.Solve(params)), daemon=True)
    interrupted = False
    with interrupt.deferred():
        worker.start()
        while worker.is_alive():
            worker.join(0.1)
            if interrupt.requested() and not interrupted:
                solver.InterruptSolve()
                interrupted = True
    return box["code"], interrupted


def _scip_model(solver, model: MatrixModel):
    """The variables and objective of ``model`` in a pywraplp solver."""
    inf = solver.infinity()
    fin = lambda v: v if np.isfinite(v) else (inf if v > 0 else -inf)  # noqa: E731
    xs = [
        solver.IntVar(fin(lo), fin(hi), f"v{j}") if integer else solver.NumVar(fin(lo), fin(hi), f"v{j}")
        for j, (lo, hi, integer) in enumerate(zip(model.col_lower, model.col_upper, model.integrality))
    ]
    for lo, hi, cols, vals in _rows(model):
        ct = solver.RowConstraint(fin(lo), fin(hi), "")
        for j, a in zip(cols, vals):
            ct.SetCoefficient(xs[j], float(a))
    obj = solver.Objective()
    for j in np.flatnonzero(model.c):
        obj.SetCoefficient(xs[j], float(model.c[j]))
    obj.SetOffset(float(model.offset))
    obj.SetMinimization()
    return xs, obj


def _scip_outcome(solver, model: MatrixModel, xs, obj, code, elapsed: float) -> Outcome:
    from ortools.linear_solver import pywraplp

    S = pywraplp.Solver
    names = {
        S.OPTIMAL: "OPTIMAL",
        S.FEASIBLE: "FEASIBLE",
        S.INFEASIBLE: "INFEASIBLE",
        S.UNBOUNDED: "UNBOUNDED",
        S.ABNORMAL: "ABNORMAL",
        S.NOT_SOLVED: "NOT_SOLVED",
    }
    raw = names.get(code, str(code))
    x = objective = bound = gap = None
    if code in (S.OPTIMAL, S.FEASIBLE):
        x = np.array([v.solution_value() for v in xs])
        objective = float(obj.Value())
        bound = float(obj.BestBound()) if model.num_integer else objective
        gap = relative_gap(objective, bound)
    status = {
        S.OPTIMAL: Status.OPTIMAL,
        S.FEASIBLE: Status.TIME_LIMIT,
        S.INFEASIBLE: Status.INFEASIBLE,
        S.NOT_SOLVED: Status.TIME_LIMIT,
    }.get(code, Status.FAILED)
    nodes = int(solver.nodes()) if model.num_integer else None
    return Outcome(status, x, objective, bound, gap, nodes, int(solver.iterations()), elapsed, "ortools-scip", raw)


def _integers(values: np.ndarray, what: str) -> list[int]:
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if np.any(np.abs(finite - np.round(finite)) > INT_TOL) or np.any(np.abs(finite) >= CPSAT_MAX):
        raise InputError(
            f"cpsat: the model has non-integer (or too large) {what}; CP-SAT handles "
            "integer-weight instances only (use --solver highs or ortools-scip)"
        )
    return [int(round(v)) for v in finite]


class CpSatSolver(Solver):
    """CP-SAT over the integer lattice, in exact integer arithmetic: every variable is integer."""

    name = "cpsat"
    supported = frozenset({"time_limit", "mip_gap", "threads", "presolve", "verbose"})
    lattice = True

    def _solve(self, model: MatrixModel, options: SolverOptions, warm_start: np.ndarray | None) -> Outcome:
        from ortools.sat.python import cp_model

        if not (np.all(np.isfinite(model.col_lower)) and np.all(np.isfinite(model.col_upper))):
            raise InputError("cpsat: every variable needs finite bounds")
        lo, hi = np.ceil(model.col_lower - INT_TOL), np.floor(model.col_upper + INT_TOL)
        _integers(model.A.data, "coefficients")
        c = _integers(model.c, "objective")
        m = cp_model.CpModel()
        if np.any(lo > hi):
            return Outcome(Status.INFEASIBLE, solver="cpsat", raw_status="lattice-infeasible (empty integer box)")
        xs = [m.new_int_var(int(a), int(b), f"v{j}") for j, (a, b) in enumerate(zip(lo, hi))]
        for rlo, rhi, cols, vals in _rows(model):
            expr = sum(int(round(a)) * xs[j] for j, a in zip(cols, vals))
            if np.isfinite(rlo):
                m.add(expr >= int(np.ceil(rlo - INT_TOL)))
            if np.isfinite(rhi):
                m.add(expr <= int(np.floor(rhi + INT_TOL)))
        if any(c):
            m.minimize(sum(ci * xs[j] for j, ci in enumerate(c) if ci))
        if warm_start is not None:
            for v, val in zip(xs, np.round(warm_start)):
                m.add_hint(v, int(val))
        solver = cp_model.CpSolver()
        if options.time_limit is not None:
            solver.parameters.max_time_in_seconds = float(options.time_limit)
        if options.mip_gap is not None:
            solver.parameters.relative_gap_limit = float(options.mip_gap)
        if options.presolve is not None:
            solver.parameters.cp_model_presolve = bool(options.presolve)
        solver.parameters.num_workers = int(options.threads) if options.threads else 2
        solver.parameters.log_search_progress = bool(options.verbose)
        t0 = time.perf_counter()
        code = _solve_keeping_sigint(solver, m)
        if code == cp_model.MODEL_INVALID:
            raise SolverError(f"CP-SAT rejected the model: {m.Validate()}")
        return _cpsat_outcome(solver, xs, c, model, code, time.perf_counter() - t0)


def _cpsat_outcome(solver, xs, c, model: MatrixModel, code, elapsed: float) -> Outcome:
    """The outcome of a CP-SAT ``solver`` run ended with ``code``: values of the variables ``xs``,
    the objective (integer costs ``c``) shifted by the model's offset."""
    from ortools.sat.python import cp_model

    raw = solver.StatusName(code)
    if code == cp_model.INFEASIBLE:
        return Outcome(Status.INFEASIBLE, solver="cpsat", raw_status="lattice-infeasible (CP-SAT)", time_s=elapsed)
    x = objective = bound = gap = None
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        x = np.array([solver.Value(v) for v in xs], dtype=np.float64)
        objective = float(solver.ObjectiveValue()) + model.offset if any(c) else model.offset
        bound = float(solver.BestObjectiveBound()) + model.offset if any(c) else objective
        gap = relative_gap(objective, bound)
    status = Status.OPTIMAL if code == cp_model.OPTIMAL else Status.TIME_LIMIT
    return Outcome(status, x, objective, bound, gap, int(solver.NumBranches()), None, elapsed, "cpsat", raw)


def _solve_keeping_sigint(solver, model):
    """CP-SAT catches Ctrl-C during its search (it stops and keeps its best solution) but leaves
    SIGINT at SIG_DFL afterwards, so a later Ctrl-C would kill the process without cleanup:
    put Python's handler back. Outside the main thread it must not touch signals at all."""
    main = threading.current_thread() is threading.main_thread()
    solver.parameters.catch_sigint_signal = main
    previous = signal.getsignal(signal.SIGINT) if main else None
    try:
        return solver.Solve(model)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
