"""Subset-sum text files.

Format (whitespace-separated; lines starting with ``c`` are comments)::

    c optional comments
    p subset-sum N
    t TARGET
    w1 w2 ... wN        (the N weights, on one or more lines)

All numbers are non-negative integers (arbitrary size). Malformed input raises a one-line
InputError naming the line.
"""

from __future__ import annotations

from pathlib import Path

from milpinv.errors import InputError
from milpinv.files import atomic_write, check_readable

from .problems import SubsetSum
from .text import parse_int

MAX_DIGITS = 4000  # Python refuses int <-> str conversions above 4300 digits by default


def _int(tok: str, source: str, lineno: int, what: str) -> int:
    if len(tok) > MAX_DIGITS and tok.isdigit():
        raise InputError(f"{source}:{lineno}: {what} has {len(tok)} digits, beyond the limit of {MAX_DIGITS}")
    try:
        value = parse_int(tok)
    except ValueError:
        raise InputError(f"{source}:{lineno}: {what} {tok[:40]!r} is not an integer") from None
    if value < 0:
        raise InputError(f"{source}:{lineno}: {what} {value} is negative")
    return value


def parse_subsetsum(text: str, source: str = "<string>") -> SubsetSum:
    n = target = None
    weights: list[int] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("c"):
            continue
        parts = line.split()
        if parts[0] == "p":
            if n is not None:
                raise InputError(f"{source}:{lineno}: second 'p' header")
            if len(parts) != 3 or parts[1] != "subset-sum":
                raise InputError(f"{source}:{lineno}: malformed header {line[:80]!r}, expected 'p subset-sum N'")
            n = _int(parts[2], source, lineno, "count")
        elif parts[0] == "t":
            if n is None:
                raise InputError(f"{source}:{lineno}: target before the 'p subset-sum' header")
            if target is not None or len(parts) != 2:
                raise InputError(f"{source}:{lineno}: expected one 't TARGET' line")
            target = _int(parts[1], source, lineno, "target")
        else:
            if n is None or target is None:
                raise InputError(f"{source}:{lineno}: weights before the header and the 't' line")
            weights += [_int(tok, source, lineno, "weight") for tok in parts]
    if n is None:
        raise InputError(f"{source}: no 'p subset-sum N' header" + (" (empty file)" if not text.strip() else ""))
    if target is None:
        raise InputError(f"{source}: no 't TARGET' line")
    if len(weights) != n:
        raise InputError(f"{source}: header declares {n} weights but the file has {len(weights)}")
    return SubsetSum(tuple(weights), target, {"source": source})


def read_subsetsum(path: str | Path) -> SubsetSum:
    p = check_readable(path, "a subset-sum file")
    try:
        text = p.read_text()
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a text file") from None
    return parse_subsetsum(text, str(p))


def format_subsetsum(ss: SubsetSum, comment: str | None = None) -> str:
    lines = [f"c {line}" for line in (comment or "").splitlines()]
    lines += [f"p subset-sum {ss.n}", f"t {ss.target}", " ".join(str(w) for w in ss.weights)]
    return "\n".join(lines) + "\n"


def write_subsetsum(ss: SubsetSum, path: str | Path, comment: str | None = None) -> None:
    atomic_write(path, format_subsetsum(ss, comment))
