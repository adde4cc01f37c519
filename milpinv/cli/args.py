"""argparse value types shared by the ``milpinv`` and ``reductions`` subcommands."""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from ..validation import MAX_ENTRIES, MAX_SEED, MAX_THREADS


def parse_dims(text: str) -> list[int]:
    """``"10,30,60"`` -> [10, 30, 60]."""
    try:
        dims = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if len(dims) < 2 or min(dims) < 1:
        raise argparse.ArgumentTypeError(f"need at least two positive widths, got {text!r}")
    return dims


def _number(text: str, ok, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not np.isfinite(value) or not ok(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
    return value


def positive_float(text: str) -> float:
    return _number(text, lambda v: v > 0, "a positive number")


def nonneg_float(text: str) -> float:
    return _number(text, lambda v: v >= 0, "a number >= 0")


def int_in(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: an integer in ``low..high`` (every integer flag has a range)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected an integer in {low}..{high}, got {text!r}")
        return value

    return parse


positive_int = int_in(1, MAX_ENTRIES)  # a count or a size: within the size limit of every array
threads_int = int_in(1, MAX_THREADS)  # solver threads, worker processes
seed_int = int_in(0, MAX_SEED)  # the seeds of :func:`milpinv.validation.check_seed`
