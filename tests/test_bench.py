"""milpinv bench end to end on tiny suites: generation, runs, answer checks, CSV and plot."""
import json

import pytest

from milpinv.bench import Task, make_tasks, read_csv, verdict
from milpinv.errors import InputError
from milpinv.suites import make_suite


def test_tiny_suite_end_to_end(tmp_path, cli):
    suite = tmp_path / "suite"
    manifest = make_suite("nonexpanding", suite, seeds=(0,), dims_list=([3, 6, 6], [4, 8, 4]))
    assert manifest["count"] == 2 and all(e["known_answer"] == "feasible" for e in manifest["instances"])
    out, png = tmp_path / "r.csv", tmp_path / "r.png"
    code, stdout, _ = cli("bench", suite, "--methods", "layerwise,milp", "--jobs", "2", "--time-limit", "30",
                          "--out", out, "--plot", png, "--quiet")
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


@pytest.mark.parametrize("known,status,expected", [
    ("feasible", "infeasible", "WRONG"), ("infeasible", "optimal", "WRONG"), ("feasible", "optimal", "ok"),
    ("infeasible", "infeasible", "ok"), ("unknown", "time_limit", "unsolved"), ("feasible", "failed", "unsolved"),
])
def test_verdicts(known, status, expected):
    task = Task("x.npz", "milp", "exact", None, known, None, {})
    assert verdict(task, status, None, 1.0) == expected


def test_noisy_objective_above_planted_noise_is_wrong():
    task = Task("x.npz", "milp", "linf", None, "unknown", 0.1, {})
    assert verdict(task, "optimal", 0.05, 1.0) == "ok"
    assert verdict(task, "optimal", 0.2, 1.0) == "WRONG"


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
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        code, stdout, _ = cli("bench", suite, "--methods", "layerwise", "--scheduler", cluster.scheduler_address,
                              "--out", tmp_path / "r.csv", "--quiet")
    assert code == 0, stdout
    rows = read_csv(tmp_path / "r.csv")
    assert len(rows) == 2 and all(r["verdict"] == "ok" for r in rows)


def test_unreachable_scheduler(tmp_path, cli):
    pytest.importorskip("dask.distributed")
    suite = tmp_path / "suite"
    make_suite("expanding", suite, seeds=(0,), dims_list=([3, 9, 18],))
    code, _, err = cli("bench", suite, "--methods", "layerwise", "--scheduler", "tcp://127.0.0.1:9",
                       "--out", tmp_path / "r.csv", "--quiet")
    assert code == 2 and "cannot connect" in err
