"""The demo: every case runs, layer-wise fails where it must, the MILP agrees with the SAT oracle."""

import json

from milpinv.cli.main import main
from milpinv.experiments.demo import run_demo


def test_demo_rows(capsys):
    rows = run_demo(seed=7, stream=None)
    by = {(r["case"].split()[0], r["method"]): r for r in rows}
    assert by[("expanding", "layerwise")]["status"] == "optimal"
    assert by[("expanding", "layerwise")]["z_error"] < 1e-6
    assert by[("non-expanding", "layerwise")]["status"] == "failed"
    milp = by[("non-expanding", "milp")]
    assert milp["status"] == "optimal" and milp["residual_linf"] < 1e-6
    sat = [r for r in rows if r["case"].startswith("3-SAT")]
    assert sat and all(r["known_answer"] in ("feasible", "infeasible") for r in sat)
    for r in sat:
        assert r["status"] == ("optimal" if r["known_answer"] == "feasible" else "infeasible")
        if r["status"] == "optimal":
            assert "verified" in r["note"]


def test_demo_cli_json(capsys):
    assert main(["demo", "--json", "--seed", "3"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["method"] for r in rows} >= {"layerwise", "milp", "gd"}
