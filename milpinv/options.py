"""The methods' keyword options, checked up front (before any stage runs): one rule per option,
each raising :class:`~milpinv.errors.InputError` naming it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from .engine.branching import rule
from .errors import InputError
from .milp.build import check_bounds
from .milp.pipeline import OWN_ENGINES
from .solvers import Solver, get_solver
from .validation import MAX_THREADS, as_float_array, check_flag, check_int, check_length, check_number, check_seed


def check_engine(solver, name: str = "solver") -> str | Solver:
    """``auto``, ``bab`` or a backend that exists here (a Pyomo solver must be available)."""
    return solver if solver in OWN_ENGINES else get_solver(solver)


MAX_OBBT_PASSES = 100  # each pass solves two LPs per unstable neuron
MAX_STEPS = 10_000_000  # gradient steps per restart
MAX_RESTARTS = 10_000  # gradient descent keeps every restart's point in memory
MAX_NODES = 10**12  # a node budget beyond any search


def optional_count(value, name: str, maximum: int = MAX_THREADS) -> int | None:
    """None (the default: no count) or an integer in 1..maximum (``threads``, ``node_limit``)."""
    return None if value is None else check_int(value, name, maximum=maximum)


def check_address(value, name: str) -> str | None:
    """None, or a Dask scheduler's address (text; whether it answers is known on connecting)."""
    if value is None or (isinstance(value, str) and value.strip()):
        return value
    raise InputError(f"{name}: a Dask scheduler address such as tcp://host:8786, got {value!r}")


RULES: dict[str, Callable[[Any, str], Any]] = {
    "solver": check_engine,
    "lp_solver": lambda solver, name: get_solver(solver),
    "bounds": check_bounds,
    "obbt_passes": partial(check_int, minimum=0, maximum=MAX_OBBT_PASSES),
    "threads": optional_count,
    "node_limit": partial(optional_count, maximum=MAX_NODES),
    "mip_gap": check_number,
    "heuristic": check_flag,
    "peeling": check_flag,
    "verbose": check_flag,
    "branching": lambda name, key: rule(name),
    "seed": check_seed,
    "steps": partial(check_int, maximum=MAX_STEPS),
    "restarts": partial(check_int, maximum=MAX_RESTARTS),
    "lr": partial(check_number, positive=True),
    "scheduler": check_address,
}


def check_options(options: dict[str, Any], input_dim: int | None = None) -> None:
    """Check every option given, raising on the first bad one (``warm_start``: finite numbers, and
    ``input_dim`` of them where it is known)."""
    for key, value in options.items():
        if key != "warm_start":
            RULES[key](value, key)
        elif value is not None:
            z = as_float_array(value, key, ndim=1)
            if input_dim is not None:
                check_length(z, input_dim, key)
