"""milpinv make-suite: write a reproducible benchmark suite (instances + manifest.json), and with
--pack, a benchmark pack for other tools around it (VNN-COMP and MIPLIB layouts, engine times)."""

from __future__ import annotations

import argparse

from ..errors import InputError
from ..experiments.engines import ENGINES
from ..experiments.packs import DEFAULT_CAP, DEFAULT_TIMEOUT, PackSettings, make_pack
from ..experiments.suites import known_answer_counts, make_suite, parse_param, suite_defaults, suites
from .args import positive_float


def register(p: argparse.ArgumentParser) -> None:
    p.epilog = "parameters (defaults): " + "; ".join(
        f"{name}: {', '.join(suite_defaults(name))}" for name in sorted(suites())
    )
    p.add_argument("name", choices=sorted(suites()))
    p.add_argument("--out", default=None, help="output folder (optional with --pack: the suite goes into PACK/milpinv)")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="override a generator parameter, e.g. ns=10,20 or dims_list=4-12-36,6-18-54 (repeatable)",
    )
    p.add_argument(
        "--pack",
        default=None,
        metavar="DIR",
        help="also write a pack: vnncomp/ (onnx, vnnlib, instances.csv), miplib/ (mps.gz, sol), README, engine times",
    )
    p.add_argument(
        "--timeout",
        type=positive_float,
        default=DEFAULT_TIMEOUT,
        help=f"with --pack: the timeout of each row of vnncomp/instances.csv (default {DEFAULT_TIMEOUT:g})",
    )
    p.add_argument(
        "--engine-cap",
        type=positive_float,
        default=DEFAULT_CAP,
        help=f"with --pack: seconds each engine gets per instance (default {DEFAULT_CAP:g})",
    )
    p.add_argument(
        "--engines",
        type=engine_list,
        default=ENGINES,
        help=f"with --pack: engines to time, comma-separated, or none (default {','.join(ENGINES)})",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def engine_list(text: str) -> tuple[str, ...]:
    """``"highs,scip"`` -> ("highs", "scip"); ``"none"`` -> ()."""
    import argparse

    names = tuple(t.strip() for t in text.split(",") if t.strip() and t.strip() != "none")
    bad = [n for n in names if n not in ENGINES]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown engine {bad[0]!r}; choose from {', '.join(ENGINES)} or none")
    return names


def run(args) -> int:
    params = dict(parse_param(text) for text in args.param)
    if args.pack is None and args.out is None:
        raise InputError("--out: required (or --pack)")
    if args.pack is None:
        manifest = make_suite(args.name, args.out, progress=not args.quiet, **params)
        counts = ", ".join(f"{v} {k}" for k, v in sorted(known_answer_counts(manifest).items()))
        print(f"wrote {manifest['count']} instances to {args.out} ({counts})")
        return 0
    settings = PackSettings(args.timeout, args.engine_cap, args.engines, progress=not args.quiet)
    info = make_pack(args.name, args.pack, args.out, settings=settings, **params)
    print(pack_summary(info))
    return 0


def pack_summary(info: dict) -> str:
    records = info["instances"]
    wrong = sum(t["verdict"] == "WRONG" for r in records for t in r["times"].values())
    note = f"; {wrong} engine answers contradict the known ones (WRONG in the README)" if wrong else ""
    vnn = sum("vnnlib" in r for r in records)
    return f"wrote a pack of {len(records)} instances ({vnn} VNN-LIB queries, {len(records)} MPS models){note}"
