"""Paired, one process: the l1 / linf heuristic as it is (its polish and flip LPs one persistent
layered LP, milpinv/milp/piece_lp.py: a flip is a change of column bounds, a piece met again is
not solved again, a walk stops after heuristic.PATIENCE flips without a better point) against
the same heuristic with a new z-space piece model and a new HiGHS model per LP and the whole
flip budget (``before``: what it did up to PERFORMANCE.md entry 27). Same descents, same flips
in the same order, same acceptance; the script prints per instance the heuristic's wall time
both ways, its incumbent both ways, and the flips tried; geometric means of the time ratio per
family.

Instances: milp_vs_peers.py's noisy_l1 / noisy_linf generator on tuning seeds (PERFORMANCE.md 25's
7301-7303 and 7311-7315, and 7321-7323) and dcgan_race.py's generators (nz 6, C 12, seeds 1-10),
never the held-out seeds of HELDOUT.md.

    OMP_NUM_THREADS=1 python benchmarks/flip_lps.py [--effort quick|full] [--families a,b]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dcgan_race  # noqa: E402
import milp_vs_peers as peers  # noqa: E402

import milpinv.milp.heuristic as H  # noqa: E402
from milpinv.formulations.blocks import OutputSpec  # noqa: E402
from milpinv.formulations.pieces import kink_order, pattern_of, piece_model  # noqa: E402
from milpinv.norm import Norm  # noqa: E402
from milpinv.problem import Box, Problem  # noqa: E402
from milpinv.solvers import SolverOptions, get_solver  # noqa: E402
from milpinv.tolerance import residual_norm  # noqa: E402

FAMILIES = {
    "l1 8-16-16-16": [("noisy_l1", "8-16-16-16", s) for s in (7311, 7312, 7313, 7314, 7315)],
    "linf 8-16-16-16": [("noisy_linf", "8-16-16-16", s) for s in (7311, 7312, 7313)],
    "l1 12-24-24-12": [("noisy_l1", "12-24-24-12", s) for s in (7321, 7322, 7323)],
    "linf 12-24-24-12": [("noisy_linf", "12-24-24-12", s) for s in (7321, 7322, 7323)],
    "l1 12-30-30-60": [("noisy_l1", "12-30-30-60", s) for s in (7301, 7302, 7303)],
    "linf 12-30-30-60": [("noisy_linf", "12-30-30-60", s) for s in (7301, 7302)],
    "dcgan nz6 C12": [("dcgan", "6-12", s) for s in range(1, 11)],
}


def flip_search_before(problem: Problem, z: np.ndarray, flips: int, lp=None) -> tuple[np.ndarray, int]:
    """flip_search as it was: a z-space piece model and a new HiGHS model per flip (``lp`` unused)."""
    network, x, norm, deadline = problem.network, problem.target, problem.norm, problem.deadline
    engine = get_solver("highs")
    best, value, tried = z, residual_norm(network, x, z, norm), 0
    improved = True
    while improved and tried < flips and not deadline.expired():
        improved = False
        pattern = pattern_of(network, best)
        for k, i in kink_order(network, best):
            if tried >= flips or deadline.expired():
                break
            flipped = [p.copy() for p in pattern]
            flipped[k][i] = not flipped[k][i]
            tried += 1
            out = engine.solve(piece_model(network, flipped, OutputSpec(x, norm), problem.box), SolverOptions())
            if out.status != "optimal" or out.x is None:
                continue
            cand = problem.box.clip(out.x[: network.input_dim])
            r = residual_norm(network, x, cand, norm)
            if r < value - 1e-12 * max(1.0, value):
                best, value, improved = cand, r, True
                break
    return best, tried


def problem_of(kind: str, net: str, seed: int) -> Problem:
    if kind == "dcgan":
        nz, channels = (int(v) for v in net.split("-"))
        inst, norm = dcgan_race.make_instance(nz, channels, seed), Norm.L1
    else:
        inst, norm = peers.make_instance(peers.Case(kind, net, seed)), Norm.parse(peers.NORM_OF[kind])
    return Problem.of(inst.network, inst.target, norm, Box(inst.lower, inst.upper))


def timed(problem: Problem, effort: tuple[int, int, int], variant: tuple) -> tuple[float, float, int]:
    H.flip_search, H.piece_lp = variant
    t = time.perf_counter()
    res = H.noisy_heuristic(problem, effort)
    return time.perf_counter() - t, float(res.objective), int(res.solver["flip_lps"])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--effort", choices=("quick", "full"), default="full")
    ap.add_argument("--families", default=",".join(FAMILIES))
    args = ap.parse_args(argv)
    effort = H.NOISY_EFFORT if args.effort == "full" else H.QUICK_EFFORT
    before, after = (flip_search_before, lambda problem, z: None), (H.flip_search, H.piece_lp)
    for family in args.families.split(","):
        ratios = []
        for kind, net, seed in FAMILIES[family]:
            problem = problem_of(kind, net, seed)
            t0, v0, n0 = timed(problem, effort, before)
            t1, v1, n1 = timed(problem, effort, after)
            ratios.append(t1 / t0)
            same = "same" if abs(v1 - v0) <= 1e-9 * max(1.0, v0) else ("better" if v1 < v0 else "WORSE")
            print(
                f"{family} s{seed}: before {t0:.3f} s ({n0} LPs, {v0:.9g}), after {t1:.3f} s ({n1} LPs, "
                f"{v1:.9g}) ratio {t1 / t0:.3f} incumbent {same}",
                flush=True,
            )
        print(f"{family}: time ratio geomean {float(np.exp(np.mean(np.log(ratios)))):.3f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
