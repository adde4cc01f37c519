"""The solve stage of the MILP: a built model to an inversion result, by milpinv's branch and
bound (:mod:`milpinv.engine.bab`, every pruning certified) or by a MILP backend
(:mod:`milpinv.solvers`). A backend's z is polished on its linear piece, so that it satisfies the
piece's equalities to LP precision rather than big-M precision; what a backend's result may claim
is decided afterwards, by :mod:`milpinv.milp.certify`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from ..deadline import Deadline
from ..engine.bab import Setup, search
from ..engine.branching import DEFAULT, BranchingRule
from ..engine.parallel import dask, processes
from ..engine.progress import ProgressLog
from ..errors import SolverError
from ..formulations.bigm import Formulation
from ..polish import polish
from ..problem import Problem
from ..result import InversionResult
from ..solvers import Solver, SolverOptions
from ..status import Status
from ..tolerance import relative_gap, residual_norm

NEAR_MISS = 1e3  # an exact-norm candidate within this many tolerances is polished before it is judged


@dataclass
class Engine:
    """The engine of one run (``solver`` None: milpinv's branch and bound), its options, the LP
    solver that polishes and runs the branch and bound's node LPs, the branch and bound's
    branching rule, and where it runs: ``options.threads`` worker processes (1: the serial search,
    in this process) or the Dask cluster at ``scheduler`` (the run's clock is its problem's)."""

    solver: Solver | None
    options: SolverOptions
    lp_solver: Solver
    branching: BranchingRule = DEFAULT
    details: dict = field(default_factory=dict)
    scheduler: str | None = None  # the branch and bound's subtrees on this Dask cluster

    @property
    def name(self) -> str:
        return "bab" if self.solver is None else self.solver.name

    @property
    def lattice(self) -> bool:
        return self.solver is not None and self.solver.lattice

    def remaining_options(self, deadline: Deadline) -> SolverOptions:
        return replace(self.options, time_limit=deadline.remaining())


def candidate_judge(problem: Problem, lp_solver: Solver):
    """z -> (accepted, residual, z judged) by a float64 forward pass of the original network (a
    peeled problem's origin: the peeled target is a float solve, and a measurement A can stretch
    its tolerance band); an exact-norm near miss is polished on its piece first. It pickles (the
    workers of a parallel search judge their points)."""
    return partial(_judge, problem.origin or problem, lp_solver)


def _judge(p: Problem, lp_solver: Solver, z: np.ndarray) -> tuple[bool, float, np.ndarray]:
    z = p.box.clip(z)
    if not p.norm.exact:
        return True, residual_norm(p.network, p.target, z, p.norm), z
    z, miss, ok = p.accept.check(p.network, p.target, z, p.lower, p.upper)
    if not ok and miss <= NEAR_MISS * max(p.accept.tol, 1e-9):
        z, miss, ok = p.accept.check(
            p.network,
            p.target,
            polish(p, z, solver=lp_solver),
            p.lower,
            p.upper,
        )
    return ok, miss, z


def solve_model(
    form: Formulation, problem: Problem, engine: Engine, warm_start=None, node_limit: int | None = None
) -> InversionResult:
    """Solve ``form`` with the engine and read the result (``node_limit``: milpinv's branch and
    bound only)."""
    solver = engine.solver
    if solver is None:
        return search_model(form, problem, engine, warm_start, node_limit)
    start = None if warm_start is None else form.complete(warm_start, problem.target)
    out = solver.solve(form.model, engine.remaining_options(problem.deadline), start)
    details = {**engine.details, **out.details(), "engine_status": out.status}
    if out.status == Status.INFEASIBLE:
        return InversionResult(Status.INFEASIBLE, None, "milp", problem.norm, solver=details, message=out.raw_status)
    if out.status not in (Status.OPTIMAL, Status.TIME_LIMIT):
        return InversionResult(
            Status.FAILED,
            None,
            "milp",
            problem.norm,
            solver=details,
            message=f"solver status {out.status} ({out.raw_status})",
        )
    z = None if out.x is None else _polished(form.z_of(out.x), problem, engine)
    exact = problem.norm.exact
    objective = None if out.objective is None else (0.0 if exact else float(out.objective))
    status = Status.OPTIMAL if out.status == Status.OPTIMAL else Status.TIME_LIMIT
    if status == Status.TIME_LIMIT and not exact and warm_start is not None:  # some backends drop it
        z = better_point(problem, z, warm_start)
        objective = residual_norm(problem.network, problem.target, z, problem.norm)
    return InversionResult(
        status,
        z,
        "milp",
        problem.norm,
        objective=objective,
        bound=out.bound,
        gap=out.gap,
        solver=details,
        message="" if status == Status.OPTIMAL else out.raw_status,
    )


def better_point(problem: Problem, z, other):
    """Of two points (either may be None), the one of smaller residual in the problem's norm."""
    points = [p for p in (z, other) if p is not None]
    return min(points, key=lambda p: residual_norm(problem.network, problem.target, p, problem.norm), default=None)


def _polished(z: np.ndarray, problem: Problem, engine: Engine) -> np.ndarray:
    """A lattice engine's point is exact already; a float engine's is polished on its piece."""
    if engine.lattice:
        return z
    return polish(problem, z, solver=engine.lp_solver)


def search_model(
    form: Formulation, problem: Problem, engine: Engine, incumbent_z=None, node_limit: int | None = None
) -> InversionResult:
    """milpinv's branch and bound on ``form``; an l1 / linf ``incumbent_z`` prunes from the start."""
    judge = candidate_judge(problem, engine.lp_solver)
    incumbent = None
    if incumbent_z is not None and not problem.norm.exact:
        _, value, z = judge(np.asarray(incumbent_z, float))
        incumbent = (z, value)
    try:
        progress = ProgressLog() if engine.options.verbose else None
        setup = Setup(engine.lp_solver.incremental, engine.branching, progress)
        threads = engine.options.threads or 1
        parallel = {}
        if threads == 1 and engine.scheduler is None:
            s = search(form, judge, problem.deadline, setup, incumbent, node_limit)
        else:
            spread = processes(threads) if engine.scheduler is None else dask(engine.scheduler)
            out = spread.search(form, judge, problem.deadline, setup, incumbent, node_limit)
            s, parallel = out.search, out.details()
    except SolverError as exc:
        z, value = incumbent if incumbent is not None else (None, None)
        status = Status.FAILED if z is None else Status.FEASIBLE  # the incumbent stands, unproven
        details, why = dict(engine.details), f"branch and bound: {exc}"
        return InversionResult(status, z, "milp", problem.norm, objective=value, solver=details, message=why)
    details = {
        **engine.details,
        "nodes": s.nodes,
        "lps": s.lps,
        "uncertified": s.uncertified,
        "engine_status": s.status,
        **parallel,
    }
    if problem.norm.exact:  # a pre-image meets the bound 0, an infeasibility proof has no objective
        objective = bound = gap = 0.0 if s.z is not None else None
        return InversionResult(
            s.status,
            s.z,
            "milp",
            problem.norm,
            objective=objective,
            bound=bound,
            gap=gap,
            solver=details,
            message=s.message,
        )
    return InversionResult(
        s.status,
        s.z,
        "milp",
        problem.norm,
        objective=s.objective,
        bound=s.bound,
        gap=relative_gap(s.objective, s.bound),
        solver=details,
        message=s.message,
    )
