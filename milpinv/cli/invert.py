"""milpinv invert: invert one instance and print (or write) the verified result."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..files import atomic_write, read_npy, read_npz, write_json, write_npy
from ..instance import DEFAULT_BOX, Instance, make_box
from ..interop.vnnlib import read_vnnlib, result_text
from ..invert import METHOD_NAMES, invert
from ..measurement import Measurement
from ..milp import ENGINE_NAMES
from ..network import ReluNetwork
from ..norm import NORMS, Norm
from ..options import MilpOptions, auto_budget, clock, takes
from ..problem import Box, Problem
from ..queries import Decision, decide
from ..result import InversionResult
from ..status import exit_code
from ..validation import check_length
from .args import positive_float, seed_int, threads_int
from .measure import add_measurement_args, measurement_from_args

# --KEY: the method option KEY
OPTION_FLAGS = ("solver", "bounds", "branching", "threads", "scheduler", "seed", "verbose")


def register(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "instance",
        help="instance .npz (network + target + latent box), or a model (.onnx or network .npz) with --target",
    )
    p.add_argument(
        "--target",
        default=None,
        help="with a model: the observation x (.npy, .txt or .csv; any shape with the model's number of outputs)",
    )
    p.add_argument(
        "--box",
        type=positive_float,
        default=None,
        help=f"with --target: latent box radius R, z in [-R, R]^n (default {DEFAULT_BOX:g})",
    )
    p.add_argument(
        "--vnnlib",
        default=None,
        help="with an .onnx model: decide this VNN-LIB property (an input box and output intervals); "
        "prints sat / unsat / timeout / unknown",
    )
    p.add_argument("--result-file", default=None, help="with --vnnlib: write the VNN-COMP result file here")
    add_measurement_args(p)
    p.add_argument("--method", choices=METHOD_NAMES, default="auto")
    p.add_argument("--norm", choices=NORMS, default=None, help="exact (default), l1 or linf")
    p.add_argument(
        "--time-limit",
        type=positive_float,
        default=None,
        help="seconds (without it, auto's l1 / linf MILP ends after a budget of branch-and-bound nodes)",
    )
    p.add_argument("--solver", default=None, help=f"MILP engine: {', '.join(ENGINE_NAMES)} (default auto)")
    p.add_argument("--bounds", choices=["interval", "lp"], default=None, help="MILP big-M bounds")
    p.add_argument(
        "--branching",
        default=None,
        help="MILP, milpinv's branch and bound: the branching rule (default deep/out/lean; "
        "latent4/deep/out/lean also halves a low-dimensional latent box; plunge/deep/out/lean "
        "searches l1 / linf by best bound after each dive)",
    )
    p.add_argument(
        "--threads",
        type=threads_int,
        default=None,
        help="MILP: worker processes for milpinv's branch and bound (one proof on N cores), or a backend's threads",
    )
    p.add_argument(
        "--scheduler",
        default=None,
        help="MILP: the address of a Dask scheduler (tcp://host:8786) whose workers share the branch and bound",
    )
    p.add_argument("--seed", type=seed_int, default=None, help="seed for gd restarts")
    p.add_argument(
        "--verbose",
        action="store_true",
        default=None,
        help="MILP: the search's progress on stderr (nodes, open nodes, incumbent, bound, gap)",
    )
    p.add_argument("--json", action="store_true", help="print the result as one JSON document")
    p.add_argument(
        "--out",
        default=None,
        help="write z to this .npy (or the JSON result if it ends in .json); with no z to write, "
        "an earlier file of that name is removed",
    )
    p.set_defaults(func=run)


def flag_options(args) -> dict:
    """The method options of the flags given (``--KEY``: the option KEY of the method's record,
    :mod:`milpinv.options`); a flag the chosen method does not take is refused."""
    given = {key: getattr(args, key) for key in OPTION_FLAGS if getattr(args, key) is not None}
    for key in given:
        if not takes(args.method, key):
            methods = " or ".join(m for m in METHOD_NAMES if takes(m, key))
            raise InputError(f"--{key}: not with --method {args.method} (only with {methods})")
    return given


def load_problem(args) -> Instance:
    """The instance file, or an Instance built from a model (an .onnx model or a network .npz), a
    target file and a box radius; observed through the measurement flags, if any: an instance
    file's target is G's output x and y = A x; a --target file holds y (m values), or x (n != m
    values) observed as A x."""
    if args.target is None:
        if Path(args.instance).suffix.lower() == ".onnx":
            raise InputError(f"--target: required with an .onnx model ({args.instance})")
        if args.box is not None:
            raise InputError("--box: only with --target (a model file); an instance file carries its own box")
        inst = Instance.load(args.instance)
        measurement = measurement_from_args(args, inst.network.output_dim)
        if measurement is None:
            return inst
        if inst.measurement is not None:
            raise InputError(f"measurement flags: the instance already observes A G(z) ({inst.measurement.kind})")
        return observed(inst.network, inst.target, (inst.lower, inst.upper), inst.meta, measurement)
    net = load_model(args.instance)
    lower, upper = make_box(net, DEFAULT_BOX if args.box is None else args.box)
    measurement = measurement_from_args(args, net.output_dim)
    sizes = (net.output_dim,) if measurement is None else (net.output_dim, measurement.output_dim)
    x = flat_target(read_npy(args.target, "target"), sizes)
    meta = {"generator": Path(args.instance).suffix.lower().lstrip("."), "model": str(args.instance)}
    meta["target_file"] = str(args.target)
    if not args.norm.exact:
        meta["noise"] = "unknown"  # an observation of unknown noise: negative entries are allowed
    if measurement is None:
        return Instance(net, x, lower, upper, meta)
    return observed(net, x, (lower, upper), meta, measurement, given_y=x.shape[0] == measurement.output_dim)


def load_model(path: str) -> ReluNetwork:
    """The network of an .onnx model or of a network .npz; an instance file is refused (it carries
    its own target and box)."""
    if Path(path).suffix.lower() == ".onnx":
        return ReluNetwork.from_onnx(path)
    arrays = read_npz(path)
    if "target" in arrays:
        raise InputError(
            f"--target: {path} is an instance file, which carries its own target and box; "
            "give a network file or an .onnx model"
        )
    try:
        return ReluNetwork.from_arrays(arrays)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def flat_target(x: np.ndarray, sizes: tuple[int, ...]) -> np.ndarray:
    """A target read as the model flattens its output (row-major): any shape holding one of
    ``sizes`` values, e.g. the (1, 1, H, W) array a runtime returns; a 1-d one as it is (its length
    is checked with the model)."""
    if x.ndim <= 1 or x.size in sizes:
        return x.reshape(-1)
    raise InputError(
        f"target: an array of shape {x.shape} ({x.size} values); the model has "
        f"{' or '.join(map(str, sorted(set(sizes))))} outputs (any shape of that many values is read row-major)"
    )


def observed(net: ReluNetwork, x, box, meta: dict, measurement: Measurement, given_y: bool = False) -> Instance:
    """The instance observing y = A x (or y itself, ``given_y``) through ``measurement``."""
    measurement.check(net)
    if not given_y:
        check_length(x, measurement.input_dim, "target")
    y = x if given_y else measurement.apply(x)
    return Instance(net, y, box[0], box[1], {**meta, "measurement": measurement.describe()}, measurement)


def answer_z(result: InversionResult) -> np.ndarray | None:
    """The z worth writing: one the float64 re-check accepted (exact norm: a pre-image within the
    tolerance, even from a stopped run; l1 / linf: any z, its residual recomputed); an
    incumbent that missed the tolerance is reported, not written as a pre-image."""
    return result.z if result.verified else None


def announce_budget(args, inst: Instance, options: dict) -> None:
    """auto's budgeted MILP (:func:`milpinv.options.auto_budget`) can take minutes: say so at the
    start, and how to see or shorten it, unless its progress is printed anyway."""
    if args.method != "auto":
        return
    record = MilpOptions(**options)
    question = Problem.of(inst.network, inst.target, args.norm, Box(inst.lower, inst.upper))
    budget = auto_budget(record, options, question.with_deadline(clock(args.time_limit)))
    if budget is not None and not record.verbose:
        print(
            f"note: --norm {args.norm} without --time-limit: where layer-wise does not answer, the MILP "
            f"searches up to {budget} nodes (--verbose shows its progress, --time-limit stops it sooner)",
            file=sys.stderr,
        )


def run(args) -> int:
    if args.vnnlib is not None or args.result_file is not None:
        return run_query(args)
    args.norm = Norm.parse(args.norm or "exact")
    inst = load_problem(args)
    options = flag_options(args)
    announce_budget(args, inst, options)
    result = invert(inst, method=args.method, norm=args.norm, time_limit=args.time_limit, **options)
    # written atomically: an interrupt leaves the old file or none, never half of one
    if args.out and args.out.endswith(".json"):
        write_json(args.out, result.to_dict())
    elif args.out and answer_z(result) is not None:
        write_npy(args.out, result.z)
    elif args.out and Path(args.out).is_file():  # an earlier run's z must not pass for this run's answer
        Path(args.out).unlink()
        print(f"note: no z to write; removed the earlier {args.out}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict()))
    else:
        print(result.summary())
    return exit_code(result.status)


def run_query(args) -> int:
    """Decide an ONNX model and a VNN-LIB property; print the verdict (and write the result file)."""
    given_flags = (
        ("--target", args.target),
        ("--box", args.box),
        ("--norm", args.norm),
        ("--mask", args.mask),
        ("--measure-matrix", args.measure_matrix),
        ("--avgpool", args.avgpool),
    )
    if args.vnnlib is None:
        raise InputError("--result-file: only with --vnnlib (the VNN-COMP result of a property)")
    for flag, given in given_flags:
        if given is not None:
            raise InputError(f"{flag}: not with --vnnlib; the property sets the input box and the output intervals")
    if Path(args.instance).suffix.lower() != ".onnx":
        raise InputError(f"--vnnlib: decides an .onnx model, got {args.instance}")
    prop = read_vnnlib(args.vnnlib)
    net = ReluNetwork.from_onnx(args.instance)
    decision = decide(net, prop, method=args.method, time_limit=args.time_limit, **flag_options(args))
    if args.result_file:
        atomic_write(args.result_file, result_text(decision.verdict, decision.x, decision.y))
    if args.out:
        write_decision(args.out, decision)
    if args.json:
        print(json.dumps(decision.to_dict()))
    else:
        print(decision.verdict)
        print(decision.summary())
    return exit_code(decision.status)


def write_decision(out: str, decision: Decision) -> None:
    """The JSON decision (``.json``), or the counterexample x (``.npy``) when there is one."""
    if out.endswith(".json"):
        write_json(out, decision.to_dict())
    elif decision.x is not None:
        write_npy(out, decision.x)
    elif Path(out).is_file():
        Path(out).unlink()
        print(f"note: no counterexample to write; removed the earlier {out}", file=sys.stderr)
