"""Time limits and Ctrl-C: the best verified solution so far, never a corrupted result file.

Each engine stops on SIGINT and keeps its incumbent and bound: the branch and bound between two
nodes, HiGHS and SCIP in threads of their own (cancelled / interrupted from the main thread).
The result is ``time_limit`` with the message "interrupted (Ctrl-C)". Output files are written
atomically.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from milpinv import Instance, ReluNetwork, invert, plant_instance
from milpinv.status import TIME_LIMIT


def hard_l1_instance() -> Instance:
    """A noisy non-expanding 8-20-20-20 net: HiGHS needs far more than a minute to close the l1 gap."""
    return plant_instance(ReluNetwork.random([8, 20, 20, 20], seed=1, bias_scale=0.3), seed=2, noise=0.3)


def assert_verified_incumbent(res, inst: Instance) -> None:
    assert res.z is not None and np.all(res.z >= inst.lower) and np.all(res.z <= inst.upper)
    r = inst.network.forward(res.z) - inst.target
    assert res.objective == pytest.approx(np.abs(r).sum(), rel=1e-12)
    assert res.bound is not None and res.bound <= res.objective + 1e-9


def test_time_limit_returns_a_verified_incumbent_and_a_bound():
    inst = hard_l1_instance()
    res = invert(inst, method="milp", norm="l1", time_limit=2.0, threads=1)
    assert res.status == TIME_LIMIT
    assert_verified_incumbent(res, inst)
    assert res.gap is not None and res.gap > 0


@pytest.mark.parametrize("solver", ["bab", "highs", "ortools-scip"])
def test_ctrl_c_during_a_solve_keeps_the_verified_incumbent(solver):
    inst = hard_l1_instance()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)  # whatever a C library left behind
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        t0 = time.perf_counter()
        res = invert(
            inst,
            method="milp",
            norm="l1",
            solver=solver,
            heuristic=False,
            warm_start=np.zeros(8),
            time_limit=120,
            threads=1,
        )  # any z is an l1 incumbent: there is one to keep from the start
        elapsed = time.perf_counter() - t0
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert res.status == TIME_LIMIT and "interrupted" in res.message, res.summary()
    assert elapsed < 60  # stopped by the interrupt, not by the time limit
    if solver == "bab":
        assert_verified_incumbent(res, inst)
    else:  # a backend's own bound is not certified: kept aside, not reported
        assert res.bound is None and res.solver.get("backend_bound") is not None, res.summary()
        assert res.objective == pytest.approx(np.abs(inst.network.forward(res.z) - inst.target).sum(), rel=1e-12)


@pytest.mark.parametrize("solver", ["pyomo:appsi_highs", "ortools-scip", "highs", "bab"])
def test_a_time_limit_is_kept(solver):
    """pyomo:appsi_highs ran 591 s for 5 s (Pyomo's legacy solve() reset the limit)."""
    t0 = time.perf_counter()
    res = invert(hard_l1_instance(), method="milp", norm="l1", solver=solver, heuristic=False, time_limit=2.0)
    assert res.status in (TIME_LIMIT, "feasible"), res.summary()
    assert time.perf_counter() - t0 < 30  # the limit and its certification, with room for a loaded machine


def test_bound_tightening_keeps_to_its_share_of_the_time_limit():
    inst = plant_instance(ReluNetwork.random([20, 60, 60, 120], seed=0), seed=1, noise=0.05)
    t0 = time.perf_counter()
    res = invert(inst, method="milp", norm="l1", bounds="lp", heuristic=False, time_limit=3.0)
    assert res.solver.get("obbt_stopped_early") in (True, False)
    assert time.perf_counter() - t0 < 30, res.summary()


def test_ctrl_c_still_works_after_a_cpsat_solve():
    """CP-SAT installs its own SIGINT handler and used to leave SIG_DFL behind: a later Ctrl-C
    killed the process with no cleanup. Checked in a subprocess, which that would kill."""
    code = (
        "import os, signal, time, numpy as np\n"
        "from milpinv import Instance, ReluNetwork, invert\n"
        "net = ReluNetwork([np.ones((2, 2))], [np.zeros(2)])\n"
        "inst = Instance(net, np.ones(2), -3 * np.ones(2), 3 * np.ones(2), {})\n"
        "print(invert(inst, method='milp', solver='cpsat', heuristic=False).status)\n"
        "try:\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    time.sleep(5)\n"
        "except KeyboardInterrupt:\n"
        "    print('KeyboardInterrupt')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.split() == ["optimal", "KeyboardInterrupt"], out


def _startup_seconds() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "milpinv", "--version"], check=True, capture_output=True)
    return time.perf_counter() - t0


@pytest.mark.parametrize("out_name", ["result.json", "z.npy"])
def test_ctrl_c_on_the_cli_writes_a_complete_file(tmp_path, out_name):
    """SIGINT to ``milpinv invert --out`` mid-solve: exit 3, a complete verified file; an existing
    file is replaced whole or not at all."""
    inst = hard_l1_instance()
    inst.save(tmp_path / "hard.npz")
    out = tmp_path / out_name
    out.write_text("previous run")
    wait = 2 * _startup_seconds() + 3.0  # imports, then the heuristic's 1.5 s budget, then HiGHS
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "milpinv",
            "invert",
            str(tmp_path / "hard.npz"),
            "--method",
            "milp",
            "--norm",
            "l1",
            "--threads",
            "1",
            "--time-limit",
            "300",
            "--json",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(wait)
    assert proc.poll() is None, "the solve ended before the interrupt"
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3, (proc.returncode, stderr)
    assert "Traceback" not in stderr
    res = json.loads(stdout)
    assert res["status"] == "time_limit" and "interrupted" in res["message"]
    z = np.array(res["z"])
    r = inst.network.forward(z) - inst.target
    assert res["objective"] == pytest.approx(np.abs(r).sum(), rel=1e-12)
    if out_name.endswith(".json"):
        assert json.loads(out.read_text()) == res
    else:
        assert np.array_equal(np.load(out), z)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left behind


# the console script's entry point, and a line once Python's imports are done (a Ctrl-C during
# them is Python's own: a traceback and the signal's exit status)
LAUNCHER = (
    "import sys; from milpinv.cli.main import main; print('ready', file=sys.stderr, flush=True); sys.exit(main())"
)


@pytest.mark.parametrize("delay", [0.5, 1.0, 1.5, 2.0, 3.0])
def test_ctrl_c_on_the_cli_exits_at_once_with_the_documented_code(tmp_path, delay):
    """SIGINT to ``milpinv invert`` at any moment of its run: it aborted ("terminate called"),
    deadlocked, or was ignored until the time limit. Now it exits within seconds: 3 with the
    interrupted result once the method runs, 130 before (README's exit codes)."""
    hard_l1_instance().save(tmp_path / "hard.npz")
    args = [str(tmp_path / "hard.npz"), "--method", "milp", "--norm", "l1", "--time-limit", "60", "--json"]
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, "invert", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stderr is not None and proc.stderr.readline() == "ready\n"
        time.sleep(delay)
        assert proc.poll() is None, "the solve ended before the interrupt"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert "terminate called" not in stderr and "Traceback" not in stderr, stderr
    if proc.returncode == 130:
        assert stderr.strip().endswith("milpinv: interrupted")
    else:
        assert proc.returncode == 3, (proc.returncode, stderr)
        res = json.loads(stdout)
        assert res["status"] == "time_limit" and "interrupted (Ctrl-C)" in res["message"]


def test_an_unverified_incumbent_is_not_written_as_a_pre_image():
    from milpinv.acceptance import check_result
    from milpinv.cli.invert import answer_z
    from milpinv.result import InversionResult

    net = ReluNetwork.random([2, 5], seed=0, bias_scale=0.5)
    x, lo, hi = net.forward(np.array([0.5, -0.5])), -np.ones(2), np.ones(2)
    near = check_result(InversionResult(TIME_LIMIT, np.array([0.5, -0.49]), "milp"), net, x, lo, hi)
    assert near.status == TIME_LIMIT and near.z is not None and answer_z(near) is None
    exact = check_result(InversionResult(TIME_LIMIT, np.array([0.5, -0.5]), "milp"), net, x, lo, hi)
    assert np.array_equal(answer_z(exact), [0.5, -0.5])
    l1 = check_result(InversionResult(TIME_LIMIT, np.array([0.5, -0.49]), "milp", norm="l1"), net, x, lo, hi)
    assert answer_z(l1) is not None  # an l1 incumbent is an answer with its true residual


def test_ctrl_c_stops_the_preimage_analysis():
    """Audit: a Ctrl-C stopped only the running solve; the analysis went on and reported ranges
    loosened by the stop as if complete. Now it ends with KeyboardInterrupt (the CLI's exit 130)."""
    from milpinv.analysis.preimage import PreimageOptions, analyse_preimage
    from milpinv.problem import Box

    inst = plant_instance(ReluNetwork.random([10, 30, 30, 60], seed=0), seed=1)  # minutes of certified proofs
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    t0 = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            analyse_preimage(inst.network, inst.target, Box(inst.lower, inst.upper), PreimageOptions(convexity=False))
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert time.perf_counter() - t0 < 30
