"""milpinv make-suite: write a reproducible benchmark suite (instances + manifest.json)."""

from __future__ import annotations

from ..experiments.suites import known_answer_counts, make_suite, parse_param, suite_defaults, suites


def register(sub) -> None:
    p = sub.add_parser(
        "make-suite",
        help="write a benchmark suite with a manifest",
        epilog="parameters (defaults): "
        + "; ".join(f"{name}: {', '.join(suite_defaults(name))}" for name in sorted(suites())),
    )
    p.add_argument("name", choices=sorted(suites()))
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=V1,V2",
        help="override a generator parameter, e.g. ns=10,20 or dims_list=4-12-36,6-18-54 (repeatable)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    params = dict(parse_param(text) for text in args.param)
    manifest = make_suite(args.name, args.out, progress=not args.quiet, **params)
    counts = ", ".join(f"{v} {k}" for k, v in sorted(known_answer_counts(manifest).items()))
    print(f"wrote {manifest['count']} instances to {args.out} ({counts})")
    return 0
