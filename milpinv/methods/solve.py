"""The solve stage of the MILP: hand a built model to an engine and read its outcome as an
inversion result (a returned z is polished on its linear piece, so that it satisfies the piece's
equalities to LP precision rather than big-M precision). What the result may claim is decided
afterwards, by :mod:`milpinv.methods.certify`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..deadline import Deadline
from ..formulations.bigm import Formulation
from ..network import ReluNetwork
from ..result import InversionResult
from ..solvers import Solver, SolverOptions
from ..status import Status
from .polish import polish


@dataclass
class Problem:
    """One inversion question, as the MILP stages see it."""

    network: ReluNetwork
    target: np.ndarray
    norm: str
    lower: np.ndarray
    upper: np.ndarray
    integral_preimage: bool = False


@dataclass
class Engine:
    """The solver and its options for one run, with the run's deadline and the LP solver that
    polishes (a lattice engine cannot)."""

    solver: Solver
    options: SolverOptions
    deadline: Deadline
    lp_solver: Solver
    details: dict = field(default_factory=dict)

    def remaining_options(self) -> SolverOptions:
        return replace(self.options, time_limit=self.deadline.remaining())


def solve_model(
    form: Formulation,
    problem: Problem,
    engine: Engine,
    warm_start=None,
    solver: Solver | None = None,
    options: SolverOptions | None = None,
) -> InversionResult:
    """Solve ``form`` (with ``engine``'s solver unless another is given) and read the result."""
    solver = solver or engine.solver
    start = None if warm_start is None else form.complete(warm_start, problem.target)
    out = solver.solve(form.model, options or engine.remaining_options(), start)
    details = {**engine.details, **out.details(), "engine_status": out.status}
    if out.status == Status.INFEASIBLE:
        if solver.lattice and not problem.integral_preimage:
            return InversionResult(
                Status.FAILED,
                None,
                "milp",
                problem.norm,
                solver=details,
                message=f"{out.raw_status}: no pre-image on the lattice, which proves nothing "
                "over the reals unless every pre-image is integral",
            )
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
    z = None
    if out.x is not None:
        z = polish(
            problem.network,
            problem.target,
            form.z_of(out.x),
            problem.norm,
            problem.lower,
            problem.upper,
            solver=engine.lp_solver,
        )
    exact = problem.norm == "exact"
    objective = None if out.objective is None else (0.0 if exact else float(out.objective))
    status = Status.OPTIMAL if out.status == Status.OPTIMAL else Status.TIME_LIMIT
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
