"""reductions solve: invert a reduced instance with milpinv and map the pre-image back."""
from __future__ import annotations

import json

from milpinv.backends import backend_names
from milpinv.cliutil import positive_float
from milpinv.instance import Instance
from milpinv.invert import METHOD_NAMES, invert
from milpinv.result import INFEASIBLE, OPTIMAL

from ..problems import CNF
from ..registry import reduction_from_meta


def register(sub) -> None:
    p = sub.add_parser("solve", help="solve a reduced instance and map the answer back")
    p.add_argument("instance", help="instance .npz written by `reductions reduce` or `generate`")
    p.add_argument("--method", choices=METHOD_NAMES, default="milp")
    p.add_argument("--solver", default="highs", help=f"MILP backend: {', '.join(backend_names())}")
    p.add_argument("--time-limit", type=positive_float, default=None, help="seconds")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.set_defaults(func=run)


def run(args) -> int:
    inst = Instance.load(args.instance)
    reduction, problem = reduction_from_meta(inst.meta)
    options = {"solver": args.solver} if args.method in ("milp", "auto") else {}
    result = invert(inst, method=args.method, time_limit=args.time_limit, **options)
    yes, no = ("SAT", "UNSAT") if isinstance(problem, CNF) else ("YES", "NO")
    solution, code = None, 0
    if result.status == OPTIMAL:
        solution = reduction.backward(problem, result.z)
        if problem.satisfied_by(solution):
            answer = yes
        else:
            answer, code = "ERROR", 1
    elif result.status == INFEASIBLE:
        answer = no
    else:
        answer, code = "UNKNOWN", 3 if result.status == "time_limit" else 1
    if args.json:
        print(json.dumps({"answer": answer, "reduction": reduction.name, "solution": solution,
                          "inversion": result.to_dict()}))
    else:
        print(f"{answer} ({reduction.name}, {result.summary()})")
        if answer == yes and isinstance(problem, CNF):
            print("v " + " ".join(str(v if x else -v) for v, x in enumerate(solution, 1)) + " 0")
        elif answer == yes:
            print("chosen " + " ".join(str(i) for i, c in enumerate(solution) if c))
        elif answer == "ERROR":
            print("the backward map gave a solution that does not check: the reduction is wrong")
    return code
