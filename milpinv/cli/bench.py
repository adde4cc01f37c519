"""milpinv bench: run every instance of a suite with every method; CSV, plots, WRONG flags."""

from __future__ import annotations

import argparse
import os

from ..experiments.plots import plot_results
from ..experiments.runner import CRASH, format_summary, make_tasks, run_bench, summarize, write_csv
from .args import positive_float, threads_int


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("suite", help="suite folder with manifest.json")
    p.add_argument("--methods", default="layerwise,milp,gd", help="comma-separated (default layerwise,milp,gd)")
    p.add_argument("--time-limit", type=positive_float, default=60.0, help="seconds per run (default 60)")
    p.add_argument("--jobs", type=threads_int, default=os.cpu_count() or 1, help="local worker processes")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786)")
    p.add_argument(
        "--out", default="results.csv", help="CSV of all runs (default: results.csv in the current directory)"
    )
    p.add_argument("--plot", default=None, help="PNG with the plots")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    tasks = make_tasks(args.suite, methods, args.time_limit)
    rows = run_bench(tasks, jobs=args.jobs, scheduler=args.scheduler, progress=not args.quiet)
    write_csv(rows, args.out)
    if args.plot:
        plot_results(rows, args.plot, title=os.path.basename(os.path.normpath(args.suite)))
    print(format_summary(summarize(rows)))
    bad = [r for r in rows if r["verdict"] in ("WRONG", CRASH)]
    for r in bad:
        what = "contradicts known answer " + r["known_answer"] if r["verdict"] == "WRONG" else "crashed"
        print(f"{r['verdict']}: {r['instance']} {r['method']}: status {r['status']} {what} {r.get('message') or ''}")
    print(f"wrote {args.out}" + (f" and {args.plot}" if args.plot else ""))
    return 1 if bad else 0
