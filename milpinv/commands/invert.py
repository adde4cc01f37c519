"""milpinv invert: invert one instance and print (or write) the verified result."""
from __future__ import annotations

import json

from ..cliutil import positive_float, positive_int
from ..files import write_json, write_npy
from ..instance import Instance
from ..invert import METHOD_NAMES, invert
from ..result import FAILED, NORMS, TIME_LIMIT

EXIT_CODES = {FAILED: 1, TIME_LIMIT: 3}  # optimal, feasible, infeasible: 0; input errors: 2


def register(sub) -> None:
    p = sub.add_parser("invert", help="invert an instance: find z with G(z) = x, or prove none exists")
    p.add_argument("instance", help="instance .npz (network + target + latent box)")
    p.add_argument("--method", choices=METHOD_NAMES, default="auto")
    p.add_argument("--norm", choices=NORMS, default="exact")
    p.add_argument("--time-limit", type=positive_float, default=None, help="seconds")
    p.add_argument("--solver", default=None, help="MILP backend: highs, pyomo:NAME, ortools-scip, cpsat")
    p.add_argument("--bounds", choices=["interval", "lp"], default=None, help="MILP big-M bounds")
    p.add_argument("--threads", type=positive_int, default=None)
    p.add_argument("--seed", type=int, default=None, help="seed for gd restarts")
    p.add_argument("--json", action="store_true", help="print the result as one JSON document")
    p.add_argument("--out", default=None, help="write z to this .npy (or the JSON result if it ends in .json)")
    p.set_defaults(func=run)


def method_options(args) -> dict:
    """Options that the chosen method understands, from the CLI flags that were given."""
    opts = {}
    if args.method in ("milp", "auto"):
        opts.update({k: v for k, v in (("solver", args.solver), ("bounds", args.bounds),
                                       ("threads", args.threads)) if v is not None})
    if args.method == "gd" and args.seed is not None:
        opts["seed"] = args.seed
    return opts


def run(args) -> int:
    inst = Instance.load(args.instance)
    result = invert(inst, method=args.method, norm=args.norm, time_limit=args.time_limit, **method_options(args))
    if args.out:
        if args.out.endswith(".json"):
            write_json(args.out, result.to_dict())
        elif result.z is not None:
            write_npy(args.out, result.z)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(result.summary())
    return EXIT_CODES.get(result.status, 0)
