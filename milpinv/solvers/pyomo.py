"""Pyomo: the matrix model as a Pyomo model, solvable by any solver Pyomo drives (appsi_highs,
gurobi, cplex, scip, cbc, ...) and exportable as MPS or LP for any other solver.

This is the one place where the model is built element by element (Pyomo's own data model
requires it); the default path (:mod:`milpinv.backends.highs`) never does this.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import InputError, SolverError
from ..files import atomic_write
from ..status import Status
from ..tolerance import relative_gap
from .base import Solver
from .highs import DEFAULT_THREADS, use_threads
from .matrix import MatrixModel
from .outcome import Outcome, SolverOptions

FORMATS = ("mps", "lp")


def to_pyomo(model: MatrixModel):
    """A ``pyomo.environ.ConcreteModel`` with variables ``v[j]``, rows ``row[i]`` and ``objective``;
    variable and row names (``model.var_names()``) are kept as Pyomo suffix-free labels on export."""
    import pyomo.environ as pyo

    m = pyo.ConcreteModel(name=model.name)
    add_to_block(m, model)
    m.objective = pyo.Objective(
        expr=sum(float(model.c[j]) * m.v[j] for j in np.flatnonzero(model.c)) + float(model.offset), sense=pyo.minimize
    )
    return m


def add_to_block(block, model: MatrixModel) -> None:
    """The variables ``v[j]`` (index set ``J``, labels ``var_label``) and rows ``row[i]`` (index set
    ``I``) of ``model`` added to a Pyomo ``block`` (a model, or a block of one); no objective."""
    import pyomo.environ as pyo

    names = model.var_names()
    bnd = lambda v: None if not np.isfinite(v) else float(v)  # noqa: E731
    block.J = pyo.RangeSet(0, model.num_vars - 1)
    block.v = pyo.Var(
        block.J,
        within=lambda _b, j: pyo.Integers if model.integrality[j] else pyo.Reals,
        bounds=lambda _b, j: (bnd(model.col_lower[j]), bnd(model.col_upper[j])),
    )
    block.var_label = {j: names[j] for j in range(model.num_vars)}
    A = model.A.tocsr()

    def row(_b, i):
        sl = slice(A.indptr[i], A.indptr[i + 1])
        expr = sum(float(a) * block.v[int(j)] for j, a in zip(A.indices[sl], A.data[sl]))
        lo, hi = bnd(model.row_lower[i]), bnd(model.row_upper[i])
        if lo is None and hi is None:
            return pyo.Constraint.Skip
        if sl.start == sl.stop:  # no coefficients: the row holds or fails by its bounds alone
            holds = (lo is None or lo <= 0) and (hi is None or hi >= 0)
            return pyo.Constraint.Skip if holds else pyo.Constraint.Infeasible
        if lo is not None and lo == hi:
            return expr == lo
        return (lo, expr, hi)

    block.I = pyo.RangeSet(0, model.num_rows - 1)
    block.row = pyo.Constraint(block.I, rule=row)


def export_model(model: MatrixModel, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``model`` as MPS or LP (format from ``fmt`` or the file extension), atomically."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise InputError(f"format: expected one of {FORMATS}, got {fmt!r}")
    from pyomo.opt import ProblemFormat

    m = to_pyomo(model)
    fd, tmp = tempfile.mkstemp(suffix=f".{fmt}")
    os.close(fd)
    try:
        with quiet_pyomo():  # "constant objective" notices for the exact-norm feasibility model
            m.write(
                tmp,
                format={"lp": ProblemFormat.cpxlp, "mps": ProblemFormat.mps}[fmt],
                io_options={"symbolic_solver_labels": True},
            )
        atomic_write(path, Path(tmp).read_bytes())
    finally:
        os.unlink(tmp)
    return path


@contextmanager
def quiet_pyomo() -> Iterator[None]:
    """Pyomo's log below ERROR silenced: its warnings (a missing solver's traceback, "loading an
    aborted status") would break the one-line contract; milpinv says what happened instead."""
    logger = logging.getLogger("pyomo")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def solver_factory(name: str):
    """``pyomo.SolverFactory(name)``, refused with one line unless the solver is available here."""
    import pyomo.environ as pyo

    try:
        with quiet_pyomo():
            opt = pyo.SolverFactory(name)
            available = opt is not None and opt.available(exception_flag=False)
    except Exception:  # noqa: BLE001 - Pyomo plugins raise many kinds on a missing solver
        available = False
    if not available:
        raise InputError(f"solver pyomo:{name}: not available here; try pyomo:appsi_highs")
    return opt


class PyomoSolver(Solver):
    """``pyomo.SolverFactory(solver_name)``; the model is built element by element. A solver that
    is not available here is refused when the backend is made, before any solve."""

    supported = frozenset({"time_limit", "mip_gap", "threads", "verbose"})

    def __init__(self, solver_name: str) -> None:
        self.solver_name = solver_name
        self.name = f"pyomo:{solver_name}"
        solver_factory(solver_name)

    def _solve(self, model: MatrixModel, options: SolverOptions, warm_start: np.ndarray | None) -> Outcome:
        import pyomo.environ as pyo
        from pyomo.opt import TerminationCondition as TC

        name = self.solver_name
        opt = solver_factory(name)
        m = to_pyomo(model)
        if warm_start is not None:
            for j, val in enumerate(warm_start):
                m.v[j].set_value(float(val), skip_validation=True)
        _set_options(
            opt, name, options.time_limit, 1e-9 if options.mip_gap is None else options.mip_gap, options.threads
        )
        t0 = time.perf_counter()
        kwargs: dict = {"tee": options.verbose, "load_solutions": False}
        if name.startswith("appsi_"):  # the legacy solve() sets the time limit from its own argument
            kwargs["timelimit"] = options.time_limit
        if warm_start is not None and name in ("gurobi", "cplex", "cbc", "gurobi_direct", "cplex_direct"):
            kwargs["warmstart"] = True
        try:
            res = opt.solve(m, **kwargs)
        except Exception as exc:  # noqa: BLE001 - solver plugins raise their own types
            first = str(exc).splitlines()[0] if str(exc) else exc
            raise SolverError(f"Pyomo solver {name} failed: {first}") from None
        elapsed = time.perf_counter() - t0
        tc = res.solver.termination_condition
        status = {
            TC.optimal: Status.OPTIMAL,
            TC.infeasible: Status.INFEASIBLE,
            TC.maxTimeLimit: Status.TIME_LIMIT,
            TC.maxIterations: Status.TIME_LIMIT,
            TC.userInterrupt: Status.TIME_LIMIT,
        }.get(tc, Status.FAILED)
        x = objective = None
        if status in (Status.OPTIMAL, Status.TIME_LIMIT) and len(res.solution) > 0:
            with quiet_pyomo():  # an "aborted" status (a time limit) still carries the incumbent
                m.solutions.load_from(res)
            x = np.array([pyo.value(m.v[j], exception=False) or 0.0 for j in range(model.num_vars)])
            objective = float(pyo.value(m.objective))
        bound = _bound(res, objective, model)
        gap = relative_gap(objective, bound)
        return Outcome(status, x, objective, bound, gap, None, None, elapsed, self.name, str(tc))


def _set_options(opt, name: str, time_limit, mip_gap, threads) -> None:
    """Map the common options to each solver family's names (unknown families get none)."""
    if name.startswith("appsi_"):
        cfg = opt.config
        if time_limit is not None:
            cfg.time_limit = float(time_limit)
        if hasattr(cfg, "mip_gap"):
            cfg.mip_gap = float(mip_gap)
        cfg.load_solution = False
        if name == "appsi_highs":
            count = int(threads or DEFAULT_THREADS)
            use_threads(count)  # one HiGHS thread pool per process: milpinv's solves share it
            opt.highs_options = {"threads": count}
        return
    names = {
        "gurobi": ("TimeLimit", "MIPGap", "Threads"),
        "cplex": ("timelimit", "mipgap", "threads"),
        "cbc": ("seconds", "ratioGap", "threads"),
        "scip": ("limits/time", "limits/gap", "lp/threads"),
        "glpk": ("tmlim", "mipgap", None),
        "highs": ("time_limit", "mip_rel_gap", "threads"),
    }
    family = next((v for k, v in names.items() if name.startswith(k)), None)
    if family is None:
        return
    for key, val in zip(family, (time_limit, mip_gap, threads)):
        if key and val is not None:
            opt.options[key] = val


def _bound(res, objective, model: MatrixModel) -> float | None:
    try:
        lb = res.problem.lower_bound
        if lb is not None and np.isfinite(float(lb)):
            return float(lb)
    except (AttributeError, TypeError, ValueError):
        pass
    return objective if model.num_integer == 0 else None
