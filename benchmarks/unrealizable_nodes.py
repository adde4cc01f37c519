"""Three unrealizable proofs of milp_vs_peers.py (12-24-24-24, seeds 1, 3, 4): time and nodes of
the default milp, for paired before / after runs of node-level changes (PERFORMANCE.md 15).

    OMP_NUM_THREADS=1 python benchmarks/unrealizable_nodes.py
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from milp_vs_peers import Case, make_instance
import milpinv
tot = 0
for s in (1, 3, 4):
    inst = make_instance(Case("unrealizable", "12-24-24-24", s))
    t = time.perf_counter(); r = milpinv.invert(inst, method="milp", threads=1, time_limit=120); dt = time.perf_counter() - t
    tot += dt
    print(s, r.status, round(dt, 2), r.solver.get("nodes"), flush=True)
print("total", round(tot, 2))
