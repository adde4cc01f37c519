"""The parallel branch and bound (milpinv.engine.parallel): the serial search's verdicts and
certified bounds, whatever the workers and the rules (worker threads: many instances; worker
processes and a Dask cluster: the transport); a worker that dies loses no node; a stopped search
leaves no worker running."""

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from functools import partial

import numpy as np
import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from milpinv import Instance, ReluNetwork, Status, invert, plant_instance
from milpinv.deadline import Deadline
from milpinv.engine.bab import Setup
from milpinv.engine.parallel import (
    OpenNodes,
    ProcessWorkers,
    Rules,
    Spread,
    Tree,
    dask,
    processes,
    search_subtree,
)
from tests.cli.test_interrupt import assert_verified_incumbent, hard_l1_instance
from tests.engine.tiny import HIGHS, Case, assert_same_answer, random_case
from tests.helpers import brute_force

PROOFS = (Status.OPTIMAL, Status.INFEASIBLE)


class ThreadWorkers:
    """Workers as threads of this process: the parallel search's rules and certificates without
    its transport (fast enough for hundreds of instances)."""

    def __init__(self, count: int, tree: Tree) -> None:
        self.count, self.tree, self.pool = count, tree, ThreadPoolExecutor(count)

    def submit(self, task):
        return self.pool.submit(search_subtree, task, self.tree)

    def wait(self, futures, timeout):
        return list(wait(futures, timeout, FIRST_COMPLETED).done)

    def result(self, future):
        return future.result()

    def stop(self):
        pass

    def close(self):
        self.pool.shutdown(wait=True)


def in_parallel(case: Case, spread: Spread, **kw):
    return spread.search(case.formulation(), case.judge, Deadline(None), Setup(HIGHS), **kw)


def agree(case: Case, serial, parallel, brute: bool = True) -> None:
    """Same verdict and bound; a proof agrees with the brute force over the activation regions
    (``brute``: else with the serial search's)."""
    assert_same_answer(parallel, serial)
    if parallel.status not in PROOFS or (case.norm == "exact" and not brute):  # any pre-image will do
        return
    if not brute:
        assert parallel.objective == pytest.approx(serial.objective, abs=1e-7)
        assert parallel.bound == pytest.approx(serial.bound, abs=1e-7)
        return
    truth = brute_force(case.net, np.array(case.x), case.norm, *case.box)
    if case.norm == "exact":
        assert (truth is not None) == (parallel.status == Status.OPTIMAL)
        return
    assert parallel.objective == pytest.approx(truth, abs=1e-7)
    assert truth - 1e-7 <= parallel.bound <= truth + 1e-12  # certified: never above the optimum
    assert parallel.bound == pytest.approx(serial.bound, abs=1e-7)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    dims=st.sampled_from([(2, 3, 3, 2), (2, 4, 4, 2), (3, 6, 5, 2)]),
    norm=st.sampled_from(["exact", "l1", "linf"]),
    noise=st.sampled_from([0.0, 0.05, 0.3]),
    workers=st.integers(1, 4),
    ramp=st.integers(1, 3),
    budget=st.integers(1, 6),
)
def test_parallel_and_serial_agree_on_verdict_and_bound(seed, dims, norm, noise, workers, ramp, budget):
    """Random networks, tiny ramp-ups and budgets (every subtree is handed back and split again):
    the verdict and the certified bound of the serial search, and of the brute force on the
    smallest networks (2-3-3-2)."""
    case = random_case(seed, norm, dims, noise)
    out = in_parallel(case, Spread(partial(ThreadWorkers, workers), Rules(workers, ramp, budget)))
    agree(case, case.search(), out.search, brute=dims == (2, 3, 3, 2))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), norm=st.sampled_from(["exact", "l1"]), limit=st.integers(1, 30))
def test_a_node_limit_is_kept_and_its_bound_is_certified(seed, norm, limit):
    case = random_case(seed, norm, (2, 4, 4, 2))
    out = in_parallel(case, Spread(partial(ThreadWorkers, 3), Rules(3, 1, 2)), node_limit=limit).search
    assert out.nodes <= limit
    if out.status == Status.TIME_LIMIT and out.bound is not None:
        assert out.bound <= brute_force(case.net, np.array(case.x), norm, *case.box) + 1e-12


def test_the_pool_hands_out_the_best_node_within_the_node_budget():
    from types import SimpleNamespace as N

    pool = OpenNodes([N(bound=b, depth=d) for b, d in ((2.0, 1), (1.0, 5), (1.0, 3), (3.0, 0))])
    out = Rules(workers=4, budget=10).hand_out(pool, busy=1, nodes_left=25)
    assert [(n.bound, n.depth, budget) for n, budget in out] == [(1.0, 3, 10), (1.0, 5, 10), (2.0, 1, 5)]
    assert len(pool) == 1 and Rules(workers=2).ramped(pool) is False and Rules(workers=1, ramp=1).ramped(pool)


def hard_instance():
    """A noisy target of a 4-12-12-6 network: 121 nodes to prove it unrealizable, 157 for its l1
    optimum (serially)."""
    return plant_instance(ReluNetwork.random([4, 12, 12, 6], seed=2, output_activation="linear"), seed=2, noise=0.05)


def unrealizable_instance():
    """A planted 12-24-24-24 target, its positive entries scaled by 1 + 0.01 N(0, 1): no pre-image,
    about 1,500 nodes to prove it (``benchmarks/milp_vs_peers.py``'s unrealizable seed 1)."""
    inst = plant_instance(ReluNetwork.random([12, 24, 24, 24], seed=1), seed=16_001, box=3.0)
    x = inst.target.copy()
    assert np.count_nonzero(x > 0) > 12
    x[x > 0] *= np.maximum(1.0 + 0.01 * np.random.default_rng(20_001).normal(size=np.count_nonzero(x > 0)), 0.5)
    return Instance(inst.network, x, inst.lower, inst.upper)


def die_once(marker: str, task, tree=None):
    """A worker that kills its own process on the first subtree it gets (in all the workers)."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return search_subtree(task, tree)
    os._exit(1)


def test_a_worker_that_dies_loses_no_node(tmp_path):
    """The process pool breaks; the subtrees out go back to the pool, a new pool searches them,
    and the verdict and bound are the serial search's."""
    case = random_case(5, "l1", (2, 5, 5, 2))

    def dying(tree):
        workers = ProcessWorkers(2, tree)
        workers.task = partial(die_once, str(tmp_path / "died"))
        return workers

    out = in_parallel(case, Spread(dying, Rules(2, 1, 3)))
    assert out.lost >= 1 and (tmp_path / "died").exists()
    agree(case, case.search(), out.search)
    assert multiprocessing.active_children() == []


SERVICES = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")  # idle, they end with this process


def left_running() -> list:
    """This process's children apart from multiprocessing's own fork server and resource tracker."""
    children = psutil.Process().children(recursive=True)
    return [p for p in children if not any(s in " ".join(p.cmdline()) for s in SERVICES)]


@pytest.mark.parametrize("norm", ["exact", "l1"])
def test_worker_processes_agree_and_a_time_limit_stops_them_all(norm):
    """threads=2 through invert: the serial verdict; then a limit long before the end: a
    time_limit answer (its bound certified) and no worker left."""
    inst = hard_instance()
    serial = invert(inst, method="milp", norm=norm, threads=1)
    both = invert(inst, method="milp", norm=norm, threads=2)
    assert both.status == serial.status and both.solver["workers"] >= 1, both.summary()
    if norm == "l1":
        assert both.bound == pytest.approx(serial.bound, rel=1e-6)
    assert left_running() == []
    hard = unrealizable_instance() if norm == "exact" else hard_l1_instance()  # minutes, not 0.5 s, on any machine
    stopped = invert(hard, method="milp", norm=norm, threads=2, time_limit=0.3, heuristic=False)
    assert stopped.status in (Status.TIME_LIMIT, Status.FEASIBLE, Status.FAILED), stopped.summary()
    if stopped.z is not None and norm == "l1":
        assert_verified_incumbent(stopped, hard)
    assert left_running() == [] and multiprocessing.active_children() == []


def test_a_dask_cluster_searches_the_same_tree_and_a_dead_worker_loses_no_node(tmp_path):
    """A Dask worker process dies on its first subtree: Dask hands the subtree out again (or gives
    it back, and the pool does); the verdict and bound are the serial search's."""
    distributed = pytest.importorskip("distributed")
    from milpinv.engine.parallel import DaskWorkers

    case = random_case(11, "linf", (2, 5, 5, 2))

    def dying(tree):
        workers = DaskWorkers(client, tree)
        workers.task = partial(die_once, str(tmp_path / "died"))
        return workers

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None)
    with cluster, distributed.Client(cluster) as client:
        out = in_parallel(case, dask(client, Rules(1, 1, 3)))
        agree(case, case.search(), out.search)
        assert out.tasks >= 1
        died = in_parallel(case, Spread(dying, Rules(1, 1, 3)))
    assert (tmp_path / "died").exists()
    agree(case, case.search(), died.search)


def test_progress_says_how_many_workers_are_busy():
    seen = []
    case = random_case(4, "l1", (2, 5, 5, 2))
    setup = Setup(HIGHS, progress=seen.append)
    Spread(partial(ThreadWorkers, 3), Rules(3, 1, 2)).search(case.formulation(), case.judge, Deadline(None), setup)
    assert seen and all(p.workers is not None and 0 <= p.workers[0] <= p.workers[1] == 3 for p in seen)
    assert any(p.workers[0] > 0 for p in seen) and seen[-1].nodes >= seen[0].nodes


def test_processes_is_a_pool_of_that_many_workers():
    case = random_case(3, "exact", (2, 5, 5, 3), 0.1)
    out = in_parallel(case, processes(2, Rules(2, 1, 2)))
    agree(case, case.search(), out.search)
    assert multiprocessing.active_children() == []


def test_ctrl_c_stops_every_worker_and_keeps_the_verified_incumbent():
    """A SIGINT to the parent alone: the parent's stop reaches the workers (they search no further
    and hand their nodes back), the answer is time_limit with a verified incumbent and a certified
    bound, and no worker is left."""
    import signal
    import threading

    inst = hard_l1_instance()
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(3.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        res = invert(inst, method="milp", norm="l1", heuristic=False, warm_start=np.zeros(8), time_limit=120, threads=2)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert res.status == Status.TIME_LIMIT and "interrupted" in res.message, res.summary()
    assert_verified_incumbent(res, inst)
    assert left_running() == [] and multiprocessing.active_children() == []


def test_a_scheduler_is_for_the_branch_and_bound_and_an_address(cli, tmp_path):
    """--scheduler: refused with a backend, or empty; one line and exit 2."""
    from helpers import one_line_error

    plant_instance(ReluNetwork.random([3, 5, 4], seed=0), seed=1).save(tmp_path / "inst.npz")
    inst = tmp_path / "inst.npz"
    one_line_error(
        *cli("invert", inst, "--method", "milp", "--solver", "highs", "--scheduler", "tcp://h:1"), "scheduler"
    )
    one_line_error(*cli("invert", inst, "--method", "milp", "--scheduler", " "), "scheduler")
