"""What a solver is asked (:class:`SolverOptions`) and what it answers (:class:`Outcome`)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..errors import InputError
from ..status import Status


@dataclass(frozen=True)
class SolverOptions:
    """Options every backend understands by these names; ``None`` keeps the backend's default.
    A backend maps each option it supports to its own parameter and refuses the others by name
    (:meth:`refuse_unsupported`)."""

    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    feasibility_tol: float | None = None
    presolve: bool | None = None
    verbose: bool = False

    def given(self) -> dict[str, object]:
        """The options that were set (not None, not False)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) not in (None, False)}

    def refuse_unsupported(self, solver: str, supported: frozenset[str]) -> None:
        bad = sorted(set(self.given()) - supported)
        if bad:
            raise InputError(
                f"solver {solver}: option {bad[0]} is not supported (it takes {', '.join(sorted(supported))})"
            )


@dataclass
class Outcome:
    """A backend's answer about its model (statuses as in :mod:`milpinv.status`)."""

    status: Status
    x: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    nodes: int | None = None
    iterations: int | None = None
    time_s: float = 0.0
    solver: str = ""
    raw_status: str = ""
    duals: np.ndarray | None = None  # LPs: row multipliers of the optimum, for a safe bound
    ray: np.ndarray | None = None  # infeasible LPs: a Farkas ray (row multipliers)

    def details(self) -> dict:
        return {
            "solver": self.solver,
            "raw_status": self.raw_status,
            "nodes": self.nodes,
            "iterations": self.iterations,
            "solve_time_s": self.time_s,
        }
