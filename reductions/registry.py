"""The registry of problems and reductions: a networkx directed graph.

Nodes are problem names (``3sat``, ``subset-sum``, ``relu``); an edge ``A -> B`` carries the
reduction class. :func:`get_reduction` finds a path (shortest, or through ``via``) and returns
one reduction, composed when the path has several edges.
"""

from __future__ import annotations

import networkx as nx

from milpinv.errors import InputError

from .base import ComposedReduction, Reduction
from .sat_to_relu import SatToRelu
from .sat_to_subsetsum import SatToSubsetSum
from .subsetsum_to_relu import SubsetSumToRelu

PROBLEMS = {
    "3sat": "CNF satisfiability (DIMACS)",
    "subset-sum": "subset-sum (non-negative integers)",
    "relu": "ReLU network inversion: is there z in the box with G(z) = x?",
}
REDUCTIONS: tuple[type[Reduction], ...] = (SatToRelu, SubsetSumToRelu, SatToSubsetSum)


def registry() -> nx.DiGraph:
    g = nx.DiGraph()
    for name, doc in PROBLEMS.items():
        g.add_node(name, doc=doc)
    for cls in REDUCTIONS:
        g.add_edge(cls.source, cls.target, reduction=cls)
    return g


def get_reduction(source: str, target: str = "relu", via: str | None = None) -> Reduction:
    """The reduction ``source -> target`` (through ``via`` if given)."""
    g = registry()
    for name in (source, target, via):
        if name is not None and name not in g:
            raise InputError(f"unknown problem {name!r}; known: {', '.join(g.nodes)}")
    try:
        path = (
            (nx.shortest_path(g, source, via)[:-1] + nx.shortest_path(g, via, target))
            if via
            else nx.shortest_path(g, source, target)
        )
    except nx.NetworkXNoPath:
        raise InputError(f"no reduction from {source} to {target}" + (f" via {via}" if via else "")) from None
    steps = [g.edges[a, b]["reduction"]() for a, b in zip(path, path[1:])]
    if not steps:
        raise InputError(f"{source} -> {target}: nothing to reduce")
    return steps[0] if len(steps) == 1 else ComposedReduction(steps)


def reduction_from_meta(meta: dict):
    """(reduction, source problem) recorded in a reduced instance's meta."""
    from .problems import problem_from_dict

    if "path" not in meta or "source" not in meta:
        raise InputError("instance: no reduction recorded in its meta (not made by `reductions reduce`)")
    path = list(meta["path"])
    problem = problem_from_dict(meta["source"])
    reduction = get_reduction(path[0], path[-1], via=path[1] if len(path) == 3 else None)
    if reduction.path != path:
        raise InputError(f"instance: recorded reduction path {'->'.join(path)} is not in the registry")
    return reduction, problem
