"""The benchmark runner behind ``milpinv bench``.

A suite is a folder of instance files with a ``manifest.json``::

    {"suite": "sat", "command": "milpinv make-suite sat --out DIR", "generator": {...},
     "instances": [{"file": "a.npz", "norm": "exact", "known_answer": "feasible",
                    "objective_upper": 0.3, "params": {"n": 10, "ratio": 4.2}}, ...]}

``known_answer`` is ``feasible``/``infeasible``/``unknown`` (for ``norm`` exact) and comes from an
independent solver or a planted solution. ``objective_upper`` (noisy suites) is a value the optimum
cannot exceed (the planted noise norm). Every answer is checked against the manifest: a wrong answer
is flagged ``WRONG`` and never averaged in.

A method is a name from :data:`milpinv.invert.METHOD_NAMES`, optionally with keyword options for it
after colons: ``milp:heuristic=0:peeling=0``, ``milp:solver=pyomo:cbc``, ``gd:restarts=8``.
"""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..files import atomic_write, check_readable
from ..instance import Instance
from ..invert import METHOD_NAMES, invert
from ..norm import NORMS, Norm
from ..options import option_names, options_for
from ..status import Status
from ..tolerance import tolerance

CRASH = "ERROR"  # the verdict of a run that raised: reported and counted, never taken for a non-answer
CSV_FIELDS = (
    "instance",
    "method",
    "norm",
    "status",
    "verdict",
    "time_s",
    "residual_linf",
    "residual_l1",
    "objective",
    "bound",
    "nodes",
    "iterations",
    "known_answer",
    "params",
    "message",
)


@dataclass(frozen=True)
class Task:
    path: str
    method: str
    norm: Norm
    time_limit: float | None
    known_answer: str
    objective_upper: float | None
    params: dict
    options: tuple = ()  # (key, value) pairs passed to the method


def parse_method(spec: str) -> tuple[str, tuple]:
    """``"milp:heuristic=0:solver=pyomo:cbc"`` -> ("milp", (("heuristic", 0), ("solver", "pyomo:cbc")))."""
    name, _, rest = spec.strip().partition(":")
    if name not in METHOD_NAMES:
        raise InputError(f"methods: unknown {name!r}; choose from {', '.join(METHOD_NAMES)}")
    options: list[list[str]] = []
    for part in rest.split(":") if rest else []:
        if "=" in part:
            options.append(part.split("=", 1))
        elif options:  # a colon inside a value (solver=pyomo:cbc)
            options[-1][1] += ":" + part
        else:
            raise InputError(f"methods: {spec!r}: expected NAME:KEY=VALUE:..., got {part!r}")
    accepted = option_names(name)
    for key, _ in options:
        if key not in accepted:
            raise InputError(f"methods: {name} has no option {key!r}; it takes {', '.join(sorted(accepted))}")
    values = {k: _option_value(v) for k, v in options}
    options_for(name, values)
    return name, tuple(values.items())


def _option_value(text: str):
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def load_manifest(suite_dir: str | Path) -> dict:
    """Read and validate a suite's manifest.json."""
    path = check_readable(Path(suite_dir) / "manifest.json", "a suite manifest (manifest.json)")
    try:
        manifest = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    entries = manifest.get("instances") if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{path}: expected an object with a non-empty 'instances' list")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise InputError(f"{path}: instances[{i}] needs a 'file' name")
        if entry.get("known_answer", "unknown") not in ("feasible", "infeasible", "unknown"):
            raise InputError(f"{path}: instances[{i}].known_answer must be feasible, infeasible or unknown")
        if entry.get("norm", "exact") not in NORMS or not isinstance(entry.get("params", {}), dict):
            raise InputError(f"{path}: instances[{i}] needs a norm in {NORMS} and params as an object")
        bound = entry.get("objective_upper")
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, (int, float))):
            raise InputError(f"{path}: instances[{i}].objective_upper must be a number")
    return manifest


def make_tasks(suite_dir: str | Path, methods: Iterable[str], time_limit: float | None) -> list[Task]:
    """One task per (instance, method); instance files must exist."""
    suite = Path(suite_dir)
    manifest = load_manifest(suite)
    methods = list(methods)
    if not methods:
        raise InputError("methods: none given")
    parsed = {m: parse_method(m) for m in methods}
    tasks = []
    for entry in manifest["instances"]:
        path = suite / entry["file"]
        check_readable(path, "an instance file")
        for method in methods:
            tasks.append(
                Task(
                    str(path),
                    method,
                    Norm.parse(entry.get("norm", "exact")),
                    time_limit,
                    entry.get("known_answer", "unknown"),
                    entry.get("objective_upper"),
                    dict(entry.get("params", {})),
                    parsed[method][1],
                )
            )
    return tasks


def verdict(task: Task, status: str, objective: float | None, target_scale: float, bound: float | None = None) -> str:
    """The verdict of one run of ``task`` (see :func:`judge`)."""
    return judge(Known(task.norm, task.known_answer, task.objective_upper, target_scale), status, objective, bound)


@dataclass(frozen=True)
class Known:
    """What is known of an instance before any run: its ``norm``, the known ``answer``
    (``feasible``, ``infeasible`` or ``unknown``), an upper bound on the optimal objective
    (``objective_upper``: the planted noise's, l1 / linf) and the target's scale max|x|."""

    norm: Norm
    answer: str
    objective_upper: float | None = None
    target_scale: float = 0.0


def judge(known: Known, status: str, objective: float | None, bound: float | None = None) -> str:
    """``ok``, ``unsolved`` (no answer, not wrong) or ``WRONG`` (contradicts the ``known`` answer).

    Any method's ``infeasible`` is a claim of proof, so it is checked like the others; with the
    l1/linf norms, so are a proven optimum and a certified lower ``bound`` above the planted noise."""
    known_answer, objective_upper, target_scale = known.answer, known.objective_upper, known.target_scale
    answered = status in (Status.OPTIMAL, Status.FEASIBLE)
    if known.norm.exact:
        if known_answer == "feasible" and status == Status.INFEASIBLE:
            return "WRONG"
        if known_answer == "infeasible" and answered:
            return "WRONG"
        return "ok" if answered or status == Status.INFEASIBLE else "unsolved"
    if objective_upper is not None:
        slack = objective_upper + tolerance(np.array([target_scale])) * 10
        if objective is not None and status == Status.OPTIMAL and objective > slack:
            return "WRONG"
        if bound is not None and bound > slack:
            return "WRONG"
    return "ok" if answered else "unsolved"


def run_task(task: Task) -> dict:
    """Run one (instance, method) pair in this process; never raises."""
    row: dict[str, object] = {
        "instance": Path(task.path).name,
        "method": task.method,
        "norm": task.norm,
        "known_answer": task.known_answer,
        "params": json.dumps(task.params, sort_keys=True),
    }
    t0 = time.perf_counter()
    try:
        inst = Instance.load(task.path)
        res = invert(
            inst, method=task.method.partition(":")[0], norm=task.norm, time_limit=task.time_limit, **dict(task.options)
        )
    except Exception as exc:  # a crash is a result too: it is reported, not hidden
        row.update(
            status="error", verdict=CRASH, time_s=time.perf_counter() - t0, message=f"{type(exc).__name__}: {exc}"
        )
        return row
    scale = float(np.max(np.abs(inst.target))) if inst.target.size else 0.0
    row.update(
        status=res.status.value,
        verdict=verdict(task, res.status, res.objective, scale, res.bound),
        time_s=res.time_s,
        residual_linf=res.residual_linf,
        residual_l1=res.residual_l1,
        objective=res.objective,
        bound=res.bound,
        nodes=res.solver.get("nodes"),
        iterations=res.solver.get("iterations"),
        message=res.message,
    )
    return row


def run_bench(tasks: list[Task], jobs: int = 2, scheduler: str | None = None, progress: bool = True) -> list[dict]:
    """Run tasks over local processes (``jobs``) or a Dask cluster (``scheduler`` address)."""
    from tqdm import tqdm

    bar = tqdm(total=len(tasks), desc="bench", unit="run", disable=not progress)
    rows: list[dict] = []
    try:
        if scheduler:
            rows = _run_dask(tasks, scheduler, bar)
        elif jobs <= 1:
            for task in tasks:
                rows.append(run_task(task))
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(run_task, t) for t in tasks]
                for fut in as_completed(futures):
                    rows.append(fut.result())
                    bar.update()
    finally:
        bar.close()
    order = {(Path(t.path).name, t.method): i for i, t in enumerate(tasks)}
    return sorted(rows, key=lambda r: order.get((r["instance"], r["method"]), 0))


def _run_dask(tasks: list[Task], address: str, bar) -> list[dict]:
    from ..engine.parallel import connect

    client = connect(address)
    from dask.distributed import as_completed as dask_completed

    rows = []
    with client:
        futures = client.map(run_task, tasks, pure=False)
        for fut in dask_completed(futures):
            rows.append(fut.result())
            bar.update()
    return rows


def rows_to_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in CSV_FIELDS})
    return buf.getvalue()


def write_csv(rows: list[dict], path: str | Path) -> None:
    atomic_write(path, rows_to_csv(rows))


def read_csv(path: str | Path) -> list[dict]:
    with open(check_readable(path, "a results CSV"), newline="") as fh:
        return list(csv.DictReader(fh))


def summarize(rows: list[dict]) -> list[dict]:
    """Per method: runs, solved, wrong, median and max time (of solved runs)."""
    out = []
    for method in sorted({r["method"] for r in rows}):
        mine = [r for r in rows if r["method"] == method]
        solved = [r for r in mine if r["verdict"] == "ok"]
        times = [float(r["time_s"]) for r in solved]
        out.append(
            {
                "method": method,
                "runs": len(mine),
                "solved": len(solved),
                "wrong": sum(r["verdict"] == "WRONG" for r in mine),
                "errors": sum(r["verdict"] == CRASH for r in mine),
                "median_s": float(np.median(times)) if times else None,
                "max_s": max(times) if times else None,
            }
        )
    return out


def format_summary(summary: list[dict]) -> str:
    lines = [f"{'method':<10} {'runs':>5} {'solved':>7} {'WRONG':>6} {'ERROR':>6} {'median s':>9} {'max s':>8}"]
    for s in summary:
        med = "-" if s["median_s"] is None else f"{s['median_s']:.3f}"
        mx = "-" if s["max_s"] is None else f"{s['max_s']:.3f}"
        lines.append(
            f"{s['method']:<10} {s['runs']:>5} {s['solved']:>7} {s['wrong']:>6} {s['errors']:>6} {med:>9} {mx:>8}"
        )
    return "\n".join(lines)
