#!/usr/bin/env python
"""Model-build micro-benchmark: the time to build milpinv's big-M model (bounds + matrix
model) and to hand it to HiGHS, for networks whose model has >= 100,000 nonzeros; optionally
the same for OMLT's Pyomo model of the same network (benchmark venv only, slow).

    .venv/bin/python benchmarks/build_bench.py                      # milpinv only
    .venv-bench/bin/python benchmarks/build_bench.py --omlt         # + OMLT build (Pyomo)

Each figure is the median of --repeats builds; the first (cold) build is reported apart.
``old to HiGHS`` is the hand-over before benchmarks/PERFORMANCE.md's 2026-11-25 change (a
``highspy.HighsLp`` filled attribute by attribute), kept here for the paired before/after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import milpinv
from milpinv.milp.build import build_model
from milpinv.norm import Norm
from milpinv.problem import Box, Problem
from milpinv.solvers.highs import new_highs, pass_model

NETWORKS = ["50-200-200-400", "100-300-300-300", "100-400-400-800"]
RESULTS = Path(__file__).resolve().parent / "results"


def old_handover(h, model) -> None:
    """The pre-change hand-over: a HighsLp filled attribute by attribute (slow numpy -> vector
    conversion), then passModel."""
    import highspy
    import numpy as np

    inf = highspy.kHighsInf
    A = model.A.tocsc()
    A.sort_indices()
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = model.num_vars, model.num_rows
    lp.col_cost_ = np.asarray(model.c, dtype=np.float64)
    lp.col_lower_ = np.nan_to_num(model.col_lower, neginf=-inf, posinf=inf)
    lp.col_upper_ = np.nan_to_num(model.col_upper, neginf=-inf, posinf=inf)
    lp.row_lower_ = np.nan_to_num(model.row_lower, neginf=-inf, posinf=inf)
    lp.row_upper_ = np.nan_to_num(model.row_upper, neginf=-inf, posinf=inf)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data.astype(np.float64)
    kint, kcont = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
    lp.integrality_ = [kint if flag else kcont for flag in model.integrality]
    h.passModel(lp)


def time_milpinv(inst, repeats: int) -> dict:
    net = inst.network
    build, handover, old, cold = [], [], [], None
    for i in range(repeats + 1):
        t0 = time.perf_counter()
        form, _ = build_model(Problem.of(net, inst.target, Norm.EXACT, Box(inst.lower, inst.upper)))
        t1 = time.perf_counter()
        h = new_highs()
        pass_model(h, form.model)
        t2 = time.perf_counter()
        old_handover(new_highs(), form.model)
        t3 = time.perf_counter()
        if i == 0:
            cold = t1 - t0
        else:
            build.append(t1 - t0)
            handover.append(t2 - t1)
            old.append(t3 - t2)
    return {
        **form.stats(),
        "cold_build_s": cold,
        "build_s": statistics.median(build),
        "to_highs_s": statistics.median(handover),
        "old_to_highs_s": statistics.median(old),
    }


def time_omlt(inst) -> dict:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from milp_vs_peers import omlt_model  # noqa: E402  (same model as the comparisons)
    from pyomo.contrib.appsi.solvers.highs import Highs

    t0 = time.perf_counter()
    m = omlt_model(inst, "exact")
    t1 = time.perf_counter()
    Highs().set_instance(m)  # Pyomo -> HiGHS hand-over, no solve
    t2 = time.perf_counter()
    return {"omlt_build_s": t1 - t0, "omlt_to_highs_s": t2 - t1}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="milpinv model-build micro-benchmark")
    ap.add_argument("--networks", default=",".join(NETWORKS))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--omlt", action="store_true", help="also build OMLT's Pyomo model (needs omlt)")
    ap.add_argument("--out", default=str(RESULTS / "milp_vs_omlt_build.json"))
    args = ap.parse_args(argv)
    if args.repeats < 1:
        print("error: --repeats must be >= 1", file=sys.stderr)
        return 2
    rows = []
    for spec in [s for s in args.networks.split(",") if s]:
        try:
            net = milpinv.ReluNetwork.random([int(d) for d in spec.split("-")], seed=0)
        except (ValueError, milpinv.InputError) as exc:
            print(f"error: --networks: bad widths {spec!r} ({exc})", file=sys.stderr)
            return 2
        inst = milpinv.plant_instance(net, seed=1)
        row = {"network": spec, **time_milpinv(inst, args.repeats)}
        if args.omlt:
            row.update(time_omlt(inst))
        rows.append(row)
        extra = f"  OMLT build {row['omlt_build_s']:.2f}s + to HiGHS {row['omlt_to_highs_s']:.2f}s" if args.omlt else ""
        print(
            f"{spec}: nnz {row['nnz']:,}  rows {row['rows']:,}  binaries {row['binaries']:,}  "
            f"build {row['build_s'] * 1e3:.1f} ms (cold {row['cold_build_s'] * 1e3:.1f} ms)  "
            f"to HiGHS {row['to_highs_s'] * 1e3:.1f} ms (old {row['old_to_highs_s'] * 1e3:.1f} ms){extra}",
            flush=True,
        )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
