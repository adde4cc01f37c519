"""The methods' keyword options as typed records, one per method, checked up front (before any
stage runs): each field has one rule, raising :class:`~milpinv.errors.InputError` naming it.

:func:`options_for` builds a method's record from :func:`milpinv.invert`'s keywords, refusing a
keyword the method does not take.

>>> options_for("gd", {"seed": 3})
GdOptions(seed=3, steps=3000, lr=0.05, restarts=8)
>>> options_for("gd", {"solver": "highs"})
Traceback (most recent call last):
milpinv.errors.InputError: method gd: unknown option(s) solver
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from functools import partial
from typing import Any, ClassVar

from .deadline import Deadline
from .engine.branching import DEFAULT, BranchingRule, rule
from .errors import InputError
from .problem import Problem
from .solvers import Solver, get_solver
from .validation import MAX_THREADS, as_float_array, check_flag, check_int, check_length, check_number, check_seed

OWN_ENGINES = ("auto", "bab")  # the engines that are not backends of milpinv.solvers
OWN_ONLY = {"node_limit": "budgets", "scheduler": "spreads"}  # options of those engines alone: what they do
BOUND_MODES = ("interval", "lp")
MAX_OBBT_PASSES = 100  # each pass solves two LPs per unstable neuron
MAX_STEPS = 10_000_000  # gradient steps per restart
MAX_RESTARTS = 10_000  # gradient descent keeps every restart's point in memory
MAX_NODES = 10**12  # a node budget beyond any search
AUTO_NODES = 1000  # auto, l1 / linf, no time limit: the MILP's budget of branch-and-bound nodes per search

Rule = Callable[[Any, str], Any]


def check_engine(solver, name: str = "solver") -> str | Solver:
    """``auto``, ``bab`` or a backend that exists here (a Pyomo solver must be available)."""
    return solver if solver in OWN_ENGINES else get_solver(solver)


def check_bounds(bounds, name: str = "bounds") -> str:
    """``interval`` or ``lp`` (:data:`BOUND_MODES`)."""
    if bounds not in BOUND_MODES:
        raise InputError(f"{name}: expected one of {BOUND_MODES}, got {bounds!r}")
    return bounds


def optional_count(value, name: str, maximum: int = MAX_THREADS) -> int | None:
    """None (the default: no count) or an integer in 1..maximum (``threads``, ``node_limit``)."""
    return None if value is None else check_int(value, name, maximum=maximum)


def check_address(value, name: str) -> str | None:
    """None, or a Dask scheduler's address (text; whether it answers is known on connecting)."""
    if value is None or (isinstance(value, str) and value.strip()):
        return value
    raise InputError(f"{name}: a Dask scheduler address such as tcp://host:8786, got {value!r}")


def check_warm_start(value, name: str) -> None:
    """None or a 1-d array of finite numbers (its length is the latent dimension's: :meth:`MilpOptions.fit`)."""
    if value is not None:
        as_float_array(value, name, ndim=1)


@dataclass(frozen=True)
class Options:
    """A method's options; ``RULES``: each field's rule, run on construction."""

    RULES: ClassVar[dict[str, Rule]] = {}

    def __post_init__(self) -> None:
        for f in fields(self):
            self.RULES[f.name](getattr(self, f.name), f.name)

    def fit(self, input_dim: int) -> Options:
        """The options checked against the latent dimension (nothing to check by default)."""
        return self


@dataclass(frozen=True)
class LpOptions(Options):
    """Methods ``lp`` and ``layerwise``: the LP solver."""

    RULES: ClassVar[dict[str, Rule]] = {"lp_solver": lambda solver, name: get_solver(solver)}
    lp_solver: str | Solver = "highs"


@dataclass(frozen=True)
class GdOptions(Options):
    """Method ``gd``: the restarts' seed, steps per restart, Adam's learning rate, restarts."""

    RULES: ClassVar[dict[str, Rule]] = {
        "seed": check_seed,
        "steps": partial(check_int, maximum=MAX_STEPS),
        "lr": partial(check_number, positive=True),
        "restarts": partial(check_int, maximum=MAX_RESTARTS),
    }
    seed: int | None = 0
    steps: int = 3000
    lr: float = 0.05
    restarts: int = 8


@dataclass(frozen=True)
class MilpOptions(Options):
    """Method ``milp`` (and ``auto``'s MILP); see :func:`milpinv.milp.invert_milp` for each field."""

    RULES: ClassVar[dict[str, Rule]] = {
        "solver": check_engine,
        "bounds": check_bounds,
        "obbt_passes": partial(check_int, minimum=0, maximum=MAX_OBBT_PASSES),
        "threads": optional_count,
        "mip_gap": check_number,
        "warm_start": check_warm_start,
        "heuristic": check_flag,
        "peeling": check_flag,
        "verbose": check_flag,
        "branching": lambda name, key: rule(name),
        "node_limit": partial(optional_count, maximum=MAX_NODES),
        "scheduler": check_address,
    }
    solver: str | Solver = "auto"
    bounds: str = "interval"
    obbt_passes: int = 1
    threads: int | None = None
    mip_gap: float = 1e-9
    warm_start: Any = None
    heuristic: bool = True
    peeling: bool = True
    verbose: bool = False
    branching: str | BranchingRule = DEFAULT.name
    node_limit: int | None = None
    scheduler: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        for key, what in OWN_ONLY.items():
            if getattr(self, key) is not None and self.solver not in OWN_ENGINES:
                name = getattr(self.solver, "name", self.solver)
                raise InputError(f"{key}: {what} milpinv's branch and bound (solver auto or bab), not {name}")

    def fit(self, input_dim: int) -> MilpOptions:
        """``warm_start``: one value a latent coordinate."""
        if self.warm_start is not None:
            check_length(as_float_array(self.warm_start, "warm_start", ndim=1), input_dim, "warm_start")
        return self

    def unbounded(self, problem: Problem) -> bool:
        """A search of ``problem`` with no end but the proof: l1 / linf, no time limit, milpinv's
        own engine."""
        return not problem.norm.exact and problem.deadline.time_limit is None and self.solver in OWN_ENGINES


RECORDS: dict[str, type[Options]] = {
    "lp": LpOptions,
    "layerwise": LpOptions,
    "gd": GdOptions,
    "milp": MilpOptions,
    "auto": MilpOptions,
}


def option_names(method: str) -> tuple[str, ...]:
    """The options ``method`` takes (its record's fields)."""
    return tuple(f.name for f in fields(RECORDS[method]))


def takes(method: str, key: str) -> bool:
    """Does ``method`` take the option ``key``?"""
    return key in option_names(method)


def options_for(method: str, keywords: dict[str, Any], input_dim: int | None = None) -> Options:
    """``method``'s record from :func:`milpinv.invert`'s keywords (``input_dim``: the latent
    dimension, where known)."""
    unknown = sorted(key for key in keywords if not takes(method, key))
    if unknown:
        raise InputError(f"method {method}: unknown option(s) {', '.join(unknown)}")
    record = RECORDS[method](**keywords)
    return record if input_dim is None else record.fit(input_dim)


def clock(time_limit: float | None) -> Deadline:
    """The run's one clock: ``time_limit`` seconds (a finite number > 0), or None (no limit)."""
    if time_limit is not None:
        check_number(time_limit, "time_limit", positive=True)
    return Deadline(time_limit)


def auto_budget(options: MilpOptions, keywords: dict[str, Any], problem: Problem) -> int | None:
    """auto's node budget for a search that has no end otherwise: proving an l1 / linf optimum can
    take hours (and a tanh / sigmoid output's search in pixels halves the latent box until its
    bound meets the incumbent), so with no time limit the branch and bound (a smooth output: its
    boxes' searches together) stops after :data:`AUTO_NODES` nodes, the same on any machine, and
    answers ``feasible`` with its verified z, bound and gap. The exact norm, a time limit, a
    backend or a ``node_limit`` given (None: no budget) keep the search as asked: None (no
    budget)."""
    return None if "node_limit" in keywords or not options.unbounded(problem) else AUTO_NODES
