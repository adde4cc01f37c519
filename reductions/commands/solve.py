"""reductions solve: invert a reduced instance with milpinv and map the pre-image back."""

from __future__ import annotations

import argparse
import json

from milpinv.cli.args import positive_float
from milpinv.instance import Instance
from milpinv.invert import METHOD_NAMES, invert
from milpinv.milp import ENGINE_NAMES
from milpinv.status import Status, exit_code

from ..problems import CNF
from ..registry import reduction_from_meta


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("instance", help="instance .npz written by `reductions reduce` or `generate`")
    p.add_argument("--method", choices=METHOD_NAMES, default="milp")
    p.add_argument("--solver", default="auto", help=f"MILP backend: {', '.join(ENGINE_NAMES)}")
    p.add_argument("--time-limit", type=positive_float, default=None, help="seconds")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def run(args) -> int:
    inst = Instance.load(args.instance)
    reduction, problem = reduction_from_meta(inst.meta)
    options = {"solver": args.solver} if args.method in ("milp", "auto") else {}
    result = invert(inst, method=args.method, time_limit=args.time_limit, **options)
    yes, no = ("SAT", "UNSAT") if isinstance(problem, CNF) else ("YES", "NO")
    solution, code = None, exit_code(result.status)
    if result.status == Status.OPTIMAL:
        solution = reduction.backward(problem, result.z)
        answer = yes if problem.satisfied_by(solution) else "ERROR"
        code = 0 if answer == yes else exit_code(Status.FAILED)
    else:
        answer = no if result.status == Status.INFEASIBLE else "UNKNOWN"
    if args.json:
        print(
            json.dumps(
                {"answer": answer, "reduction": reduction.name, "solution": solution, "inversion": result.to_dict()}
            )
        )
    else:
        print(f"{answer} ({reduction.name}, {result.summary()})")
        if answer == yes and isinstance(problem, CNF) and solution is not None:
            print("v " + " ".join(str(v if x else -v) for v, x in enumerate(solution, 1)) + " 0")
        elif answer == yes and solution is not None:
            print("chosen " + " ".join(str(i) for i, c in enumerate(solution) if c))
        elif answer == "ERROR":
            print("the backward map gave a solution that does not check: the reduction is wrong")
    return code
