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

    def __reduce__(self):
        """A clock pickles as the time it has left: unpickled (in another process, on another
        machine), it runs out when this one does, by its own clock.

        >>> import pickle
        >>> copy = pickle.loads(pickle.dumps(Deadline(10.0)))
        >>> 9.0 < copy.remaining() <= 10.0, pickle.loads(pickle.dumps(Deadline(None))).remaining()
        (True, None)
        """
        return Deadline, (self.remaining(),)

    def share(self, fraction: float, cap: float | None = None) -> Deadline:
        """A stage's clock, handed out of this one: at most ``fraction`` of the whole limit (or of
        no limit: ``cap`` seconds, None: no limit), never past this clock's own end.

        >>> whole = Deadline(10.0)
        >>> stage = whole.share(0.25)
        >>> 2.4 < stage.remaining() <= 2.5, stage.share(0.5, cap=100.0).remaining() <= 2.5
        (True, True)
        >>> Deadline(None).share(0.5).remaining() is None, Deadline(None).share(0.5, cap=3.0).time_limit
        (True, 3.0)
        """
        whole = cap if self.time_limit is None else fraction * self.time_limit
        if whole is not None and cap is not None:
            whole = min(whole, cap)
        return self.within(whole)

    def within(self, seconds: float | None) -> Deadline:
        """A stage's clock of at most ``seconds`` from now (None: no limit of its own), never past
        this clock's own end.

        >>> Deadline(10.0).within(2.0).remaining() <= 2.0, Deadline(1.0).within(None).remaining() <= 1.0
        (True, True)
        """
        stage = Deadline(seconds)
        if self.at is not None and (stage.at is None or stage.at > self.at):
            stage.at, stage.time_limit = self.at, self.at - stage.start
        return stage
