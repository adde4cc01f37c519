"""HiGHS through highspy, driven from the matrix form directly (the default engine)."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import replace

import numpy as np

from .. import interrupt
from ..errors import SolverError
from ..status import Status
from .base import LPSession, Solver
from .matrix import MatrixModel
from .outcome import Outcome, SolverOptions

DEFAULT_TOL = 1e-9  # primal, dual and integrality feasibility tolerance unless asked otherwise
DEFAULT_GAP = 1e-9
DEFAULT_THREADS = 1  # reproducible solves; HiGHS's MILP search depends on its thread count
_BANNER_SHOWN = False
_THREADS = [0]  # the thread count of HiGHS's process-wide scheduler as milpinv set it (0: not yet)


@contextlib.contextmanager
def _quiet_stdout():
    """Silence C-level stdout (HiGHS prints a banner on the first Highs() of a process)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def new_highs(verbose: bool = False):
    """A Highs object with output off unless ``verbose``; its log then goes to stderr (stdout
    carries milpinv's results)."""
    global _BANNER_SHOWN
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a hard dependency
        raise SolverError(f"highspy is not installed: {exc}") from None
    if _BANNER_SHOWN:
        h = highspy.Highs()
    else:
        with _quiet_stdout():
            h = highspy.Highs()
    _BANNER_SHOWN = True
    h.setOptionValue("output_flag", bool(verbose))
    if verbose:
        h.setOptionValue("log_to_console", False)
    events = ("Logging",) * bool(verbose) + ("SimplexInterrupt", "IpmInterrupt", "MipInterrupt")
    bind = getattr(getattr(getattr(highspy, "_core", None), "_Highs", None), "setCallback", None)
    if bind is not None:
        bind(h, _callback, None)  # HiGHS calls _callback, not highspy's dispatch
        for event in events:
            h.startCallback(getattr(highspy.cb.HighsCallbackType, "kCallback" + event))
    else:  # a highspy without that binding (it is not public): its own event dispatch
        for event in events:
            getattr(h, "cb" + event).subscribe(_on_event)
    return h


def _on_event(event) -> None:
    """:func:`_callback` for one of highspy's callback events."""
    _callback(event.callback_type, event.message, event.data_out, event.data_in, event.user_data)


def _callback(kind, message: str, data_out, data_in, user_data) -> None:
    """HiGHS's callback, called directly (highspy's own dispatch, an event object and a subscriber
    list per call, cost a node LP a quarter of a millisecond: HiGHS polls its interrupt callback
    dozens of times a solve): the log line on stderr, or a stop once a Ctrl-C is requested (see
    :mod:`milpinv.interrupt`)."""
    if data_in is None:  # the logging callback has no input
        sys.stderr.write(message)
    elif interrupt.requested():
        data_in.user_interrupt = True


def run(h):
    """``h.run()`` in this thread, with SIGINT deferred: a Ctrl-C stops HiGHS through its interrupt
    callbacks (model status ``kInterrupt``, the incumbent and bound still readable), never by an
    exception raised inside HiGHS."""
    with interrupt.deferred():
        return h.run()


def pass_model(h, model: MatrixModel) -> None:
    """Hand a MatrixModel to a Highs object as column-wise sparse numpy arrays (no per-element
    Python conversion: 0.2 M nonzeros take milliseconds, not a tenth of a second)."""
    import highspy

    inf = highspy.kHighsInf
    A = model.A.tocsc()
    A.sort_indices()

    def finite(v):
        return np.ascontiguousarray(np.nan_to_num(v, neginf=-inf, posinf=inf), dtype=np.float64)

    status = h.passModel(
        model.num_vars,
        model.num_rows,
        A.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        float(model.offset),
        finite(model.c),
        finite(model.col_lower),
        finite(model.col_upper),
        finite(model.row_lower),
        finite(model.row_upper),
        A.indptr.astype(np.int32),
        A.indices.astype(np.int32),
        A.data.astype(np.float64),
        np.asarray(model.integrality, dtype=np.int32),
    )
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS rejected the model {model.name!r}")


def highs_options(options: SolverOptions) -> dict:
    """SolverOptions in HiGHS's own names."""
    tol = DEFAULT_TOL if options.feasibility_tol is None else options.feasibility_tol
    opts: dict = {
        "primal_feasibility_tolerance": tol,
        "dual_feasibility_tolerance": tol,
        "mip_feasibility_tolerance": tol,
        "mip_abs_gap": 1e-12,
        "mip_rel_gap": DEFAULT_GAP if options.mip_gap is None else options.mip_gap,
    }
    if options.time_limit is not None:
        opts["time_limit"] = float(max(options.time_limit, 1e-3))
    opts["threads"] = int(options.threads or DEFAULT_THREADS)
    if options.presolve is not None:
        opts["presolve"] = "on" if options.presolve else "off"
    return opts


def configured_highs(options: SolverOptions):
    """A Highs object with ``options`` set (each refused option is a SolverError)."""
    import highspy

    h = new_highs(options.verbose)
    opts = highs_options(options)
    use_threads(opts["threads"])
    for key, val in opts.items():
        if h.setOptionValue(key, val) == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS rejected option {key}={val!r}")
    return h


def use_threads(threads: int) -> None:
    """HiGHS keeps one thread pool per process and refuses a Highs object asking for another
    thread count once the pool exists: make a new pool when the count changes, and before milpinv's
    first solve (a pool made outside milpinv, by the user's own HiGHS or Pyomo solve, has a count
    milpinv does not know)."""
    import highspy

    if _THREADS[0] != threads:
        highspy.Highs.resetGlobalScheduler(True)
    _THREADS[0] = threads


class HighsSolver(Solver):
    name = "highs"
    supported = frozenset({"time_limit", "mip_gap", "threads", "feasibility_tol", "presolve", "verbose"})

    def _solve(self, model: MatrixModel, options: SolverOptions, warm_start: np.ndarray | None) -> Outcome:
        import highspy

        h = configured_highs(options)
        pass_model(h, model)
        if warm_start is not None and model.num_integer:
            sol = highspy.HighsSolution()
            sol.col_value = list(np.asarray(warm_start, dtype=float))
            sol.value_valid = True
            h.setSolution(sol)
        t0 = time.perf_counter()
        run(h)
        outcome = _read_outcome(h, model)
        outcome.time_s = time.perf_counter() - t0
        return outcome

    def session(self, model: MatrixModel, options: SolverOptions) -> LPSession:
        try:
            return HighsSession(self, model, options)
        except SolverError:  # HiGHS refused the model: each LP of a plain session then says so (failed)
            return LPSession(self, model, options)

    def incremental(self, model: MatrixModel, options: SolverOptions) -> HighsLP:
        return HighsLP(model, options)


class HighsSession(LPSession):
    """One Highs object for many objectives: each solve starts from the previous basis."""

    def __init__(self, solver: Solver, model: MatrixModel, options: SolverOptions) -> None:
        super().__init__(solver, model, options)
        self.h = configured_highs(options)
        pass_model(self.h, model)
        self.cols: np.ndarray | None = None

    def minimize(self, cols: np.ndarray, cost: np.ndarray) -> Outcome:
        cols = np.asarray(cols, dtype=np.int32)
        if self.cols is not None and not np.array_equal(self.cols, cols):
            self.h.changeColsCost(len(self.cols), self.cols, np.zeros(len(self.cols)))
        self.h.changeColsCost(len(cols), cols, np.asarray(cost, dtype=np.float64))
        self.cols = cols
        run(self.h)
        return _read_outcome(self.h, self.model)


class HighsLP:
    """The :class:`~milpinv.solvers.incremental.IncrementalLP` of HiGHS: the LP relaxation of a
    model held by one Highs object, bounds and coefficients changed in place, each solve started
    from the previous basis (dual simplex). The branch and bound's node LPs."""

    def __init__(self, model: MatrixModel, options: SolverOptions) -> None:
        self.model = model.relaxed()
        self.h = configured_highs(replace(options, presolve=False))
        pass_model(self.h, self.model)

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        if len(cols):
            self.h.changeColsBounds(len(cols), np.asarray(cols, dtype=np.int32), _finite(lower), _finite(upper))

    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        if len(rows):
            self.h.changeRowsBounds(len(rows), np.asarray(rows, dtype=np.int32), _finite(lower), _finite(upper))

    def add_rows(self, rows, lower: np.ndarray, upper: np.ndarray) -> None:
        """Append rows (a scipy.sparse matrix over the LP's columns)."""
        R = rows.tocsr()
        R.sort_indices()
        self.h.addRows(
            R.shape[0],
            _finite(lower),
            _finite(upper),
            R.nnz,
            R.indptr[:-1].astype(np.int32),
            R.indices.astype(np.int32),
            R.data.astype(np.float64),
        )

    def set_coefficients(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        for i, j, v in zip(rows, cols, values):
            self.h.changeCoeff(int(i), int(j), float(v))

    def reset(self) -> None:
        """Forget the basis and factorisation (after an error), keeping the model."""
        self.h.clearSolver()

    def basis(self):
        """A copy of HiGHS's basis (a HighsBasis: the status of every column and row, ~1 us)."""
        return self.h.getBasis()

    def set_basis(self, basis) -> None:
        """Start the next solve from ``basis``. HiGHS then factorises it afresh and recomputes its
        dual steepest-edge weights (PERFORMANCE.md 29); a basis it refuses leaves the current one."""
        self.h.setBasis(basis)

    def solve(self, time_limit: float | None = None) -> Outcome:
        """Solve from the previous basis, within ``time_limit`` seconds if given (HiGHS's limit
        counts the run time of every solve of this Highs object, so it is set past that)."""
        import highspy

        limit = highspy.kHighsInf if time_limit is None else self.h.getRunTime() + max(time_limit, 1e-3)
        self.h.setOptionValue("time_limit", float(limit))
        if run(self.h) == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS failed on the LP {self.model.name!r}")
        return _read_outcome(self.h, self.model)


def _finite(v: np.ndarray) -> np.ndarray:
    """Infinite bounds as HiGHS's infinity (a contiguous float64 array; no clip where HiGHS's
    infinity is inf itself: np.clip cost a node's two bound changes ~20 us)."""
    import highspy

    inf = highspy.kHighsInf
    v = np.ascontiguousarray(v, dtype=np.float64)
    return v if inf == np.inf else np.clip(v, -inf, inf)


def _read_outcome(h, model: MatrixModel) -> Outcome:
    import highspy

    ms = h.getModelStatus()
    S = highspy.HighsModelStatus
    raw = h.modelStatusToString(ms)
    is_mip = model.num_integer > 0
    has_sol = _info(h, "primal_solution_status") == 2  # kSolutionStatusFeasible
    sol = h.getSolution() if has_sol else None
    x = np.array(sol.col_value, dtype=np.float64) if sol is not None else None
    obj = float(_info(h, "objective_function_value")) if has_sol else None
    bound = gap = nodes = None
    if is_mip:
        bound, gap = float(_info(h, "mip_dual_bound")), float(_info(h, "mip_gap"))
        bound, gap = (bound if np.isfinite(bound) else None), (gap if has_sol and np.isfinite(gap) else None)
        nodes = int(_info(h, "mip_node_count"))
    iters = int(_info(h, "simplex_iteration_count"))
    duals = ray = None
    if ms == S.kOptimal:
        status = Status.OPTIMAL
        if not is_mip:
            bound, gap = obj, 0.0
            duals = _row_duals(sol if sol is not None else h.getSolution())
    elif ms == S.kInfeasible:
        status, x, obj = Status.INFEASIBLE, None, None
        ray = None if is_mip else _dual_ray(h)
    elif ms == S.kUnbounded:
        status = Status.FAILED
    elif ms == S.kUnboundedOrInfeasible:
        status = _resolve_unbounded_or_infeasible(model)
        x = obj = None
    elif ms == S.kInterrupt:
        status, raw = Status.TIME_LIMIT, interrupt.INTERRUPTED
    elif ms in (S.kTimeLimit, S.kIterationLimit, S.kSolutionLimit, S.kObjectiveBound, S.kObjectiveTarget):
        status = Status.TIME_LIMIT
    else:
        status = Status.FAILED
    return Outcome(
        status=status,
        x=x,
        objective=obj,
        bound=bound,
        gap=gap,
        nodes=nodes,
        iterations=iters,
        solver="highs",
        raw_status=raw,
        duals=duals,
        ray=ray,
    )


def _info(h, name: str):
    """One value of HiGHS's info, read alone (``getInfo`` copies all of it: ~30 us, more than the
    rest of a node LP's reads together)."""
    return h.getInfoValue(name)[1]


def _row_duals(sol) -> np.ndarray | None:
    """The row multipliers of a solution read from HiGHS (None if it has none)."""
    return np.array(sol.row_dual, dtype=np.float64) if sol.dual_valid else None


def _dual_ray(h) -> np.ndarray | None:
    """A Farkas ray of an infeasible LP (None when presolve found the infeasibility without one)."""
    _, has_ray, values = h.getDualRay()
    return np.asarray(values, dtype=np.float64) if has_ray else None


def _resolve_unbounded_or_infeasible(model: MatrixModel) -> Status:
    """Presolve cannot tell infeasible from unbounded; a zero-objective solve without it can."""
    probe = replace(model, c=np.zeros_like(model.c), offset=0.0)
    out = HighsSolver().solve(probe, SolverOptions(presolve=False))
    return Status.INFEASIBLE if out.status == Status.INFEASIBLE else Status.FAILED
