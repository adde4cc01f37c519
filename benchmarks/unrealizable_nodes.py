"""Three unrealizable proofs of milp_vs_peers.py (12-24-24-24, seeds 1, 3, 4): time, CPU time and
nodes of the default milp, for paired before / after runs of node-level changes (PERFORMANCE.md 15,
24: the CPU seconds of this process move less with the load of the machine than the wall time).

    OMP_NUM_THREADS=1 python benchmarks/unrealizable_nodes.py
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from milp_vs_peers import Case, make_instance
import milpinv
tot = cpu = 0.0
for s in (1, 3, 4):
    inst = make_instance(Case("unrealizable", "12-24-24-24", s))
    t, c = time.perf_counter(), time.process_time()
    r = milpinv.invert(inst, method="milp", threads=1, time_limit=120)
    dt, dc = time.perf_counter() - t, time.process_time() - c
    tot, cpu = tot + dt, cpu + dc
    print(s, r.status, round(dt, 2), round(dc, 2), r.solver.get("nodes"), flush=True)
print("total", round(tot, 2), round(cpu, 2))
