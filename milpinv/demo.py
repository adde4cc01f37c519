"""``milpinv demo``: the main job on an embedded default, in well under a minute.

Each case builds an instance, runs several methods on it and returns table rows; the table
shows status, the float64 residual of every returned z, its distance to the planted z and time.
"""
from __future__ import annotations

import sys
from typing import Callable, TextIO

import numpy as np

from .instance import Instance, plant_instance
from .invert import invert
from .network import ReluNetwork

SEED = 7


def _rows(case: str, inst: Instance, methods: list[str], **options) -> list[dict]:
    return [_row(case, inst, invert(inst, method=m, **options.get(m, {}))) for m in methods]


def _row(case: str, inst: Instance, res) -> dict:
    planted = inst.planted_z
    dist = None if res.z is None or planted is None else float(np.max(np.abs(res.z - planted)))
    return {"case": case, "method": res.method, "status": res.status, "residual_linf": res.residual_linf,
            "z_error": dist, "time_s": res.time_s, "message": res.message,
            "known_answer": inst.meta.get("known_answer", "unknown"), "note": _note(res)}


def _note(res) -> str:
    if res.method == "milp" and res.status in ("optimal", "infeasible"):
        nodes = res.solver.get("nodes")
        return f"proven {res.status}" + (f", {nodes} nodes" if nodes is not None else "")
    return res.message.split(";")[0][:60]


def expanding_case(seed: int) -> list[dict]:
    """The paper's easy regime: a random expanding generator, inverted layer by layer."""
    net = ReluNetwork.random([10, 40, 120, 360], seed=seed)
    return _rows("expanding 10-40-120-360", plant_instance(net, seed=seed), ["layerwise", "gd"],
                 gd={"seed": seed})


def non_expanding_case(seed: int) -> list[dict]:
    """Layers that do not expand: layer-wise LP cannot invert it, the exact MILP can."""
    net = ReluNetwork.random([8, 16, 16, 16], seed=seed)
    return _rows("non-expanding 8-16-16-16", plant_instance(net, seed=seed), ["layerwise", "milp", "gd"],
                 gd={"seed": seed}, milp={"heuristic": False})


def sat_case(seed: int) -> list[dict]:
    """3-SAT reduced to inversion (two ReLU layers): the MILP's verdict against a CDCL solver."""
    from reductions.generators import random_ksat
    from reductions.oracles import solve_cnf
    from reductions.registry import get_reduction

    red = get_reduction("3sat", "relu")
    rows = []
    for ratio in (3.0, 6.0):  # below and above the 4.26 threshold: usually SAT, then UNSAT
        cnf = random_ksat(20, ratio, seed=seed)
        truth = solve_cnf(cnf)
        inst = red.reduce(cnf)
        inst.meta["known_answer"] = "feasible" if truth is not None else "infeasible"
        res = invert(inst, method="milp", heuristic=False)
        row = _row(f"3-SAT n=20 m={len(cnf.clauses)} -> ReLU", inst, res)
        verified = res.status == "optimal" and cnf.satisfied_by(red.backward(cnf, res.z))
        oracle = "SAT" if truth is not None else "UNSAT"
        answer = "SAT (assignment verified)" if verified else ("UNSAT" if row["status"] == "infeasible" else "?")
        row["note"] = f"{answer}; CDCL says {oracle}"
        rows.append(row)
    return rows


CASES: list[Callable[[int], list[dict]]] = [expanding_case, non_expanding_case, sat_case]


def _fmt(value, spec: str) -> str:
    width = int(spec.split(".")[0] or 0)
    return "-".rjust(width) if value is None else format(value, spec)


def format_table(rows: list[dict]) -> str:
    head = f"{'case':<28} {'method':<10} {'status':<11} {'residual':>10} {'|z - z*|':>10} {'time s':>8}  note"
    lines = [head, "-" * (len(head) + 30)]
    for r in rows:
        lines.append(f"{r['case']:<28} {r['method']:<10} {r['status']:<11} {_fmt(r['residual_linf'], '10.2e')} "
                     f"{_fmt(r['z_error'], '10.2e')} {r['time_s']:8.3f}  {r['note']}")
    return "\n".join(lines)


def run_demo(seed: int = SEED, stream: TextIO | None = sys.stdout) -> list[dict]:
    """Run every case; print the table to ``stream`` (None: silent). Returns the rows."""
    rows = [row for case in CASES for row in case(seed)]
    if stream is not None:
        print(format_table(rows), file=stream)
        print("\nresidual: ||G(z) - x||_inf by a float64 forward pass. A zero residual with a large |z - z*|\n"
              "means the pre-image is not a single point (`milpinv preimage` shows its pieces).", file=stream)
    return rows
