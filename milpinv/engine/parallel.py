"""One proof on many processes: the branch and bound of :mod:`.bab` over worker processes of this
machine (``threads=N``) or the workers of a Dask cluster (``scheduler=ADDRESS``).

The rules (:class:`Rules` and :class:`OpenNodes`; ``benchmarks/parallel_bab.py`` simulates many
workers with the same ones):

1. **ramp-up**: the parent searches the tree itself, one node at a time, best first (the lowest
   certified bound, then the shallowest, then the oldest), until the pool holds ``ramp`` (1) open
   nodes per worker (or the tree is done);
2. **hand-out**: an idle worker gets the pool's best open node with the incumbent, a budget of
   nodes (256 / workers, at least 8: more workers, finer splits) and the time left; it runs the
   serial depth-first search of :mod:`.bab` on that subtree (its node LPs, its certificates and
   their exact checks: all in the worker);
3. **hand-back**: a worker whose budget is spent returns the open nodes of its subtree to the pool
   (a long subtree is so split among the workers), with its best point and the least certified
   bound of the leaves it pruned;
4. the parent keeps the incumbent (handed out with every subtree) and the certified bound: the
   least over the pool, the subtrees out and the pruned leaves;
5. a worker that dies loses no node: the subtree it held goes back to the pool. A Ctrl-C or the
   time limit stops every worker (each returns its open nodes), and the workers are shut down.

The verdict is read from the whole tree exactly as the serial search reads it
(:meth:`.bab.BranchAndBound.conclude`): a proof only if every node was pruned by a certificate.
"""

from __future__ import annotations

import heapq
import itertools
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Protocol

import numpy as np

from .. import interrupt
from ..deadline import Deadline
from ..errors import InputError, SolverError
from ..formulations.bigm import Formulation
from .bab import NODE_LIMIT, BranchAndBound, Candidate, Frontier, Node, Search, Setup
from .progress import Progress

RAMP = 1  # open nodes per worker before the ramp-up ends
SPREAD = 256  # nodes a subtree's budget is, divided by the workers (more workers: finer splits)
MIN_BUDGET = 8  # the least budget: a subtree handed out is worth its round trip
POLL = 0.1  # seconds between the parent's looks at its clock (Ctrl-C, time limit, progress)
MAX_LOST = 8  # workers that may die in one search before it gives up (a node that kills every worker)
DASK_CONNECT_TIMEOUT = 10  # seconds to reach a scheduler


@dataclass(frozen=True)
class Rules:
    """The scheduling rules of the module docstring, for ``workers`` workers."""

    workers: int
    ramp: int = RAMP
    budget: int | None = None  # None: SPREAD / workers, at least MIN_BUDGET (benchmarks/parallel_bab.py)

    @property
    def nodes(self) -> int:
        """The node budget of one subtree."""
        return self.budget or max(MIN_BUDGET, SPREAD // self.workers)

    def ramped(self, pool: OpenNodes) -> bool:
        """The ramp-up is over: enough open nodes for every worker (or none left)."""
        return len(pool) == 0 or len(pool) >= self.ramp * self.workers

    def hand_out(self, pool: OpenNodes, busy: int, nodes_left: int | None) -> list[tuple[Any, int]]:
        """The subtrees to hand out now, with their budgets: the pool's best nodes, one per idle
        worker, within ``nodes_left`` (None: no node limit) less what the busy ones may search."""
        out: list[tuple[Any, int]] = []
        while pool and busy + len(out) < self.workers:
            budget = self.nodes if nodes_left is None else min(self.nodes, nodes_left)
            if budget <= 0:
                break
            out.append((pool.take(), budget))
            if nodes_left is not None:
                nodes_left -= budget
        return out


class OpenNodes:
    """The pool of open nodes (anything with a ``bound`` and a ``depth``), taken best first: the
    lowest bound, then the shallowest, then the first put.

    >>> from types import SimpleNamespace as N
    >>> pool = OpenNodes([N(bound=1.0, depth=3), N(bound=0.5, depth=4), N(bound=0.5, depth=2)])
    >>> [(n.bound, n.depth) for n in (pool.take(), pool.take())], len(pool), pool.bound()
    ([(0.5, 2), (0.5, 4)], 1, 1.0)
    """

    def __init__(self, nodes: Iterable = ()) -> None:
        self.heap: list[tuple[float, int, int, Any]] = []
        self.order = itertools.count()
        self.put(nodes)

    def put(self, nodes: Iterable) -> None:
        for node in nodes:
            heapq.heappush(self.heap, (node.bound, node.depth, next(self.order), node))

    def take(self) -> Any:
        return heapq.heappop(self.heap)[-1]

    def bound(self) -> float:
        return self.heap[0][0] if self.heap else np.inf

    def nodes(self) -> list:
        return [entry[-1] for entry in self.heap]

    def __len__(self) -> int:
        return len(self.heap)


# ------------------------------------------------------------------------------------- worker
@dataclass(frozen=True)
class Tree:
    """What a worker needs to search subtrees of one tree: the formulation, the candidate rule (it
    must pickle), the setup (no progress hook) and the root's cuts; ``key`` names the tree."""

    key: str
    form: Formulation
    candidate: Candidate
    setup: Setup
    cuts: tuple = ()


@dataclass
class Task:
    """One subtree to search: its root node, the incumbent, the node budget and the search's clock
    (a :class:`~milpinv.deadline.Deadline` travels as the time it has left)."""

    key: str
    node: Node
    z: np.ndarray | None
    value: float
    budget: int
    deadline: Deadline
    stop_event: str | None = None  # Dask: the name of the event that stops the search


@dataclass
class Report:
    """A worker's answer: the frontier its subtree left, the counts it added, the seconds it worked
    (wall-clock and its process's CPU)."""

    front: Frontier
    nodes: int
    lps: int
    uncertified: int
    busy: float
    cpu: float
    worker: str


_TREES: dict[str, Tree] = {}  # this process's trees (worker processes: installed once)
_SEARCHES: dict[tuple[str, int], BranchAndBound] = {}  # per tree and thread: one LP for all its subtrees


def search_subtree(task: Task, tree: Tree | None = None) -> Report:
    """Run the serial search on one subtree (in a worker), within its budget and time."""
    start, cpu = time.perf_counter(), time.process_time()
    bb = _search_of(tree or _TREES[task.key])
    before = bb.nodes, bb.lps, bb.uncertified
    bb.deadline = task.deadline if task.stop_event is None else _Stoppable(task.deadline, task.stop_event)
    front = bb.explore(Frontier([task.node], task.z, task.value), node_limit=bb.nodes + task.budget)
    counts = (bb.nodes - before[0], bb.lps - before[1], bb.uncertified - before[2])
    seconds = time.perf_counter() - start, time.process_time() - cpu
    return Report(front, *counts, *seconds, f"{os.getpid()}:{threading.get_ident()}")


def _search_of(tree: Tree) -> BranchAndBound:
    key = (tree.key, threading.get_ident())
    if key not in _SEARCHES:
        for old in [k for k in _SEARCHES if k[1] == key[1]]:  # a thread keeps one tree's LP at a time
            del _SEARCHES[old]
        bb = BranchAndBound(tree.form, tree.candidate, tree.setup)
        for rows, rhs in tree.cuts:
            bb.add_cuts(rows, rhs)
        _SEARCHES[key] = bb
    return _SEARCHES[key]


def _install(tree: Tree, stop) -> None:
    """A worker process's start: the tree, and a Ctrl-C (the terminal's, or the parent's ``stop``
    flag, looked at every :data:`POLL` seconds) as a stop request that ends its node LPs and its
    search, never a KeyboardInterrupt. (A flag, not an Event: a worker that dies waiting on an
    Event leaves the parent's ``set`` waiting for it.)"""
    _TREES[tree.key] = tree
    signal.signal(signal.SIGINT, lambda signum, frame: interrupt.request())

    def watch() -> None:
        while not stop.value:
            time.sleep(POLL)
        interrupt.request()

    threading.Thread(target=watch, daemon=True).start()


class _Stoppable(Deadline):
    """A Dask worker's clock: the task's ``clock``, run out early once the client sets the named
    event (looked at every :data:`POLL` seconds)."""

    def __init__(self, clock: Deadline, event: str) -> None:
        vars(self).update(vars(clock))
        from distributed import Event

        self.event, self.seen, self.stopped = Event(event), 0.0, False

    def expired(self) -> bool:
        now = time.perf_counter()
        if not self.stopped and now - self.seen >= POLL:
            self.seen, self.stopped = now, self.event.is_set()
        return self.stopped or super().expired()


# ------------------------------------------------------------------------------------ workers
class Workers(Protocol):
    """Where subtrees run: ``count`` workers, futures of :class:`Report` (None: the worker died)."""

    count: int

    def submit(self, task: Task) -> Any: ...

    def wait(self, futures: list, timeout: float) -> list: ...

    def result(self, future: Any) -> Report | None: ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class ProcessWorkers:
    """``count`` worker processes of this machine (a process pool, started by forkserver where
    the platform has it); a pool broken by a dead worker is replaced."""

    task = staticmethod(search_subtree)  # what a worker runs (tests hand a worker that dies)

    def __init__(self, count: int, tree: Tree) -> None:
        import multiprocessing

        if "forkserver" in multiprocessing.get_all_start_methods():
            server = multiprocessing.get_context("forkserver")
            server.set_forkserver_preload([__name__, "milpinv.milp.solve"])  # imported once, not per worker
            self.context: Any = server
        else:
            self.context = multiprocessing.get_context("spawn")
        self.count, self.tree = count, tree
        self.stopped = self.context.RawValue("b", 0)
        self.pool = self._pool()
        self.current: set[Future] = set()

    def _pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.count, self.context, _install, (self.tree, self.stopped))

    def _restart(self) -> None:
        self.pool.shutdown(wait=True)
        self.pool, self.current = self._pool(), set()

    def submit(self, task: Task) -> Future:
        try:
            try:
                future = self.pool.submit(self.task, task)
            except BrokenProcessPool:  # a worker died since the last result was read
                self._restart()
                future = self.pool.submit(self.task, task)
        except OSError as exc:
            raise SolverError(
                f"worker processes did not start ({exc}); a script that runs a parallel search "
                "must start it under `if __name__ == '__main__':`"
            ) from None
        self.current.add(future)
        return future

    def wait(self, futures: list, timeout: float) -> list:
        return list(wait_futures(futures, timeout, FIRST_COMPLETED).done)

    def result(self, future: Future) -> Report | None:
        try:
            return future.result()
        except BrokenProcessPool:
            if future in self.current:  # the first of the dead pool's futures: a new pool
                self._restart()
            return None
        finally:
            self.current.discard(future)

    def stop(self) -> None:
        self.stopped.value = 1

    def close(self) -> None:
        self.stopped.value = 1
        self.pool.shutdown(wait=True, cancel_futures=True)


def connect(address: str):
    """A Dask client of the scheduler at ``address`` (InputError if dask is missing or the
    scheduler cannot be reached)."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise InputError("--scheduler needs dask: pip install 'milpinv[dask]'") from None
    try:
        return Client(address, timeout=DASK_CONNECT_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler {address}: cannot connect ({exc})") from None


class DaskWorkers:
    """The workers of a Dask cluster (``client``: a :class:`distributed.Client`, or a scheduler's
    address): one task per subtree; a task whose worker died is rerun by Dask, and one Dask gives up
    on comes back as None (its subtree goes back to the pool)."""

    task = staticmethod(search_subtree)  # what a worker runs (tests hand a worker that dies)

    def __init__(self, client, tree: Tree) -> None:
        from distributed import Client, Event

        self.own = not isinstance(client, Client)
        self.client = connect(client) if self.own else client
        self.count = max(1, sum(self.client.nthreads().values()))
        self.tree = self.client.scatter(tree, broadcast=True, hash=False)
        self.name = f"milpinv-stop-{tree.key}"
        self.event = Event(self.name, client=self.client)
        self.futures: list = []

    def submit(self, task: Task):
        future = self.client.submit(self.task, replace(task, stop_event=self.name), self.tree, pure=False)
        self.futures.append(future)
        return future

    def wait(self, futures: list, timeout: float) -> list:
        from distributed import wait

        try:
            return list(wait(futures, timeout=timeout, return_when="FIRST_COMPLETED").done)
        except TimeoutError:
            return []

    def result(self, future) -> Report | None:
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker:
            return None
        finally:
            future.release()

    def stop(self) -> None:
        self.event.set()

    def close(self) -> None:
        self.event.set()
        self.client.cancel([f for f in self.futures if not f.done()])
        self.tree.release()
        self.event.clear()
        if self.own:
            self.client.close()


# ------------------------------------------------------------------------------------- parent
@dataclass
class ParallelSearch:
    """A parallel search's answer and what it cost: per worker, the seconds it worked."""

    search: Search
    tasks: int = 0
    lost: int = 0
    busy: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0
    cpu: float = 0.0  # the workers' CPU seconds (below their busy seconds on a loaded machine)

    def details(self) -> dict:
        """What a result reports: workers that searched, subtrees handed out, workers lost, seconds
        of the parallel search and, per worker, the seconds it searched (the rest: idle)."""
        busy = sorted(round(b, 3) for b in self.busy.values())
        return {
            "workers": len(busy),
            "tasks": self.tasks,
            "lost_workers": self.lost,
            "parallel_s": round(self.elapsed, 3),
            "worker_busy_s": busy,
            "worker_cpu_s": round(self.cpu, 3),
        }


@dataclass(frozen=True)
class Spread:
    """Where a parallel search runs: ``start(tree)`` starts its workers (:func:`processes`,
    :func:`dask`); ``rules``: how it hands subtrees out (their count of workers: the workers')."""

    start: Callable[[Tree], Workers]
    rules: Rules = Rules(1)

    def search(
        self,
        form: Formulation,
        candidate: Candidate,
        deadline: Deadline,
        setup: Setup,
        incumbent: tuple[np.ndarray, float] | None = None,
        node_limit: int | None = None,
    ) -> ParallelSearch:
        """The search of :func:`.bab.search` (the same arguments) with its subtrees on this
        spread's workers."""
        start = time.perf_counter()
        bb = BranchAndBound(form, candidate, replace(setup, progress=None))
        parent = _Parent(bb, setup.progress, node_limit)
        parent.merge(bb.begin(deadline, incumbent))
        if parent.pool and not parent.why():
            tree = Tree(parent.key, form, candidate, replace(setup, progress=None, threads=1), tuple(bb.cut_rows))
            team = self.start(tree)
            try:
                parent.rules = replace(self.rules, workers=team.count)
                if parent.ramp_up():
                    parent.farm_out(team)
            finally:
                team.close()
        search = bb.conclude(parent.frontier(parent.why() if parent.pool else ""))
        return ParallelSearch(search, parent.tasks, parent.lost, parent.busy, time.perf_counter() - start, parent.cpu)


def processes(count: int, rules: Rules = Rules(1)) -> Spread:
    """``count`` worker processes of this machine (:class:`ProcessWorkers`)."""
    return Spread(partial(ProcessWorkers, count), rules)


def dask(scheduler, rules: Rules = Rules(1)) -> Spread:
    """The workers of the Dask cluster at ``scheduler`` (an address or a client; :class:`DaskWorkers`)."""
    return Spread(partial(DaskWorkers, scheduler), rules)


class _Parent:
    """The parent's side of the search: the pool, the incumbent, the bound, the counts."""

    def __init__(self, bb: BranchAndBound, progress: Callable[[Progress], None] | None, node_limit: int | None):
        self.bb, self.progress, self.node_limit = bb, progress, node_limit
        self.key = uuid.uuid4().hex  # names the tree in the workers
        self.stopped = ""  # why the search stopped with nodes open
        self.pool = OpenNodes()
        self.z: np.ndarray | None = None
        self.value = np.inf
        self.leaf_bound = np.inf
        self.found = False
        self.out: dict[Any, Task] = {}
        self.tasks = self.lost = 0
        self.busy: dict[str, float] = {}
        self.cpu = 0.0
        self.rules = Rules(1)

    def merge(self, front: Frontier) -> None:
        """A searched frontier into the whole: its open nodes, its point, its leaves' bound, and why
        it stopped (a node budget is no reason to stop the whole)."""
        self.pool.put(front.open)
        if front.why and front.why != NODE_LIMIT and not self.stopped:
            self.stopped = front.why
        if front.found:
            self.z, self.value, self.found = front.z, front.value, True
        elif front.z is not None and front.value < self.value:
            self.z, self.value = front.z, front.value
        self.leaf_bound = min(self.leaf_bound, front.leaf_bound)

    def frontier(self, why: str) -> Frontier:
        return Frontier(self.pool.nodes(), self.z, self.value, self.leaf_bound, why, self.found)

    def why(self) -> str:
        """Why the search stops now ("" to go on); once stopped, it stays stopped."""
        if not self.stopped and self.bb.deadline.expired():
            self.stopped = self.bb.deadline.why()
        if not self.stopped and self.nodes_left() == 0:
            self.stopped = NODE_LIMIT
        return self.stopped

    def nodes_left(self) -> int | None:
        return None if self.node_limit is None else max(self.node_limit - self.bb.nodes, 0)

    def ramp_up(self) -> bool:
        """Search the best open node here until the pool is large enough; False if the search is
        over (or stopped) before."""
        while not self.rules.ramped(self.pool) and not self.found:
            if self.why():
                return False
            self.merge(self.bb.explore(Frontier([self.pool.take()], self.z, self.value), self.bb.nodes + 1))
            self.report(0)
        return bool(self.pool) and not self.found and not self.why()

    def farm_out(self, workers: Workers) -> None:
        """Hand subtrees out and take them back until no node is left or the search must stop."""
        while self.out or (self.pool and not self.found and not self.why()):
            if self.found or self.why():
                workers.stop()
            else:
                self.hand_out(workers)
            self.report(len(self.out))  # the workers busy once the idle ones got work
            for future in workers.wait(list(self.out), POLL):  # POLL: a look at the clock now and then
                self.take_back(self.out.pop(future), workers.result(future))

    def hand_out(self, workers: Workers) -> None:
        left = self.nodes_left()
        if left is not None:
            left -= sum(task.budget for task in self.out.values())
        for node, budget in self.rules.hand_out(self.pool, len(self.out), left):
            task = Task(self.key, node, self.z, self.value, budget, self.bb.deadline)
            self.out[workers.submit(task)] = task
            self.tasks += 1

    def take_back(self, task: Task, report: Report | None) -> None:
        if report is None:  # the worker died: its subtree is handed out again
            self.lost += 1
            if self.lost > MAX_LOST:
                raise SolverError(f"{self.lost} workers died in one search")
            self.pool.put([task.node])
            return
        self.bb.nodes += report.nodes
        self.bb.lps += report.lps
        self.bb.uncertified += report.uncertified
        self.busy[report.worker] = self.busy.get(report.worker, 0.0) + report.busy
        self.cpu += report.cpu
        self.merge(report.front)

    def report(self, busy: int) -> None:
        if self.progress is None:
            return
        out = [task.node for task in self.out.values()]
        bound = min([self.leaf_bound, self.pool.bound(), self.value, *(n.bound for n in out)])
        certified = not (self.bb.exact or self.bb.uncertified) and np.isfinite(bound)
        self.progress(
            Progress(
                self.bb.nodes,
                len(self.pool) + len(out),
                float(self.value) if np.isfinite(self.value) else None,
                float(bound) if certified else None,
                self.bb.deadline.elapsed(),
                (busy, self.rules.workers),
            )
        )
