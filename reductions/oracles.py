"""Independent solvers for the source problems: python-sat (CDCL) for CNF, dynamic programming
or CP-SAT for subset-sum. Every solution they return is verified before it is returned."""

from __future__ import annotations

import numpy as np

from milpinv.errors import InputError, SolverError

from .problems import CNF, SubsetSum

DP_LIMIT = 2_000_000  # largest target solved by dynamic programming
ORACLE_NAMES = {"3sat": "python-sat (CaDiCaL)", "subset-sum": "subset-sum DP/CP-SAT"}


def solve_cnf(cnf: CNF, solver: str = "cadical153") -> list[bool] | None:
    """A satisfying assignment (verified), or None when the CDCL solver proves UNSAT."""
    from pysat.solvers import Solver

    try:
        with Solver(name=solver, bootstrap_with=[list(c) for c in cnf.clauses]) as s:
            sat = s.solve()
            model = s.get_model() if sat else None
    except (ValueError, NotImplementedError) as exc:
        raise InputError(f"solver: python-sat cannot use {solver!r} ({exc})") from None
    if not sat:
        return None
    values = {abs(l): l > 0 for l in model or []}
    assignment = [values.get(v, False) for v in range(1, cnf.num_vars + 1)]
    if not cnf.satisfied_by(assignment):
        raise SolverError("python-sat returned an assignment that does not satisfy the formula")
    return assignment


def _dp(ss: SubsetSum) -> list[bool] | None:
    """Reachable sums as a boolean array, one vectorised shift per item; then backtrack."""
    T = ss.target
    reach = [np.zeros(T + 1, dtype=bool)]
    reach[0][0] = True
    for w in ss.weights:
        nxt = reach[-1].copy()
        if w <= T:
            nxt[w:] |= reach[-1][: T + 1 - w]
        reach.append(nxt)
    if not reach[-1][T]:
        return None
    chosen, rest = [False] * ss.n, T
    for i in range(ss.n, 0, -1):
        if not reach[i - 1][rest]:
            chosen[i - 1] = True
            rest -= ss.weights[i - 1]
    return chosen


def _cpsat(ss: SubsetSum, time_limit: float | None) -> list[bool] | None:
    from ortools.sat.python import cp_model

    if max(ss.weights, default=0) >= 2**62 or ss.target >= 2**62:
        raise InputError("subset-sum: CP-SAT needs weights and target below 2^62")
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(ss.n)]
    model.add(sum(w * xi for w, xi in zip(ss.weights, x)) == ss.target)
    solver = cp_model.CpSolver()
    if time_limit:
        solver.parameters.max_time_in_seconds = float(time_limit)
    status = solver.Solve(model)
    if status == cp_model.INFEASIBLE:
        return None
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise SolverError(f"CP-SAT gave no verdict on subset-sum (status {solver.StatusName(status)})")
    return [bool(solver.Value(v)) for v in x]


def solve_subsetsum(ss: SubsetSum, method: str = "auto", time_limit: float | None = None) -> list[bool] | None:
    """A verified selection summing to the target, or None when none exists (proven)."""
    if method not in ("auto", "dp", "cpsat"):
        raise InputError(f"method: expected auto, dp or cpsat, got {method!r}")
    if method == "dp" or (method == "auto" and ss.target <= DP_LIMIT):
        if ss.target > 50 * DP_LIMIT:
            raise InputError(f"target {ss.target} is too large for dynamic programming; use method cpsat")
        chosen = _dp(ss)
    else:
        chosen = _cpsat(ss, time_limit)
    if chosen is not None and not ss.satisfied_by(chosen):
        raise SolverError("subset-sum oracle returned a selection that does not sum to the target")
    return chosen


def oracle(problem):
    """The independent solver's answer: a verified solution, or None (proven no)."""
    return solve_cnf(problem) if isinstance(problem, CNF) else solve_subsetsum(problem)
