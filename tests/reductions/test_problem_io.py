"""DIMACS and subset-sum files, generators and the independent oracles."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from milpinv.errors import InputError
from reductions.dimacs import format_dimacs, parse_dimacs, read_dimacs
from reductions.generators import planted_ksat, random_ksat, random_subsetsum
from reductions.oracles import solve_cnf, solve_subsetsum
from reductions.problems import CNF, SubsetSum
from reductions.subsetsum_io import format_subsetsum, parse_subsetsum


@st.composite
def cnfs(draw, max_vars=8, max_clauses=20):
    n = draw(st.integers(1, max_vars))
    lit = st.integers(1, n).flatmap(lambda v: st.sampled_from([v, -v]))
    clauses = draw(st.lists(st.lists(lit, min_size=1, max_size=3), min_size=1, max_size=max_clauses))
    return CNF(n, tuple(tuple(c) for c in clauses))


def brute_force_sat(cnf: CNF) -> bool:
    return any(cnf.satisfied_by(bits) for bits in itertools.product([False, True], repeat=cnf.num_vars))


@given(cnfs())
def test_dimacs_round_trip(cnf):
    assert parse_dimacs(format_dimacs(cnf, comment="a\nb")) == cnf


def test_satlib_style_file_with_percent_marker():
    text = "c SATLIB\nc more\np cnf 3 2\n 1 -2\n 3 0\n-1 2 0\n%\n0\n\n"
    cnf = parse_dimacs(text)
    assert cnf.num_vars == 3 and cnf.clauses == ((1, -2, 3), (-1, 2))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty file"),
        ("c only comments\n", "no 'p cnf' header"),
        ("p cnf 2 1\n1 3 0\n", "exceeds the 2 variables"),
        ("p cnf 2 2\n1 2 0\n", "declares 2 clauses but the file has 1"),
        ("p cnf 2 1\n0\n", "empty clause"),
        ("p cnf 2 1\n1 x 0\n", "'x' is not an integer"),
        ("p cnf 2 1\n1 2\n", "missing its terminating 0"),
        ("p cnf two 1\n", "header counts must be integers"),
        ("p dnf 2 1\n", "malformed header"),
        ("1 2 0\np cnf 2 1\n", "clause before"),
        ("p cnf 2 1\np cnf 2 1\n1 0\n", "second 'p' header"),
    ],
)
def test_malformed_dimacs(text, fragment):
    with pytest.raises(InputError, match=fragment):
        parse_dimacs(text)


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError):
        read_dimacs(tmp_path / "missing.cnf")
    (tmp_path / "bin.cnf").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InputError, match="not a text file"):
        read_dimacs(tmp_path / "bin.cnf")


@given(st.lists(st.integers(0, 10**30), min_size=1, max_size=12), st.integers(0, 10**31))
def test_subsetsum_round_trip(weights, target):
    ss = SubsetSum(tuple(weights), target)
    assert parse_subsetsum(format_subsetsum(ss, comment="x")) == ss


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "empty file"),
        ("p subset-sum 2\nt 3\n1\n", "declares 2 weights but the file has 1"),
        ("p subset-sum 2\n1 2\n", "weights before"),
        ("p subset-sum 2\nt -3\n1 2\n", "negative"),
        ("p subset-sum 2\nt 3\n1 two\n", "not an integer"),
        ("p subset-sum\n", "malformed header"),
        ("p subset-sum 1\n5\n", "weights before"),
    ],
)
def test_malformed_subsetsum(text, fragment):
    with pytest.raises(InputError, match=fragment):
        parse_subsetsum(text)


@given(cnfs())
def test_cdcl_oracle_agrees_with_brute_force(cnf):
    assignment = solve_cnf(cnf)
    assert (assignment is not None) == brute_force_sat(cnf)
    if assignment is not None:
        assert cnf.satisfied_by(assignment)


@given(st.lists(st.integers(0, 60), min_size=1, max_size=10), st.integers(0, 300))
def test_subsetsum_oracles_agree_with_brute_force(weights, target):
    ss = SubsetSum(tuple(weights), target)
    truth = any(ss.satisfied_by(c) for c in itertools.product([False, True], repeat=ss.n))
    for method in ("dp", "cpsat"):
        chosen = solve_subsetsum(ss, method=method)
        assert (chosen is not None) == truth
        assert chosen is None or ss.satisfied_by(chosen)


def test_generators_are_seeded_and_shaped():
    a, b = random_ksat(20, 4.26, seed=3), random_ksat(20, 4.26, seed=3)
    assert a == b and a.num_clauses == round(4.26 * 20) and all(len(set(map(abs, c))) == 3 for c in a.clauses)
    assert random_ksat(20, 4.26, seed=4) != a
    cnf, hidden = planted_ksat(30, 6.0, seed=1)
    assert cnf.satisfied_by(hidden)
    ss = random_subsetsum(10, 1.0, seed=2, planted=True)
    assert ss.n == 10 and max(ss.weights) <= 2**10 and solve_subsetsum(ss) is not None
    with pytest.raises(InputError, match="62-bit"):
        random_subsetsum(70, 1.0)
    with pytest.raises(InputError):
        random_ksat(2, 4.0, k=3)
