"""Solver backends. Each takes a :class:`~milpinv.model.MatrixModel` and returns a
:class:`~milpinv.model.SolveOutcome` with the same signature::

    solve(model, time_limit=None, mip_gap=1e-9, threads=None, warm_start=None, verbose=False)

Names: ``highs`` (default), ``pyomo:NAME`` (any Pyomo solver, e.g. ``pyomo:appsi_highs``),
``ortools-scip`` and ``cpsat`` (integer-weight models only).
"""
from __future__ import annotations

import importlib
from typing import Callable

from ..errors import InputError
from ..model import MatrixModel, SolveOutcome

_BACKENDS: dict[str, tuple[str, str]] = {
    "highs": ("milpinv.backends.highs", "solve_highs"),
    "pyomo": ("milpinv.backends.pyomo_backend", "solve_pyomo"),
    "ortools-scip": ("milpinv.backends.ortools_backend", "solve_scip"),
    "cpsat": ("milpinv.backends.ortools_backend", "solve_cpsat"),
}


def backend_names() -> list[str]:
    return ["highs", "pyomo:NAME", "ortools-scip", "cpsat"]


def get_backend(name: str) -> Callable[..., SolveOutcome]:
    """Resolve a backend name (``pyomo:NAME`` binds the Pyomo solver name)."""
    base, _, sub = name.partition(":")
    if base not in _BACKENDS or (base == "pyomo") != bool(sub):
        raise InputError(f"solver: unknown backend {name!r}; choose from {', '.join(backend_names())}")
    module, func = _BACKENDS[base]
    fn = getattr(importlib.import_module(module), func)
    if base == "pyomo":
        return lambda model, **kw: fn(model, solver_name=sub, **kw)
    return fn


def solve(model: MatrixModel, solver: str = "highs", **kwargs) -> SolveOutcome:
    """Solve ``model`` with the named backend."""
    return get_backend(solver)(model, **kwargs)
