#!/usr/bin/env python
"""Start-up cost of the command line and of reading an .onnx model, timed as whole processes
(issue 21: ``milpinv --help`` and a small ``invert`` under 0.5 s of overhead on an idle machine).

    .venv/bin/python benchmarks/startup.py [--runs 7] [--before TREE] [--out FILE]

Cases, each a fresh ``python`` process (the interpreter running this script):

    help        python -m milpinv --help
    invert      python -m milpinv invert inst.npz     (8-16-16-16 random network, planted target:
                                                       auto inverts it in a few hundredths of a second)
    onnx        ReluNetwork.from_onnx(generator.onnx)  (torch's TorchScript export of Linear, ReLU,
                                                       Unflatten, ConvTranspose2d: its shape arithmetic
                                                       is folded by onnxsim; needs torch, onnx, onnxsim)
    onnx-dense  ReluNetwork.from_onnx(dense.onnx)      (``to_onnx`` of the 8-16-16-16 network: onnx only)

Each case runs once to warm the file cache, then ``--runs`` times; wall seconds (perf_counter
around the child) and CPU seconds (user + sys of the child, from ``resource.getrusage``) are
recorded, medians reported. CPU seconds are the steadier figure on a shared machine. With
``--before TREE`` (a checkout of an earlier commit, e.g. ``git archive COMMIT | tar -x -C TREE``)
every case runs alternately with ``PYTHONPATH=TREE`` and with this checkout, and the ratios of the
medians (after / before) are reported. Inputs are written to a temporary folder by this checkout.
Results: ``benchmarks/results/startup.json`` (default ``--out``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def make_inputs(folder: Path) -> dict[str, list[str]]:
    """The cases' command lines (arguments after ``python``), their input files written to ``folder``."""
    import milpinv

    net = milpinv.ReluNetwork.random([8, 16, 16, 16], seed=0)
    milpinv.plant_instance(net, seed=1).save(folder / "inst.npz")
    read = "from milpinv.network import ReluNetwork; ReluNetwork.from_onnx({!r})"
    cases = {
        "help": ["-m", "milpinv", "--help"],
        "invert": ["-m", "milpinv", "invert", str(folder / "inst.npz"), "--json"],
    }
    try:
        import torch
        from torch import nn
    except ImportError:
        print("torch is not installed: the onnx cases are left out", file=sys.stderr)
        return cases
    torch.manual_seed(0)
    generator = nn.Sequential(
        nn.Linear(3, 12), nn.ReLU(), nn.Unflatten(1, (3, 2, 2)), nn.ConvTranspose2d(3, 2, 4, 2, 1), nn.ReLU()
    ).eval()
    path = folder / "generator.onnx"
    torch.onnx.export(generator, (torch.zeros(1, 3),), str(path), input_names=["z"], output_names=["x"], dynamo=False)
    net.to_onnx(folder / "dense.onnx")
    cases["onnx"] = ["-c", read.format(str(path))]
    cases["onnx-dense"] = ["-c", read.format(str(folder / "dense.onnx"))]
    return cases


def run_once(args: list[str], pythonpath: str, cwd: Path) -> tuple[float, float, int, float]:
    """(wall seconds, CPU seconds of the child, exit code, seconds the child reports solving) of
    ``python ARGS`` run in ``cwd`` (not a checkout: ``python -m`` puts the working directory before
    PYTHONPATH); the solve's seconds are ``time_s`` of a ``--json`` result, else 0."""
    env = {**os.environ, "PYTHONPATH": pythonpath}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    child = subprocess.run([sys.executable, *args], env=env, cwd=cwd, stdout=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    solve = json.loads(child.stdout)["time_s"] if "--json" in args else 0.0
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), child.returncode, solve


def summary(samples: list[tuple[float, float, int, float]]) -> dict:
    walls, cpus, solves = [s[0] for s in samples], [s[1] for s in samples], [s[3] for s in samples]
    return {
        "wall_s": walls,
        "cpu_s": cpus,
        "solve_s": solves,
        "median_wall_s": statistics.median(walls),
        "median_cpu_s": statistics.median(cpus),
        "median_overhead_s": statistics.median(w - t for w, t in zip(walls, solves)),  # wall beyond the solve
        "exit_codes": sorted({s[2] for s in samples}),
    }


def measure(cases: dict[str, list[str]], trees: dict[str, str], runs: int, cwd: Path) -> dict:
    """Every case under every tree, the trees alternating run by run."""
    out: dict = {}
    for name, args in cases.items():
        samples: dict[str, list] = {label: [] for label in trees}
        for tree in trees.values():
            run_once(args, tree, cwd)  # warm-up
        for _ in range(runs):
            for label, tree in trees.items():
                samples[label].append(run_once(args, tree, cwd))
        out[name] = {"args": args, **{label: summary(s) for label, s in samples.items()}}
        if "before" in trees:
            for key in ("median_wall_s", "median_cpu_s", "median_overhead_s"):
                out[name][f"ratio_{key}"] = out[name]["after"][key] / out[name]["before"][key]
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="counted runs per case and tree (default 7)")
    parser.add_argument("--before", default=None, help="an earlier checkout to compare with (PYTHONPATH)")
    parser.add_argument("--out", default=str(RESULTS / "startup.json"))
    args = parser.parse_args(argv)
    trees = {"after": str(ROOT)}
    if args.before:
        trees = {"before": str(Path(args.before).resolve()), **trees}
    with tempfile.TemporaryDirectory() as tmp:
        cases = make_inputs(Path(tmp))
        results = measure(cases, trees, args.runs, Path(tmp))
    report = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_at_end": os.getloadavg(),
        "runs": args.runs,
        "trees": trees,
        "cases": results,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    keys = ("median_wall_s", "median_cpu_s", "median_overhead_s")
    print(
        "medians, seconds: wall / CPU / wall beyond the solve, per tree" + (" and after/before" if args.before else "")
    )
    for name, r in results.items():
        cells = ["/".join(f"{r[label][key]:.3f}" for key in keys) for label in trees]
        if args.before:
            cells.append("/".join(f"{r['ratio_' + key]:.2f}" for key in keys))
        print(f"{name:<11} " + "   ".join(cells))
    return report


if __name__ == "__main__":
    main()
