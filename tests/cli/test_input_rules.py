"""The CLI's input rules of the audit: seeds, solver names, option values and flag combinations are
refused with one line and exit 2, before anything is written or any progress bar starts."""

import pytest

from milpinv import ReluNetwork, plant_instance


def one_line_error(code: int, out: str, err: str, fragment: str) -> None:
    assert code == 2, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and fragment in lines[0], err
    assert "Traceback" not in out + err


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


@pytest.mark.parametrize("spec", ["milp:solver=nosuch", "milp:solver=pyomo:nosuch", "milp:threads=0", "gd:seed=-2"])
def test_bench_refuses_bad_option_values_up_front(cli, tmp_path, spec):
    from milpinv.experiments.suites import make_suite

    suite = tmp_path / "suite"
    make_suite("expanding", suite, seeds=(0,), dims_list=([3, 9, 18],))
    one_line_error(*cli("bench", suite, "--methods", spec, "--out", tmp_path / "r.csv", "--quiet"), "")
    assert not (tmp_path / "r.csv").exists()
