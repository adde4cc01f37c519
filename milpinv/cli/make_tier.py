"""milpinv make-tier: a pack of a requested hardness, the size searched until the median time of
a reference engine lands in a range."""

from __future__ import annotations

import argparse
import sys

from ..experiments.packs import DEFAULT_TIMEOUT
from ..experiments.tiers import KNOBS, SizeSearch, make_tier, tier_settings
from .args import positive_float, positive_int, seed_int
from .make_suite import engine_list, pack_summary


def seconds_range(text: str) -> tuple[float, float]:
    """``"1:10"`` -> (1.0, 10.0)."""
    low, sep, high = text.partition(":")
    try:
        lo, hi = float(low), float(high)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW:HIGH seconds, got {text!r}") from None
    if not sep or not (0 <= lo < hi < float("inf")):
        raise argparse.ArgumentTypeError(f"expected LOW:HIGH seconds with 0 <= LOW < HIGH, got {text!r}")
    return lo, hi


def register(p: argparse.ArgumentParser) -> None:
    p.epilog = "; ".join(f"{k}: {v.what}" for k, v in KNOBS.items())
    p.add_argument("kind", choices=sorted(KNOBS))
    p.add_argument("--target-seconds", type=seconds_range, required=True, metavar="LOW:HIGH")
    p.add_argument("--engine", choices=("highs", "scip", "milpinv"), default="highs", help="the reference engine")
    p.add_argument("--out", required=True, help="the pack's folder")
    p.add_argument("--count", type=positive_int, default=5, help="instances per size (default 5)")
    p.add_argument("--steps", type=positive_int, default=8, help="sizes to try at most (default 8)")
    p.add_argument("--seed", type=seed_int, default=0, help="first seed")
    p.add_argument("--engine-cap", type=positive_float, default=None, help="the pack's time limit (default 2 HIGH)")
    p.add_argument("--engines", type=engine_list, default=("highs", "scip", "milpinv"), help="engines the pack times")
    p.add_argument("--timeout", type=positive_float, default=DEFAULT_TIMEOUT, help="vnncomp/instances.csv timeout")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    low, high = args.target_seconds
    how = SizeSearch(args.count, args.steps, args.seed, progress=not args.quiet)
    pack = tier_settings(
        (low, high), args.engine_cap, timeout=args.timeout, engines=args.engines, progress=not args.quiet
    )
    search, info = make_tier(args.kind, (low, high), args.engine, args.out, how, pack)
    if info is None or search.size is None:
        print(f"milpinv make-tier: {search.message}; nothing written", file=sys.stderr)
        return 1
    print(f"size {search.size}: median {args.engine} time {search.tried[search.size]:.2f} s; " + pack_summary(info))
    return 0
