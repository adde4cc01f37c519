"""milpinv bench end to end on tiny suites: generation, runs, answer checks, CSV and plot."""

import json

import pytest

from milpinv.errors import InputError
from milpinv.experiments.plots import growth_slice, median_curve, plot_results
from milpinv.experiments.runner import CSV_FIELDS, Task, make_tasks, parse_method, read_csv, verdict
from milpinv.experiments.suites import make_suite, suite_defaults
from milpinv.norm import Norm


def test_tiny_suite_end_to_end(tmp_path, cli):
    suite = tmp_path / "suite"
    manifest = make_suite("nonexpanding", suite, seeds=(0,), dims_list=([3, 6, 6], [4, 8, 4]))
    assert manifest["count"] == 2 and all(e["known_answer"] == "feasible" for e in manifest["instances"])
    out, png = tmp_path / "r.csv", tmp_path / "r.png"
    code, stdout, _ = cli(
        "bench",
        suite,
        "--methods",
        "layerwise,milp",
        "--jobs",
        "2",
        "--time-limit",
        "30",
        "--out",
        out,
        "--plot",
        png,
        "--quiet",
    )
    assert code == 0, stdout
    rows = read_csv(out)
    assert len(rows) == 4 and {r["method"] for r in rows} == {"layerwise", "milp"}
    milp = [r for r in rows if r["method"] == "milp"]
    assert all(r["status"] == "optimal" and r["verdict"] == "ok" for r in milp)
    assert all(float(r["residual_linf"]) < 1e-6 for r in milp)
    assert not any(r["verdict"] == "WRONG" for r in rows)
    assert png.stat().st_size > 1000 and png.read_bytes()[:4] == b"\x89PNG"


def test_wrong_answers_are_flagged(tmp_path, cli):
    """A manifest that lies (says infeasible for a planted instance) makes bench exit non-zero."""
    suite = tmp_path / "suite"
    make_suite("expanding", suite, seeds=(0,), dims_list=([3, 9, 18],))
    manifest = json.loads((suite / "manifest.json").read_text())
    manifest["instances"][0]["known_answer"] = "infeasible"
    (suite / "manifest.json").write_text(json.dumps(manifest))
    code, stdout, _ = cli("bench", suite, "--methods", "milp", "--jobs", "1", "--out", tmp_path / "r.csv", "--quiet")
    assert code == 1 and "WRONG" in stdout


@pytest.mark.parametrize(
    "known,status,expected",
    [
        ("feasible", "infeasible", "WRONG"),
        ("infeasible", "optimal", "WRONG"),
        ("feasible", "optimal", "ok"),
        ("infeasible", "infeasible", "ok"),
        ("unknown", "time_limit", "unsolved"),
        ("feasible", "failed", "unsolved"),
    ],
)
def test_verdicts(known, status, expected):
    task = Task("x.npz", "milp", Norm.EXACT, None, known, None, {})
    assert verdict(task, status, None, 1.0) == expected


def test_noisy_objective_above_planted_noise_is_wrong():
    task = Task("x.npz", "milp", Norm.LINF, None, "unknown", 0.1, {})
    assert verdict(task, "optimal", 0.05, 1.0) == "ok"
    assert verdict(task, "optimal", 0.2, 1.0) == "WRONG"
    # a certified lower bound above the planted noise norm is a wrong claim too, whatever the status
    assert verdict(task, "feasible", 0.3, 1.0, bound=0.05) == "ok"
    assert verdict(task, "time_limit", None, 1.0, bound=0.2) == "WRONG"


def test_sat_suite_cli_generation_bench_csv_and_plot(tmp_path, cli):
    """make-suite with --param (recorded in the manifest command), bench, every CSV column, three panels."""
    suite = tmp_path / "sat"
    code, out, _ = cli(
        "make-suite",
        "sat",
        "--out",
        suite,
        "--param",
        "ns=3,4",
        "--param",
        "ratios=2,4.26,7",
        "--param",
        "seeds=0",
        "--param",
        "growth_ns=5",
        "--quiet",
    )
    assert code == 0 and "wrote 7 instances" in out
    manifest = json.loads((suite / "manifest.json").read_text())
    assert manifest["command"] == (
        f"milpinv make-suite sat --out {suite.as_posix()} --param ns=3,4 "
        "--param ratios=2.0,4.26,7.0 --param seeds=0 --param growth_ns=5"
    )
    assert manifest["params"] == {"ns": [3, 4], "ratios": [2.0, 4.26, 7.0], "seeds": [0], "growth_ns": [5]}
    csv_path, png = tmp_path / "r.csv", tmp_path / "r.png"
    code, stdout, _ = cli(
        "bench",
        suite,
        "--methods",
        "milp,milp:heuristic=false:peeling=0",
        "--jobs",
        "1",
        "--out",
        csv_path,
        "--plot",
        png,
        "--quiet",
    )
    assert code == 0, stdout
    rows = read_csv(csv_path)
    assert tuple(rows[0]) == CSV_FIELDS and len(rows) == 14
    assert all(r["verdict"] == "ok" and r["status"] in ("optimal", "infeasible") for r in rows)
    assert {r["method"] for r in rows} == {"milp", "milp:heuristic=false:peeling=0"}
    assert all(r["nodes"] != "" for r in rows if r["method"] != "milp")  # the solver ran, not the heuristic
    assert plot_results(rows, png) == ["ratio", "n", "success"]
    growth, label = growth_slice(rows)
    assert label == "n (at ratio 4.26)" and {json.loads(r["params"])["n"] for r in growth} == {3, 4, 5}


def test_curves_leave_out_wrong_answers_and_mark_unsolved_points():
    rows = [
        {"method": "m", "verdict": v, "time_s": t, "params": json.dumps({"n": n})}
        for v, t, n in (("ok", 1.0, 2), ("WRONG", 100.0, 2), ("ok", 2.0, 3), ("unsolved", 8.0, 3))
    ]
    assert median_curve(rows, "n") == {"m": ([2.0, 3.0], [1.0, 5.0], [True, False])}


def test_method_options():
    assert parse_method("milp:heuristic=0:solver=pyomo:appsi_highs:mip_gap=1e-6") == (
        "milp",
        (("heuristic", 0), ("solver", "pyomo:appsi_highs"), ("mip_gap", 1e-6)),
    )
    assert parse_method("gd:restarts=2") == ("gd", (("restarts", 2),))
    with pytest.raises(InputError, match="layerwise has no option 'restarts'"):
        parse_method("layerwise:restarts=2")
    with pytest.raises(InputError, match="expected NAME:KEY=VALUE"):
        parse_method("milp:fast")


def test_make_suite_parameters(tmp_path, cli):
    assert list(suite_defaults("expanding")) == ["seeds", "dims_list"]
    suite = tmp_path / "s"
    make_suite("expanding", suite, seeds=(0, 1), dims_list=([3, 9, 27],))
    assert sorted(p.name for p in suite.glob("*.npz")) == ["net_3-9-27_s0.npz", "net_3-9-27_s1.npz"]
    manifest = make_suite("expanding", suite, seeds=(1,), dims_list=([3, 9, 27],))  # stale files go
    assert sorted(p.name for p in suite.glob("*.npz")) == ["net_3-9-27_s1.npz"] and manifest["count"] == 1
    assert manifest["params"]["dims_list"] == [[3, 9, 27]]
    for bad, message in (
        ("ns=4.5", "ns takes non-negative integers"),
        ("foo=1", "unknown parameter 'foo'"),
        ("ns=a", "expected numbers or dims"),
        ("ns", "expected KEY=V1,V2"),
        ("ratios=nan", "ratios takes finite numbers"),
    ):
        code, _, err = cli("make-suite", "sat", "--out", tmp_path / "t", "--param", bad, "--quiet")
        assert code == 2 and message in err and "Traceback" not in err, err


def test_bad_suites(tmp_path, cli):
    with pytest.raises(InputError, match="manifest.json: no such file"):
        make_tasks(tmp_path, ["milp"], None)
    (tmp_path / "manifest.json").write_text("{oops")
    code, _, err = cli("bench", tmp_path, "--out", tmp_path / "r.csv")
    assert code == 2 and "not valid JSON" in err
    (tmp_path / "manifest.json").write_text(json.dumps({"instances": [{"file": "a.npz"}]}))
    with pytest.raises(InputError, match="a.npz: no such file"):
        make_tasks(tmp_path, ["milp"], None)
    with pytest.raises(InputError, match="unknown 'simplex'"):
        make_tasks(tmp_path, ["simplex"], None)


def test_dask_scheduler(tmp_path, cli):
    distributed = pytest.importorskip("dask.distributed")
    suite = tmp_path / "suite"
    make_suite("expanding", suite, seeds=(0, 1), dims_list=([3, 9, 18],))
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        code, stdout, _ = cli(
            "bench",
            suite,
            "--methods",
            "layerwise",
            "--scheduler",
            cluster.scheduler_address,
            "--out",
            tmp_path / "r.csv",
            "--quiet",
        )
    assert code == 0, stdout
    rows = read_csv(tmp_path / "r.csv")
    assert len(rows) == 2 and all(r["verdict"] == "ok" for r in rows)


def test_unreachable_scheduler(tmp_path, cli, monkeypatch):
    pytest.importorskip("dask.distributed")
    monkeypatch.setattr("milpinv.engine.parallel.DASK_CONNECT_TIMEOUT", 1.0)
    suite = tmp_path / "suite"
    make_suite("expanding", suite, seeds=(0,), dims_list=([3, 9, 18],))
    code, _, err = cli(
        "bench",
        suite,
        "--methods",
        "layerwise",
        "--scheduler",
        "tcp://127.0.0.1:9",
        "--out",
        tmp_path / "r.csv",
        "--quiet",
    )
    assert code == 2 and "cannot connect" in err
