"""Paired, one process: the l1 / linf heuristic's effort (NOISY_ROUNDS, POLISHED, FLIPS of
milpinv/methods/heuristic.py) on milp_vs_peers.py's ten noisy instances; PERFORMANCE.md entry (12).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/noisy_heuristic_effort.py
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np
from milp_vs_peers import Case, make_instance
import milpinv
import milpinv.methods.heuristic as H
VARIANTS = {"shipped": (2, 4, 40), "light": (1, 2, 20), "one-round": (1, 4, 40)}
rows = []
for seed in range(5):
    for kind in ("noisy_l1", "noisy_linf"):
        inst = make_instance(Case(kind, "10-20-20-10", seed))
        for name, (r, p, f) in VARIANTS.items():
            H.NOISY_ROUNDS, H.POLISHED, H.FLIPS = r, p, f
            t = time.perf_counter()
            res = milpinv.invert(inst, method="milp", norm=kind.split("_")[1], threads=1, time_limit=60)
            dt = time.perf_counter() - t
            rows.append((kind, seed, name, str(res.status), dt, res.objective, res.solver.get("nodes")))
            print(*rows[-1], flush=True)
from collections import defaultdict
g = defaultdict(list)
for k, s, n, st, dt, *_ in rows: g[n].append(dt)
for n, v in g.items(): print(n, "geomean", float(np.exp(np.mean(np.log(v)))))
