"""One clock for a whole method: every stage asks the same :class:`Deadline` how long it has.
A Ctrl-C under :func:`milpinv.interrupt.deferred` runs every clock out.

>>> d = Deadline(None)
>>> d.remaining() is None, d.expired()
(True, False)
>>> Deadline(10.0).remaining() > 9.0
True
"""

from __future__ import annotations

import time

from . import interrupt

MIN_SLICE = 1e-3  # a stage that starts with the clock run out still gets a moment (solvers refuse 0)


class Deadline:
    """A wall-clock limit started at construction; ``None`` means no limit."""

    def __init__(self, time_limit: float | None) -> None:
        self.start = time.perf_counter()
        self.time_limit = time_limit
        self.at = None if time_limit is None else self.start + time_limit

    def remaining(self) -> float | None:
        """Seconds left (at least :data:`MIN_SLICE`), or None without a limit."""
        return None if self.at is None else max(self.at - time.perf_counter(), MIN_SLICE)

    def expired(self) -> bool:
        return interrupt.requested() or (self.at is not None and time.perf_counter() > self.at)

    def why(self) -> str:
        """What ran the clock out: the limit or a Ctrl-C."""
        return interrupt.INTERRUPTED if interrupt.requested() else "time limit"

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def share(self, cap: float, fraction: float) -> float:
        """A stage budget: ``cap`` seconds, and at most ``fraction`` of the whole limit."""
        return cap if self.time_limit is None else min(cap, fraction * self.time_limit)
