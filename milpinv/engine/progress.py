"""The search's progress: what the branch and bound reports after every node (:class:`Progress`),
and a log that prints it now and then (:class:`ProgressLog`, ``verbose=True``).

>>> print(Progress(nodes=1024, open=17, incumbent=0.25, bound=0.2, elapsed=3.21).line())
bab: nodes 1,024  open 17  incumbent 0.25  bound 0.2  gap 20%  3.2 s
>>> print(Progress(nodes=8, open=3, incumbent=None, bound=None, elapsed=0.06).line())
bab: nodes 8  open 3  incumbent -  bound -  gap -  0.1 s
>>> print(Progress(nodes=900, open=40, incumbent=None, bound=None, elapsed=2.0, workers=(3, 4)).line())
bab: nodes 900  open 40  incumbent -  bound -  gap -  2.0 s  busy 3/4
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import TextIO

from ..tolerance import relative_gap


@dataclass(frozen=True)
class Progress:
    """The search after a node: nodes searched, nodes open, the incumbent's value and the certified
    lower bound (l1 / linf; None while there is none), seconds since the search began; a parallel
    search (:mod:`.parallel`): the workers busy, of how many."""

    nodes: int
    open: int
    incumbent: float | None
    bound: float | None
    elapsed: float
    workers: tuple[int, int] | None = None

    @property
    def gap(self) -> float | None:
        return relative_gap(self.incumbent, self.bound)

    def line(self) -> str:
        gap = self.gap
        return (
            f"bab: nodes {self.nodes:,}  open {self.open:,}  incumbent {_number(self.incumbent)}  "
            f"bound {_number(self.bound)}  gap {'-' if gap is None else f'{100 * gap:.3g}%'}  {self.elapsed:.1f} s"
            + ("" if self.workers is None else f"  busy {self.workers[0]}/{self.workers[1]}")
        )


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


class ProgressLog:
    """A progress hook that prints :meth:`Progress.line` to ``stream`` (default: stderr) after
    nodes 1, 2, 4, 8, ... and, in between, at most once every ``every`` seconds."""

    def __init__(self, stream: TextIO | None = None, every: float = 1.0) -> None:
        self.stream, self.every = stream, every
        self.last = time.perf_counter()

    def __call__(self, progress: Progress) -> None:
        now = time.perf_counter()
        if progress.nodes & (progress.nodes - 1) == 0 or now - self.last >= self.every:
            print(progress.line(), file=self.stream if self.stream is not None else sys.stderr, flush=True)
            self.last = now
