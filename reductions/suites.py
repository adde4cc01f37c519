"""Suites of reduced instances: random 3-SAT and subset-sum turned into inversion instances, with
their known answers from the independent oracles (:mod:`.oracles`).

One pipeline serves both ``milpinv make-suite sat|subset-sum`` (these generators are registered
as ``milpinv.suites`` entry points) and ``reductions generate`` (:func:`reduced_entry`, written by
:func:`milpinv.experiments.suites.write_suite`).
"""

from __future__ import annotations

from collections.abc import Iterator

from milpinv.errors import InputError
from milpinv.experiments.answers import Witness, register_witness
from milpinv.experiments.suites import Entry
from milpinv.instance import Instance
from milpinv.network import same_matrix

from .base import Reduction
from .generators import random_ksat, random_subsetsum
from .oracles import ORACLE_NAMES, oracle
from .problems import problem_kind
from .registry import get_reduction, reduction_from_meta

SAT_RATIOS = (2.0, 3.0, 4.0, 4.26, 5.0, 6.0, 7.0)
THRESHOLD = 4.26  # the satisfiability threshold of random 3-SAT
DENSITIES = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def reduced_entry(problem, reduction: Reduction, name: str, params: dict, **extra) -> Entry:
    """The reduced instance of ``problem`` and its manifest entry, the answer from the oracle."""
    answer = oracle(problem)
    inst = reduction.reduce(problem)
    known = "feasible" if answer is not None else "infeasible"
    inst.meta["known_answer"] = known
    return name, inst, {**extra, "known_answer": known, "params": params, "oracle": ORACLE_NAMES[problem_kind(problem)]}


@register_witness("reductions")
def oracle_witness(inst: Instance) -> Witness:
    """The oracle's answer on the source problem recorded in the instance (which must reduce to
    exactly this instance), a solution mapped forward to a latent z."""
    reduction, problem = reduction_from_meta(inst.meta)
    if not same_instance(reduction.reduce(problem), inst):
        raise InputError("instance: its recorded source problem does not reduce to it")
    solution = oracle(problem)
    source = ORACLE_NAMES[problem_kind(problem)]
    if solution is None:
        return Witness("infeasible", None, source)
    return Witness("feasible", reduction.forward(problem, solution), source)


def same_instance(a: Instance, b: Instance) -> bool:
    """The same weights, biases, target and box."""
    arrays = [(x.network.weights + x.network.biases + (x.target, x.lower, x.upper)) for x in (a, b)]
    return len(arrays[0]) == len(arrays[1]) and all(same_matrix(u, v) for u, v in zip(*arrays))


def sat(ns=(5, 10, 15), ratios=SAT_RATIOS, seeds=(0, 1), growth_ns=(20, 25, 30)) -> Iterator[Entry]:
    """Uniform random 3-SAT reduced to two-layer inversion, across the ratio (every n in ``ns``)
    and growing n at the threshold ratio 4.26 (``growth_ns``)."""
    reduction = get_reduction("3sat", "relu")
    grid = [(n, r, s) for n in ns for r in ratios for s in seeds]
    grid += [(n, THRESHOLD, s) for n in growth_ns if n not in ns for s in seeds]
    for n, ratio, seed in grid:
        cnf = random_ksat(n, ratio, k=3, seed=seed)
        yield reduced_entry(
            cnf,
            reduction,
            f"sat_n{n}_r{ratio:g}_s{seed}.npz",
            {"n": n, "ratio": ratio, "m": cnf.num_clauses, "seed": seed},
        )


def subset_sum(ns=(6, 8, 10, 12), densities=DENSITIES, seeds=(0, 1)) -> Iterator[Entry]:
    """Random subset-sum (even seeds planted yes-instances, odd seeds random targets) reduced to
    inversion, across density n / log2(max weight) and growing n."""
    reduction = get_reduction("subset-sum", "relu")
    for n in ns:
        for density in densities:
            for seed in seeds:
                ss = random_subsetsum(n, density, seed=seed, planted=bool(seed % 2 == 0))
                yield reduced_entry(
                    ss, reduction, f"ss_n{n}_d{density:g}_s{seed}.npz", {"n": n, "density": density, "seed": seed}
                )
