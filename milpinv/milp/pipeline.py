"""Method ``milp``: exact inversion of any depth, to a certified verdict.

A pipeline of named stages, one clock for all of them:

1. **engine** (:func:`choose_engine`): ``auto`` takes CP-SAT where every pre-image is proven
   integral (exact integer arithmetic, whatever the size of the numbers) and otherwise milpinv's
   own branch and bound (:mod:`milpinv.engine.bab`); any named backend may be asked for;
2. **heuristic** (:mod:`.heuristic`): gradient descent and piece walks; with the exact norm an
   accepted pre-image ends the search, otherwise it warm-starts;
3. **peel** (:mod:`.peel`): drop output layers whose pre-image is a single point;
4. **rescale** (:mod:`.rescale`): every row to a power-of-two scale, exactly;
5. **bounds** and **build** (:mod:`.build`): sound bounds, then the big-M model;
6. **solve** (:mod:`.solve`): the chosen engine;
7. **certify** (:mod:`.certify`): a floating-point backend's ``infeasible`` or l1 / linf optimum
   stands only once the branch and bound re-proves it; a lattice engine's only as far as
   integrality is proven; a peeled model's z stands only as accepted on the full network's
   outputs, and any other verdict about a peeled model is re-decided on the full one.

Verdicts: ``optimal`` and ``infeasible`` only as proven; ``time_limit`` keeps the incumbent, the
certified bound and the gap. A Ctrl-C stops every stage as the time limit does
(:mod:`milpinv.interrupt`): ``time_limit``, with the message "interrupted (Ctrl-C)". Every z is
re-checked by :func:`milpinv.invert`.
"""

from __future__ import annotations

import numpy as np

from .. import interrupt
from ..acceptance import check_result, integer_data
from ..activation import LINEAR
from ..deadline import Deadline
from ..engine.branching import DEFAULT, BranchingRule, rule
from ..errors import InputError
from ..formulations.blocks import observation_interval
from ..network import ReluNetwork
from ..norm import Norm
from ..polish import polish
from ..result import InversionResult
from ..solvers import BACKEND_NAMES, Solver, SolverOptions, get_solver
from ..status import Status
from ..tolerance import Acceptance, tolerance
from .build import build_model
from .certify import certify
from .heuristic import SHARE, heuristic
from .peel import Peeled, peel
from .rescale import rescale
from .solve import Engine, Problem, better_point, solve_model

OWN_ENGINES = ("auto", "bab")  # the engines that are not backends of milpinv.solvers
ENGINE_NAMES = OWN_ENGINES + BACKEND_NAMES
DEFAULT_THREADS = 1  # reproducible runs: a MILP solver's search depends on its thread count
ROOT = 1  # l1 / linf after the quick heuristic: nodes searched before a better incumbent is sought


@interrupt.deferred()
def invert_milp(
    network: ReluNetwork,
    target,
    *,
    norm: Norm | str,
    lower,
    upper,
    accept: Acceptance | None = None,
    time_limit: float | None = None,
    solver: str | Solver = "auto",
    bounds: str = "interval",
    obbt_passes: int = 1,
    threads: int | None = None,
    mip_gap: float = 1e-9,
    warm_start=None,
    heuristic: bool = True,
    peeling: bool = True,
    verbose: bool = False,
    branching: str | BranchingRule = DEFAULT.name,
    node_limit: int | None = None,
    scheduler: str | None = None,
) -> InversionResult:
    """Decide the instance by the stages of the module docstring.

    ``solver``: ``auto`` (default), ``bab`` (milpinv's branch and bound) or a backend of
    :mod:`milpinv.solvers`; ``bounds``: ``interval`` or ``lp`` (OBBT, ``obbt_passes`` rounds);
    ``heuristic`` / ``peeling``: the stages of the same names; ``warm_start``: a candidate incumbent,
    kept where it beats the heuristic's point; ``branching``: the branch and bound's branching rule
    (a name of :mod:`milpinv.engine.branching`); ``verbose``: the branch and bound's progress on
    stderr, a backend's own log; ``node_limit``: a budget of nodes per search of
    milpinv's branch and bound (CP-SAT, which ``auto`` takes on a proven lattice, has none), the
    same on any machine: a search it stops answers ``feasible`` with its best verified z, bound
    and gap (no z: ``failed``); ``threads``: a backend's threads, or the worker processes milpinv's
    branch and bound spreads its tree over (1, the default: the serial search in this process);
    ``scheduler``: the address of a Dask scheduler whose workers search the tree
    (:mod:`milpinv.engine.parallel`)."""
    norm = Norm.parse(norm)
    for key, value in (("node_limit", node_limit), ("scheduler", scheduler)):
        if value is not None and solver not in OWN_ENGINES:
            name = getattr(solver, "name", solver)
            raise InputError(f"{key}: applies to milpinv's branch and bound (solver auto or bab), not {name}")
    x = np.asarray(target, float)
    if not norm.exact and network.output_activation.smooth:
        inner, y = pre_activation_problem(network, x)
        found = invert_milp(
            inner,
            y,
            norm=norm,
            lower=lower,
            upper=upper,
            time_limit=time_limit,
            solver=solver,
            bounds=bounds,
            obbt_passes=obbt_passes,
            threads=threads,
            mip_gap=mip_gap,
            warm_start=warm_start,
            heuristic=heuristic,
            peeling=peeling,
            verbose=verbose,
            branching=branching,
            node_limit=node_limit,
            scheduler=scheduler,
        )
        return measured_on_outputs(found, network)
    problem = Problem(network, x, norm, lower, upper, accept or Acceptance(tolerance(x)))
    options = SolverOptions(mip_gap=mip_gap, threads=threads or DEFAULT_THREADS, verbose=verbose)
    engine = Engine(
        choose_engine(solver, problem),
        options,
        Deadline(time_limit),
        get_solver("highs"),
        rule(branching),
        scheduler=scheduler,
    )
    refine = False
    if heuristic:  # a warm start is one more candidate incumbent, not a replacement for the heuristic
        quick = not norm.exact and engine.solver is None  # the root of the search says if it is enough
        found = heuristic_stage(problem, engine, quick)
        if found.status == Status.OPTIMAL and norm.exact:
            return found
        warm_start, refine = better_point(problem, warm_start, found.z), quick
    keep = Peeled(network, x, 0)
    reduced = peel(network, x, norm) if peeling and not engine.lattice else keep
    result = solve_stages(problem, reduced, engine, bounds, obbt_passes, warm_start, refine, node_limit)
    return out_of_nodes(result, node_limit) if not engine.deadline.expired() else result


def pre_activation_problem(network: ReluNetwork, x: np.ndarray) -> tuple[ReluNetwork, np.ndarray]:
    """A tanh / sigmoid output under l1 / linf: the network up to its output pre-activations, and
    the target's pre-activation act^-1(x) (x clipped into the open range)."""
    act = network.output_activation
    inner = ReluNetwork(network.weights, network.biases, activations=network.activations[:-1] + (LINEAR,))
    return inner, act.inverse(x)


def measured_on_outputs(found: InversionResult, network: ReluNetwork) -> InversionResult:
    """The pre-activation problem's answer as an answer to the output's: its optimum is not the
    output's (act is not piecewise linear), so a proof becomes ``feasible``; the residual is then
    measured on the outputs, by :func:`milpinv.invert`'s forward pass."""
    act = network.output_activation
    found.solver.update(pre_activation_objective=found.objective, pre_activation_bound=found.bound)
    if found.status == Status.OPTIMAL:
        found.status = Status.FEASIBLE
    found.objective = found.bound = found.gap = None
    found.note(
        f"{found.norm} measured on the output pre-activations against {act}^-1(x): the {act} output has "
        "no exact piecewise-linear model; its residual is the forward pass's"
    )
    return found


def choose_engine(solver: str | Solver, problem: Problem) -> Solver | None:
    """The engine for ``solver`` (None: milpinv's branch and bound)."""
    if solver == "auto":
        return get_solver("cpsat") if problem.accept.lattice else None
    if solver == "bab":
        return None
    engine = get_solver(solver)
    if engine.lattice and not integer_data(problem.network, problem.target, problem.lower, problem.upper):
        raise InputError(
            f"solver {engine.name}: decides integer-weight instances only (integer weights, biases, "
            "target and box); use solver auto, bab, highs or ortools-scip"
        )
    return engine


def heuristic_stage(problem: Problem, engine: Engine, quick: bool = False) -> InversionResult:
    """The heuristic (at most its share of a time limit); an accepted pre-image comes back polished."""
    p = problem
    budget = None if engine.deadline.time_limit is None else SHARE * engine.deadline.time_limit
    found = heuristic(p.network, p.target, p.norm, p.lower, p.upper, p.accept, budget, quick)
    if found.status == Status.OPTIMAL and p.norm.exact and found.z is not None:
        if not p.accept.lattice:
            found.z = polish(p.network, p.target, found.z, p.norm, p.lower, p.upper, solver=engine.lp_solver)
        found = check_result(found, p.network, p.target, p.lower, p.upper, p.accept)
        found.method, found.bound, found.gap = "milp", 0.0, 0.0
        found.solver = {"engine": engine.name, "solved_by": "heuristic (projected gradient descent)", **found.solver}
    return found


def observed_interval(problem: Problem) -> tuple[np.ndarray, np.ndarray] | None:
    """The exact norm's interval on the output pre-activations: act(a) within the acceptance band
    of x (None for l1 / linf)."""
    if not problem.norm.exact:
        return None
    net = problem.network
    return observation_interval(net.output_activation, problem.target, problem.accept.tol)


def out_of_nodes(result: InversionResult, node_limit: int | None) -> InversionResult:
    """A search stopped by its ``node_limit`` (not by a clock or Ctrl-C): the budget was spent, so
    the best verified z is ``feasible`` (``failed`` without one); bound and gap are kept."""
    if node_limit is None or result.status != Status.TIME_LIMIT:
        return result
    result.status = Status.FEASIBLE if result.z is not None else Status.FAILED
    result.solver["node_limit_spent"] = node_limit
    result.note(f"node_limit={node_limit} spent: optimality not proven")
    return result


def solve_stages(
    problem: Problem,
    reduced: Peeled,
    engine: Engine,
    bounds: str,
    obbt_passes: int,
    warm_start,
    refine: bool = False,
    node_limit: int | None = None,
) -> InversionResult:
    """Rescale, bounds, build, solve and certify the (possibly peeled) model. ``refine`` (l1 / linf
    after a quick heuristic): if the root of the search does not prove the incumbent optimal, the
    heuristic's full effort for a better incumbent, and the search again. ``node_limit``: each
    search's budget of nodes."""
    origin = problem if reduced.layers else None
    sub = Problem(reduced.network, reduced.target, problem.norm, problem.lower, problem.upper, problem.accept, origin)
    observed = observed_interval(sub)
    scaled = rescale(sub.network, sub.target, observed) if not engine.lattice else None
    net, x = (scaled.network, scaled.target) if scaled is not None else (sub.network, sub.target)
    form, info = build_model(
        net,
        x,
        norm=sub.norm,
        lower=sub.lower,
        upper=sub.upper,
        bounds=bounds,
        obbt_passes=obbt_passes,
        deadline=engine.deadline,
        lattice=engine.lattice,
        lp_solver=engine.lp_solver,
        observed=scaled.observed if scaled is not None else observed,
    )
    engine.details = {
        "engine": engine.name,
        **info,
        **form.stats(),
        "peeled_layers": reduced.layers,
        **(scaled.report() if scaled is not None else {}),
    }
    if info["infeasible"]:
        result = InversionResult(
            Status.INFEASIBLE,
            None,
            "milp",
            problem.norm,
            solver=dict(engine.details),
            message="the LP relaxation with the observation rows is infeasible "
            "(Farkas certificate checked in exact arithmetic)",
        )
        result.solver["certified_by"] = "bound tightening"
    else:
        result = solve_model(form, sub, engine, warm_start, node_limit=ROOT if refine else node_limit)
        if refine and result.status == Status.TIME_LIMIT and not engine.deadline.expired():
            incumbent = better_point(sub, result.z, heuristic_stage(problem, engine).z)
            result = solve_model(form, sub, engine, incumbent, node_limit=node_limit)

    def solve_full() -> InversionResult:
        full = Peeled(problem.network, problem.target, 0)
        return solve_stages(problem, full, engine, bounds, obbt_passes, None, node_limit=node_limit)

    return certify(result, form, sub, engine, reduced.layers, solve_full)
