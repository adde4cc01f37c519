"""Marabou on the VNN-COMP half of milpinv packs: its verdict against the known answer.

Needs maraboupy (not a milpinv dependency): run it with the bench virtualenv, e.g.

    .venv-bench/bin/python benchmarks/marabou_packs.py PACK [PACK ...] --timeout 60 \
        --out benchmarks/results/marabou_packs.json

Each instance runs in its own process, killed at the timeout plus 30 s (Marabou can overrun its
own timeout and ignores SIGTERM). Reads only the pack's files (instances.csv, pack.json).
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import sys
from maraboupy import Marabou
net = Marabou.read_onnx(sys.argv[1])
options = Marabou.createOptions(timeoutInSeconds=int(sys.argv[3]), verbosity=0)
print("VERDICT", net.solve(propertyFilename=sys.argv[2], verbose=False, options=options)[0])
"""


def run(onnx: Path, vnnlib: Path, timeout: int) -> tuple[str, float]:
    t0 = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(onnx), str(vnnlib), str(timeout)],
            capture_output=True,
            text=True,
            timeout=timeout + 30,
        )
    except subprocess.TimeoutExpired:
        return "killed", time.perf_counter() - t0
    words = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("VERDICT ")]
    return (words[-1] if words else f"error (exit {done.returncode})"), time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("packs", nargs="+", type=Path)
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    rows = []
    for pack in args.packs:
        answers = {
            r["instance"]: r["vnnlib"]["answer"]
            for r in json.loads((pack / "pack.json").read_text())["instances"]
            if "vnnlib" in r
        }
        for onnx, vnnlib, _ in csv.reader((pack / "vnncomp" / "instances.csv").open()):
            name = Path(vnnlib).stem
            verdict, seconds = run(pack / "vnncomp" / onnx, pack / "vnncomp" / vnnlib, args.timeout)
            known = answers[name]
            agree = "agree" if verdict == known else ("no answer" if verdict not in ("sat", "unsat") else "WRONG")
            rows.append(
                {
                    "pack": pack.name,
                    "instance": name,
                    "known": known,
                    "marabou": verdict,
                    "seconds": round(seconds, 3),
                    "result": agree,
                }
            )
            print(
                f"{pack.name:14s} {name:32s} known {known:5s} marabou {verdict:8s} {seconds:7.2f}s {agree}", flush=True
            )
    summary = {}
    for r in rows:
        summary[r["result"]] = summary.get(r["result"], 0) + 1
    print("summary:", summary)
    if args.out:
        args.out.write_text(json.dumps({"timeout": args.timeout, "summary": summary, "runs": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
