#!/usr/bin/env python
"""The pre-activation l1 projection on DCGAN-shaped generators: milpinv's branch and bound against
Gurobi, one thread each, every solve in its own process with a hard wall-clock cap (issue 24).

The generator (torch, float64, random weights, BatchNorm with random running statistics, eval mode):

    latent (nz, 1, 1) -> ConvTranspose2d(nz, C, 4, 1, 0) -> BatchNorm2d(C) -> ReLU
                      -> ConvTranspose2d(C, 1, 4, 2, 1)                        (1, 8, 8), linear

(16 C hidden units: C = 12 gives 192) read by ``ReluNetwork.from_torch`` as the project reads any
generator; the question is the pre-activation one of a Tanh generator (its output layer linear):
min ||G(z) - x||_1 over the latent box [-BOX, BOX]^nz, x = atanh(u) for u uniform in
[-0.95, 0.95]^64 (an image no random generator draws: the optimum is far from 0).

Methods (``--methods``): ``gurobi`` (gurobipy, ReLU as max constraints as gurobi-ml builds it:
milp_vs_peers.solve_gurobi on the same network with dense weights) and milpinv variants
``milpinv`` (``method="milp"``, the default branching) and ``latent<K>`` (branching
``latent<K>/deep/out/lean``: latent-box splits while one stabilises at least K first-layer units,
milpinv.engine.branching); a suffix ``:noheur`` (``latent4:noheur``) turns the start heuristic
off (``heuristic=False``). The parent prints time, bound, incumbent, nodes per solve and writes
``dcgan_race.json`` (rows, and per method the geometric mean of the time with unsolved runs at the
cap, and the instances Gurobi proved that it left open).

    cd /tmp && OMP_NUM_THREADS=1 PYTHONPATH=<checkout> python <checkout>/benchmarks/dcgan_race.py \\
        --seeds 1-10 --channels 12 --nz 6 --cap 60 --methods gurobi,milpinv,latent4
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import milp_vs_peers as peers  # noqa: E402  (its solvers, process control and statistics)

RESULTS = Path(__file__).resolve().parent / "results"
BOX = 1.0
PIXEL = 0.95  # the target's images before atanh lie in [-PIXEL, PIXEL]


def generator(nz: int, channels: int, seed: int):
    """The generator of the module docstring, float64, eval mode, random BatchNorm statistics."""
    import torch
    import torch.nn as nn

    torch.manual_seed(seed)
    module = nn.Sequential(
        nn.ConvTranspose2d(nz, channels, 4, 1, 0, bias=False),
        nn.BatchNorm2d(channels),
        nn.ReLU(),
        nn.ConvTranspose2d(channels, 1, 4, 2, 1),
    ).double()
    bn = module[1]
    bn.weight.data.uniform_(0.5, 1.5)
    bn.bias.data.normal_(0, 0.1)
    bn.running_mean.normal_(0, 0.1)
    bn.running_var.uniform_(0.5, 2.0)
    return module.eval()


def make_instance(nz: int, channels: int, seed: int, dense: bool = False):
    """The deterministic milpinv.Instance of (nz, C, seed); ``dense``: the same network with dense
    weight matrices (what gurobipy's matrix API and the interval bounds of milp_vs_peers read)."""
    import milpinv

    net = milpinv.ReluNetwork.from_torch(generator(nz, channels, seed), input_shape=(nz, 1, 1))
    if dense:
        weights = [w.toarray() if hasattr(w, "toarray") else np.asarray(w) for w in net.weights]
        net = milpinv.ReluNetwork(weights, net.biases, activations=net.activations)
    rng = np.random.default_rng(50_000 + seed)
    x = np.arctanh(rng.uniform(-PIXEL, PIXEL, size=net.output_dim))
    meta = {"generator": "dcgan_race", "noise": 1.0, "seed": seed}
    return milpinv.Instance(net, x, np.full(nz, -BOX), np.full(nz, BOX), meta)


def solve(method: str, inst, cap: float) -> dict:
    """One solve of ``method`` (see the module docstring) on ``inst``."""
    if method == "gurobi":
        return peers.solve_gurobi(inst, "l1", cap, {})
    rule, _, flag = method.partition(":")
    options: dict = {} if rule == "milpinv" else {"branching": f"{rule}/deep/out/lean"}
    if flag == "noheur":
        options["heuristic"] = False
    return peers.solve_milpinv(inst, "l1", cap, options)


def worker_main() -> int:
    """Read one job (JSON on stdin), warm up, signal readiness, solve, write the result JSON."""
    job = json.loads(sys.stdin.read())
    dense = job["method"] == "gurobi"
    solve(job["method"], make_instance(2, 2, 0, dense), 5.0)  # imports, licence check
    inst = make_instance(job["nz"], job["channels"], job["seed"], dense)
    Path(job["ready"]).write_text("ready")
    t0 = time.perf_counter()
    try:
        out = solve(job["method"], inst, job["cap"])
    except Exception as e:  # a crash is a failed run with its message
        out = {"status": "failed", "message": f"{type(e).__name__}: {e}"}
    out["time_s"] = time.perf_counter() - t0
    out.pop("z", None)
    Path(job["out"]).write_text(json.dumps(out, default=float))
    return 0


def run_in_process(job: dict, workdir: Path) -> dict:
    """One solve in a fresh process, killed at cap + milp_vs_peers.KILL_GRACE after it is ready."""
    tag = f"{job['nz']}_{job['channels']}_{job['seed']}_{job['method']}"
    ready, out, log = workdir / f"{tag}.ready", workdir / f"{tag}.json", workdir / f"{tag}.log"
    for p in (ready, out):
        p.unlink(missing_ok=True)
    job = dict(job, ready=str(ready), out=str(out))
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker"],
            stdin=subprocess.PIPE,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, **peers.THREAD_ENV},
            start_new_session=True,
            text=True,
        )
        assert proc.stdin is not None
        proc.stdin.write(json.dumps(job))
        proc.stdin.close()
        killed = peers._wait(proc, ready, job["cap"])
    if out.exists():
        return json.loads(out.read_text())
    why = f"killed at the hard cap ({killed})" if killed else f"worker exited {proc.returncode}"
    return {"status": "time_limit" if killed else "failed", "time_s": job["cap"], "message": why}


def seeds(text: str) -> list[int]:
    """ "1-10" or "1,4,7"."""
    if "-" in text:
        a, b = text.split("-")
        return list(range(int(a), int(b) + 1))
    return [int(s) for s in text.split(",")]


def summarize(rows: list[dict], methods: list[str], cap: float) -> dict:
    """Per method: solved count, geometric mean time (unsolved at the cap), and the instances
    Gurobi proved optimal that the method left open."""
    proved = {(r["nz"], r["channels"], r["seed"]) for r in rows if r["method"] == "gurobi" and r["status"] == "optimal"}
    out = {}
    for m in methods:
        mine = [r for r in rows if r["method"] == m]
        times = [r["time_s"] if r["status"] == "optimal" else cap for r in mine]
        left = [
            f"nz{r['nz']}/C{r['channels']}/s{r['seed']}"
            for r in mine
            if r["status"] != "optimal" and (r["nz"], r["channels"], r["seed"]) in proved
        ]
        out[m] = {
            "runs": len(mine),
            "optimal": sum(r["status"] == "optimal" for r in mine),
            "geomean_s": peers.geomean(times) if times else None,
            "open_where_gurobi_proved": left,
        }
    return out


def line(r: dict) -> str:
    def num(v, fmt):
        return "-" if v is None else format(v, fmt)

    return (
        f"nz{r['nz']:<3} C{r['channels']:<3} s{r['seed']:<6} {r['method']:<10} {r['status']:<11} "
        f"{num(r.get('time_s'), '7.2f')} s  bound {num(r.get('bound'), '10.4f')}  "
        f"inc {num(r.get('objective'), '10.4f')}  nodes {num(r.get('nodes'), 'd')}"
    )


def main(argv: list[str] | None = None) -> int:
    if argv is None and sys.argv[1:] == ["--worker"]:
        return worker_main()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default="1-10")
    p.add_argument("--channels", default="12", help="comma-separated C (16 C hidden units)")
    p.add_argument("--nz", default="6", help="comma-separated latent dimensions")
    p.add_argument("--cap", type=float, default=60.0)
    p.add_argument("--methods", default="gurobi,milpinv,latent4")
    p.add_argument("--out", default=str(RESULTS / "dcgan_race.json"))
    args = p.parse_args(argv)
    methods = args.methods.split(",")
    rows = []
    with __import__("tempfile").TemporaryDirectory() as tmp:
        for nz in (int(v) for v in args.nz.split(",")):
            for c in (int(v) for v in args.channels.split(",")):
                for s in seeds(args.seeds):
                    for m in methods:
                        job = {"nz": nz, "channels": c, "seed": s, "method": m, "cap": args.cap}
                        row = {**job, **run_in_process(job, Path(tmp))}
                        rows.append(row)
                        print(line(row), flush=True)
    summary = summarize(rows, methods, args.cap)
    print(json.dumps(summary, indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(
        json.dumps(
            {"argv": sys.argv[1:] if argv is None else argv, "rows": rows, "summary": summary}, indent=1, default=float
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
