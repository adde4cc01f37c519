"""Reductions: instance maps, both solution maps, composition, SATLIB files, and the CLI.

Every yes-instance is checked with both maps; every verdict of milpinv's exact inversion is
compared with an independent oracle (python-sat, dynamic programming / CP-SAT)."""

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_problem_io import brute_force_sat, cnfs

import milpinv
from milpinv.errors import InputError
from reductions.dimacs import read_dimacs, write_dimacs
from reductions.generators import random_ksat, random_subsetsum
from reductions.problems import CNF, SubsetSum
from reductions.registry import get_reduction, reduction_from_meta, registry
from reductions.sat_to_relu import SatToRelu
from reductions.sat_to_subsetsum import SatToSubsetSum
from reductions.subsetsum_io import write_subsetsum
from reductions.verify import check, run_checks

SAT = get_reduction("3sat", "relu")
SS = get_reduction("subset-sum", "relu")
CHAIN = get_reduction("3sat", "relu", via="subset-sum")


def assert_check(problem, reduction, **kw):
    c = check(problem, reduction, **kw)
    assert c.agree is True and c.ok, c
    if c.oracle == "yes":
        assert c.forward_ok and c.backward_ok
    return c


@given(cnfs(max_vars=7, max_clauses=25))
def test_sat_to_relu_round_trip(cnf):
    assert_check(cnf, SAT)


@given(st.lists(st.integers(0, 40), min_size=1, max_size=8), st.integers(0, 160))
def test_subsetsum_to_relu_round_trip(weights, target):
    assert_check(SubsetSum(tuple(weights), target), SS)


@settings(max_examples=10)
@given(cnfs(max_vars=3, max_clauses=4))
def test_composed_chain_round_trip(cnf):
    assert_check(cnf, CHAIN)


def test_composed_chain_unsat_is_proven():
    cnf = CNF(2, ((1, 2), (1, -2), (-1, 2), (-1, -2), (1, 2, -1)))
    c = assert_check(cnf, CHAIN)
    assert c.oracle == "no" and c.inversion == "infeasible"


@given(cnfs(max_vars=5, max_clauses=12))
def test_sat_to_subsetsum_is_exact(cnf):
    """Exhaustively: every assignment maps to a selection summing to the target iff it satisfies."""
    ss = SatToSubsetSum().reduce(cnf)
    red = SatToSubsetSum()
    for bits in itertools.product([False, True], repeat=cnf.num_vars):
        if cnf.satisfied_by(bits):
            chosen = red.forward(cnf, bits)
            assert ss.satisfied_by(chosen) and red.backward(cnf, chosen) == list(bits)
    from reductions.oracles import solve_subsetsum

    chosen = solve_subsetsum(ss, method="cpsat")
    assert (chosen is not None) == brute_force_sat(cnf)
    if chosen is not None:
        assert cnf.satisfied_by(red.backward(cnf, chosen))


@given(cnfs(max_vars=4, max_clauses=8))
def test_sat_pre_images_are_exactly_the_satisfying_assignments(cnf):
    """On the lattice {-1, 0, 1}^n (which holds every pre-image): G(z) = x iff z is +-1 and satisfies."""
    inst = SAT.reduce(cnf)
    for z in itertools.product([-1.0, 0.0, 1.0], repeat=cnf.num_vars):
        hit = np.array_equal(inst.network.forward(np.array(z)), inst.target)
        assert hit == (0.0 not in z and cnf.satisfied_by([v > 0 for v in z]))


def test_reduced_instances_have_integer_weights_and_record_their_source():
    cnf = random_ksat(6, 4.0, seed=1)
    for red, problem in ((SAT, cnf), (CHAIN, random_ksat(3, 2.0, seed=0)), (SS, random_subsetsum(6, 1.0, seed=0))):
        inst = red.reduce(problem)
        assert inst.network.is_integral() and inst.meta["integral_preimage"]
        again, source = reduction_from_meta(inst.meta)
        assert again.path == red.path and source == problem


def test_satlib_satisfiable(satlib_dir):
    files = sorted((satlib_dir / "uf20-91").glob("*.cnf")) + sorted((satlib_dir / "uf50-218").glob("*.cnf"))
    assert len(files) >= 10
    for path in files:
        assert_check(read_dimacs(path), SAT, name=path.name)


def test_satlib_unsatisfiable(satlib_dir):
    files = sorted((satlib_dir / "uuf50-218").glob("*.cnf"))
    assert files
    for path in files:
        c = assert_check(read_dimacs(path), SAT, name=path.name)
        assert c.oracle == "no" and c.inversion == "infeasible"


def edited(inst, edit):
    """A copy of a reduced instance with its last layer (W, b, target) edited in place by ``edit``."""
    W = inst.network.weights[-1].toarray()  # the reductions write sparse layers
    b, x = (np.array(a) for a in (inst.network.biases[-1], inst.target))
    edit(W, b, x)
    net = milpinv.ReluNetwork(list(inst.network.weights[:-1]) + [W], list(inst.network.biases[:-1]) + [b])
    return milpinv.Instance(net, x, inst.lower, inst.upper, dict(inst.meta))


class DropClauses(SatToRelu):
    """A wrong reduction: the outputs of the last third of the clauses can always reach 0."""

    def reduce(self, problem):
        k = problem.num_clauses // 3
        return edited(super().reduce(problem), lambda W, b, x: b.__setitem__(slice(-k, None), -5.0))


class TwoTrueLiterals(SatToRelu):
    """A wrong reduction: a clause output reaches 0 only with two true literals (bias 2, not 1)."""

    def reduce(self, problem):
        m = problem.num_clauses
        return edited(super().reduce(problem), lambda W, b, x: b.__setitem__(slice(-m, None), 2.0))


@pytest.mark.parametrize("wrong", [DropClauses(), TwoTrueLiterals()])
def test_a_wrong_reduction_is_caught(wrong):
    problems = [(f"s{s}", random_ksat(8, 4.5, seed=s)) for s in range(12)]
    checks = run_checks(problems, wrong, progress=False)
    assert any(not c.ok for c in checks)
    assert all(c.ok for c in run_checks(problems, SAT, progress=False))


def test_registry_composes_paths():
    g = registry()
    assert set(g.nodes) == {"3sat", "subset-sum", "relu"} and g.has_edge("3sat", "subset-sum")
    assert SAT.path == ["3sat", "relu"] and CHAIN.path == ["3sat", "subset-sum", "relu"]
    with pytest.raises(InputError, match="no reduction"):
        get_reduction("relu", "3sat")
    with pytest.raises(InputError, match="unknown problem"):
        get_reduction("4col", "relu")


def test_chain_refuses_numbers_beyond_float64():
    with pytest.raises(InputError, match="2\\^52"):
        CHAIN.reduce(random_ksat(20, 4.26, seed=0))


def test_cpsat_decides_reduced_instances_on_the_lattice():
    for s in range(6):
        cnf = random_ksat(8, 5.0, seed=s)
        r = milpinv.invert(SAT.reduce(cnf), method="milp", solver="cpsat", heuristic=False)
        assert r.status == ("optimal" if brute_force_sat(cnf) else "infeasible")


# ------------------------------------------------------------------------------------ CLI
def test_cli_reduce_solve(rcli, tmp_path, satlib_dir):
    src = sorted((satlib_dir / "uf20-91").glob("*.cnf"))[0]
    code, out, _ = rcli("reduce", src, "--to", "relu", "--out", tmp_path / "a.npz")
    assert code == 0 and "20-40-111" in out
    code, out, _ = rcli("solve", tmp_path / "a.npz")
    assert code == 0 and out.startswith("SAT")
    values = [int(t) for t in out.splitlines()[1].split()[1:-1]]
    assert read_dimacs(src).satisfied_by([v > 0 for v in values])
    unsat = sorted((satlib_dir / "uuf50-218").glob("*.cnf"))[0]
    rcli("reduce", unsat, "--out", tmp_path / "u.npz")
    code, out, _ = rcli("solve", tmp_path / "u.npz", "--json")
    assert code == 0 and json.loads(out)["answer"] == "UNSAT"


def test_cli_reduce_subsetsum_and_via(rcli, tmp_path):
    ss = SubsetSum((3, 5, 9, 14), 17)
    write_subsetsum(ss, tmp_path / "a.ss")
    rcli("reduce", tmp_path / "a.ss", "--out", tmp_path / "a.npz")
    code, out, _ = rcli("solve", tmp_path / "a.npz", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["answer"] == "YES" and ss.satisfied_by(doc["solution"])
    cnf = CNF(3, ((1, 2, -3), (-1, -2, 3), (1, -2, 3)))
    write_dimacs(cnf, tmp_path / "f.cnf")
    code, _, _ = rcli("reduce", tmp_path / "f.cnf", "--via", "subset-sum", "--out", tmp_path / "c.npz")
    assert code == 0
    code, out, _ = rcli("solve", tmp_path / "c.npz", "--json")
    doc = json.loads(out)
    assert doc["reduction"] == "3sat->subset-sum->relu" and cnf.satisfied_by(doc["solution"])
    code, out, _ = rcli("reduce", tmp_path / "f.cnf", "--to", "subset-sum", "--out", tmp_path / "f.ss")
    assert code == 0 and (tmp_path / "f.ss").read_text().startswith("c ")


def test_cli_generate_manifest_matches_oracle(rcli, tmp_path):
    code, out, _ = rcli("generate", "3sat", "--n", "8", "--ratio", "5", "--count", "6", "--out", tmp_path)
    assert code == 0
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["count"] == 6 and manifest["command"].startswith("reductions generate 3sat")
    for entry in manifest["instances"]:
        cnf = read_dimacs(tmp_path / entry["source"])
        assert entry["known_answer"] == ("feasible" if brute_force_sat(cnf) else "infeasible")
        inst = milpinv.Instance.load(tmp_path / entry["file"])
        assert reduction_from_meta(inst.meta)[1] == cnf


@pytest.mark.parametrize("problem", ["3sat", "subset-sum", "3sat-via-subset-sum"])
def test_cli_verify(rcli, problem):
    code, out, _ = rcli("verify", "--problem", problem, "--trials", "4", "--n-range", "3:4")
    assert code == 0 and "all agree" in out


@pytest.mark.parametrize(
    "content, name",
    [("p cnf 2 1\n1 5 0\n", "bad.cnf"), ("", "empty.cnf"), ("p subset-sum 2\nt 1\n", "bad.ss"), ("x", "what.txt")],
)
def test_cli_bad_input_is_one_line(rcli, tmp_path, content, name):
    (tmp_path / name).write_text(content)
    code, out, err = rcli("reduce", tmp_path / name, "--out", tmp_path / "x.npz")
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_cli_solve_rejects_plain_instances(rcli, tmp_path):
    inst = milpinv.plant_instance(milpinv.ReluNetwork.random([3, 6, 9], seed=0), seed=1)
    inst.save(tmp_path / "p.npz")
    code, _, err = rcli("solve", tmp_path / "p.npz")
    assert code == 2 and "no reduction recorded" in err


@pytest.mark.parametrize("n", [2000, 4000])
def test_large_formulas_reduce_to_sparse_layers(n):
    """3-SAT with thousands of variables (dense, n = 2000 was a 337 MB W2 and n = 4000 refused):
    CSR weights with O(n + m) nonzeros, and the forward map of a planted assignment is a pre-image."""
    from reductions.generators import planted_ksat

    cnf, assignment = planted_ksat(n, 4.26, seed=n)
    red = get_reduction("3sat", "relu")
    inst = red.reduce(cnf)
    W1, W2 = inst.network.weights
    assert W1.format == W2.format == "csr"
    assert W2.nnz <= 2 * n + 3 * cnf.num_clauses
    z = red.forward(cnf, assignment)
    assert np.array_equal(inst.network.forward(z), inst.target)
    assert red.backward(cnf, z) == list(assignment)
