"""HiGHS through highspy, driven from the matrix form directly (the default engine)."""
from __future__ import annotations

import contextlib
import os
import sys
import time

import numpy as np

from ..errors import SolverError
from ..model import MatrixModel, SolveOutcome

_BANNER_SHOWN = False


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
    """A Highs object with output off unless ``verbose``."""
    global _BANNER_SHOWN
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a hard dependency
        raise SolverError(f"highspy is not installed: {exc}") from None
    if _BANNER_SHOWN or verbose:
        h = highspy.Highs()
    else:
        with _quiet_stdout():
            h = highspy.Highs()
    _BANNER_SHOWN = True
    h.setOptionValue("output_flag", bool(verbose))
    return h


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
        model.num_vars, model.num_rows, A.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize),
        float(model.offset), finite(model.c), finite(model.col_lower), finite(model.col_upper),
        finite(model.row_lower), finite(model.row_upper), A.indptr.astype(np.int32), A.indices.astype(np.int32),
        A.data.astype(np.float64), np.asarray(model.integrality, dtype=np.int32))
    if status == highspy.HighsStatus.kError:
        raise SolverError(f"HiGHS rejected the model {model.name!r}")


def solve_highs(
    model: MatrixModel,
    time_limit: float | None = None,
    mip_gap: float = 1e-9,
    threads: int | None = None,
    warm_start: np.ndarray | None = None,
    feasibility_tol: float = 1e-9,
    verbose: bool = False,
    options: dict | None = None,
) -> SolveOutcome:
    """Solve ``model`` with HiGHS and map its status to milpinv's vocabulary."""
    import highspy

    h = new_highs(verbose)
    opts = {
        "primal_feasibility_tolerance": feasibility_tol,
        "dual_feasibility_tolerance": feasibility_tol,
        "mip_feasibility_tolerance": feasibility_tol,
        "mip_rel_gap": mip_gap,
        "mip_abs_gap": 1e-12,
    }
    if time_limit is not None:
        opts["time_limit"] = float(max(time_limit, 1e-3))
    if threads:
        opts["threads"] = int(threads)
    opts.update(options or {})
    for key, val in opts.items():
        status = h.setOptionValue(key, val)
        if status == highspy.HighsStatus.kError:
            raise SolverError(f"HiGHS rejected option {key}={val!r}")
    pass_model(h, model)
    if warm_start is not None and model.num_integer:
        sol = highspy.HighsSolution()
        sol.col_value = list(np.asarray(warm_start, dtype=float))
        sol.value_valid = True
        h.setSolution(sol)
    t0 = time.perf_counter()
    interrupted = _run_interruptible(h)
    elapsed = time.perf_counter() - t0
    outcome = _read_outcome(h, model, highspy)
    outcome.time_s = elapsed
    if interrupted:
        outcome.status, outcome.raw_status = "time_limit", "interrupted (Ctrl-C)"
    return outcome


def _run_interruptible(h) -> bool:
    """Solve in HiGHS's own thread so that Ctrl-C cancels the search cleanly (the incumbent
    and bound stay readable) instead of killing the process. Returns True when interrupted."""
    h.HandleUserInterrupt = True
    h.startSolve()
    interrupted = False
    while True:
        try:
            done, _ = h.wait(0.1)
        except KeyboardInterrupt:
            interrupted = True
            h.cancelSolve()
            continue
        if done:
            return interrupted


def _read_outcome(h, model: MatrixModel, highspy) -> SolveOutcome:
    ms = h.getModelStatus()
    S = highspy.HighsModelStatus
    info = h.getInfo()
    raw = h.modelStatusToString(ms)
    is_mip = model.num_integer > 0
    has_sol = info.primal_solution_status == 2  # kSolutionStatusFeasible
    x = np.array(h.getSolution().col_value, dtype=np.float64) if has_sol else None
    obj = float(info.objective_function_value) if has_sol else None
    bound = float(info.mip_dual_bound) if is_mip and np.isfinite(info.mip_dual_bound) else None
    gap = float(info.mip_gap) if is_mip and has_sol and np.isfinite(info.mip_gap) else None
    nodes = int(info.mip_node_count) if is_mip else None
    iters = int(info.simplex_iteration_count)
    if ms == S.kOptimal:
        status = "optimal"
        if not is_mip:
            bound, gap = obj, 0.0
    elif ms == S.kInfeasible:
        status, x, obj = "infeasible", None, None
    elif ms == S.kUnbounded:
        status = "unbounded"
    elif ms == S.kUnboundedOrInfeasible:
        status = _resolve_unbounded_or_infeasible(model)
        x = obj = None
    elif ms in (S.kTimeLimit, S.kInterrupt, S.kIterationLimit, S.kSolutionLimit, S.kObjectiveBound,
                S.kObjectiveTarget):
        status = "time_limit"
    else:
        status = "error"
    return SolveOutcome(status=status, x=x, objective=obj, bound=bound, gap=gap, nodes=nodes,
                        iterations=iters, solver="highs", raw_status=raw)


def _resolve_unbounded_or_infeasible(model: MatrixModel) -> str:
    """Presolve cannot tell infeasible from unbounded; a zero-objective solve can."""
    probe = MatrixModel(np.zeros_like(model.c), model.A, model.row_lower, model.row_upper,
                        model.col_lower, model.col_upper, model.integrality, 0.0, model.blocks,
                        model.row_blocks, model.name)
    out = solve_highs(probe, options={"presolve": "off"})
    if out.status == "infeasible":
        return "infeasible"
    return "unbounded" if out.status == "optimal" else "error"
