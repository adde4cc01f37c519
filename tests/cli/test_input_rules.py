"""The CLI's input rules of the audit: seeds, solver names, option values and flag combinations are
refused with one line and exit 2, before anything is written or any progress bar starts."""

import json

import numpy as np
import pytest
from helpers import one_line_error

from milpinv import Instance, ReluNetwork, plant_instance


@pytest.fixture
def inst(tmp_path):
    path = tmp_path / "inst.npz"
    plant_instance(ReluNetwork.random([3, 6, 8], seed=0), seed=1).save(path)
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["random-net", "--dims", "2,3", "--out", "OUT"],
        ["make-instance", "INST", "--out", "OUT"],
        ["invert", "INST", "--method", "gd", "--out", "OUT"],
        ["demo"],
        ["make-tier", "sat", "--target-seconds", "1:2", "--out", "OUT"],
    ],
)
def test_a_negative_seed_is_one_line(cli, inst, tmp_path, command):
    files = {"INST": inst, "OUT": tmp_path / "out"}
    one_line_error(*cli(*[files.get(a, a) for a in command], "--seed", "-1"), "--seed")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["generate", "3sat", "--n", "4", "--out", "g"], ["verify"]])
def test_a_negative_seed_is_one_line_in_reductions(rcli, tmp_path, command):
    args = [tmp_path / a if a == "g" else a for a in command]
    one_line_error(*rcli(*args, "--seed", "-1"), "--seed")


@pytest.mark.parametrize("norm", ["exact", "l1"])
def test_an_unavailable_pyomo_solver_is_one_line(cli, inst, norm):
    """l1: a Pyomo WARNING and traceback came first; exact: the name was accepted (exit 0)."""
    one_line_error(*cli("invert", inst, "--solver", "pyomo:nosuch", "--norm", norm), "nosuch")


@pytest.mark.parametrize(
    "spec", ["milp:solver=nosuch", "milp:solver=pyomo:nosuch", "milp:threads=0", "milp:threads=10000", "gd:seed=-2"]
)
def test_bench_refuses_bad_option_values_up_front(cli, tmp_path, spec):
    from milpinv.experiments.suites import make_suite

    suite = tmp_path / "suite"
    make_suite("expanding", suite, seeds=(0,), dims_list=([3, 9, 18],))
    one_line_error(*cli("bench", suite, "--methods", spec, "--out", tmp_path / "r.csv", "--quiet"), "")
    assert not (tmp_path / "r.csv").exists()


def test_result_file_without_vnnlib_names_the_real_problem(cli, tmp_path):
    ReluNetwork.random([2, 4], seed=0).to_onnx(tmp_path / "small.onnx")
    code, out, err = cli("invert", tmp_path / "small.onnx", "--target", tmp_path / "x.npy", "--result-file", "r.txt")
    one_line_error(code, out, err, "--result-file: only with --vnnlib")


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--method", "gd", "--solver", "highs"], "--solver: not with --method gd"),
        (["--method", "gd", "--threads", "4"], "--threads: not with --method gd"),
        (["--method", "layerwise", "--bounds", "lp"], "--bounds: not with --method layerwise"),
        (["--method", "milp", "--seed", "3"], "--seed: not with --method milp"),
        (["--method", "gd", "--branching", "latent4/deep/out/lean"], "--branching: not with --method gd"),
        (["--method", "milp", "--branching", "deep/nonsense"], "branching: unknown rule 'deep/nonsense'"),
    ],
)
def test_a_flag_the_method_does_not_take_is_refused(cli, inst, flags, fragment):
    one_line_error(*cli("invert", inst, *flags), fragment)


def test_the_branching_rule_is_a_flag(cli, tmp_path):
    """`--branching` reaches milpinv's branch and bound: a latent-splitting rule proves the same l1
    optimum as the default on a noisy target."""
    inst = plant_instance(ReluNetwork.random([3, 8, 6], seed=2), seed=1, noise=0.3)
    inst.save(tmp_path / "n.npz")
    answers = []
    for rule in ("deep/out/lean", "latent2/deep/out/lean"):
        flags = ("--method", "milp", "--norm", "l1", "--branching", rule, "--json")
        code, out, err = cli("invert", tmp_path / "n.npz", *flags)
        assert code == 0, err
        answers.append(json.loads(out))
    assert [a["status"] for a in answers] == ["optimal", "optimal"]
    assert answers[1]["objective"] == pytest.approx(answers[0]["objective"], rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("fmt, norm", [("vnnlib", "exact"), ("mps", "exact"), ("mps", "linf")])
def test_export_radius_only_with_a_linf_query(cli, inst, tmp_path, fmt, norm):
    out = tmp_path / ("q" if fmt == "vnnlib" else "m.mps")
    one_line_error(*cli("export", inst, "--format", fmt, "--norm", norm, "--radius", "0.1", "--out", out), "--radius")
    assert not out.exists()


def test_a_bad_generator_parameter_comes_before_any_progress_bar(rcli, tmp_path):
    one_line_error(*rcli("generate", "3sat", "--n", "2", "--k", "3", "--count", "1", "--out", tmp_path / "g"), "n >= k")


def test_regenerating_a_suite_removes_its_stale_sources(rcli, tmp_path):
    suite = tmp_path / "g"
    assert rcli("generate", "3sat", "--n", "4", "--count", "2", "--out", suite)[0] == 0
    assert rcli("generate", "3sat", "--n", "5", "--count", "1", "--out", suite)[0] == 0
    assert sorted(p.name for p in suite.iterdir()) == ["3sat_n5_s0.cnf", "3sat_n5_s0.npz", "manifest.json"]


@pytest.mark.parametrize(
    "command, fragment",
    [
        (["random-net", "--dims", "2,3", "--out", "r.txt"], ".npz"),
        (["make-instance", "INST", "--out", "i.npy"], ".npz"),
        (["invert", "INST", "--out", "z.txt"], ".npy"),
    ],
)
def test_an_output_name_must_match_its_format(cli, inst, tmp_path, command, fragment):
    args = [inst if a == "INST" else a for a in command]
    args[-1] = tmp_path / args[-1]
    one_line_error(*cli(*args), fragment)
    assert not args[-1].exists()


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--to", "subset-sum", "--out", "r.npz"], ".ss"),
        (["--to", "subset-sum", "--via", "subset-sum", "--out", "r.ss"], "--via"),
    ],
)
def test_reduce_refuses_mismatched_outputs(rcli, tmp_path, flags, fragment):
    (tmp_path / "ok.cnf").write_text("p cnf 3 1\n1 2 3 0\n")
    flags = [*flags[:-1], tmp_path / flags[-1]]
    one_line_error(*rcli("reduce", tmp_path / "ok.cnf", *flags), fragment)
    assert not flags[-1].exists()


def test_huge_weights_name_the_field(cli, tmp_path):
    path = tmp_path / "huge.npz"
    np.savez(
        path,
        W0=np.array([[1e300, 1.0]]),
        b0=np.zeros(1),
        target=np.ones(1),
        latent_lower=-np.ones(2),
        latent_upper=np.ones(2),
    )
    one_line_error(*cli("invert", path, "--norm", "l1"), "W0: values up to 1e+300")


def test_a_pyomo_time_limit_prints_no_pyomo_warning(tmp_path, capfd):
    """appsi_highs at a time limit: Pyomo warned 'Loading a SolverResults object with an aborted status'."""
    from milpinv.cli.main import main

    path = tmp_path / "noisy.npz"
    plant_instance(ReluNetwork.random([8, 20, 20, 20], seed=0), seed=1, noise=0.1).save(path)
    args = ["invert", str(path), "--method", "milp", "--norm", "l1", "--solver", "pyomo:appsi_highs"]
    code = main([*args, "--time-limit", "1"])
    err = capfd.readouterr().err
    assert code == 3 and "WARNING" not in err and "aborted" not in err, err


def test_a_closed_stdout_is_a_quiet_exit(tmp_path):
    """Audit: `milpinv invert x.npz --json | head -c 10` sometimes printed
    "milpinv: error: BrokenPipeError" (exit 2). A reader that closed the pipe gets exit 141
    (128 + SIGPIPE) and nothing on stderr."""
    import os
    import subprocess
    import sys

    path = tmp_path / "abs.npz"
    Instance(ReluNetwork([np.array([[1.0], [-1.0]]), np.array([[1.0, 1.0]])], [np.zeros(2), np.zeros(1)]),
             np.array([1.0]), -2 * np.ones(1), 2 * np.ones(1)).save(path)  # fmt: skip
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte
    try:
        code = "import sys; from milpinv.cli.main import main; sys.exit(main(sys.argv[1:]))"
        done = subprocess.run([sys.executable, "-c", code, "invert", str(path), "--json"], stdout=write,
                              stderr=subprocess.PIPE, timeout=120)  # fmt: skip
    finally:
        os.close(write)
    assert done.returncode == 141 and done.stderr == b"", done.stderr


@pytest.mark.parametrize(
    "command, fragment",
    [
        (["invert", "INST", "--threads", "10000", "--time-limit", "5"], "--threads: expected an integer in 1..256"),
        (["invert", "INST", "--threads", "100000"], "--threads: expected an integer in 1..256"),
        (["invert", "INST", "--method", "gd", "--seed", str(2**70)], "--seed: expected an integer in 0.."),
        (["preimage", "INST", "--max-pieces", str(10**12)], "--max-pieces: expected an integer in 1.."),
        (["preimage", "INST", "--max-unstable", "0"], "--max-unstable: expected an integer in 1.."),
        (["make-instance", "INST", "--avgpool", str(10**10), "--out", "OUT"], "--avgpool: expected an integer in 1.."),
        (["make-instance", "INST", "--measure-rows", "10000000", "--out", "OUT"], "--measure-rows: 10000000 rows"),
        (["bench", "INST", "--jobs", "100000"], "--jobs: expected an integer in 1..256"),
    ],
)
def test_every_integer_flag_has_a_range(cli, inst, tmp_path, command, fragment):
    """Audit: `--threads 10000 --time-limit 5` ran 87 s, 100,000 never ended; every integer flag is
    range-checked by the parser, one line and exit 2."""
    files = {"INST": inst, "OUT": tmp_path / "out.npz"}
    one_line_error(*cli(*[files.get(a, a) for a in command]), fragment)
