"""Reference engines timed on a pack's files, each run in its own process with a hard cap.

* ``highs``: HiGHS reads the MPS file and solves it (``readModel``, ``run``);
* ``scip``: SCIP, through OR-Tools' model builder, reads the same MPS file and solves it;
* ``milpinv``: milpinv's own ``invert`` (default method) on the instance file.

Each engine is given the time limit ``cap``; the process is killed at ``1.5 cap + 10`` seconds
(solvers do not check the clock everywhere), which counts as ``time_limit``. The time reported
is the engine's own (reading the file and solving), without the start of the Python process.
``python -m milpinv.experiments.engines ENGINE FILE NORM CAP`` is the child: one JSON line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import InputError
from ..status import Status

ENGINES = ("highs", "scip", "milpinv")
HARD_CAP = (1.5, 10.0)  # the process is killed at a * cap + b seconds


@dataclass
class EngineRun:
    engine: str
    status: str  # milpinv's vocabulary: optimal, feasible, infeasible, time_limit, failed
    time_s: float
    objective: float | None = None
    message: str = ""


def run_engine(engine: str, path: str | Path, norm: str, cap: float) -> EngineRun:
    """Run ``engine`` on ``path`` (an MPS file for highs / scip, an instance for milpinv) in a
    child process; never raises on the engine's failure."""
    if engine not in ENGINES:
        raise InputError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    package_root = str(Path(__file__).resolve().parents[2])  # this milpinv, whatever the child's cwd
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "milpinv.experiments.engines", engine, str(path), norm, repr(float(cap))]
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=HARD_CAP[0] * cap + HARD_CAP[1])
    except subprocess.TimeoutExpired:
        return EngineRun(engine, Status.TIME_LIMIT.value, cap, message="killed at the hard cap")
    lines = done.stdout.strip().splitlines()
    try:
        return EngineRun(**json.loads(lines[-1]))
    except (IndexError, ValueError, TypeError):
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return EngineRun(engine, Status.FAILED.value, 0.0, message=f"exit {done.returncode}: {last[:200]}")


def solve_here(engine: str, path: str, norm: str, cap: float) -> EngineRun:
    """What the child process runs."""
    t0 = time.perf_counter()
    if engine == "highs":
        status, objective = _highs(path, cap)
    elif engine == "scip":
        status, objective = _scip(path, cap)
    else:
        from ..instance import Instance
        from ..invert import invert

        result = invert(Instance.load(path), norm=norm, time_limit=cap)
        status, objective = result.status.value, result.objective
        return EngineRun(engine, status, result.time_s, objective, result.message[:200])
    return EngineRun(engine, status, time.perf_counter() - t0, objective)


def _highs(path: str, cap: float) -> tuple[str, float | None]:
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(cap))
    if h.readModel(path) == highspy.HighsStatus.kError:
        return Status.FAILED.value, None
    h.run()
    ms = h.getModelStatus()
    status = {
        highspy.HighsModelStatus.kOptimal: Status.OPTIMAL,
        highspy.HighsModelStatus.kInfeasible: Status.INFEASIBLE,
        highspy.HighsModelStatus.kTimeLimit: Status.TIME_LIMIT,
    }.get(ms, Status.FAILED)
    found = h.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
    return status.value, h.getInfo().objective_function_value if found else None


def _scip(path: str, cap: float) -> tuple[str, float | None]:
    from ortools.linear_solver.python import model_builder as mb

    model = mb.Model()
    if not model.import_from_mps_file(path):
        return Status.FAILED.value, None
    solver = mb.ModelSolver("scip")
    solver.set_time_limit_in_seconds(float(cap))
    st = solver.solve(model)
    status = {
        mb.SolveStatus.OPTIMAL: Status.OPTIMAL,
        mb.SolveStatus.FEASIBLE: Status.FEASIBLE,
        mb.SolveStatus.INFEASIBLE: Status.INFEASIBLE,
        mb.SolveStatus.NOT_SOLVED: Status.TIME_LIMIT,
    }.get(st, Status.FAILED)
    found = status in (Status.OPTIMAL, Status.FEASIBLE)
    return status.value, solver.objective_value if found else None


def main(argv: list[str]) -> None:
    engine, path, norm, cap = argv
    print(json.dumps(asdict(solve_here(engine, path, norm, float(cap)))))


if __name__ == "__main__":
    main(sys.argv[1:])
