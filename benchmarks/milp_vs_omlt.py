#!/usr/bin/env python
"""milpinv's exact MILP against OMLT's ReluBigMFormulation and gradient descent, on the same
planted instances (exact norm), in one run on one machine.

Environment (benchmark only: omlt is *not* a dependency of milpinv):

    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -e . omlt     # omlt 1.2.2 with pyomo 6.10.1; pulls onnx, onnxruntime

Run (the numbers in benchmarks/RESULTS.md):

    .venv-bench/bin/python benchmarks/milp_vs_omlt.py --seeds 5 --time-limit 60

Methods (every solve single-threaded, one time limit per solve, build + solve timed):

    milpinv          invert(method="milp"): heuristic (GD rounds + piece walks), peeling, guided HiGHS
    milpinv-noheur   the same without the gradient-descent heuristic: the MILP's own time
    base             the heuristic before benchmarks/PERFORMANCE.md's change (1): one batch of
                     4 GD restarts x 400 steps, no piece walk, then the same MILP; for the paired
                     before/after ratio in the same run
    omlt             OMLT FullSpace ReluBigMFormulation (interval bounds, a binary per neuron),
                     outputs fixed to x, built through Pyomo, solved by appsi_highs
    gd               invert(method="gd"): projected Adam with restarts (no certificate)

Every returned z is re-checked by a float64 forward pass: a run counts as solved to proven
optimality only if the solver proved it and the residual max|G(z) - x| is within
milpinv.tolerance.tolerance(x). Time-limited runs enter the medians at the time limit, so a ratio
whose denominator or numerator timed out is a bound (marked >= or <=).
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

import milpinv
from milpinv.acceptance import check_result
from milpinv.deadline import Deadline
from milpinv.methods.gd import invert_gd
from milpinv.milp import invert_milp
from milpinv.norm import Norm
from milpinv.options import GdOptions, MilpOptions
from milpinv.polish import polish
from milpinv.problem import Box, Problem
from milpinv.status import OPTIMAL
from milpinv.tolerance import tolerance

sys.path.insert(0, str(Path(__file__).resolve().parent))
from milp_vs_peers import omlt_model  # noqa: E402 - a sibling script

EXPANDING = ["10-30-30-60", "20-60-60-120"]
NON_EXPANDING = ["8-16-16-16", "10-20-20-20-20", "12-24-24-12"]
METHODS = ["milpinv", "milpinv-noheur", "base", "omlt", "gd"]
RESULTS = Path(__file__).resolve().parent / "results"


def instance(spec: str, seed: int) -> milpinv.Instance:
    """The planted instance of network ``spec`` (e.g. "10-30-30-60") and ``seed``."""
    net = milpinv.ReluNetwork.random([int(d) for d in spec.split("-")], seed=seed)
    return milpinv.plant_instance(net, seed=10_000 + seed)


def run_milpinv(inst, time_limit: float, heuristic: bool) -> dict:
    r = milpinv.invert(inst, method="milp", solver="highs", threads=1, time_limit=time_limit, heuristic=heuristic)
    return {
        "status": r.status,
        "z": r.z,
        "solved_by": r.solver.get("solved_by", "milp"),
        "nodes": r.solver.get("nodes"),
        "binaries": r.solver.get("binaries"),
        "peeled": r.solver.get("peeled_layers"),
    }


def run_base(inst, time_limit: float) -> dict:
    """The pre-change heuristic (one GD batch, no piece walk), then the same MILP."""
    net, x, lo, up = inst.network, inst.target, inst.lower, inst.upper
    t0 = time.perf_counter()
    question = Problem.of(net, x, Norm.EXACT, Box(lo, up))
    found = invert_gd(question.with_deadline(Deadline(1.0)), GdOptions(seed=0, steps=400, restarts=4))
    if found.status == OPTIMAL:
        z = polish(question, found.z)
        return {"status": OPTIMAL, "z": z, "solved_by": "heuristic"}
    left = max(time_limit - (time.perf_counter() - t0), 1e-3)
    options = MilpOptions(solver="highs", threads=1, heuristic=False, warm_start=found.z)
    r = invert_milp(question.with_deadline(Deadline(left)), options)
    r = check_result(r, net, x, lo, up)
    return {
        "status": r.status,
        "z": r.z,
        "solved_by": "milp",
        "nodes": r.solver.get("nodes"),
        "binaries": r.solver.get("binaries"),
        "peeled": r.solver.get("peeled_layers"),
    }


def run_omlt(inst, time_limit: float) -> dict:
    import pyomo.environ as pyo
    from pyomo.opt import TerminationCondition as TC

    t0 = time.perf_counter()
    m = omlt_model(inst, "exact")  # the same builder as milp_vs_peers.py
    build = time.perf_counter() - t0
    res = pyo.SolverFactory("appsi_highs").solve(
        m, timelimit=max(time_limit - build, 1e-3), load_solutions=False, options={"threads": 1}
    )
    tc = res.solver.termination_condition
    status = {TC.optimal: "optimal", TC.infeasible: "infeasible", TC.maxTimeLimit: "time_limit"}.get(tc, str(tc))
    z = None
    if len(res.solution) > 0:  # a solution was reported
        m.solutions.load_from(res)
        z = np.array([pyo.value(m.nn.inputs[i]) for i in range(inst.network.input_dim)])
    return {"status": status, "z": z, "solved_by": "omlt", "build_s": build}


def run_gd(inst, time_limit: float) -> dict:
    r = milpinv.invert(inst, method="gd", time_limit=time_limit)
    return {"status": r.status, "z": r.z, "solved_by": "gd"}


def run_one(method: str, inst, time_limit: float) -> dict:
    t0 = time.perf_counter()
    if method in ("milpinv", "milpinv-noheur"):
        out = run_milpinv(inst, time_limit, heuristic=method == "milpinv")
    elif method == "base":
        out = run_base(inst, time_limit)
    elif method == "omlt":
        out = run_omlt(inst, time_limit)
    else:
        out = run_gd(inst, time_limit)
    out["time_s"] = time.perf_counter() - t0
    z = out.pop("z")
    x = inst.target
    res = None if z is None else float(np.max(np.abs(inst.network.forward(np.clip(z, inst.lower, inst.upper)) - x)))
    out["residual"] = res
    out["verified"] = res is not None and res <= tolerance(x)
    out["proven_optimal"] = out["status"] == "optimal" and out["verified"]
    return out


def summarize(rows: list[dict], methods: list[str], time_limit: float) -> list[dict]:
    """Per network: median time per method (time-limited runs at the limit) and the ratios."""
    out = []
    for net in dict.fromkeys(r["network"] for r in rows):
        entry: dict = {"network": net}
        for m in methods:
            sel = [r for r in rows if r["network"] == net and r["method"] == m]
            if not sel:
                continue
            # exact methods: a run without a proven optimum counts at the time limit; gd certifies
            # nothing, its median is its own run time (see "solved" for how often it was right)
            times = [r["time_s"] if r["proven_optimal"] or m == "gd" else max(r["time_s"], time_limit) for r in sel]
            entry[m] = {
                "median_s": statistics.median(times),
                "solved": sum(r["proven_optimal"] for r in sel),
                "runs": len(sel),
                "censored": sum(not r["proven_optimal"] for r in sel),
            }
        for num, den in (("omlt", "milpinv"), ("omlt", "milpinv-noheur"), ("base", "milpinv"), ("gd", "milpinv")):
            if num in entry and den in entry:
                entry[f"{num}/{den}"] = entry[num]["median_s"] / entry[den]["median_s"]
        out.append(entry)
    return out


def ratio_text(entry: dict, num: str, den: str) -> str:
    key = f"{num}/{den}"
    if key not in entry:
        return "-"
    # a median at the time limit is only a lower bound for that method's time
    cut_a, cut_b = (entry[m]["censored"] * 2 >= entry[m]["runs"] for m in (num, den))
    if cut_a and cut_b:
        return "n/a (both at the limit)"
    return f"{'>=' if cut_a else '<=' if cut_b else ''}{entry[key]:.1f}x"


def markdown(summary: list[dict], methods: list[str]) -> str:
    cols = list(methods)
    head = (
        ["network"] + [f"{m} median s (solved)" for m in cols] + ["OMLT / milpinv", "OMLT / noheur", "base / milpinv"]
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for e in summary:
        cells = [e["network"]]
        for m in cols:
            s = e.get(m)
            cells.append("-" if s is None else f"{s['median_s']:.3f} ({s['solved']}/{s['runs']})")
        cells += [
            ratio_text(e, "omlt", "milpinv"),
            ratio_text(e, "omlt", "milpinv-noheur"),
            ratio_text(e, "base", "milpinv"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--networks",
        default=",".join(EXPANDING + NON_EXPANDING),
        help="comma-separated widths, e.g. 10-30-30-60,8-16-16-16",
    )
    ap.add_argument("--seeds", type=int, default=5, help="instances per network (seeds 0..N-1)")
    ap.add_argument("--methods", default=",".join(METHODS), help=f"subset of {','.join(METHODS)}")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve (build included)")
    ap.add_argument("--out", default=str(RESULTS / "milp_vs_omlt.csv"), help="CSV of every run")
    args = ap.parse_args(argv)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods:
        print(f"error: --methods: unknown {bad or 'empty list'}; choose from {','.join(METHODS)}", file=sys.stderr)
        return 2
    nets = [n.strip() for n in args.networks.split(",") if n.strip()]
    try:
        for n in nets:
            dims = [int(d) for d in n.split("-")]
            if len(dims) < 2 or min(dims) < 1:
                raise ValueError
    except ValueError:
        print(f"error: --networks: expected widths like 10-30-30-60, got {args.networks!r}", file=sys.stderr)
        return 2
    if args.seeds < 1 or not args.time_limit > 0:
        print("error: --seeds must be >= 1 and --time-limit > 0", file=sys.stderr)
        return 2
    if "omlt" in methods:
        try:
            import omlt  # noqa: F401
        except ImportError:
            print(
                "error: omlt is not installed here; use the benchmark venv (see this script's docstring) "
                "or drop omlt from --methods",
                file=sys.stderr,
            )
            return 2
    warm = instance("4-8-8", 0)
    for m in methods:  # untimed: imports, the HiGHS banner, Pyomo's first model
        run_one(m, warm, 10.0)
    rows = []
    jobs = [(n, s) for n in nets for s in range(args.seeds)]
    with tqdm(total=len(jobs) * len(methods), desc="milp-vs-omlt", unit="solve") as bar:
        for net, seed in jobs:
            inst = instance(net, seed)
            for m in methods:  # interleaved: every method sees the same machine load
                bar.set_postfix_str(f"{net} s{seed} {m}")
                rows.append({"network": net, "seed": seed, "method": m, **run_one(m, inst, args.time_limit)})
                bar.update()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fields = [
        "network",
        "seed",
        "method",
        "status",
        "proven_optimal",
        "verified",
        "residual",
        "time_s",
        "solved_by",
        "nodes",
        "binaries",
        "peeled",
        "build_s",
    ]
    with out.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    summary = summarize(rows, methods, args.time_limit)
    meta = {
        "time_limit_s": args.time_limit,
        "seeds": args.seeds,
        "methods": methods,
        "omlt": _version("omlt"),
        "pyomo": _version("pyomo"),
        "highspy": _version("highspy"),
        "milpinv": milpinv.__version__,
    }
    out.with_name(out.stem + "_summary.json").write_text(json.dumps({"meta": meta, "networks": summary}, indent=1))
    table = markdown(summary, methods)
    out.with_suffix(".md").write_text(table + "\n")
    print(table)
    all_ok = {m: all(r["proven_optimal"] for r in rows if r["method"] == m) for m in methods}
    print("all solved to proven optimality:", all_ok)
    print(f"rows: {out}")
    return 0


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


if __name__ == "__main__":
    sys.exit(main())
