"""Method ``milp``: exact inversion of any depth by the big-M formulation, to proven optimality.

A pipeline of named stages, one clock for all of them:

1. **heuristic** (:mod:`.heuristic`): gradient descent and piece walks; with the exact norm a
   verified pre-image ends the search (objective 0 meets the bound 0), otherwise it warm-starts;
2. **peel** (:mod:`.peel`): drop output layers whose pre-image is a single point;
3. **bounds** and **build** (:mod:`.build`): sound bounds, then the big-M model;
4. **solve** (:mod:`.solve`): the chosen engine, a returned z polished on its piece;
5. **certify** (:mod:`.certify`): an "infeasible" stands only as the checks there allow.

Verdicts: ``optimal`` and ``infeasible`` only as proven; ``time_limit`` keeps the incumbent,
the best bound and the gap. Every z is re-checked by :func:`milpinv.invert`.
"""

from __future__ import annotations

import numpy as np

from ..deadline import Deadline
from ..network import ReluNetwork
from ..result import InversionResult
from ..solvers import Solver, SolverOptions, get_solver
from ..status import Status
from .build import build_model
from .certify import certify_infeasible, check_result, magnitude
from .heuristic import BUDGET, SHARE, heuristic
from .peel import Peeled, peel
from .polish import polish
from .solve import Engine, Problem, solve_model


def invert_milp(
    network: ReluNetwork,
    target,
    *,
    norm: str,
    lower,
    upper,
    time_limit: float | None = None,
    solver: str | Solver = "highs",
    bounds: str = "interval",
    obbt_passes: int = 1,
    threads: int | None = None,
    mip_gap: float = 1e-9,
    warm_start=None,
    integral_preimage: bool = False,
    heuristic: bool = True,
    peeling: bool = True,
    verbose: bool = False,
) -> InversionResult:
    """Solve the big-M model of ``network`` for ``target`` with the named backend.

    ``heuristic``: first try the heuristic stage; ``peeling``: the exact presolve;
    ``bounds``: ``interval`` or ``lp`` (OBBT, ``obbt_passes`` rounds); ``integral_preimage``:
    every pre-image is known to be integral (a lattice verdict is then a real one)."""
    problem = Problem(network, np.asarray(target, float), norm, lower, upper, integral_preimage)
    backend = get_solver(solver)
    engine = Engine(
        backend,
        SolverOptions(mip_gap=mip_gap, threads=threads, verbose=verbose),
        Deadline(time_limit),
        get_solver("highs"),
    )
    if heuristic and warm_start is None:
        found = heuristic_stage(problem, engine)
        if found.status == Status.OPTIMAL and norm == "exact":
            return found
        warm_start = found.z
    keep = Peeled(network, problem.target, 0)
    reduced = peel(network, problem.target, norm) if peeling and not backend.lattice else keep
    return solve_stages(problem, reduced, engine, bounds, obbt_passes, warm_start)


def heuristic_stage(problem: Problem, engine: Engine) -> InversionResult:
    """The heuristic within its share of the clock; a verified pre-image comes back polished."""
    p = problem
    found = heuristic(p.network, p.target, p.norm, p.lower, p.upper, engine.deadline.share(BUDGET, SHARE))
    if p.integral_preimage:  # accept only a lattice point that matches the target exactly
        found = check_result(found, p.network, p.target, p.lower, p.upper, integral=True)
    if found.status == Status.OPTIMAL and p.norm == "exact" and found.z is not None:
        found.z = polish(p.network, p.target, found.z, p.norm, p.lower, p.upper, solver=engine.lp_solver)
        found.method, found.bound, found.gap = "milp", 0.0, 0.0
        found.solver = {
            "backend": engine.solver.name,
            "solved_by": "heuristic (projected gradient descent)",
            **found.solver,
        }
    return found


def solve_stages(
    problem: Problem, reduced: Peeled, engine: Engine, bounds: str, obbt_passes: int, warm_start
) -> InversionResult:
    """Bounds, build, solve and certify the (possibly peeled) model."""
    sub = Problem(
        reduced.network, reduced.target, problem.norm, problem.lower, problem.upper, problem.integral_preimage
    )
    form, info = build_model(
        sub.network,
        sub.target,
        norm=sub.norm,
        lower=sub.lower,
        upper=sub.upper,
        bounds=bounds,
        obbt_passes=obbt_passes,
        deadline=engine.deadline,
        lattice=engine.solver.lattice,
        lp_solver=engine.lp_solver,
    )
    engine.details = {
        "backend": engine.solver.name,
        **info,
        **form.stats(),
        "magnitude": magnitude(form.model),
        "peeled_layers": reduced.layers,
    }
    if info["infeasible"]:
        return InversionResult(
            Status.INFEASIBLE,
            None,
            "milp",
            problem.norm,
            solver=dict(engine.details),
            message="the LP relaxation with the observation constraints is infeasible",
        )
    result = solve_model(form, sub, engine, warm_start)

    def solve_full() -> InversionResult:
        return solve_stages(problem, Peeled(problem.network, problem.target, 0), engine, bounds, obbt_passes, None)

    return certify_infeasible(result, form.model, form, sub, engine, reduced.layers, solve_full)
