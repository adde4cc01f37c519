"""reductions reduce: a 3-SAT (DIMACS) or subset-sum file to a ReLU inversion instance."""

from __future__ import annotations

import argparse

from milpinv.errors import InputError
from milpinv.files import check_suffix

from ..io import read_problem
from ..registry import PROBLEMS, get_reduction


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="DIMACS .cnf or subset-sum .ss file")
    p.add_argument(
        "--from",
        dest="source",
        choices=[k for k in PROBLEMS if k != "relu"],
        default=None,
        help="problem kind (default: from the extension)",
    )
    p.add_argument("--to", default="relu", choices=["relu", "subset-sum"])
    p.add_argument("--via", default=None, choices=["subset-sum"], help="reduce through this problem")
    p.add_argument("--out", required=True, help="output file (.npz for relu, .ss for subset-sum)")
    p.set_defaults(func=run)


def run(args) -> int:
    from ..io import SUFFIX, guess_kind, write_problem

    kind = guess_kind(args.file, args.source)
    if args.via == args.to:
        raise InputError(f"--via {args.via}: the target itself; give --to {args.to} alone")
    what = "a relu instance" if args.to == "relu" else f"a {args.to} problem"
    check_suffix(args.out, SUFFIX.get(args.to, ".npz"), what)
    problem = read_problem(args.file, kind)
    reduction = get_reduction(kind, args.to, via=args.via)
    try:
        out = reduction.reduce(problem)
    except InputError as exc:
        raise InputError(f"{args.file}: {exc}") from None
    if args.to == "relu":
        out.save(args.out)
        dims = "-".join(str(d) for d in out.network.dims)
        print(
            f"{reduction.name}: wrote {args.out} (network {dims}, {out.network.nnz} nonzeros, "
            f"latent box [{out.lower.min():g}, {out.upper.max():g}])"
        )
    else:
        write_problem(out, args.out, comment=f"{reduction.name} of {args.file}")
        print(f"{reduction.name}: wrote {args.out} ({out.n} numbers)")
    return 0
