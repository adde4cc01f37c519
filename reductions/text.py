"""Reading integers from the text formats: ASCII digits only (``int()`` would also take
full-width and other Unicode digits, and underscores)."""

from __future__ import annotations

import re

INTEGER = re.compile(r"[+-]?[0-9]+")


def parse_int(token: str) -> int:
    """The integer written in ``token``; ValueError unless it is an optional sign and ASCII digits.

    >>> parse_int("-12"), parse_int("+3")
    (-12, 3)
    """
    if not INTEGER.fullmatch(token):
        raise ValueError(f"not an integer: {token!r}")
    return int(token)
