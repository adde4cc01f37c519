"""milpinv preimage: extent, pieces, connected components and convexity of an instance's pre-image."""

from __future__ import annotations

import argparse
import json

from ..analysis.preimage import (
    MAX_PIECES,
    MAX_UNSTABLE,
    SIDES,
    TIME_LIMIT,
    PreimageOptions,
    PreimageReport,
    PreimageStatus,
    analyse_preimage,
)
from ..files import atomic_write
from ..instance import Instance
from ..options import BOUND_MODES
from ..problem import Box
from ..status import Status, exit_code
from .args import positive_float, positive_int


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("instance", help="instance .npz")
    p.add_argument("--no-pieces", action="store_true", help="only the coordinate ranges (2n MILPs)")
    p.add_argument("--no-convexity", action="store_true", help="skip the midpoint-convexity MILP")
    p.add_argument("--max-pieces", type=positive_int, default=MAX_PIECES)
    p.add_argument(
        "--max-unstable",
        type=positive_int,
        default=MAX_UNSTABLE,
        help="skip piece enumeration above this many unstable hidden neurons",
    )
    p.add_argument("--bounds", choices=BOUND_MODES, default="lp")
    p.add_argument(
        "--time-limit",
        type=positive_float,
        default=TIME_LIMIT,
        help=f"seconds for the whole analysis, shared among its stages (default {TIME_LIMIT:g}); what it does "
        "not reach is reported unknown (exit 3)",
    )
    p.add_argument("--graph", default=None, help="write the piece adjacency graph (GraphML)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON document")
    p.add_argument("--quiet", action="store_true", help="no progress bars (stderr)")
    p.set_defaults(func=run)


def run(args) -> int:
    import networkx as nx

    inst = Instance.load(args.instance)
    rep = analyse_preimage(
        inst.exact_network(),
        inst.target,
        Box(inst.lower, inst.upper),
        PreimageOptions(
            pieces=not args.no_pieces,
            bounds=args.bounds,
            max_pieces=args.max_pieces,
            max_unstable=args.max_unstable,
            convexity=not args.no_convexity,
            time_limit=args.time_limit,
            progress=not args.quiet,
        ),
    )
    if args.graph and rep.graph is not None:
        atomic_write(args.graph, "\n".join(nx.generate_graphml(rep.graph)) + "\n")
    if args.json:
        print(json.dumps(rep.to_dict()))
    else:
        print(describe(rep, inst))
    return exit_code(verdict(rep))


def verdict(rep: PreimageReport) -> Status:
    """The exit status: failed when not even emptiness is decided, time_limit when some stage did
    not finish in its share of the time limit (its verdicts are unknown), else optimal."""
    if rep.status == PreimageStatus.UNKNOWN:
        return Status.FAILED
    return Status.OPTIMAL if rep.finished else Status.TIME_LIMIT


def describe(rep: PreimageReport, inst: Instance) -> str:
    """The report as text."""
    seen = "x" if inst.measurement is None else f"y = A G(z) ({inst.measurement.kind})"
    lines = [f"pre-image of {seen} ({inst.target.shape[0]} values) under {inst.network} in the latent box"]
    if rep.lower is None or rep.upper is None:  # empty, or undecided
        lines.append(f"  {rep.status}: {rep.message}")
        return "\n".join(lines)
    lines.extend(range_lines(rep))
    point = {True: "yes", False: "no", None: "unknown"}[rep.single_point]
    lines.append(f"  single point: {point} ({rep.single_point_reason})")
    if rep.graph is not None:
        lines.append(
            f"  activation patterns meeting the pre-image: {len(rep.patterns or [])}; maximal pieces: "
            f"{len(rep.pieces)}; adjacencies: {rep.graph.number_of_edges()}"
        )
        lines.append(f"  connected components: {rep.components}")
        for p in rep.pieces[:20]:
            lines.append(f"    piece {p.label()}  e.g. z = {[round(float(v), 6) for v in p.points[0]]}")
        if len(rep.pieces) > 20:
            lines.append(f"    ... {len(rep.pieces) - 20} more (--json for all)")
    lines.append(f"  convex: {rep.convex} ({rep.convex_reason})" if rep.convex_reason else f"  convex: {rep.convex}")
    if rep.witness and "z1" in rep.witness:
        w = rep.witness
        lines.append(
            f"    witness: z1 = {[round(v, 6) for v in w['z1']]}, z2 = {[round(v, 6) for v in w['z2']]}, "
            f"residuals {w['residuals'][0]:.1e} {w['residuals'][1]:.1e}, midpoint residual "
            f"{w['midpoint_residual']:.3g}"
        )
    if rep.message:
        lines.append(f"  note: {rep.message}")
    if rep.stopped:
        lines.append(f"  time limit: ran out in stage(s) {', '.join(rep.stopped)}; what they did not reach is unknown")
    lines.append(f"  {rep.lps} LP/MILP solves, {rep.time_s:.2f}s")
    return "\n".join(lines)


def range_lines(rep: PreimageReport) -> list[str]:
    """One line per coordinate; a side that is not proven is marked ``?`` (the latent box's bound),
    a proven side whose MILP was not solved to optimality ``~`` (it bounds S, maybe loosely); a note
    per mark."""
    unproven = {side.partition(":")[0] for side in rep.uncertified}
    loose = {side.partition(":")[0] for side in rep.loose}
    assert rep.lower is not None and rep.upper is not None

    def value(v: float, side: str) -> str:
        mark = "?" if side in unproven else "~" if side in loose else ""
        return f"{v: .9g}{mark}"

    lines = [
        f"  z{i:<3d} in [{value(lo, f'{SIDES[0]} z{i}')}, {value(hi, f'{SIDES[1]} z{i}')}]  width {hi - lo:.3g}"
        for i, (lo, hi) in enumerate(zip(rep.lower, rep.upper))
    ]
    if unproven:
        lines.append(f"  ? not proven, the latent box's bound: {_grouped(rep.uncertified)}")
    if loose - unproven:
        proven = [side for side in rep.loose if side.partition(":")[0] not in unproven]
        lines.append(f"  ~ proven, but its MILP was not solved to optimality (may be loose): {_grouped(proven)}")
    return lines


def _grouped(sides: list[str]) -> str:
    """``["min z0: why", "max z1: why"]`` -> ``"min z0, max z1 (why)"``, one group per reason."""
    reasons: dict[str, list[str]] = {}
    for side in sides:
        name, _, why = side.partition(": ")
        reasons.setdefault(why, []).append(name)
    return "; ".join(f"{', '.join(names)} ({why})" for why, names in reasons.items())
