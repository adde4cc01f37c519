"""The committed suites in instances/: manifests agree with independent solvers, planted answers
check out by a forward pass, regeneration gives the same files, and bench runs them from any cwd."""

import itertools
import json
import os
from pathlib import Path

import numpy as np
import pytest

from milpinv.experiments.runner import load_manifest, read_csv
from milpinv.experiments.suites import make_suite, parse_param, suites
from milpinv.instance import Instance
from milpinv.network import same_matrix
from milpinv.tolerance import tolerance
from reductions.problems import CNF, problem_from_dict
from reductions.registry import get_reduction

ROOT = Path(__file__).resolve().parents[2]
INSTANCES = ROOT / "instances"
COMMITTED = sorted(suites())


def entries(suite: str):
    manifest = load_manifest(INSTANCES / suite)
    return [(e, Instance.load(INSTANCES / suite / e["file"])) for e in manifest["instances"]]


@pytest.mark.parametrize("suite", COMMITTED)
def test_manifest_lists_exactly_the_files(suite):
    folder = INSTANCES / suite
    manifest = load_manifest(folder)
    files = [e["file"] for e in manifest["instances"]]
    assert manifest["suite"] == suite and manifest["count"] == len(files) == len(set(files))
    assert sorted(files) == sorted(p.name for p in folder.glob("*.npz"))
    assert manifest["command"] == f"milpinv make-suite {suite} --out instances/{suite}"


def test_committed_suites_are_small():
    total = sum(p.stat().st_size for p in INSTANCES.rglob("*") if p.is_file())
    assert total < 4_000_000


@pytest.mark.parametrize("suite", ["expanding", "nonexpanding"])
def test_planted_latents_reach_their_targets(suite):
    for entry, inst in entries(suite):
        z = inst.planted_z
        assert entry["known_answer"] == "feasible" and z is not None
        assert np.all(inst.lower <= z) and np.all(z <= inst.upper)
        assert np.max(np.abs(inst.network.forward(z) - inst.target)) <= tolerance(inst.target)
        assert entry["params"]["dims"] == "-".join(str(d) for d in inst.network.dims)


def test_expanding_suite_expands_and_nonexpanding_does_not():
    for suite, expands in (("expanding", True), ("nonexpanding", False)):
        for _, inst in entries(suite):
            dims = inst.network.dims
            assert all(b >= 3 * a for a, b in zip(dims, dims[1:])) == expands, dims


def test_noisy_bounds_are_the_planted_noise_norms():
    """objective_upper is the residual of the planted z, so the optimum cannot exceed it."""
    for entry, inst in entries("noisy"):
        residual = inst.network.forward(inst.planted_z) - inst.target
        norm = np.abs(residual).max() if entry["norm"] == "linf" else np.abs(residual).sum()
        assert entry["norm"] in ("l1", "linf") and entry["objective_upper"] > 0
        assert entry["objective_upper"] == pytest.approx(norm, rel=1e-9)


def _reduction_matches(entry, inst, kind):
    """The instance is the reduction of the source problem recorded in its meta."""
    problem = problem_from_dict(inst.meta["source"])
    again = get_reduction(kind, "relu").reduce(problem)
    arrays = lambda i: [*i.network.weights, *i.network.biases, i.target, i.lower, i.upper]  # noqa: E731
    for a, b in zip(arrays(again), arrays(inst), strict=True):
        assert same_matrix(a, b), entry["file"]
    return problem


def _check_witness(kind, problem, inst, witness):
    z = get_reduction(kind, "relu").forward(problem, witness)
    assert np.array_equal(inst.network.forward(z), inst.target)


def test_sat_answers_agree_with_another_cdcl_solver():
    """The manifest's answers came from CaDiCaL; Glucose re-decides every formula."""
    from pysat.solvers import Solver

    for entry, inst in entries("sat"):
        cnf = _reduction_matches(entry, inst, "3sat")
        assert isinstance(cnf, CNF) and cnf.num_vars == entry["params"]["n"]
        assert cnf.num_clauses == entry["params"]["m"] == round(entry["params"]["ratio"] * cnf.num_vars)
        with Solver(name="glucose4", bootstrap_with=[list(c) for c in cnf.clauses]) as s:
            sat = s.solve()
            model = s.get_model()
        assert entry["known_answer"] == ("feasible" if sat else "infeasible"), entry["file"]
        if sat:
            values = {abs(l): l > 0 for l in model}
            assignment = [values.get(v, False) for v in range(1, cnf.num_vars + 1)]
            assert cnf.satisfied_by(assignment)
            _check_witness("3sat", cnf, inst, assignment)


def test_subset_sum_answers_agree_with_brute_force():
    for entry, inst in entries("subset-sum"):
        ss = _reduction_matches(entry, inst, "subset-sum")
        assert ss.n == entry["params"]["n"] <= 16
        choices = np.array(list(itertools.product([0, 1], repeat=ss.n)), dtype=np.int64)
        hits = choices[choices @ np.array(ss.weights, dtype=np.int64) == ss.target]
        assert entry["known_answer"] == ("feasible" if len(hits) else "infeasible"), entry["file"]
        if len(hits):
            _check_witness("subset-sum", ss, inst, hits[0].astype(bool).tolist())


@pytest.mark.parametrize("suite", COMMITTED)
def test_recorded_command_regenerates_the_suite(suite, tmp_path, monkeypatch):
    """Same manifest (byte for byte) and the same arrays, written from another directory."""
    manifest = json.loads((INSTANCES / suite / "manifest.json").read_text())
    args = manifest["command"].split()
    out = args[args.index("--out") + 1]
    params = dict(parse_param(a) for a in args[args.index("--out") + 2 :] if a != "--param")
    monkeypatch.chdir(tmp_path)
    make_suite(suite, out, **params)
    assert (tmp_path / out / "manifest.json").read_bytes() == (INSTANCES / suite / "manifest.json").read_bytes()
    for entry in manifest["instances"]:
        new, old = np.load(tmp_path / out / entry["file"]), np.load(INSTANCES / suite / entry["file"])
        assert sorted(new.files) == sorted(old.files)
        assert all(np.array_equal(new[k], old[k]) for k in old.files), entry["file"]


def test_bench_runs_a_committed_suite_from_another_directory(tmp_path, monkeypatch, cli):
    monkeypatch.chdir(tmp_path)
    suite = os.path.relpath(INSTANCES / "sat", tmp_path)
    code, stdout, _ = cli("bench", suite, "--methods", "layerwise", "--jobs", "1", "--out", "r.csv", "--quiet")
    assert code == 0, stdout
    rows = read_csv(tmp_path / "r.csv")
    assert len(rows) == load_manifest(INSTANCES / "sat")["count"]
    assert not any(r["verdict"] == "WRONG" for r in rows)
