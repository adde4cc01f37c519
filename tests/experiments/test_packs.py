"""Benchmark packs: the VNN-COMP and MIPLIB layouts, every MPS read by HiGHS and by SCIP (OR-Tools)
to the recorded answer, every .sol satisfying its model, every VNN-LIB file read by an independent
strict reader and decided by milpinv to the recorded answer, answers re-checked on write, engine
times in the README, and tiers searched to a range."""

import csv
import gzip
import json
from pathlib import Path

import highspy
import numpy as np
import pytest
import vnnlib_reference
from ortools.linear_solver.python import model_builder as mb

from milpinv import InputError, Instance, ReluNetwork
from milpinv.experiments.packs import PackSettings, build_pack, make_pack
from milpinv.experiments.tiers import KNOBS, next_size
from milpinv.interop.vnnlib import read_vnnlib
from milpinv.queries import decide
from milpinv.solvers.mps import read_sol

pytest.importorskip("onnx")

SMALL = {
    "sat": {"ns": [5], "ratios": [7.0], "seeds": [0, 1], "growth_ns": []},  # one sat, one unsat (CaDiCaL)
    "subset-sum": {"ns": [6], "densities": [0.75], "seeds": [0, 1]},  # one yes, one no
    "nonexpanding": {"dims_list": [[4, 8, 8, 8]], "seeds": [0]},
    "noisy": {"dims_list": [[6, 12, 12]], "noises": [0.05], "seeds": [0]},  # linf and l1
}


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """Four small packs; the 3-SAT one timed by every engine, the others by none."""
    root = tmp_path_factory.mktemp("packs")
    out = {}
    for name, params in SMALL.items():
        engines = ("highs", "scip", "milpinv") if name == "sat" else ()
        out[name] = (
            root / name,
            make_pack(name, root / name, settings=PackSettings(cap=20.0, engines=engines), **params),
        )
    return out


def all_records(packs):
    return [(folder, r) for folder, info in packs.values() for r in info["instances"]]


def test_the_layouts(packs):
    for folder, info in packs.values():
        for sub in ("README.md", "instances.csv", "pack.json", "milpinv/manifest.json", "miplib/instances.csv"):
            assert (folder / sub).is_file(), sub
        vnn = [r for r in info["instances"] if "vnnlib" in r]
        rows = list(csv.reader((folder / "vnncomp" / "instances.csv").open())) if vnn else []
        assert len(rows) == len(vnn)
        for onnx_path, vnnlib_path, timeout in rows:
            assert (folder / "vnncomp" / onnx_path).is_file() and (folder / "vnncomp" / vnnlib_path).is_file()
            assert float(timeout) == 60.0
        table = list(csv.DictReader((folder / "miplib" / "instances.csv").open()))
        assert [t["instance"] for t in table] == [r["instance"] for r in info["instances"]]
        for r in info["instances"]:
            assert (folder / "miplib" / r["mps"]["file"]).is_file()
            assert ("sol" in r["mps"]) == (r["mps"]["answer"] == "feasible")
            with gzip.open(folder / "miplib" / r["mps"]["file"]) as fh:
                assert fh.read(4) == b"NAME"
        assert json.loads((folder / "pack.json").read_text())["instances"] == json.loads(json.dumps(info["instances"]))
    answers = {r["instance"]: r["mps"]["answer"] for _, r in all_records(packs)}
    assert answers == {
        "sat_n5_r7_s0": "feasible",
        "sat_n5_r7_s1": "infeasible",
        "ss_n6_d0.75_s0": "feasible",
        "ss_n6_d0.75_s1": "infeasible",
        "net_4-8-8-8_s0": "feasible",
        "net_6-12-12_s0_n0.05_linf": "feasible",
        "net_6-12-12_s0_n0.05_l1": "feasible",
    }


def highs_solve(path: Path, fix: dict | None = None):
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", 60.0)
    h.setOptionValue("threads", 1)  # milpinv's HiGHS thread pool in this process has one thread
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    if fix is not None:
        names = list(h.getLp().col_names_)
        for j, name in enumerate(names):
            v = fix.get(name, 0.0)
            h.changeColBounds(j, v, v)
    h.run()
    return h.getModelStatus(), h.getInfo().objective_function_value


def scip_solve(path: Path, fix: dict | None = None):
    model = mb.Model()
    assert model.import_from_mps_file(str(path))
    if fix is not None:
        for j in range(model.num_variables):
            var = model.var_from_index(j)
            var.lower_bound = var.upper_bound = fix.get(var.name, 0.0)
    solver = mb.ModelSolver("scip")
    solver.set_time_limit_in_seconds(60.0)
    return solver.solve(model), solver.objective_value


@pytest.mark.parametrize("engine", ["highs", "scip"])
def test_every_mps_is_read_and_solved_to_the_recorded_answer(packs, engine):
    optimal, infeasible = (
        (highspy.HighsModelStatus.kOptimal, highspy.HighsModelStatus.kInfeasible)
        if engine == "highs"
        else (mb.SolveStatus.OPTIMAL, mb.SolveStatus.INFEASIBLE)
    )
    solve = highs_solve if engine == "highs" else scip_solve
    for folder, r in all_records(packs):
        mps = folder / "miplib" / r["mps"]["file"]
        status, objective = solve(mps)
        if r["mps"]["answer"] == "infeasible":
            assert status == infeasible, (engine, r["instance"])
            continue
        assert status == optimal, (engine, r["instance"], status)
        best = r["mps"]["best_known"]
        if r["mps"]["optimum"] is not None:
            assert objective == pytest.approx(r["mps"]["optimum"], abs=1e-9)
        assert objective <= best + 1e-6 * max(1.0, best), (engine, r["instance"])  # the .sol's is an upper bound
        sol_objective, values = read_sol(folder / "miplib" / r["mps"]["sol"])
        status, objective = solve(mps, fix=values)  # the recorded solution, every variable fixed
        assert status == optimal and objective == pytest.approx(sol_objective, rel=1e-9, abs=1e-9), r["instance"]


def test_every_vnnlib_reads_strictly_and_milpinv_decides_the_recorded_answer(packs):
    decided = 0
    for folder, r in all_records(packs):
        if "vnnlib" not in r:
            assert r["norm"] == "l1"
            continue
        path = folder / "vnncomp" / r["vnnlib"]["vnnlib"]
        n, m, x_lo, x_hi, outputs = vnnlib_reference.read(path.read_text())
        inst = Instance.load(folder / "milpinv" / f"{r['instance']}.npz")
        assert (n, m) == inst.network.dims[:: len(inst.network.dims) - 1]
        assert np.array_equal(x_lo, inst.lower) and np.array_equal(x_hi, inst.upper) and len(outputs) == 1
        net = ReluNetwork.from_onnx(folder / "vnncomp" / r["vnnlib"]["onnx"])
        d = decide(net, read_vnnlib(path), time_limit=60)
        assert d.verdict == r["vnnlib"]["answer"], (r["instance"], d.summary())
        decided += 1
    assert decided == 6


def test_the_readme_reports_every_engine_and_tier(packs):
    folder, info = packs["sat"]
    text = (folder / "README.md").read_text()
    for r in info["instances"]:
        assert set(r["times"]) == {"highs", "scip", "milpinv"}
        assert all(t["verdict"] == "ok" for t in r["times"].values()), r["times"]
        assert r["tier"] in ("easy", "medium") and f"| {r['instance']} |" in text
    assert "Median seconds" in text and "milpinv make-suite sat --pack" in text
    rows = list(csv.DictReader((folder / "instances.csv").open()))
    assert {row["highs_verdict"] for row in rows} == {"ok"} and rows[1]["vnnlib"] == "unsat"


def test_a_wrong_manifest_answer_is_refused_on_write(packs, tmp_path):
    folder, _ = packs["sat"]
    pack = tmp_path / "bad"
    (pack / "milpinv").mkdir(parents=True)
    manifest = json.loads((folder / "milpinv" / "manifest.json").read_text())
    for e in manifest["instances"]:
        (pack / "milpinv" / e["file"]).write_bytes((folder / "milpinv" / e["file"]).read_bytes())
    manifest["instances"][1]["known_answer"] = "feasible"  # CaDiCaL proves it infeasible
    (pack / "milpinv" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="sat_n5_r7_s1: known answer 'feasible' but python-sat"):
        build_pack(pack, PackSettings(engines=()))


def test_make_suite_pack_cli(cli, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("not a pack")
    code, out, err = cli("make-suite", "sat", "--pack", tmp_path / "full", "--quiet")
    assert code == 2 and "is not empty and holds no pack.json" in err
    args = ["--param", "ns=4", "--param", "ratios=3", "--param", "seeds=0", "--param", "growth_ns="]
    code, out, err = cli(
        "make-suite", "sat", "--out", tmp_path / "s", "--pack", tmp_path / "p", "--engines", "none", *args
    )
    assert code == 0 and "wrote a pack of 1 instances" in out, err
    assert (tmp_path / "s" / "manifest.json").is_file() and (tmp_path / "p" / "milpinv" / "manifest.json").is_file()
    info = json.loads((tmp_path / "p" / "pack.json").read_text())
    assert info["command"].startswith(f"milpinv make-suite sat --pack {tmp_path.as_posix()}/p --param ns=4")
    code, _, err = cli("make-suite", "sat", "--pack", tmp_path / "p", "--engines", "gurobi")
    assert code == 2 and "unknown engine 'gurobi'" in err
    code, _, err = cli("make-suite", "sat")
    assert code == 2 and "--out: required (or --pack)" in err


def test_tier_search_steps():
    knob = KNOBS["sat"]
    assert next_size(knob, 20, None) == 40 and next_size(knob, None, 20) == 10
    assert next_size(knob, 20, 40) == 30 and next_size(knob, 20, 21) is None
    assert next_size(knob, 400, None) is None and next_size(knob, None, 3) is None


def test_make_tier_cli(cli, tmp_path):
    code, out, err = cli(
        "make-tier",
        "sat",
        "--target-seconds",
        "0:1000",
        "--count",
        "1",
        "--engines",
        "none",
        "--out",
        tmp_path / "t",
        "--quiet",
    )
    assert code == 0 and "size 20: median highs time" in out, err
    assert "A tier made by `milpinv make-tier sat" in (tmp_path / "t" / "README.md").read_text()
    code, out, err = cli(
        "make-tier",
        "sat",
        "--target-seconds",
        "500:1000",
        "--count",
        "1",
        "--steps",
        "1",
        "--out",
        tmp_path / "u",
        "--quiet",
    )
    assert code == 1 and "the search ran out of steps" in err and not (tmp_path / "u").exists()
    code, _, err = cli("make-tier", "sat", "--target-seconds", "5:1", "--out", tmp_path / "v")
    assert code == 2 and "LOW < HIGH" in err
