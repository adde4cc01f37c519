"""reductions generate: random 3-SAT / subset-sum instances, their reductions to inversion, and a
manifest.json with the parameters, seeds and the independent solver's answers (a suite that
``milpinv bench`` runs directly)."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from milpinv.cli.args import nonneg_float, positive_float, positive_int, seed_int
from milpinv.experiments.suites import Entry, known_answer_counts, write_suite

from ..generators import planted_ksat, random_ksat, random_subsetsum
from ..io import SUFFIX, write_problem
from ..registry import get_reduction
from ..suites import reduced_entry


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("problem", choices=["3sat", "subset-sum"])
    p.add_argument("--n", type=positive_int, default=10, help="variables (3sat) or items (subset-sum)")
    p.add_argument("--ratio", type=nonneg_float, default=4.26, help="3sat: clauses per variable")
    p.add_argument("--k", type=positive_int, default=3, help="3sat: literals per clause")
    p.add_argument("--planted", action="store_true", help="3sat: planted satisfiable; subset-sum: planted yes")
    p.add_argument("--density", type=positive_float, default=1.0, help="subset-sum: n / log2(max weight)")
    p.add_argument("--count", type=positive_int, default=10)
    p.add_argument("--seed", type=seed_int, default=0, help="instance i uses seed + i")
    p.add_argument("--via", choices=["subset-sum"], default=None, help="3sat: reduce through subset-sum")
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)


def _make(args, seed: int):
    if args.problem == "3sat":
        if args.planted:
            return planted_ksat(args.n, args.ratio, args.k, seed=seed)[0]
        return random_ksat(args.n, args.ratio, args.k, seed=seed)
    return random_subsetsum(args.n, args.density, seed=seed, planted=True if args.planted else None)


def _params(args) -> dict:
    keys = ("n", "ratio", "k") if args.problem == "3sat" else ("n", "density")
    return {
        "problem": args.problem,
        **{k: getattr(args, k) for k in keys},
        "planted": args.planted,
        "count": args.count,
        "seed": args.seed,
        "via": args.via,
    }


def _command(args) -> str:
    flags = [
        f"--{k} {v}" for k, v in _params(args).items() if k != "problem" and v is not None and not isinstance(v, bool)
    ]
    flags += ["--planted"] if args.planted else []
    return f"reductions generate {args.problem} {' '.join(flags)} --out {Path(args.out).as_posix()}"


def _entries(args, reduction) -> Iterator[Entry]:
    """Each instance's source file is written beside its reduction (``source`` in the manifest)."""
    out = Path(args.out)
    for i in range(args.count):
        seed = args.seed + i
        problem = _make(args, seed)
        stem = f"{args.problem.replace('-', '')}_n{args.n}_s{seed}"
        source = f"{stem}{SUFFIX[args.problem]}"
        write_problem(problem, out / source, comment=f"seed {seed}")
        yield reduced_entry(problem, reduction, f"{stem}.npz", {**problem.meta, "seed": seed}, source=source)


def run(args) -> int:
    reduction = get_reduction(args.problem, "relu", via=args.via)
    head = {
        "suite": f"reductions-{args.problem}",
        "reduction": reduction.name,
        "params": _params(args),
        "command": _command(args),
    }
    manifest = write_suite(args.out, _entries(args, reduction), head, progress=True, desc=f"generate {args.problem}")
    counts = known_answer_counts(manifest)
    print(
        f"wrote {manifest['count']} {args.problem} instances ({counts.get('feasible', 0)} yes, "
        f"{counts.get('infeasible', 0)} no) and their {reduction.name} reductions to {args.out}"
    )
    return 0
