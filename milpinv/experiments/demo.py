"""``milpinv demo``: the main job on an embedded default, in well under a minute.

Each case builds an instance, runs several methods on it and returns table rows; the table
shows status, the float64 residual of every returned z, its distance to the planted z and time.
Other packages add cases through the ``milpinv.demo`` entry point group (the ``reductions``
package adds 3-SAT reduced to inversion, against a CDCL solver).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TextIO

import numpy as np

from ..instance import Instance, plant_instance
from ..invert import invert
from ..network import ReluNetwork
from ..result import InversionResult
from .runner import Known, judge

Case = Callable[[int], list[dict]]
PLUGIN_GROUP = "milpinv.demo"

SEED = 7


def _rows(case: str, inst: Instance, methods: list[str], **options) -> list[dict]:
    return [row(case, inst, invert(inst, method=m, **options.get(m, {}))) for m in methods]


def row(case: str, inst: Instance, res: InversionResult) -> dict:
    """One table row: the result of one method on ``inst`` (its meta may carry a known answer)."""
    planted = inst.planted_z
    dist = None if res.z is None or planted is None else float(np.max(np.abs(res.z - planted)))
    known = inst.meta.get("known_answer", "unknown")
    scale = float(np.max(np.abs(inst.target), initial=0.0))
    return {
        "case": case,
        "method": res.method,
        "status": res.status.value,
        "residual_linf": res.residual_linf,
        "z_error": dist,
        "time_s": res.time_s,
        "message": res.message,
        "known_answer": known,
        "verdict": judge(Known(res.norm, known, None, scale), res.status, res.objective, res.bound),
        "note": _note(res),
    }


def _note(res) -> str:
    if res.method == "milp" and res.status in ("optimal", "infeasible"):
        nodes = res.solver.get("nodes")
        return f"proven {res.status}" + (f", {nodes} nodes" if nodes is not None else "")
    return res.message.split(";")[0][:60]


def expanding_case(seed: int) -> list[dict]:
    """The paper's easy regime: a random expanding generator, inverted layer by layer."""
    net = ReluNetwork.random([10, 40, 120, 360], seed=seed)
    return _rows("expanding 10-40-120-360", plant_instance(net, seed=seed), ["layerwise", "gd"], gd={"seed": seed})


def non_expanding_case(seed: int) -> list[dict]:
    """Layers that do not expand: layer-wise LP cannot invert it, the exact MILP can."""
    net = ReluNetwork.random([8, 16, 16, 16], seed=seed)
    return _rows(
        "non-expanding 8-16-16-16",
        plant_instance(net, seed=seed),
        ["layerwise", "milp", "gd"],
        gd={"seed": seed},
        milp={"heuristic": False},
    )


CASES: list[Case] = [expanding_case, non_expanding_case]


def cases() -> list[Case]:
    """The cases above, then those the installed packages add (entry points)."""
    return CASES + [ep.load() for ep in entry_points(group=PLUGIN_GROUP)]


def _fmt(value, spec: str) -> str:
    width = int(spec.split(".")[0] or 0)
    return "-".rjust(width) if value is None else format(value, spec)


def format_table(rows: list[dict]) -> str:
    head = f"{'case':<28} {'method':<10} {'status':<11} {'residual':>10} {'|z - z*|':>10} {'time s':>8}  note"
    lines = [head, "-" * (len(head) + 30)]
    for r in rows:
        lines.append(
            f"{r['case']:<28} {r['method']:<10} {r['status']:<11} {_fmt(r['residual_linf'], '10.2e')} "
            f"{_fmt(r['z_error'], '10.2e')} {r['time_s']:8.3f}  {r['note']}"
        )
    return "\n".join(lines)


def run_demo(seed: int = SEED, stream: TextIO | None = sys.stdout) -> list[dict]:
    """Run every case; print the table to ``stream`` (None: silent). Returns the rows."""
    rows = [r for case in cases() for r in case(seed)]
    if stream is not None:
        print(format_table(rows), file=stream)
        print(
            "\nresidual: ||G(z) - x||_inf by a float64 forward pass. A zero residual with a large |z - z*|\n"
            "means the pre-image is not a single point (`milpinv preimage` shows its pieces).",
            file=stream,
        )
    return rows
