"""Ctrl-C as a request, not an exception: inside :func:`deferred`, SIGINT only sets a flag.

A KeyboardInterrupt raised wherever Python happens to be can land inside highspy's solver-thread
and lock handling, or in a callback HiGHS runs: the process then aborted ("terminate called"),
deadlocked, or lost the Ctrl-C. Under :func:`deferred` the signal sets a flag instead; HiGHS
and SCIP poll it and stop, and every stage sees it through :meth:`milpinv.deadline.Deadline.expired`
(a Ctrl-C is a clock run out), so the run stops between two steps and keeps what it has.

>>> with deferred():
...     requested()
False
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

INTERRUPTED = "interrupted (Ctrl-C)"  # the message of a stop asked for by Ctrl-C
_REQUESTED = [False]
_OPEN = [False]  # a scope of deferred() is open in the main thread


def requested() -> bool:
    """A Ctrl-C arrived inside the current :func:`deferred` scope."""
    return _REQUESTED[0]


def raise_if_requested() -> None:
    """End a multi-stage run between two stages: KeyboardInterrupt once a Ctrl-C was requested
    (the stage that saw it stopped and kept its partial answer; the caller asked for none)."""
    if _REQUESTED[0]:
        raise KeyboardInterrupt


def request() -> None:
    """Ask for a stop as a Ctrl-C does (a parallel search's parent stops its worker processes so)."""
    _REQUESTED[0] = True


def _request(signum, frame) -> None:
    request()


@contextmanager
def deferred() -> Iterator[None]:
    """SIGINT sets the flag of :func:`requested` while the block runs. Only Python's own Ctrl-C
    handler is replaced, only in the main thread; a nested scope shares the outer one's flag."""
    if _OPEN[0] or threading.current_thread() is not threading.main_thread():
        yield  # nested (checked first: every LP of a search opens a scope, getsignal costs ~20 us)
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.default_int_handler:  # a handler someone else chose
        yield
        return
    _REQUESTED[0] = False
    signal.signal(signal.SIGINT, _request)
    _OPEN[0] = True
    try:
        yield
    finally:
        _OPEN[0] = False
        signal.signal(signal.SIGINT, previous)
        _REQUESTED[0] = False
