"""Branching rules of milpinv's branch and bound on the 15 proof instances of milp_vs_peers.py
(unrealizable 12-24-24-24, noisy_l1 / noisy_linf 10-20-20-10, seeds 0-4): nodes, time and status
per instance and rule (PERFORMANCE.md 16).

A rule is scope/score/order, patched over ``BranchAndBound._branch`` (the rest of the node is
untouched), among the free neurons whose LP point is off the activation (violation v > 1e-9):

    scope   deep     only the violated layer nearest the output (main's rule)
            all      every layer
            shallow  only the violated layer nearest the input
    score   viol     v (main's rule)
            width    v * min(-lo, hi)            (the interval's shorter side around 0)
            area     v * (-lo) hi / (hi - lo)    (the triangle relaxation's height at a = 0)
            tri      (-lo) hi / (hi - lo)        (the triangle alone, BaBSR-like without duals)
            frac     min(d, 1 - d) of the LP's binary (most fractional, among violated)
            vnorm    v / (hi - lo)
            out      v * |W_next[:, j]|_1        (the violation as the next layer sees it)
            vout     v * |W_next[:, j]|_1 / (hi - lo)
    order   lean     the side the LP leans to first (a > 0: active; main's rule)
            small    the phase of the shorter interval side first (-lo < hi: inactive)
            large    the phase of the longer interval side first

``shipped`` is bab.py's own rule (since PERFORMANCE.md 16: deep/out/lean); main's was deep/viol/lean.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 PYTHONPATH=. python benchmarks/branching_rules.py
                                                    # main vs shipped, 15 instances (entry 16's table)
    ... branching_rules.py --seeds 5,6,7,8,9 --cap 60 --rules deep/viol/lean,deep/vnorm/lean,deep/out/lean
                                                    # entry 16's held-out check
    ... branching_rules.py --kinds unrealizable --seeds 1,3,4 --rules grid   # every rule

Every solve is ``milpinv.invert(inst, method="milp", norm=NORM, threads=1, time_limit=120)`` in this
process (after one untimed warm-up solve), the rules one after the other per instance (paired
times). Prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from milp_vs_peers import DEFAULT_NETS, PROOF_KINDS, Case, make_instance  # noqa: E402

import milpinv  # noqa: E402
from milpinv.engine import bab  # noqa: E402

MAIN = "deep/viol/lean"
KEPT = "shipped"  # the rule of bab.py as it stands (no patch)
SCOPES, SCORES, ORDERS = (
    ("deep", "all", "shallow"),
    ("viol", "width", "area", "tri", "frac", "vnorm", "out", "vout"),
    ("lean", "small", "large"),
)


def rule(name: str):
    """A ``_branch`` for scope/score/order (module docstring); None for the shipped rule."""
    if name == KEPT:
        return None
    scope, score, order = name.split("/")

    def _branch(self, node, x, lower, found):
        free = np.flatnonzero(node.fixed < 0)
        if free.size == 0:
            return self._leaf(lower, found)
        nb = self.neurons
        h = x[nb.h[free]]
        a = h - self.ge[free] @ x + nb.bias[free]
        violation = h - np.maximum(a, nb.slope[free] * a)
        if violation.max() <= bab.VIOLATION_TOL:
            if self._attained(lower, found):
                return self._leaf(lower, found)
            return self._branch_blind(node)
        lo, hi = nb.gather(node.bounds)
        lo, hi = np.minimum(lo[free], 0.0), np.maximum(hi[free], 0.0)
        s = {
            "viol": violation,
            "width": violation * np.minimum(-lo, hi),
            "area": violation * (-lo) * hi / np.maximum(hi - lo, 1e-300),
            "tri": (-lo) * hi / np.maximum(hi - lo, 1e-300),
            "frac": np.minimum(x[nb.d[free]], 1.0 - x[nb.d[free]]) * (violation > bab.VIOLATION_TOL),
            "vnorm": violation / np.maximum(hi - lo, 1e-300),
            "out": violation * _out_norm(self)[free],
            "vout": violation * _out_norm(self)[free] / np.maximum(hi - lo, 1e-300),
        }[score]
        off = violation > bab.VIOLATION_TOL
        layer = nb.layer_of[free]
        keep = off.copy()
        if scope == "deep":
            keep &= layer == layer[off].max()
        elif scope == "shallow":
            keep &= layer == layer[off].min()
        pick = int(np.argmax(np.where(keep, s, -np.inf)))
        if order == "lean":
            first = 1 if a[pick] > 0 else 0
        else:
            inactive_smaller = -lo[pick] < hi[pick]
            first = 0 if inactive_smaller == (order == "small") else 1
        return bab.NodeOutcome(children=self._children(node, int(free[pick]), first, lower))

    return _branch


def _out_norm(bb) -> np.ndarray:
    """Per binary: the l1 norm of its column in the next layer's weights (1 in the last layer)."""
    if getattr(bb, "_out_norm", None) is None:
        nb, net = bb.neurons, bb.net
        out = np.ones(nb.count)
        for k, sl in nb.layers:
            if k + 1 < net.depth:
                w = net.weights[k + 1]
                col = np.asarray(abs(w).sum(axis=0)).ravel()
                out[sl] = col[nb.neuron[sl]]
        bb._out_norm = out
    return bb._out_norm


def solve(inst, norm: str, name: str, cap: float):
    original = bab.BranchAndBound._branch
    patch = rule(name)
    if patch is not None:
        bab.BranchAndBound._branch = patch
    try:
        t = time.perf_counter()
        r = milpinv.invert(inst, method="milp", norm=norm, threads=1, time_limit=cap)
        return str(r.status), r.solver.get("nodes", 0), time.perf_counter() - t
    finally:
        bab.BranchAndBound._branch = original


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rules", default=f"{MAIN},{KEPT}", help="comma-separated scope/score/order, 'shipped' or 'grid'")
    ap.add_argument("--kinds", default=",".join(PROOF_KINDS))
    ap.add_argument("--seeds", default="0,1,2,3,4")
    ap.add_argument("--cap", type=float, default=120.0)
    args = ap.parse_args()
    rules = args.rules.split(",")
    if rules == ["grid"]:
        rules = [f"{a}/{b}/{c}" for a in SCOPES for b in SCORES for c in ORDERS]
    cases = [Case(k, DEFAULT_NETS[k][0], int(s)) for k in args.kinds.split(",") for s in args.seeds.split(",")]
    warm = make_instance(Case("unrealizable", "6-12-24", 0))  # untimed: library loading, first LPs
    solve(warm, "exact", KEPT, args.cap)
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
