"""milpinv export: write an instance's MILP as MPS or LP, for any solver (through Pyomo)."""

from __future__ import annotations

from ..instance import NORMS, Instance
from ..methods.build import BOUND_MODES, build_model
from ..solvers.pyomo import FORMATS, export_model


def register(sub) -> None:
    p = sub.add_parser("export", help="write the MILP of an instance as an MPS or LP file")
    p.add_argument("instance", help="instance .npz")
    p.add_argument("--format", choices=FORMATS, default=None, help="default: from the --out extension")
    p.add_argument("--out", required=True, help="output file (.mps or .lp)")
    p.add_argument("--norm", choices=NORMS, default="exact")
    p.add_argument(
        "--bounds",
        choices=BOUND_MODES,
        default="interval",
        help="big-M bounds: interval arithmetic or LP-based tightening",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    inst = Instance.load(args.instance)
    form, info = build_model(
        inst.exact_network(), inst.target, norm=args.norm, lower=inst.lower, upper=inst.upper, bounds=args.bounds
    )
    if info.get("infeasible"):
        print("note: bound tightening proved the instance infeasible; the exported model is infeasible too")
    export_model(form.model, args.out, args.format)
    st = form.model.stats()
    print(
        f"wrote {args.out} ({st['vars']} variables, {st['binaries']} binaries, {st['rows']} rows, {st['nnz']} nonzeros)"
    )
    return 0
