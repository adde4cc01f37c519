"""milpinv make-suite: write a reproducible benchmark suite (instances + manifest.json)."""
from __future__ import annotations

from ..suites import SUITES, known_answer_counts, make_suite


def register(sub) -> None:
    p = sub.add_parser("make-suite", help="write a benchmark suite with a manifest")
    p.add_argument("name", choices=sorted(SUITES))
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(func=run)


def run(args) -> int:
    manifest = make_suite(args.name, args.out, progress=True)
    counts = ", ".join(f"{v} {k}" for k, v in sorted(known_answer_counts(manifest).items()))
    print(f"wrote {manifest['count']} instances to {args.out} ({counts})")
    return 0
