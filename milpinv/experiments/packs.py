"""Benchmark packs for other tools: a suite in the layouts of VNN-COMP and MIPLIB, every known
answer re-checked on write, every instance timed by reference engines.

::

    PACK/README.md        what the pack holds, the command, and per instance its answer, size,
                          engine times and tier (easy / medium / hard)
    PACK/instances.csv    the same table; PACK/pack.json the same as data, with the checks
    PACK/milpinv/         the suite itself: instance files and manifest.json (milpinv bench PACK/milpinv)
    PACK/vnncomp/         onnx/NAME.onnx (float64 weights), vnnlib/NAME.vnnlib, and instances.csv
                          (rows onnx_path,vnnlib_path,timeout, as in VNN-COMP's benchmark repositories)
    PACK/miplib/          NAME.mps.gz, NAME.sol (MIPLIB's solution format) for every instance with a
                          known solution, and instances.csv (answer, optimum, best known, sizes)

Exact-norm instances become a VNN-LIB query (sat = a pre-image exists) and the MILP's feasibility
model (objective 0; the band of :mod:`milpinv.tolerance`, 0 on a proven lattice); noisy linf ones
the ball around the target holding the planted latent (sat) and the MILP minimising the error; l1
ones the MILP only (an l1 ball is not a box). Re-checked on write, through the files as written:
the witness (:mod:`.answers`: the planted z by a forward pass, a reduction's oracle) against the
recorded answer; the ONNX file read back to the same weights; the VNN-LIB file parsed back, the
witness meeting it; the MPS read back by HiGHS and the ``.sol`` read back, its point satisfying
every row, bound and integrality, its objective the recorded one.
"""

from __future__ import annotations

import csv
import io
import os
import platform
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..acceptance import acceptance
from ..errors import InputError
from ..files import atomic_write, write_json
from ..formulations.bigm import Formulation
from ..instance import Instance
from ..interop.vnnlib import read_vnnlib, write_vnnlib
from ..milp.build import ModelSpec, build_model
from ..network import ReluNetwork, same_matrix
from ..norm import Norm
from ..problem import Box, Problem
from ..queries import ball_radius, instance_outputs, query_comments
from ..solvers.mps import read_mps, read_sol, sol_text, violation, write_mps
from ..status import Status
from ..version import __version__
from .answers import Witness, check_answer
from .engines import ENGINES, run_engine
from .runner import Known, judge, load_manifest
from .suites import checked_params, make_suite, suite_command, suite_defaults

DEFAULT_TIMEOUT = 60.0  # VNN-COMP's per-instance timeout in instances.csv
DEFAULT_CAP = 10.0  # the time limit of each engine run
EASY = 1.0  # an instance is easy when an engine answers it within this many seconds
MAX_VIOLATION = 1e-9  # a .sol point must satisfy the model read back to this (relative) precision
PACK_SUFFIXES = (".onnx", ".vnnlib", ".mps.gz", ".sol", ".csv")


@dataclass(frozen=True)
class PackSettings:
    """How a pack is timed: the ``timeout`` its vnncomp/instances.csv gives, each engine run's
    time limit ``cap``, the ``engines`` timed, and a ``progress`` bar on stderr."""

    timeout: float = DEFAULT_TIMEOUT
    cap: float = DEFAULT_CAP
    engines: tuple[str, ...] = ENGINES
    progress: bool = False

    def flags(self) -> str:
        """The command-line flags that give these settings (the defaults are left out)."""
        flags = [
            (self.timeout != DEFAULT_TIMEOUT, f" --timeout {self.timeout:g}"),
            (self.cap != DEFAULT_CAP, f" --engine-cap {self.cap:g}"),
            (tuple(self.engines) != ENGINES, f" --engines {','.join(self.engines) or 'none'}"),
        ]
        return "".join(text for given, text in flags if given)


def make_pack(
    name: str,
    pack: str | Path,
    out: str | Path | None = None,
    *,
    settings: PackSettings = PackSettings(),
    notes: tuple[str, ...] | list[str] = (),
    **params,
) -> dict:
    """Write suite ``name`` (to ``out``, copied into the pack; or straight into ``PACK/milpinv``)
    and the pack around it, timed as ``settings`` say; returns the pack's record (as in pack.json)."""
    pack = Path(pack)
    check_pack_dir(pack)
    suite_dir = pack / "milpinv"
    make_suite(name, out or suite_dir, progress=settings.progress, **params)
    if out is not None:
        copy_suite(Path(out), suite_dir)
    given = {k: v for k, v in checked_params(name, params).items() if v != suite_defaults(name)[k]}
    command = suite_command(name, pack, given, flag="--pack") + settings.flags()
    return build_pack(pack, settings, command=command, notes=notes)


def check_pack_dir(pack: Path) -> None:
    """A pack is written into a new or empty folder, or over an earlier pack."""
    if pack.exists() and not pack.is_dir():
        raise InputError(f"--pack: {pack} is a file")
    if pack.is_dir() and any(pack.iterdir()) and not (pack / "pack.json").is_file():
        raise InputError(f"--pack: {pack} is not empty and holds no pack.json; choose a new folder")


def copy_suite(src: Path, dst: Path) -> None:
    """The suite's manifest and instance files, copied (an earlier copy is replaced)."""
    if dst.is_dir():
        shutil.rmtree(dst)
    dst.mkdir(parents=True)
    for entry in load_manifest(src)["instances"]:
        shutil.copyfile(src / entry["file"], dst / entry["file"])
    shutil.copyfile(src / "manifest.json", dst / "manifest.json")


def build_pack(
    pack: str | Path,
    settings: PackSettings = PackSettings(),
    *,
    command: str = "",
    notes: tuple[str, ...] | list[str] = (),
) -> dict:
    """The pack around the suite in ``PACK/milpinv`` (see the module docstring), timed as
    ``settings`` say."""
    from tqdm import tqdm

    timeout, cap, engines, progress = settings.timeout, settings.cap, settings.engines, settings.progress
    pack = Path(pack)
    manifest = load_manifest(pack / "milpinv")
    records = []
    for entry in tqdm(manifest["instances"], desc="pack", disable=not progress):
        inst = Instance.load(pack / "milpinv" / entry["file"])
        records.append(pack_instance(pack, entry, inst))
    with tqdm(total=len(records) * len(engines), desc="engines", disable=not progress) as bar:
        for record in records:
            record["times"] = {}
            for engine in engines:
                record["times"][engine] = time_instance(pack, record, engine, cap)
                bar.update()
            record["tier"] = tier(record["times"], cap)
    info = {
        "milpinv": __version__,
        "suite": manifest["suite"],
        "command": command,
        "suite_command": manifest["command"],
        "doc": manifest.get("doc", ""),
        "notes": list(notes),
        "timeout": timeout,
        "engine_cap": cap,
        "engines": list(engines),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "instances": records,
    }
    write_tables(pack, info)
    remove_stale(pack, records)
    return info


# -------------------------------------------------------------------------------------- instances
def pack_instance(pack: Path, entry: dict, inst: Instance) -> dict:
    """Write one instance's VNN-COMP and MIPLIB files, re-checking its answer; its record."""
    name = Path(entry["file"]).stem
    norm, known = Norm.parse(entry.get("norm", "exact")), entry.get("known_answer", "unknown")
    try:
        w = check_answer(inst, norm, known, entry.get("objective_upper"))
        record = {
            "instance": name,
            "norm": norm,
            "known_answer": known,
            "objective_upper": entry.get("objective_upper"),
            "source": w.source,
            "params": entry.get("params", {}),
            "target_scale": float(np.max(np.abs(inst.target), initial=0.0)),
        }
        if norm.box:
            record["vnnlib"] = write_query(pack, name, inst, norm, w)
        record["mps"] = write_milp(pack, name, inst, norm, w)
    except InputError as exc:
        raise InputError(f"pack: {name}: {exc}") from None
    return record


def write_query(pack: Path, name: str, inst: Instance, norm: Norm, w: Witness) -> dict:
    """vnncomp/onnx/NAME.onnx and vnncomp/vnnlib/NAME.vnnlib, read back and checked."""
    radius = ball_radius(inst) if norm is Norm.LINF else None
    outputs = instance_outputs(inst, norm, radius)
    onnx_path, vnnlib_path = pack / "vnncomp" / "onnx" / f"{name}.onnx", pack / "vnncomp" / "vnnlib" / f"{name}.vnnlib"
    inst.network.to_onnx(onnx_path)
    back = ReluNetwork.from_onnx(onnx_path)
    if not all(
        same_matrix(a, b) for a, b in zip(back.weights + back.biases, inst.network.weights + inst.network.biases)
    ):
        raise InputError("the ONNX file does not read back to the instance's weights")
    answer = "sat" if w.z is not None else "unsat"
    comments = query_comments(inst, norm, radius) + [f"instance {name}: {answer} (known from {w.source})"]
    write_vnnlib(vnnlib_path, inst.lower, inst.upper, [outputs], comments)
    prop = read_vnnlib(vnnlib_path)
    if w.z is not None and not prop.holds(w.z, inst.network.forward(w.z)):
        raise InputError(f"the witness ({w.source}) does not meet the written VNN-LIB property")
    return {"onnx": f"onnx/{name}.onnx", "vnnlib": f"vnnlib/{name}.vnnlib", "answer": answer, "radius": radius}


def milp_model(inst: Instance, norm: Norm) -> Formulation:
    """The MILP of ``inst`` as packs hold it: interval bounds, no rescaling, and with the exact
    norm the band of the acceptance rule (0 on a proven lattice)."""
    band = acceptance(inst.network, inst.target, norm, inst.lower, inst.upper).tol if norm.exact else 0.0
    form, _ = build_model(
        Problem.of(inst.network, inst.target, norm, Box(inst.lower, inst.upper)), ModelSpec(band=band)
    )
    return form


def milp_file(inst: Instance, norm: Norm, path: Path) -> Path:
    """:func:`milp_model` written to ``path`` (MPS, gzipped for ``.gz``)."""
    write_mps(milp_model(inst, norm).model, path)
    return path


def write_milp(pack: Path, name: str, inst: Instance, norm: Norm, w: Witness) -> dict:
    """miplib/NAME.mps.gz (and NAME.sol with the completed witness), read back and checked."""
    form = milp_model(inst, norm)
    mps = pack / "miplib" / f"{name}.mps.gz"
    write_mps(form.model, mps)
    model, names = read_mps(mps)
    stats = {
        "variables": model.num_vars,
        "binaries": model.num_integer,
        "rows": model.num_rows,
        "nonzeros": model.nnz,
    }
    if w.z is None:
        return {"file": f"{name}.mps.gz", "answer": "infeasible", "optimum": None, "best_known": None, **stats}
    v = form.complete(w.z, inst.target)
    sol = pack / "miplib" / f"{name}.sol"
    atomic_write(sol, sol_text(form.model.var_names(), v.tolist(), float(form.model.c @ v + form.model.offset)))
    objective, values = read_sol(sol)
    unknown = sorted(set(values) - set(names))
    if unknown:
        raise InputError(f"{sol.name}: variable {unknown[0]} is not in the MPS file")
    point = np.array([values.get(n, 0.0) for n in names])
    worst = violation(model, point)
    if worst > MAX_VIOLATION or not np.isclose(model.c @ point + model.offset, objective, rtol=1e-12, atol=1e-12):
        raise InputError(f"{sol.name}: the solution violates the MPS model by {worst:.3g} (or misses its objective)")
    optimum = 0.0 if norm.exact else None
    return {
        "file": f"{name}.mps.gz",
        "sol": f"{name}.sol",
        "answer": "feasible",
        "optimum": optimum,
        "best_known": objective,
        "max_violation": worst,
        **stats,
    }


# ------------------------------------------------------------------------------------------ engines
def time_instance(pack: Path, record: dict, engine: str, cap: float) -> dict:
    """One engine's run on one instance (the MPS file, or the instance for milpinv), judged
    against the known answer."""
    if engine == "milpinv":
        path = pack / "milpinv" / f"{record['instance']}.npz"
    else:
        path = pack / "miplib" / record["mps"]["file"]
    run = run_engine(engine, path, record["norm"], cap)
    known = Known(record["norm"], record["known_answer"], record["objective_upper"], record["target_scale"])
    verdict = judge(known, run.status, run.objective)
    return {"status": run.status, "time_s": round(run.time_s, 4), "objective": run.objective, "verdict": verdict}


def tier(times: dict, cap: float) -> str:
    """easy: some engine answers within EASY seconds; hard: none within the cap; medium between."""
    if not times:
        return ""
    answered = [t["time_s"] for t in times.values() if t["verdict"] == "ok" and Status(t["status"]).answered]
    if not answered:
        return "hard"
    return "easy" if min(answered) <= EASY else "medium"


# ------------------------------------------------------------------------------------------- tables
def write_tables(pack: Path, info: dict) -> None:
    """instances.csv, vnncomp/instances.csv, miplib/instances.csv, pack.json and README.md."""
    records = info["instances"]
    vnn = [r for r in records if "vnnlib" in r]
    if vnn:
        rows = [[r["vnnlib"]["onnx"], r["vnnlib"]["vnnlib"], f"{info['timeout']:g}"] for r in vnn]
        atomic_write(pack / "vnncomp" / "instances.csv", _csv(rows))
    head = ["instance", "answer", "optimum", "best_known", "variables", "binaries", "rows", "nonzeros", "source"]
    rows = [[r["instance"]] + [r["mps"].get(k) for k in head[1:-1]] + [r["source"]] for r in records]
    atomic_write(pack / "miplib" / "instances.csv", _csv([head] + rows))
    atomic_write(pack / "instances.csv", _csv(table_rows(info)))
    write_json(pack / "pack.json", info)
    atomic_write(pack / "README.md", readme(info))


def table_rows(info: dict) -> list[list]:
    head = ["instance", "norm", "known_answer", "vnnlib", "mps", "variables", "binaries", "rows", "nonzeros"]
    head += [f"{e}_{k}" for e in info["engines"] for k in ("status", "time_s", "verdict")] + ["tier"]
    rows = [head]
    for r in info["instances"]:
        row = [r["instance"], r["norm"], r["known_answer"], r.get("vnnlib", {}).get("answer", ""), r["mps"]["answer"]]
        row += [r["mps"][k] for k in ("variables", "binaries", "rows", "nonzeros")]
        row += [r["times"][e][k] for e in info["engines"] for k in ("status", "time_s", "verdict")]
        rows.append(row + [r["tier"]])
    return rows


def _csv(rows: list[list]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(["" if v is None else v for v in row] for row in rows)
    return buf.getvalue()


def _time(t: dict, cap: float) -> str:
    if t["verdict"] == "WRONG":
        return f"WRONG ({t['status']})"
    if not Status(t["status"]).answered:
        return f">{cap:g} ({t['status']})" if t["status"] == "time_limit" else t["status"]
    return f"{t['time_s']:.2f}" + (" (feasible)" if t["status"] == "feasible" else "")


def readme(info: dict) -> str:
    """The pack's README: what it is, the meaning of the answers, the table, the tiers."""
    records, engines, cap = info["instances"], info["engines"], info["engine_cap"]
    answers: dict[str, int] = {}
    for r in records:
        key = r.get("vnnlib", {}).get("answer") or r["mps"]["answer"]
        answers[key] = answers.get(key, 0) + 1
    tiers = {t: sum(r["tier"] == t for r in records) for t in ("easy", "medium", "hard")}
    lines = [
        f"# Benchmark pack: `{info['suite']}` ({len(records)} instances)",
        "",
        f"{info['doc']}",
        "",
        *[line for note in info["notes"] for line in (note, "")],
        f"Made by `{info['command'] or info['suite_command']}` (milpinv {info['milpinv']}); the suite alone: "
        f"`{info['suite_command']}`. Answers: "
        + ", ".join(f"{v} {k}" for k, v in sorted(answers.items()))
        + ", each re-checked on write ("
        + ", ".join(sorted({r["source"] for r in records}))
        + ").",
        "",
        "## Layout",
        "",
        "- `vnncomp/`: `onnx/*.onnx` (float64 weights, input `z` of shape (batch, n)), `vnnlib/*.vnnlib`, and "
        f"`instances.csv` (`onnx_path,vnnlib_path,timeout`, timeout {info['timeout']:g} s), as in VNN-COMP.",
        "- `miplib/`: `*.mps.gz` (written by HiGHS), `*.sol` (`=obj= value`, then `name value`) for every instance "
        "with a known solution, `instances.csv` (answer, optimum, best known objective, sizes).",
        "- `milpinv/`: the instances in milpinv's format with `manifest.json` (`milpinv bench milpinv/`).",
        "- `instances.csv` (this table) and `pack.json` (everything, with the checks made on write).",
        "",
        "## What the answers mean",
        "",
        '- VNN-LIB: the property is "X in the latent box and Y in the target\'s intervals" (the target within '
        "milpinv's tolerance 1e-6 max(1, |x|_inf), or exactly where every pre-image is integral; or the linf ball "
        "of a noisy target): **sat** = a pre-image exists (milpinv `optimal`), **unsat** = none exists "
        "(milpinv `infeasible`).",
        "- MPS: the exact-norm model is a feasibility problem (objective 0): **feasible** with optimum 0, or "
        "**infeasible**; a noisy instance's model minimises the l1 / linf error: the best known objective is "
        "the `.sol`'s (the planted latent), the optimum is not known.",
        "",
        "## Instances",
        "",
        f"Seconds per engine (time limit {cap:g} s; `>{cap:g}` stopped there; WRONG: an answer that contradicts "
        "the known one): "
        + "; ".join(ENGINE_NOTES[e] for e in engines)
        + f". Timed one run at a time on {info['machine']}. Tier: easy (an engine answers within {EASY:g} s), "
        f"medium (the fastest takes longer), hard (none answers within {cap:g} s).",
        "",
        "| instance | answer | VNN-LIB | variables | binaries | rows | nonzeros | " + " | ".join(engines) + " | tier |",
        "| --- " * (7 + len(engines)) + "| --- |",
    ]
    for r in records:
        cells = [r["instance"], r["mps"]["answer"], r.get("vnnlib", {}).get("answer", "-")]
        cells += [str(r["mps"][k]) for k in ("variables", "binaries", "rows", "nonzeros")]
        cells += [_time(r["times"][e], cap) for e in engines] + [r["tier"]]
        lines.append("| " + " | ".join(cells) + " |")
    if engines:
        lines += ["", "Median seconds (stopped runs count at the limit): " + medians(records, engines, cap) + "."]
        lines.append(f"Tiers: {tiers['easy']} easy, {tiers['medium']} medium, {tiers['hard']} hard.")
    return "\n".join(lines) + "\n"


ENGINE_NOTES = {
    "highs": "highs = HiGHS reading the MPS file",
    "scip": "scip = SCIP (OR-Tools) reading the MPS file",
    "milpinv": "milpinv = `milpinv invert` (method auto) on the instance",
}


def medians(records: list[dict], engines, cap: float) -> str:
    def seconds(t: dict) -> float:
        return t["time_s"] if Status(t["status"]).answered else cap

    return ", ".join(f"{e} {np.median([seconds(r['times'][e]) for r in records]):.2f}" for e in engines)


def remove_stale(pack: Path, records: list[dict]) -> None:
    """Files of an earlier pack in vnncomp/ and miplib/ that this one did not write."""
    keep = {pack / "miplib" / "instances.csv"}
    if any("vnnlib" in r for r in records):
        keep.add(pack / "vnncomp" / "instances.csv")
    for r in records:
        keep.add(pack / "miplib" / r["mps"]["file"])
        if "sol" in r["mps"]:
            keep.add(pack / "miplib" / r["mps"]["sol"])
        if "vnnlib" in r:
            keep |= {pack / "vnncomp" / r["vnnlib"]["onnx"], pack / "vnncomp" / r["vnnlib"]["vnnlib"]}
    for folder in (pack / "vnncomp" / "onnx", pack / "vnncomp" / "vnnlib", pack / "miplib", pack / "vnncomp"):
        if folder.is_dir():
            for path in folder.iterdir():
                if path.is_file() and path.name.endswith(PACK_SUFFIXES) and path not in keep:
                    path.unlink()
