"""Empirical verification of reductions: on many instances, the independent oracle (python-sat,
dynamic programming / CP-SAT) and milpinv's exact inversion must agree on yes/no, the forward
map must turn the oracle's solution into a pre-image, and the backward map must turn the
pre-image milpinv finds into a verified solution of the original problem."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from milpinv import invert
from milpinv.status import Status
from milpinv.tolerance import residuals

from .oracles import oracle
from .problems import problem_kind

GRID_TOL = 1e-9  # integer weights and a lattice pre-image: the forward pass is exact


@dataclass
class Check:
    """The outcome of checking one reduced instance."""

    name: str
    oracle: str  # "yes" / "no"
    inversion: str  # milpinv status
    agree: bool | None  # None: milpinv gave no verdict (time limit)
    forward_ok: bool | None
    backward_ok: bool | None
    time_s: float
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.agree is not False and self.forward_ok is not False and self.backward_ok is not False


def check(problem, reduction, name: str = "", time_limit: float | None = 60.0, **invert_options) -> Check:
    """Check one problem instance through ``reduction`` (a reduction to ``relu``)."""
    t0 = time.perf_counter()
    answer = oracle(problem)
    inst = reduction.reduce(problem)
    forward_ok = None
    if answer is not None:
        z = reduction.forward(problem, answer)
        forward_ok = bool(
            residuals(inst.network, inst.target, z)[1] <= GRID_TOL
            and np.all(z >= inst.lower)
            and np.all(z <= inst.upper)
        )
    result = invert(inst, method=invert_options.pop("method", "milp"), time_limit=time_limit, **invert_options)
    agree, backward_ok, message = None, None, result.message
    if result.status == Status.OPTIMAL:
        agree = answer is not None
        back = reduction.backward(problem, result.z)
        backward_ok = bool(problem.satisfied_by(back))
    elif result.status == Status.INFEASIBLE:
        agree = answer is None
    elif result.status != Status.TIME_LIMIT:
        agree, message = False, f"inversion failed: {result.message}"
    return Check(
        name or problem_kind(problem),
        "yes" if answer is not None else "no",
        result.status.value,
        agree,
        forward_ok,
        backward_ok,
        time.perf_counter() - t0,
        message,
    )


def run_checks(items: Iterable[tuple[str, object]], reduction, progress: bool = True, **options) -> list[Check]:
    """Check every (name, problem) pair, with a progress bar."""
    from tqdm import tqdm

    items = list(items)
    return [
        check(p, reduction, name=name, **options) for name, p in tqdm(items, desc=reduction.name, disable=not progress)
    ]


def summary_table(checks: list[Check]) -> str:
    """A plain-text table: counts by oracle answer, agreements, map checks, disagreements listed."""
    rows = []
    for answer in ("yes", "no"):
        sub = [c for c in checks if c.oracle == answer]
        if not sub:
            continue
        rows.append(
            (
                answer,
                len(sub),
                sum(c.agree is True for c in sub),
                sum(c.agree is None for c in sub),
                sum(c.forward_ok is True for c in sub),
                sum(c.backward_ok is True for c in sub),
                f"{np.median([c.time_s for c in sub]):.3f}",
            )
        )
    head = ("oracle", "count", "agree", "no-verdict", "forward-ok", "backward-ok", "median-s")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    fmt = lambda r: "  ".join(str(v).rjust(w) for v, w in zip(r, widths))  # noqa: E731
    lines = [fmt(head)] + [fmt(r) for r in rows]
    bad = [c for c in checks if not c.ok]
    lines += [
        f"DISAGREEMENT {c.name}: oracle {c.oracle}, inversion {c.inversion}, forward {c.forward_ok}, "
        f"backward {c.backward_ok} {c.message}".rstrip()
        for c in bad
    ]
    return "\n".join(lines)


def as_records(checks: list[Check]) -> list[dict]:
    return [asdict(c) for c in checks]
