"""``milpinv demo``: the main job on an embedded default, in well under a minute.

Each case builds an instance, runs several methods on it and returns table rows; the table
shows status, the float64 residual of every returned z, its distance to the planted z and time.
"""
from __future__ import annotations

import sys
from typing import Callable, TextIO

import numpy as np

from .instance import Instance, plant_instance
from .invert import invert
from .network import ReluNetwork

SEED = 7


def _rows(case: str, inst: Instance, methods: list[str], **options) -> list[dict]:
    rows = []
    for method in methods:
        res = invert(inst, method=method, **options.get(method, {}))
        planted = inst.planted_z
        dist = None if res.z is None or planted is None else float(np.max(np.abs(res.z - planted)))
        rows.append({"case": case, "method": method, "status": res.status, "residual_linf": res.residual_linf,
                     "z_error": dist, "time_s": res.time_s, "message": res.message})
    return rows


def expanding_case(seed: int) -> list[dict]:
    """The paper's easy regime: a random expanding generator, inverted layer by layer."""
    net = ReluNetwork.random([10, 40, 120, 360], seed=seed)
    return _rows("expanding 10-40-120-360", plant_instance(net, seed=seed), ["layerwise", "gd"],
                 gd={"seed": seed})


CASES: list[Callable[[int], list[dict]]] = [expanding_case]


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_table(rows: list[dict]) -> str:
    head = f"{'case':<28} {'method':<10} {'status':<11} {'residual':>10} {'|z - z*|':>10} {'time s':>8}"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['case']:<28} {r['method']:<10} {r['status']:<11} {_fmt(r['residual_linf'], '10.2e')} "
                     f"{_fmt(r['z_error'], '10.2e')} {r['time_s']:8.3f}")
    return "\n".join(lines)


def run_demo(seed: int = SEED, stream: TextIO | None = sys.stdout) -> list[dict]:
    """Run every case; print the table to ``stream`` (None: silent). Returns the rows."""
    rows = [row for case in CASES for row in case(seed)]
    if stream is not None:
        print(format_table(rows), file=stream)
    return rows
