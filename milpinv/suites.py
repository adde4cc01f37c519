"""Reproducible benchmark suites (``milpinv make-suite NAME --out DIR``).

Each suite is written as instance files plus a ``manifest.json`` (see :mod:`milpinv.bench`)
holding the generator, its parameters, every seed and the known answers: planted solutions for
random networks, python-sat / dynamic programming for the reduced SAT and subset-sum instances.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

from .errors import InputError
from .files import write_json
from .instance import Instance, plant_instance
from .network import ReluNetwork

Entry = tuple[str, Instance, dict]

EXPANDING = ([5, 20, 40], [8, 24, 48], [10, 30, 60], [10, 30, 30, 60], [10, 40, 80, 160])
NON_EXPANDING = ([4, 8, 8, 8], [6, 12, 12, 6], [8, 16, 16, 16], [10, 20, 20, 20, 20], [12, 24, 24, 12])
SAT_RATIOS = (2.0, 3.0, 4.0, 4.26, 5.0, 6.0, 7.0)
DENSITIES = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


def _dims_name(dims) -> str:
    return "-".join(str(d) for d in dims)


def _planted(dims_list, seeds, noise: float = 0.0) -> Iterator[Entry]:
    for dims in dims_list:
        for seed in seeds:
            net = ReluNetwork.random(dims, seed=seed)
            inst = plant_instance(net, seed=seed + 1000, noise=noise)
            params = {"dims": _dims_name(dims), "n": dims[0], "depth": len(dims) - 1,
                      "expansion": dims[-1] / dims[0], "seed": seed}
            yield f"net_{_dims_name(dims)}_s{seed}.npz", inst, {"known_answer": "feasible", "params": params}


def expanding(seeds=(0, 1, 2), dims_list=EXPANDING) -> Iterator[Entry]:
    """Random expanding networks: the paper's easy regime."""
    return _planted(dims_list, seeds)


def nonexpanding(seeds=(0, 1, 2), dims_list=NON_EXPANDING) -> Iterator[Entry]:
    """Random networks that do not expand layer by layer: layer-wise LP fails, the MILP does not."""
    return _planted(dims_list, seeds)


def noisy(seeds=(0, 1), noises=(0.01, 0.05, 0.1), dims_list=([10, 30, 60], [8, 16, 16, 16])) -> Iterator[Entry]:
    """Noisy observations: the optimum of l1/linf cannot exceed the planted noise norm."""
    for noise in noises:
        for name, inst, entry in _planted(dims_list, seeds, noise=noise):
            for norm in ("linf", "l1"):
                params = dict(entry["params"], noise=noise)
                yield (f"{name[:-4]}_n{noise:g}_{norm}.npz", inst,
                       {"norm": norm, "known_answer": "unknown",
                        "objective_upper": inst.meta[f"noise_{norm}"], "params": params})


def sat(ns=(5, 10, 15), ratios=SAT_RATIOS, seeds=(0, 1), growth_ns=(5, 10, 15, 20, 25)) -> Iterator[Entry]:
    """Uniform random 3-SAT reduced to two-layer inversion, across the ratio and growing n."""
    from reductions.generators import random_ksat

    grid = [(n, r, s) for n in ns for r in ratios for s in seeds]
    grid += [(n, 4.26, s) for n in growth_ns if n not in ns for s in seeds]
    for n, ratio, seed in grid:
        cnf = random_ksat(n, ratio, k=3, seed=seed)
        yield _reduced(cnf, "3sat", f"sat_n{n}_r{ratio:g}_s{seed}.npz",
                       {"n": n, "ratio": ratio, "m": cnf.num_clauses, "seed": seed})


def subset_sum(ns=(6, 8, 10, 12), densities=DENSITIES, seeds=(0, 1)) -> Iterator[Entry]:
    """Random subset-sum (half planted yes-instances) reduced to inversion, across density."""
    from reductions.generators import random_subsetsum

    for n in ns:
        for density in densities:
            for seed in seeds:
                ss = random_subsetsum(n, density, seed=seed, planted=bool(seed % 2 == 0))
                yield _reduced(ss, "subset-sum", f"ss_n{n}_d{density:g}_s{seed}.npz",
                               {"n": n, "density": density, "seed": seed})


def _reduced(problem, kind: str, name: str, params: dict) -> Entry:
    from reductions.oracles import solve_cnf, solve_subsetsum
    from reductions.registry import get_reduction

    answer = solve_cnf(problem) if kind == "3sat" else solve_subsetsum(problem)
    inst = get_reduction(kind, "relu").reduce(problem)
    inst.meta["known_answer"] = "feasible" if answer is not None else "infeasible"
    return name, inst, {"known_answer": inst.meta["known_answer"], "params": params,
                        "oracle": "python-sat" if kind == "3sat" else "subset-sum DP/CP-SAT"}


SUITES: dict[str, Callable[[], Iterator[Entry]]] = {
    "expanding": expanding, "nonexpanding": nonexpanding, "noisy": noisy, "sat": sat, "subset-sum": subset_sum,
}


def make_suite(name: str, out: str | Path, progress: bool = False, **params) -> dict:
    """Write suite ``name`` to ``out`` (instance files + manifest.json); returns the manifest.
    ``params`` override the generator's defaults (smaller suites for tests)."""
    from tqdm import tqdm

    if name not in SUITES:
        raise InputError(f"suite: unknown {name!r}; choose from {', '.join(SUITES)}")
    out = Path(out)
    entries = []
    for fname, inst, entry in tqdm(SUITES[name](**params), desc=name, disable=not progress):
        inst.save(out / fname)
        entries.append({"file": fname, "norm": entry.pop("norm", "exact"), **entry})
    command = f"milpinv make-suite {name} --out {out.as_posix()}" if not params else None
    manifest = {"suite": name, "command": command, "params": {k: list(v) if isinstance(v, tuple) else v
                                                              for k, v in params.items()},
                "generator": f"milpinv.suites.{SUITES[name].__name__}", "doc": (SUITES[name].__doc__ or "").strip(),
                "count": len(entries), "instances": entries}
    write_json(out / "manifest.json", manifest)
    return manifest


def known_answer_counts(manifest: dict) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in manifest["instances"]:
        counts[e["known_answer"]] = counts.get(e["known_answer"], 0) + 1
    return counts

