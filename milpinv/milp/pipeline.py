"""Method ``milp``: exact inversion of any depth, to a certified verdict.

A pipeline of named stages, one clock for all of them:

1. **engine** (:func:`choose_engine`): ``auto`` takes CP-SAT where every pre-image is proven
   integral (exact integer arithmetic, whatever the size of the numbers) and otherwise milpinv's
   own branch and bound (:mod:`milpinv.engine.bab`); any named backend may be asked for;
2. **heuristic** (:mod:`.heuristic`): gradient descent and piece walks; with the exact norm an
   accepted pre-image ends the search, otherwise it warm-starts. With the exact norm, milpinv's
   branch and bound and interval bounds it waits for the root of the search (which often
   proves infeasibility at once) and searches the neighbourhood of each near miss
   (:mod:`.neighbourhood`) before the whole search;
3. **peel** (:mod:`.peel`): drop output layers whose pre-image is a single point;
4. **rescale** (:mod:`.rescale`): every row to a power-of-two scale, exactly;
5. **bounds** and **build** (:mod:`.build`): sound bounds, then the big-M model;
6. **solve** (:mod:`.solve`): the chosen engine;
7. **certify** (:mod:`.certify`): a floating-point backend's ``infeasible`` or l1 / linf optimum
   stands only once the branch and bound re-proves it; a lattice engine's only as far as
   integrality is proven; a peeled model's z stands only as accepted on the full network's
   outputs, and any other verdict about a peeled model is re-decided on the full one.

A tanh / sigmoid output under l1 / linf is measured in pixels: after the heuristic (on the output
pre-activations against act^-1(x)), milpinv's branch and bound searches boxes of the latent box
(:mod:`.boxes`, each model's pixel errors bounded by the lines of
:mod:`milpinv.formulations.pixel_error`); a backend solves that model once, on the whole box.

Verdicts: ``optimal`` and ``infeasible`` only as proven; ``time_limit`` keeps the incumbent, the
certified bound and the gap. A Ctrl-C stops every stage as the time limit does
(:mod:`milpinv.interrupt`): ``time_limit``, with the message "interrupted (Ctrl-C)". Every z is
re-checked by :func:`milpinv.invert`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .. import interrupt
from ..acceptance import check_result, integer_data
from ..activation import LINEAR
from ..engine.branching import rule
from ..errors import InputError
from ..formulations.bigm import Formulation
from ..formulations.blocks import observation_interval
from ..methods.gd import Descent, descend
from ..network import ReluNetwork
from ..options import OWN_ENGINES, MilpOptions
from ..polish import polish
from ..problem import Problem
from ..result import InversionResult
from ..solvers import BACKEND_NAMES, Solver, SolverOptions, get_solver
from ..status import Status
from ..tolerance import Acceptance, residual_norm, tolerance
from .boxes import split_boxes
from .build import ModelSpec, build_model
from .certify import certify
from .heuristic import RESTARTS, SHARE, Explore, heuristic
from .neighbourhood import Neighbourhoods
from .peel import Peeled, peel
from .rescale import rescale
from .solve import Engine, better_point, candidate_judge, solve_model

ENGINE_NAMES = OWN_ENGINES + BACKEND_NAMES
DEFAULT_THREADS = 1  # reproducible runs: a MILP solver's search depends on its thread count
ROOT = 1  # nodes searched before the (l1 / linf: full) heuristic runs
HEURISTIC = "heuristic (projected gradient descent)"
PIXEL_STEPS = 1000  # a tanh / sigmoid output under l1 / linf: steps of the heuristic's descents on the pixels


@interrupt.deferred()
def invert_milp(problem: Problem, options: MilpOptions) -> InversionResult:
    """Decide ``problem`` by the stages of the module docstring, on its clock.

    ``options`` (:class:`milpinv.options.MilpOptions`): ``solver``: ``auto`` (default), ``bab``
    (milpinv's branch and bound) or a backend of :mod:`milpinv.solvers`; ``bounds``: ``interval``
    or ``lp`` (OBBT, ``obbt_passes`` rounds); ``heuristic`` / ``peeling``: the stages of the same
    names; ``warm_start``: a candidate incumbent, kept where it beats the heuristic's point;
    ``branching``: the branch and bound's branching rule (a name of
    :mod:`milpinv.engine.branching`); ``verbose``: the branch and bound's progress on stderr, a
    backend's own log; ``node_limit``: a budget of nodes per search of milpinv's branch and bound
    (CP-SAT, which ``auto`` takes on a proven lattice, has none), the same on any machine: a search
    it stops answers ``feasible`` with its best verified z, bound and gap (no z: ``failed``);
    ``threads``: a backend's threads, or the worker processes milpinv's branch and bound spreads
    its tree over (1, the default: the serial search in this process); ``scheduler``: the address
    of a Dask scheduler whose workers search the tree (:mod:`milpinv.engine.parallel`)."""
    engine = Engine(
        choose_engine(options.solver, problem),
        SolverOptions(mip_gap=options.mip_gap, threads=options.threads or DEFAULT_THREADS, verbose=options.verbose),
        get_solver("highs"),
        rule(options.branching),
        scheduler=options.scheduler,
    )
    refine = False
    if options.heuristic and not root_first(problem, engine, options):  # a warm start is one more candidate
        quick = not problem.norm.exact and engine.solver is None  # the root of the search says if it is enough
        found = heuristic_stage(problem, engine, quick)
        if found.status == Status.OPTIMAL and problem.norm.exact:
            return found
        options, refine = replace(options, warm_start=better_point(problem, options.warm_start, found.z)), quick
    if pixel_space(problem) and engine.solver is None:
        result = split_boxes(problem, engine, options)
    else:
        keep = Peeled(problem.network, problem.target, 0)
        reduced = peel(problem) if options.peeling and not engine.lattice else keep
        result = solve_stages(problem, reduced, engine, options, refine)
        if pixel_space(problem):
            result.note(
                f"{engine.name} solves the {problem.network.output_activation} output's model once, on the whole "
                "box (a relaxation of the pixel error): solver auto or bab halves the box until the bound meets z"
            )
    return out_of_nodes(result, options.node_limit) if not problem.deadline.expired() else result


def pixel_space(problem: Problem) -> bool:
    """l1 / linf through a tanh / sigmoid output: measured in pixels (the module docstring)."""
    return not problem.norm.exact and problem.network.output_activation.smooth


def pre_activation_problem(problem: Problem) -> Problem:
    """A tanh / sigmoid output under l1 / linf: the question about the network up to its output
    pre-activations and the target's pre-activation act^-1(x) (x clipped into the open range), on
    the same clock: where the heuristic's piece LPs start (the search itself measures pixels)."""
    network = problem.network
    inner = ReluNetwork(network.weights, network.biases, activations=network.activations[:-1] + (LINEAR,))
    y = network.output_activation.inverse(problem.target)
    return problem.restate(network=inner, target=y, accept=Acceptance(tolerance(y)))


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


def root_first(problem: Problem, engine: Engine, options: MilpOptions) -> bool:
    """The exact norm on milpinv's branch and bound with interval bounds: the root of the search
    (which often proves infeasibility at once) before the heuristic (OBBT, ``bounds="lp"``,
    costs more than the heuristic: there the heuristic goes first)."""
    return options.heuristic and problem.norm.exact and engine.solver is None and options.bounds == "interval"


def heuristic_stage(
    problem: Problem, engine: Engine, quick: bool = False, explore: Explore | None = None
) -> InversionResult:
    """The heuristic (on at most :data:`SHARE` of the clock); an accepted pre-image comes back
    polished. ``explore``: the exact norm's neighbourhood search around its near misses."""
    p = problem
    if pixel_space(p):
        found = pixel_heuristic(p, quick)
    else:
        found = heuristic(p.with_deadline(p.deadline.share(SHARE)), quick, explore)
    if found.status == Status.OPTIMAL and p.norm.exact and found.z is not None:
        if not p.accept.lattice:
            found.z = polish(p, found.z, solver=engine.lp_solver)
        found = check_result(found, p.network, p.target, p.lower, p.upper, p.accept)
        found.method, found.bound, found.gap = "milp", 0.0, 0.0
        how = "neighbourhood search around a heuristic point" if found.solver.get("neighbourhood") else HEURISTIC
        found.solver = {"engine": engine.name, "solved_by": how, **found.solver}
    return found


def pixel_heuristic(problem: Problem, quick: bool = False) -> InversionResult:
    """A tanh / sigmoid output under l1 / linf: the heuristic on the output pre-activations against
    act^-1(x) (piece LPs model a piecewise-linear output), then descents on the pixels themselves,
    each on at most :data:`SHARE` of the clock; the best point in pixels is the result's z."""
    inner = pre_activation_problem(problem)
    found = heuristic(inner.with_deadline(inner.deadline.share(SHARE)), quick)
    Z, _, _, _ = descend(problem.with_deadline(problem.deadline.share(SHARE)), Descent(RESTARTS, PIXEL_STEPS, 0))
    p = problem
    found.z = min([found.z, *Z], key=lambda z: np.inf if z is None else residual_norm(p.network, p.target, z, p.norm))
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


def explore_then_search(
    problem: Problem, sub: Problem, form: Formulation, engine: Engine, node_limit: int | None
) -> InversionResult:
    """The exact norm after an undecided root: the heuristic with a neighbourhood search around
    each near miss on ``form`` (``sub``'s model), then, without a pre-image, the whole search."""
    explore = Neighbourhoods(form, candidate_judge(sub, engine.lp_solver), engine, sub.deadline)
    result = heuristic_stage(problem, engine, explore=explore)
    if result.status != Status.OPTIMAL:
        result = solve_model(form, sub, engine, None, node_limit=node_limit)
    result.solver.update(neighbourhood_searches=explore.searches, neighbourhood_nodes=explore.nodes)
    return result


def solve_stages(
    problem: Problem, reduced: Peeled, engine: Engine, options: MilpOptions, refine: bool = False
) -> InversionResult:
    """Rescale, bounds, build, solve and certify the (possibly peeled) model, from
    ``options.warm_start``. ``refine`` (l1 / linf after a quick heuristic): if the root of the
    search does not prove the incumbent optimal, the heuristic's full effort for a better
    incumbent, and the search again. :func:`root_first` (the exact norm, the heuristic not run
    yet): if the root decides nothing, the heuristic with a neighbourhood search around each near
    miss (:mod:`.neighbourhood`), then the whole search. ``options.node_limit``: each search's
    budget of nodes."""
    sub = problem.derive(network=reduced.network, target=reduced.target) if reduced.layers else problem
    observed = observed_interval(sub)
    scaled = rescale(sub.network, sub.target, observed) if not engine.lattice else None
    net, x = (scaled.network, scaled.target) if scaled is not None else (sub.network, sub.target)
    spec = ModelSpec(
        bounds=options.bounds,
        obbt_passes=options.obbt_passes,
        lattice=engine.lattice,
        lp_solver=engine.lp_solver,
        observed=scaled.observed if scaled is not None else observed,
    )
    form, info = build_model(sub.restate(network=net, target=x), spec)
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
        node_limit, first = options.node_limit, root_first(problem, engine, options)
        result = solve_model(form, sub, engine, options.warm_start, node_limit=ROOT if refine or first else node_limit)
        undecided = result.status == Status.TIME_LIMIT and not problem.deadline.expired()
        if refine and undecided:
            incumbent = better_point(sub, result.z, heuristic_stage(problem, engine).z)
            result = solve_model(form, sub, engine, incumbent, node_limit=node_limit)
        elif first and undecided:
            result = explore_then_search(problem, sub, form, engine, node_limit)

    def solve_full() -> InversionResult:
        full = Peeled(problem.network, problem.target, 0)
        return solve_stages(problem, full, engine, replace(options, warm_start=None))

    return certify(result, form, sub, engine, reduced.layers, solve_full)
