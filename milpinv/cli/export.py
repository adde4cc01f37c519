"""milpinv export: write an instance's MILP as MPS or LP, for any solver (through Pyomo), or the
instance as a VNN-COMP query (an ONNX network and a VNN-LIB property), for neural-network verifiers."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError
from ..instance import Instance
from ..interop.vnnlib import write_vnnlib
from ..milp.build import ModelSpec, build_model
from ..norm import NORMS, Norm
from ..options import BOUND_MODES
from ..problem import Box, Problem
from ..queries import ball_radius, instance_outputs, query_comments
from ..solvers.pyomo import FORMATS, export_model
from .args import nonneg_float

VNNLIB = "vnnlib"


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument("instance", help="instance .npz")
    p.add_argument(
        "--format",
        choices=FORMATS + (VNNLIB,),
        default=None,
        help="default: from the --out extension; vnnlib writes OUT/network.onnx and OUT/property.vnnlib",
    )
    p.add_argument("--out", required=True, help="output file (.mps or .lp), or a folder with --format vnnlib")
    p.add_argument("--norm", choices=NORMS, default="exact")
    p.add_argument(
        "--bounds",
        choices=BOUND_MODES,
        default="interval",
        help="big-M bounds: interval arithmetic or LP-based tightening",
    )
    p.add_argument(
        "--radius",
        type=nonneg_float,
        default=None,
        help="vnnlib with --norm linf: the ball |Y - x| <= R (default: the planted noise's linf norm + tolerance)",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    args.norm = Norm.parse(args.norm)
    if args.radius is not None and (args.format != VNNLIB or args.norm is not Norm.LINF):
        raise InputError("--radius: only with --format vnnlib --norm linf (the ball around a noisy target)")
    inst = Instance.load(args.instance)
    if args.format == VNNLIB:
        return export_query(inst, args)
    question = Problem.of(inst.exact_network(), inst.target, args.norm, Box(inst.lower, inst.upper))
    form, info = build_model(question, ModelSpec(bounds=args.bounds))
    if info.get("infeasible"):
        print("note: bound tightening proved the instance infeasible; the exported model is infeasible too")
    export_model(form.model, args.out, args.format)
    st = form.model.stats()
    print(
        f"wrote {args.out} ({st['vars']} variables, {st['binaries']} binaries, {st['rows']} rows, {st['nnz']} nonzeros)"
    )
    return 0


def export_query(inst: Instance, args) -> int:
    """OUT/network.onnx (float64 weights) and OUT/property.vnnlib."""
    radius = args.radius if args.radius is not None or args.norm is not Norm.LINF else ball_radius(inst)
    outputs = instance_outputs(inst, args.norm, radius)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out: {out} is a file; --format vnnlib writes a folder")
    inst.network.to_onnx(out / "network.onnx")
    write_vnnlib(out / "property.vnnlib", inst.lower, inst.upper, [outputs], query_comments(inst, args.norm, radius))
    print(f"wrote {out / 'network.onnx'} and {out / 'property.vnnlib'} ({args.norm}; sat = a pre-image exists)")
    return 0
