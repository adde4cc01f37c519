"""Before/after: gradient descent with the BLAS thread pool as the machine sets it (before) and
limited to one thread, as ``milpinv.methods.gd`` now does (after), on the same instances, same process.

    .venv/bin/python benchmarks/gd_blas_threads.py [--repeats 3] [--steps 300]

Prints one row per network: median seconds before / after and their ratio. The `after` runs call
the same code path; only the thread limit around it differs (the limit inside ``invert_gd`` is
lifted for the `before` runs by patching ``threadpool_limits`` to a no-op).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time

from threadpoolctl import threadpool_info

import milpinv
import milpinv.methods.gd as gd

NETS = ([20, 60, 180], [20, 120, 720], [60, 360, 2160], [10, 20, 20, 20, 20])


def _time(inst, steps: int) -> float:
    t0 = time.perf_counter()
    milpinv.invert(inst, method="gd", steps=steps)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    pools = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
    print(f"BLAS pools: {pools}")
    print(f"{'network':<18} {'before s':>9} {'after s':>9} {'before/after':>13}")
    limited = gd.threadpool_limits
    for dims in NETS:
        inst = milpinv.plant_instance(milpinv.ReluNetwork.random(dims, seed=1), seed=2)
        before, after = [], []
        for _ in range(args.repeats):
            gd.threadpool_limits = lambda **_: contextlib.nullcontext()
            before.append(_time(inst, args.steps))
            gd.threadpool_limits = limited
            after.append(_time(inst, args.steps))
        b, a = statistics.median(before), statistics.median(after)
        print(f"{'-'.join(map(str, dims)):<18} {b:9.3f} {a:9.3f} {b / a:13.2f}")


if __name__ == "__main__":
    main()
