"""The demo's 3-SAT case (registered as a ``milpinv.demo`` entry point): random 3-SAT below and
above the threshold, reduced to two-layer inversion, the MILP's verdict against a CDCL solver."""

from __future__ import annotations

from milpinv import invert
from milpinv.experiments.demo import row
from milpinv.status import Status

from .generators import random_ksat
from .oracles import solve_cnf
from .registry import get_reduction


def sat_case(seed: int) -> list[dict]:
    """3-SAT reduced to inversion (two ReLU layers): the MILP's verdict against a CDCL solver."""
    red = get_reduction("3sat", "relu")
    rows = []
    for ratio in (3.0, 6.0):  # below and above the 4.26 threshold: usually SAT, then UNSAT
        cnf = random_ksat(20, ratio, seed=seed)
        truth = solve_cnf(cnf)
        inst = red.reduce(cnf)
        inst.meta["known_answer"] = "feasible" if truth is not None else "infeasible"
        res = invert(inst, method="milp", heuristic=False)
        r = row(f"3-SAT n=20 m={len(cnf.clauses)} -> ReLU", inst, res)
        verified = res.status == Status.OPTIMAL and cnf.satisfied_by(red.backward(cnf, res.z))
        oracle = "SAT" if truth is not None else "UNSAT"
        answer = "SAT (assignment verified)" if verified else ("UNSAT" if res.status == Status.INFEASIBLE else "?")
        r["note"] = f"{answer}; CDCL says {oracle}"
        rows.append(r)
    return rows
