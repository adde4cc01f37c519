"""Branching rules of milpinv's branch and bound on the 15 proof instances of milp_vs_peers.py
(unrealizable 12-24-24-24, noisy_l1 / noisy_linf 10-20-20-10, seeds 0-4): nodes, time and status
per instance and rule (PERFORMANCE.md 16).

The rules are the library's (:mod:`milpinv.engine.branching`), named scope/score/order and chosen
by the milp method's ``branching`` option; ``deep/out/lean`` is the default (since PERFORMANCE.md
16), ``deep/viol/lean`` the rule before it.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/branching_rules.py
                                                    # before vs default, 15 instances (entry 16's table)
    ... branching_rules.py --seeds 5,6,7,8,9 --cap 60 --rules deep/viol/lean,deep/vnorm/lean,deep/out/lean
                                                    # entry 16's held-out check
    ... branching_rules.py --kinds unrealizable --seeds 1,3,4 --rules grid   # every rule

Every solve is ``milpinv.invert(inst, method="milp", norm=NORM, threads=1, time_limit=120,
branching=RULE)`` in this process (after one untimed warm-up solve), the rules one after the other
per instance (paired times). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from milp_vs_peers import DEFAULT_NETS, PROOF_KINDS, Case, make_instance  # noqa: E402

import milpinv  # noqa: E402
from milpinv.engine.branching import DEFAULT, RULE_NAMES  # noqa: E402

BEFORE = "deep/viol/lean"  # the rule before PERFORMANCE.md 16


def solve(inst, norm: str, name: str, cap: float):
    t = time.perf_counter()
    r = milpinv.invert(inst, method="milp", norm=norm, threads=1, time_limit=cap, branching=name)
    return str(r.status), r.solver.get("nodes", 0), time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", default=f"{BEFORE},{DEFAULT.name}", help="comma-separated scope/score/order, or 'grid'")
    ap.add_argument("--kinds", default=",".join(PROOF_KINDS))
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--cap", type=float, default=120.0)
    args = ap.parse_args()
    rules = args.rules.split(",")
    if rules == ["grid"]:
        rules = list(RULE_NAMES)
    cases = [Case(k, DEFAULT_NETS[k][0], int(s)) for k in args.kinds.split(",") for s in args.seeds.split(",")]
    warm = make_instance(Case("unrealizable", "6-12-24", 0))  # untimed: library loading, first LPs
    solve(warm, "exact", DEFAULT.name, args.cap)
    rows = {}
    for case in cases:
        inst = make_instance(case)
        for name in rules:
            rows[case.name, name] = solve(inst, case.norm, name, args.cap)
            st, n, dt = rows[case.name, name]
            print(f"{case.name:28s} {name:20s} {st:12s} {n:7d} {dt:7.2f}", file=sys.stderr, flush=True)
    print("| instance | " + " | ".join(rules) + " |")
    print("|---|" + "---|" * len(rules))
    for case in cases:
        ref = rows[case.name, rules[0]][0]
        cells = []
        for name in rules:
            st, n, dt = rows[case.name, name]
            flag = "" if st == ref else f" **{st}**"
            cells.append(f"{n:,} / {dt:.2f} s{flag}")
        print(f"| {case.name} | " + " | ".join(cells) + " |")
    for label, kinds in [(k, [k]) for k in args.kinds.split(",")] + [("total", args.kinds.split(","))]:
        cells = []
        for name in rules:
            sel = [rows[c.name, name] for c in cases if c.kind in kinds]
            cells.append(f"**{sum(r[1] for r in sel):,}** / {sum(r[2] for r in sel):.1f} s")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
