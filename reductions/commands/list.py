"""reductions list: the registry of problems and reductions (a networkx graph)."""

from __future__ import annotations

import argparse

import networkx as nx

from ..registry import registry


def register(p: argparse.ArgumentParser) -> None:
    p.set_defaults(func=run)


def run(args) -> int:
    g = registry()
    for name, data in g.nodes(data=True):
        print(f"{name:11s} {data['doc']}")
    for a, b, data in g.edges(data=True):
        print(f"{a} -> {b}: {data['reduction'].__module__}.{data['reduction'].__name__}")
    for a in g:
        for b in g:
            if a != b and nx.has_path(g, a, b) and not g.has_edge(a, b):
                for path in nx.all_simple_paths(g, a, b):
                    print(f"{' -> '.join(path)}: composed")
    return 0
