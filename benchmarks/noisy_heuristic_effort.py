"""Paired, one process: the l1 / linf heuristic's effort on milp_vs_peers.py's ten noisy instances
(PERFORMANCE.md entries 12 and 13). Variants set milpinv/milp/heuristic.py's QUICK_EFFORT /
NOISY_EFFORT (rounds, descents polished per round, flip LPs per point) and milp.py's ROOT (nodes
searched after the quick heuristic before the full one is run; None: search to the end at once).

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/noisy_heuristic_effort.py
"""

import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import milpinv  # noqa: E402
import milpinv.milp.heuristic as H  # noqa: E402
import milpinv.milp.pipeline as M  # noqa: E402
from milp_vs_peers import Case, make_instance  # noqa: E402

FULL = H.NOISY_EFFORT
VARIANTS = {  # name: (quick effort, root nodes)
    "full heuristic, then search (before)": (FULL, None),
    "quick heuristic, root, then full heuristic (adaptive)": (H.QUICK_EFFORT, M.ROOT),
}
times = defaultdict(list)
for seed in range(5):
    for kind in ("noisy_l1", "noisy_linf"):
        inst = make_instance(Case(kind, "10-20-20-10", seed))
        for name, (quick, root) in VARIANTS.items():
            H.QUICK_EFFORT, M.ROOT = quick, root
            t = time.perf_counter()
            res = milpinv.invert(inst, method="milp", norm=kind.split("_")[1], threads=1, time_limit=60)
            dt = time.perf_counter() - t
            times[name].append(dt)
            print(kind, seed, name, res.status, f"{dt:.2f}s", res.objective, res.solver.get("nodes"), flush=True)
for name, v in times.items():
    print(f"{name}: geomean {float(np.exp(np.mean(np.log(v)))):.3f} s, max {max(v):.1f} s")
