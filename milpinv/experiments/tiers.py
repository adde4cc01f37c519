"""Tiers of a requested hardness: search a size parameter until the median time of a reference
engine lands in a range, then write a pack of that size (``milpinv make-tier``).

The knob of each kind (:data:`KNOBS`): the number of variables of random 3-SAT at the threshold
ratio 4.26, the number of items of subset-sum at density 1, or the width ``w`` of planted
``w-2w-2w-2w`` networks (the non-expanding shape where layer-wise inversion fails). The search
doubles (or halves) the size until the median brackets the range, then bisects; it stops after
``steps`` sizes, or when two adjacent sizes fall on either side of the range, and says so.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..instance import Instance
from ..norm import Norm
from ..status import Status
from .engines import ENGINES, run_engine
from .packs import PackSettings, make_pack, milp_file
from .runner import load_manifest
from .suites import make_suite


@dataclass(frozen=True)
class Knob:
    suite: str
    what: str
    start: int
    least: int
    most: int
    params: Callable[[int, list[int]], dict]


KNOBS = {
    "sat": Knob(
        "sat",
        "variables n of random 3-SAT at ratio 4.26",
        20,
        3,
        400,
        lambda n, seeds: {"ns": [n], "ratios": [4.26], "seeds": seeds, "growth_ns": []},
    ),
    "subset-sum": Knob(
        "subset-sum",
        "items n of subset-sum at density 1",
        10,
        3,
        60,
        lambda n, seeds: {"ns": [n], "densities": [1.0], "seeds": seeds},
    ),
    "planted": Knob(
        "nonexpanding",
        "width w of planted w-2w-2w-2w networks",
        4,
        2,
        64,
        lambda w, seeds: {"dims_list": [[w, 2 * w, 2 * w, 2 * w]], "seeds": seeds},
    ),
}


@dataclass(frozen=True)
class SizeSearch:
    """How a size is searched: ``count`` instances per size from seed ``seed`` on, at most
    ``steps`` sizes, a ``progress`` bar on stderr."""

    count: int = 5
    steps: int = 8
    seed: int = 0
    progress: bool = False

    @property
    def seeds(self) -> list[int]:
        return list(range(self.seed, self.seed + self.count))


@dataclass
class Search:
    """The sizes tried and their median times; ``size`` is the one in range (None: none was)."""

    size: int | None
    tried: dict[int, float] = field(default_factory=dict)
    message: str = ""


def median_time(knob: Knob, size: int, seeds: list[int], engine: str, cap: float) -> float:
    """The median time of ``engine`` over the instances of this size (a run without an answer
    counts at the cap)."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "suite"
        make_suite(knob.suite, suite, **knob.params(size, seeds))
        for entry in load_manifest(suite)["instances"]:
            path = suite / entry["file"]
            norm = Norm.parse(entry.get("norm", "exact"))
            if engine != "milpinv":
                path = milp_file(Instance.load(path), norm, Path(tmp) / "model.mps.gz")
            run = run_engine(engine, path, norm, cap)
            times.append(run.time_s if Status(run.status).answered else cap)
    return float(np.median(times))


def search_size(kind: str, seconds: tuple[float, float], engine: str, how: SizeSearch = SizeSearch()) -> Search:
    """The size of ``kind`` whose median time with ``engine`` lies in ``seconds`` = [low, high],
    searched as ``how`` says."""
    from tqdm import tqdm

    low, high = seconds
    if kind not in KNOBS:
        raise InputError(f"kind: expected one of {', '.join(KNOBS)}, got {kind!r}")
    if engine not in ENGINES:
        raise InputError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    if not 0 <= low < high:
        raise InputError(f"target seconds: expected 0 <= LOW < HIGH, got {low:g}:{high:g}")
    knob, seeds, steps = KNOBS[kind], how.seeds, how.steps
    search = Search(None)
    below = above = None  # the largest size found too easy, the smallest found too hard
    size: int | None = knob.start
    bar = tqdm(total=steps, desc=f"tier {kind}", disable=not how.progress)
    while size is not None and len(search.tried) < steps:
        median = median_time(knob, size, seeds, engine, cap=2 * high)
        search.tried[size] = median
        bar.update()
        bar.set_postfix(size=size, median=f"{median:.2f}s")
        if low <= median <= high:
            search.size = size
            break
        below, above = (size, above) if median < low else (below, size)
        size = next_size(knob, below, above)
        if size in search.tried:
            size = None
    bar.close()
    if search.size is None:
        exhausted = size is not None  # a size was left to try
        search.message = no_tier_message(knob, engine, low, high, search.tried, None if exhausted else (below, above))
    return search


def next_size(knob: Knob, below: int | None, above: int | None) -> int | None:
    """Double (or halve) until the range is bracketed, then bisect; None when nothing is left."""
    if above is None:
        return min(knob.most, 2 * below) if below is not None and below < knob.most else None
    if below is None:
        return max(knob.least, above // 2) if above > knob.least else None
    middle = (below + above) // 2
    return middle if below < middle < above else None


def no_tier_message(knob: Knob, engine: str, low, high, tried: dict, bracket: tuple | None) -> str:
    """Why no size was found: the steps ran out (``bracket`` None), or the sizes ran out."""
    seen = ", ".join(f"{s}: {t:.2f}s" for s, t in sorted(tried.items()))
    below, above = bracket or (None, None)
    if bracket is None:
        why = "the search ran out of steps (--steps)"
    elif above is None:
        why = f"even size {below} is faster than {low:g}s"
    elif below is None:
        why = f"even size {above} is slower than {high:g}s"
    else:
        why = f"the time jumps from below {low:g}s at {below} to above {high:g}s at {above}"
    return f"no {knob.what} gives a median {engine} time in [{low:g}, {high:g}] s: {why} (medians {seen})"


def tier_settings(seconds: tuple[float, float], cap: float | None = None, **settings) -> PackSettings:
    """A tier's pack settings: each engine run capped at ``cap``, by default twice the high end of
    the ``seconds`` range (the rest as :class:`~milpinv.experiments.packs.PackSettings`)."""
    return PackSettings(cap=cap or 2 * seconds[1], **settings)


def make_tier(
    kind: str,
    seconds: tuple[float, float],
    engine: str,
    out: str | Path,
    how: SizeSearch = SizeSearch(),
    pack: PackSettings | None = None,
) -> tuple[Search, dict | None]:
    """Search the size (``seconds`` = [low, high] of median ``engine`` time), then write the pack of
    that size to ``out`` (nothing when no size fits), timed as ``pack`` says (default: each engine
    run capped at twice ``high``)."""
    low, high = seconds
    search = search_size(kind, seconds, engine, how)
    if search.size is None:
        return search, None
    knob = KNOBS[kind]
    note = (
        f"A tier made by `milpinv make-tier {kind} --target-seconds {low:g}:{high:g} --engine {engine}"
        f" --count {how.count} --seed {how.seed}`: {knob.what} = {search.size}, where the median {engine} time was "
        f"{search.tried[search.size]:.2f} s (sizes tried: "
        + ", ".join(f"{s}: {t:.2f} s" for s, t in search.tried.items())
        + ")."
    )
    settings = pack or tier_settings(seconds, progress=how.progress)
    info = make_pack(knob.suite, out, settings=settings, notes=[note], **knob.params(search.size, how.seeds))
    return search, info
