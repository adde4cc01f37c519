"""milpinv demo: invert embedded default instances with several methods and compare."""

from __future__ import annotations

import argparse
import json
import sys

from ..experiments.demo import SEED, run_demo
from .args import seed_int


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=seed_int, default=SEED)
    p.add_argument("--json", action="store_true", help="print the rows as JSON instead of a table")
    p.set_defaults(func=run)


def run(args) -> int:
    rows = run_demo(args.seed, stream=None if args.json else sys.stdout)
    if args.json:
        print(json.dumps(rows))
    wrong = [r for r in rows if r["verdict"] == "WRONG"]
    for r in wrong:
        print(
            f"WRONG ANSWER: {r['case']} {r['method']}: {r['status']} but the known answer is {r['known_answer']}",
            file=sys.stderr,
        )
    return 1 if wrong else 0
