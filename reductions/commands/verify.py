"""reductions verify: check reductions empirically on random instances (exit 1 on any disagreement)."""

from __future__ import annotations

import argparse

from milpinv.cli.args import positive_float, positive_int, seed_int
from milpinv.files import write_json
from milpinv.milp import ENGINE_NAMES
from milpinv.validation import make_rng

from ..generators import random_ksat, random_subsetsum
from ..registry import get_reduction
from ..verify import as_records, run_checks, summary_table

PROBLEMS = {"3sat": ("3sat", None), "subset-sum": ("subset-sum", None), "3sat-via-subset-sum": ("3sat", "subset-sum")}


def n_range(text: str) -> tuple[int, int]:
    try:
        a, b = (int(t) for t in text.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected A:B (two integers), got {text!r}") from None
    if not 1 <= a <= b:
        raise argparse.ArgumentTypeError(f"expected 1 <= A <= B, got {text!r}")
    return a, b


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--problem", choices=list(PROBLEMS), default="3sat")
    p.add_argument("--trials", type=positive_int, default=20)
    p.add_argument(
        "--n-range",
        type=n_range,
        default=None,
        help="sizes A:B (default 3:12 for 3sat, 4:10 for subset-sum, 2:4 via subset-sum)",
    )
    p.add_argument("--seed", type=seed_int, default=0)
    p.add_argument("--solver", default="auto", help=f"MILP backend: {', '.join(ENGINE_NAMES)}")
    p.add_argument("--time-limit", type=positive_float, default=60.0, help="seconds per instance")
    p.add_argument("--json", default=None, help="also write every check to this JSON file")
    p.set_defaults(func=run)


def _instances(problem: str, trials: int, sizes: tuple[int, int], seed: int):
    rng = make_rng(seed)
    for _ in range(trials):
        n = int(rng.integers(sizes[0], sizes[1], endpoint=True))
        s = int(rng.integers(2**31))
        if problem == "subset-sum":
            density = float(rng.choice([0.5, 0.75, 1.0, 1.5, 2.0]))
            yield f"ss_n{n}_d{density:g}_s{s}", random_subsetsum(n, density, seed=s)
        else:
            ratio = float(rng.uniform(1.0, 7.0)) if problem == "3sat" else float(rng.uniform(1.0, 3.0))
            k = min(3, n)
            yield f"sat_n{n}_r{ratio:.2f}_s{s}", random_ksat(n, ratio, k=k, seed=s)


def run(args) -> int:
    source, via = PROBLEMS[args.problem]
    sizes = args.n_range or {"3sat": (3, 12), "subset-sum": (4, 10), "3sat-via-subset-sum": (2, 4)}[args.problem]
    reduction = get_reduction(source, "relu", via=via)
    checks = run_checks(
        _instances(args.problem, args.trials, sizes, args.seed),
        reduction,
        solver=args.solver,
        time_limit=args.time_limit,
    )
    print(f"{reduction.name}: {len(checks)} random instances, n in {sizes[0]}..{sizes[1]}, solver {args.solver}")
    print(summary_table(checks))
    if args.json:
        write_json(args.json, {"reduction": reduction.name, "checks": as_records(checks)})
    bad = sum(not c.ok for c in checks)
    print("all agree" if not bad else f"{bad} DISAGREEMENT(S)")
    return 1 if bad else 0
