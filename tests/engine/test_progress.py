"""Progress of a search (issue 21): the engine reports after every node, verbose prints it on
stderr (nodes 1, 2, 4, 8, ... and once a second), and the CLI's summary line shows the bound."""

import io

import numpy as np

from milpinv import Instance, invert
from milpinv.engine.bab import Setup
from milpinv.engine.progress import Progress, ProgressLog
from tests.engine.tiny import BRANCHING_L1, HIGHS


def test_the_engine_reports_every_node_with_a_bound_below_the_incumbent():
    seen: list[Progress] = []
    found = BRANCHING_L1.search(Setup(HIGHS, progress=seen.append))
    assert [p.nodes for p in seen] == list(range(1, found.nodes + 1)) and found.nodes >= 8
    assert seen[-1].open == 0 and all(p.elapsed >= 0 for p in seen)
    for p in seen:
        assert p.bound is None or p.incumbent is None or p.bound <= p.incumbent
    assert seen[-1].bound == found.bound and seen[-1].incumbent == found.objective


def test_the_log_prints_at_powers_of_two_of_the_node_count():
    out = io.StringIO()
    log = ProgressLog(out, every=float("inf"))  # no line by the clock
    for n in range(1, 20):
        log(Progress(n, 3, 0.5, 0.25, 0.01 * n))
    lines = out.getvalue().splitlines()
    assert [line.split()[2] for line in lines] == ["1", "2", "4", "8", "16"]
    assert "incumbent 0.5  bound 0.25  gap 50%" in lines[0]


def test_invert_verbose_prints_the_search_on_stderr(capsys):
    case = BRANCHING_L1
    quiet = invert(case.net, case.x, box=1.0, method="milp", norm="linf", solver="bab", heuristic=False)
    assert capsys.readouterr().err == ""
    loud = invert(case.net, case.x, box=1.0, method="milp", norm="linf", solver="bab", heuristic=False, verbose=True)
    err = capsys.readouterr().err
    assert loud.solver["nodes"] == quiet.solver["nodes"] >= 8
    for n in (1, 2, 4, 8):
        assert f"bab: nodes {n}  open" in err
    assert "incumbent" in err and "bound" in err and "gap" in err


def test_the_cli_prints_progress_with_verbose_and_the_bound_in_its_summary(tmp_path, cli):
    case = BRANCHING_L1
    Instance(case.net, np.array(case.x), *case.box).save(tmp_path / "inst.npz")
    args = ("invert", tmp_path / "inst.npz", "--method", "milp", "--norm", "linf", "--solver", "bab")
    code, out, err = cli(*args, "--verbose")
    assert code == 0 and "bound=" in out and "objective=" in out, out
    assert "bab: nodes 1  open" in err
    code, out, err = cli(*args)
    assert code == 0 and "bound=" in out and err == ""


def test_the_highs_backend_logs_to_stderr_with_verbose(capfd):
    """verbose maps to HiGHS's output_flag; its log goes to stderr, stdout stays for the result."""
    case = BRANCHING_L1
    invert(case.net, case.x, box=1.0, method="milp", norm="linf", solver="highs", heuristic=False, verbose=True)
    out, err = capfd.readouterr()
    assert out == "" and "Solving report" in err
