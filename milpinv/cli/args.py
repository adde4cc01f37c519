"""argparse value types shared by the ``milpinv`` and ``reductions`` subcommands."""

from __future__ import annotations

import argparse

import numpy as np

from ..validation import check_seed


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


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def seed_int(text: str) -> int:
    """A seed: a non-negative integer (:func:`milpinv.validation.check_seed`)."""
    try:
        value = check_seed(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    assert value is not None
    return value
