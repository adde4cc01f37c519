"""One proof on many processes (issue 23): milpinv's branch and bound serially (threads=1), on
2 worker processes (threads=2) and on a Dask LocalCluster of 2 workers, on the engine suite's
hardest proofs: the unrealizable targets of unrealizable_nodes.py (12-24-24-24, seeds 1, 3, 4:
5-10 s serially) and UNSAT random 3-SAT at the threshold (n = 80-110: 8 s to about a minute)
reduced to two-layer inversion (solver bab: auto would take CP-SAT on their integer lattice). Per
run: wall-clock, CPU seconds (the parent's and the workers'), total nodes, and per worker the
seconds it searched and idled.

Then a simulation of 2-64 workers: the serial run's tree (each node's time and children, recorded
from the serial search) replayed through the scheduling rules of milpinv.engine.parallel (Rules,
OpenNodes: the same ramp-up, hand-out and hand-back), with a fixed cost per subtree handed out.

    OMP_NUM_THREADS=1 python benchmarks/parallel_bab.py              # all (minutes)
    OMP_NUM_THREADS=1 python benchmarks/parallel_bab.py --quick      # one small case, no Dask
    OMP_NUM_THREADS=1 python benchmarks/parallel_bab.py --sim-only   # serial runs and the simulation
    OMP_NUM_THREADS=1 python benchmarks/parallel_bab.py --stops      # how soon a time limit / Ctrl-C stops it all
"""
import argparse
import heapq
import itertools
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import milpinv
from milpinv.engine import bab
from milpinv.engine.parallel import OpenNodes, Rules

WORKERS = (2, 8, 16, 32, 64)
LATENCIES = (0.005, 0.05)  # seconds per subtree handed out: a local process, a cluster's round trip
TIME_LIMIT = 300
RANGE = (10.0, 60.0)  # serial seconds of the proofs the speed-up is judged on


def cases(quick):
    from milp_vs_peers import Case, make_instance
    from reductions.generators import random_ksat
    from reductions.oracles import solve_cnf
    from reductions.registry import get_reduction

    if quick:
        from milpinv import ReluNetwork, plant_instance
        net = ReluNetwork.random([4, 12, 12, 6], seed=1, output_activation="linear")
        yield "unrealizable 4-12-12-6 s1", plant_instance(net, seed=1, noise=0.05)
        return
    for s in (1, 3, 4):
        yield f"unrealizable 12-24-24-24 s{s}", make_instance(Case("unrealizable", "12-24-24-24", s))
    red = get_reduction("3sat", "relu")
    for n, count in ((80, 1), (90, 1), (100, 3), (110, 4)):  # n = 100-110: 10-60 s serially, the range
        found = 0
        for seed in itertools.count():
            cnf = random_ksat(n, 4.26, seed=seed)
            if solve_cnf(cnf) is None:  # UNSAT: a proof of no pre-image
                yield f"3-SAT n={n} seed {seed} (unsat)", red.reduce(cnf)
                found += 1
                if found == count:
                    break


# ------------------------------------------------------------------ the serial tree, recorded
@dataclass(eq=False)
class SimNode:
    time: float
    bound: float
    depth: int
    children: list = field(default_factory=list)


class Recorder:
    """Patches BranchAndBound to record every search's nodes (time, children) and wall-clock."""

    def __init__(self):
        self.searches = {}  # id(search) -> [seconds of run, {id(node): SimNode}, root, keep-alive]
        process, run = bab.BranchAndBound._process, bab.BranchAndBound.run
        rec = self

        def timed_process(self, parent, incumbent):
            t = time.perf_counter()
            out = process(self, parent, incumbent)
            nodes = rec.searches.setdefault(id(self), [0.0, {}, None, []])
            me = nodes[1].setdefault(id(parent), SimNode(0.0, parent.bound, parent.depth))
            me.time = time.perf_counter() - t
            if nodes[2] is None:
                nodes[2] = me
            for child in out.children:
                kid = SimNode(0.0, child.bound, child.depth)
                nodes[1][id(child)] = kid
                me.children.append(kid)
            nodes[3].extend([parent, *out.children])  # ids stay unique while the search lives
            return out

        def timed_run(self, *args, **kw):
            t = time.perf_counter()
            out = run(self, *args, **kw)
            rec.searches.setdefault(id(self), [0.0, {}, None, []])[0] = time.perf_counter() - t
            return out

        bab.BranchAndBound._process, bab.BranchAndBound.run = timed_process, timed_run

    def largest(self):
        """The biggest search since the last call: (its seconds, its root, its node count)."""
        seconds, nodes, root, _ = max(self.searches.values(), key=lambda s: len(s[1]))
        self.searches = {}
        return seconds, root, sum(1 for n in nodes.values() if n.time > 0)


def simulate(root, seconds, workers, latency, rules=None):
    """The makespan of the recorded tree's search on ``workers`` workers under the parallel
    search's rules; ``seconds``: the serial search's wall-clock (its time outside nodes, the root's
    cuts, is the parent's before the ramp-up)."""
    rules = Rules(workers) if rules is None else Rules(workers, rules.ramp, rules.budget)
    pool = OpenNodes([root])
    now = seconds - total_time(root)
    while not rules.ramped(pool):  # the ramp-up: the parent alone, one node at a time
        node = pool.take()
        now += node.time
        pool.put(node.children)
    running, order = [], itertools.count()
    while pool or running:
        for node, budget in rules.hand_out(pool, len(running), None):
            stack, work, done = [node], latency, 0
            while stack and done < budget:  # the worker's depth-first search of the subtree
                n = stack.pop()
                work, done = work + n.time, done + 1
                stack.extend(n.children)
            heapq.heappush(running, (now + work, next(order), stack))
        now, _, left = heapq.heappop(running)
        pool.put(left)
    return now


def total_time(root):
    total, stack = 0.0, [root]
    while stack:
        n = stack.pop()
        total += n.time
        stack.extend(n.children)
    return total


# ------------------------------------------------------------------------------------- runs
def run(inst, **options):
    t, cpu = time.perf_counter(), time.process_time()
    r = milpinv.invert(inst, method="milp", solver="bab", time_limit=TIME_LIMIT, **options)
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    s = r.solver
    busy = s.get("worker_busy_s") or []
    par = s.get("parallel_s")
    idle = [round(par - b, 2) for b in busy] if par else []
    cpu += s.get("worker_cpu_s") or 0.0  # a loaded machine: CPU seconds are the steadier figure
    return {"status": str(r.status), "bound": r.bound, "wall": wall, "cpu": cpu, "nodes": s.get("nodes"), "busy": busy, "idle": idle, "tasks": s.get("tasks")}


def show(name, mode, row, base=None):
    speed = f"  x{base['wall'] / row['wall']:.2f}" if base else ""
    extra = f"  tasks {row['tasks']}  busy {row['busy']}  idle {row['idle']}" if row["busy"] else ""
    print(f"{name:32s} {mode:10s} {row['status']:11s} {row['wall']:7.2f} s  cpu {row['cpu']:7.2f} s  nodes {row['nodes']}{speed}{extra}", flush=True)


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else float("nan")


def sim_trees(path, quick, rules):
    """The simulation alone, on trees recorded once (a pickle at ``path``)."""
    import pickle
    sys.setrecursionlimit(100_000)
    if not os.path.exists(path):
        recorder, trees = Recorder(), []
        for name, inst in cases(quick):
            row = run(inst, threads=1)
            trees.append((name, *recorder.largest()))
            show(name, "serial", row)
        with open(path, "wb") as fh:
            pickle.dump(trees, fh)
    with open(path, "rb") as fh:
        trees = pickle.load(fh)
    sims = {(w, lat): [] for w in WORKERS for lat in LATENCIES}
    for name, seconds, root, nodes in trees:
        line = []
        for lat in LATENCIES:
            for w in WORKERS:
                sims[w, lat].append(seconds / simulate(root, seconds, w, lat, rules))
                line.append(f"{w}w/{1000 * lat:g}ms x{sims[w, lat][-1]:.1f}")
        print(f"{name:32s} {seconds:6.1f} s {nodes:6d} nodes  " + "  ".join(line))
    for lat in LATENCIES:
        print(f"geometric mean, {1000 * lat:g} ms per subtree: " + "  ".join(f"{w}w x{geomean(sims[w, lat]):.1f}" for w in WORKERS))


def stops():
    """Seconds from a time limit (2 processes, a Dask LocalCluster of 2) or a Ctrl-C (2 processes)
    to the answer, on a noisy l1 target that takes minutes."""
    import signal
    import threading
    from distributed import LocalCluster
    from milpinv import ReluNetwork, plant_instance
    inst = plant_instance(ReluNetwork.random([8, 20, 20, 20], seed=1, bias_scale=0.3), seed=2, noise=0.3)
    solve = partial(milpinv.invert, inst, method="milp", norm="l1", heuristic=False)
    for limit in (1.0, 3.0):
        t = time.perf_counter()
        r = solve(time_limit=limit, threads=2)
        print(f"threads=2, time limit {limit:g} s: answered after {time.perf_counter() - t:.2f} s ({r.status})")
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    sent = {}
    threading.Timer(3.0, lambda: (sent.setdefault("t", time.perf_counter()), os.kill(os.getpid(), signal.SIGINT))).start()
    try:
        r = solve(time_limit=120, threads=2)
    finally:
        signal.signal(signal.SIGINT, previous)
    print(f"threads=2, Ctrl-C after 3 s: answered {time.perf_counter() - sent['t']:.2f} s after the signal ({r.status})")
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        t = time.perf_counter()
        r = solve(time_limit=3.0, scheduler=cluster.scheduler_address)
        print(f"Dask 2, time limit 3 s: answered after {time.perf_counter() - t:.2f} s ({r.status})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="one small case (seconds), no Dask")
    ap.add_argument("--sim-only", action="store_true", help="serial runs and the simulation only")
    ap.add_argument("--trees", default=None, help="--sim-only: keep the recorded trees in this pickle (reused if it exists)")
    ap.add_argument("--ramp", type=int, default=None, help="simulate with this ramp-up (open nodes per worker)")
    ap.add_argument("--budget", type=int, default=None, help="simulate with this node budget per subtree")
    ap.add_argument("--stops", action="store_true", help="only: how soon a time limit or a Ctrl-C stops the workers")
    ap.add_argument("--only", default=None, help="the proofs whose names contain one of these comma-separated strings")
    ap.add_argument("--out", default="benchmarks/results/parallel_bab.json", help="every run and the summary as JSON")
    args = ap.parse_args()
    if args.stops:
        stops()
        return
    rules = Rules(1, args.ramp or Rules(1).ramp, args.budget)
    print(f"rules: ramp {rules.ramp} open nodes per worker, budget {rules.budget or 'the default'} nodes per subtree")
    if args.sim_only and args.trees:
        sim_trees(args.trees, args.quick, rules)
        return
    print("load:", os.getloadavg(), "cpus:", os.cpu_count(), flush=True)
    recorder = Recorder()
    cluster = None
    if not (args.quick or args.sim_only):
        from distributed import LocalCluster
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    speed = {"threads=2": [], "dask 2": []}
    in_range = {"threads=2": [], "dask 2": []}  # proofs of 10-60 s serially (the range)
    rows = []
    sims = {(w, lat): [] for w in WORKERS for lat in LATENCIES}
    long = []  # per proof: did the serial search take 10-60 s
    try:
        for name, inst in cases(args.quick):
            if args.only and not any(part in name for part in args.only.split(",")):
                continue
            serial = run(inst, threads=1)
            seconds, root, nodes = recorder.largest()
            show(name, "serial", serial)
            rows.append(dict(serial, proof=name, mode="serial"))
            long.append(RANGE[0] <= serial["wall"] <= RANGE[1])
            runs = [] if args.sim_only else [("threads=2", {"threads": 2})]
            if cluster is not None:
                runs.append(("dask 2", {"scheduler": cluster.scheduler_address}))
            for mode, options in runs:
                row = run(inst, **options)
                show(name, mode, row, serial)
                assert row["status"] == serial["status"], (row, serial)
                x = serial["wall"] / row["wall"]
                speed[mode].append(x)
                if RANGE[0] <= serial["wall"] <= RANGE[1]:
                    in_range[mode].append(x)
                rows.append(dict(row, proof=name, mode=mode, speedup=x))
            recorder.searches = {}
            line = []
            for w in WORKERS:
                for lat in LATENCIES:
                    x = seconds / simulate(root, seconds, w, lat, rules)
                    sims[w, lat].append(x)
                    line.append(f"{w}w/{1000 * lat:g}ms x{x:.1f}")
                    rows.append({"proof": name, "mode": f"simulated {w} workers, {1000 * lat:g} ms", "speedup": x})
            print(f"{'':32s} simulated (search {seconds:.1f} s, {nodes} nodes): " + "  ".join(line), flush=True)
    finally:
        if cluster is not None:
            cluster.close()
    print("\ngeometric mean speed-up over serial (whole run):")
    summary = {"load_end": os.getloadavg(), "cpus": os.cpu_count()}
    for mode, xs in speed.items():
        if xs:
            print(f"  {mode:10s} x{geomean(xs):.2f}  ({len(xs)} proofs); "
                  f"x{geomean(in_range[mode]):.2f} on the {len(in_range[mode])} of {RANGE[0]}-{RANGE[1]} s serially")
            summary[mode] = {"all": geomean(xs), "proofs": len(xs), "in_range": geomean(in_range[mode]), "in_range_proofs": len(in_range[mode])}
    print(f"simulated (the search; in brackets: the {sum(long)} proofs of {RANGE[0]:g}-{RANGE[1]:g} s serially):")
    for lat in LATENCIES:
        on_long = {w: geomean([x for x, keep in zip(sims[w, lat], long) if keep]) for w in WORKERS}
        print(f"  {1000 * lat:g} ms per subtree: " + "  ".join(f"{w} workers x{geomean(sims[w, lat]):.1f} [x{on_long[w]:.1f}]" for w in WORKERS))
        summary[f"simulated {1000 * lat:g} ms, {RANGE[0]:g}-{RANGE[1]:g} s proofs"] = on_long
    for lat in LATENCIES:
        summary[f"simulated {1000 * lat:g} ms"] = {w: geomean(sims[w, lat]) for w in WORKERS}
    print("load:", os.getloadavg())
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"rows": rows, "summary": summary}, indent=1))
    print("wrote", args.out)


if __name__ == "__main__":
    main()
