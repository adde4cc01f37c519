"""milpinv preimage: extent, pieces, connected components and convexity of an instance's pre-image."""

from __future__ import annotations

import argparse
import json

from ..analysis.preimage import MAX_PIECES, MAX_UNSTABLE, PreimageReport, PreimageStatus, analyse_preimage
from ..files import atomic_write
from ..instance import Instance
from ..methods.build import BOUND_MODES
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
    p.add_argument("--time-limit", type=positive_float, default=None, help="seconds, per solve stage")
    p.add_argument("--graph", default=None, help="write the piece adjacency graph (GraphML)")
    p.add_argument("--json", action="store_true", help="print the report as one JSON document")
    p.set_defaults(func=run)


def run(args) -> int:
    import networkx as nx

    inst = Instance.load(args.instance)
    rep = analyse_preimage(
        inst.exact_network(),
        inst.target,
        inst.lower,
        inst.upper,
        pieces=not args.no_pieces,
        bounds=args.bounds,
        max_pieces=args.max_pieces,
        max_unstable=args.max_unstable,
        convexity=not args.no_convexity,
        time_limit=args.time_limit,
    )
    if args.graph and rep.graph is not None:
        atomic_write(args.graph, "\n".join(nx.generate_graphml(rep.graph)) + "\n")
    if args.json:
        print(json.dumps(rep.to_dict()))
    else:
        print(describe(rep, inst))
    return exit_code(Status.FAILED if rep.status == PreimageStatus.UNKNOWN else Status.OPTIMAL)


def describe(rep: PreimageReport, inst: Instance) -> str:
    """The report as text."""
    seen = "x" if inst.measurement is None else f"y = A G(z) ({inst.measurement.kind})"
    lines = [f"pre-image of {seen} ({inst.target.shape[0]} values) under {inst.network} in the latent box"]
    if rep.lower is None or rep.upper is None:  # empty, or undecided
        lines.append(f"  {rep.status}: {rep.message}")
        return "\n".join(lines)
    for i, (lo, hi) in enumerate(zip(rep.lower, rep.upper)):
        lines.append(f"  z{i:<3d} in [{lo: .9g}, {hi: .9g}]  width {hi - lo:.3g}")
    lines.append(f"  single point: {'yes' if rep.single_point else 'no'}")
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
    lines.append(f"  {rep.lps} LP/MILP solves, {rep.time_s:.2f}s")
    return "\n".join(lines)
