"""Bad input found by the soundness review: one clear line and exit 2, never a traceback, never a
half file; and the smaller contract breaches (an unknown solver accepted, a crash counted as a
non-answer, a stale output left behind)."""

import json

import numpy as np
import pytest
from helpers import one_line_error

from milpinv import Instance, ReluNetwork, plant_instance
from milpinv.experiments.suites import make_suite


@pytest.fixture
def files(tmp_path):
    net = ReluNetwork.random([3, 5, 4], seed=0)
    inst = plant_instance(net, seed=1)
    inst.save(tmp_path / "inst.npz")
    net.to_onnx(tmp_path / "net.onnx")
    np.save(tmp_path / "x.npy", inst.target)
    (tmp_path / "fake.npz").write_bytes((tmp_path / "x.npy").read_bytes())  # a .npy renamed .npz
    (tmp_path / "text.npz").write_text("hello\n")
    return tmp_path


@pytest.mark.parametrize("command", [["invert"], ["export", "--out", "m.mps"], ["preimage"]])
def test_an_npy_renamed_npz_is_one_line(cli, files, command):
    code, out, err = cli(command[0], files / "fake.npz", *command[1:])
    one_line_error(code, out, err, "holds a single array")


def test_reductions_solve_on_an_npy_renamed_npz(rcli, files):
    one_line_error(*rcli("solve", files / "fake.npz"), "holds a single array")


def test_a_text_file_named_npz_is_not_called_pickled_data(cli, files):
    code, out, err = cli("invert", files / "text.npz")
    one_line_error(code, out, err, "not an .npz archive")
    assert "pickle" not in err


def test_an_npz_target_for_an_onnx_model(cli, files):
    one_line_error(*cli("invert", files / "net.onnx", "--target", files / "inst.npz"), "is an .npz archive")


def test_a_row_without_coefficients_exports_and_solves(cli, files):
    """An output row of zeros: Pyomo raised InvalidConstraintError on export and every pyomo:* solve."""
    net = ReluNetwork([np.eye(2), np.array([[1.0, 1.0], [0.0, 0.0]])], [np.zeros(2), np.zeros(2)])
    for target, answer in (([1.0, 0.0], "optimal"), ([1.0, 0.5], "infeasible")):
        path = files / "zero.npz"
        Instance(net, np.array(target), -np.ones(2), np.ones(2)).save(path)
        code, out, err = cli("export", path, "--out", files / "zero.mps")
        assert code == 0 and "wrote" in out, err
        code, out, err = cli("invert", path, "--method", "milp", "--solver", "pyomo:appsi_highs", "--json")
        assert code == 0 and json.loads(out)["status"] == answer, err


def test_overflowing_weights_are_one_line_without_warnings(cli, files, recwarn):
    path = files / "huge.npz"
    arrays = {
        "W0": np.full((3, 2), 1e300),
        "b0": np.zeros(3),
        "W1": np.full((2, 3), 1e300),
        "b1": np.zeros(2),
        "target": np.ones(2),
        "latent_lower": -np.ones(2),
        "latent_upper": np.ones(2),
    }
    np.savez(path, **arrays)
    one_line_error(*cli("invert", path), "W0: values up to 1e+300 exceed the limit")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_boolean_target_is_refused(cli, files):
    path = files / "bool.npz"
    np.savez(
        path,
        W0=np.ones((3, 2)),
        b0=np.zeros(3),
        target=np.array([True, False, True]),
        latent_lower=-np.ones(2),
        latent_upper=np.ones(2),
    )
    one_line_error(*cli("invert", path), "expected numbers")


def test_an_unknown_solver_is_refused_even_when_the_heuristic_answers_first(cli, files):
    one_line_error(
        *cli("invert", files / "inst.npz", "--method", "milp", "--solver", "gurobi-direct"), "unknown backend"
    )


def test_cpsat_refuses_float_weights_before_the_heuristic_answers(cli, files):
    one_line_error(
        *cli("invert", files / "inst.npz", "--method", "milp", "--solver", "cpsat"), "integer-weight instances only"
    )


@pytest.mark.parametrize(
    "args", [["invert"], ["invert", "x.npz", "--norm", "l3"], ["make-suite", "nosuch", "--out", "d"]]
)
def test_argparse_errors_are_one_line(cli, args):
    code, out, err = cli(*args)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "usage" not in err, err


def test_make_suite_errors_are_one_line(cli, tmp_path):
    one_line_error(*cli("make-suite", "sat", "--out", tmp_path / "s", "--param", "ns=abc"), "--param ns")


def test_a_stale_out_file_is_removed_when_there_is_no_new_z(cli, files):
    net = ReluNetwork.random([3, 5, 4], seed=0)
    far = Instance(net, net.forward(np.zeros(3)) + 100.0, -np.ones(3), np.ones(3))
    far.save(files / "far.npz")
    out = files / "z.npy"
    np.save(out, np.zeros(3))
    code, stdout, err = cli("invert", files / "far.npz", "--method", "milp", "--out", out)
    assert code == 0 and "status=infeasible" in stdout and not out.exists() and "removed" in err


def test_bench_counts_a_crash_as_an_error_and_exits_1(cli, tmp_path):
    suite = tmp_path / "suite"
    make_suite("expanding", suite, seeds=(0,), dims_list=([3, 9, 18],))
    (suite / "net_3-9-18_s0.npz").write_text("not an archive any more")
    code, out, _ = cli("bench", suite, "--methods", "layerwise", "--jobs", "1", "--out", tmp_path / "r.csv", "--quiet")
    assert code == 1 and "ERROR: net_3-9-18_s0.npz" in out


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("p cnf 2 1\n\uff11 2 0\n", "not an integer literal"),
        ("p cnf \uff12 1\n1 2 0\n", "must be integers"),
        ("p cnf 0 0\n", "no variables"),
    ],
)
def test_dimacs_reads_ascii_integers_and_names_the_file(rcli, tmp_path, text, fragment):
    path = tmp_path / "f.cnf"
    path.write_text(text)
    code, out, err = rcli("reduce", path, "--out", tmp_path / "f.npz")
    one_line_error(code, out, err, fragment)
    assert "f.cnf" in err


def test_a_fractional_literal_is_refused_not_truncated():
    from milpinv.errors import InputError
    from reductions.problems import CNF, SubsetSum

    with pytest.raises(InputError, match="not an integer"):
        CNF(2, ((1.7, 2),))
    with pytest.raises(InputError, match="not an integer"):
        SubsetSum((1.5, 2), 3)
    assert CNF(2, ((1.0, -2),)).clauses == ((1, -2),)
