r"""Node orders of the branch and bound: which open node an l1 / linf search takes next.

The open nodes sit on a stack (the children of the last node on top, the one the branching rule
searches first last). An order answers, before each node, which entry to take:

    depth     the top of the stack: depth first (the default; the only order of the exact norm,
              whose nodes have no bound to order by)
    plunge    dive: the top while the last node branched (its child), and after a node is pruned
              (the dive ended) the open node of least bound, ties to the deepest, then the latest
              put (best bound with plunging, the pattern of the MILP solvers' node selection)

(PERFORMANCE.md 32 measured a third, best bound every N nodes and depth first between: it lifted
the bound less than ``plunge`` and lost the optimum on one instance; not kept.)

A node's bound is its parent's certified lower bound (a safe dual bound of the parent's LP, or
the root's interval bound): every point of the node's region has an error at least that. The
search takes an order's choice only once it has an incumbent (until then depth first: diving is
what finds points), and with an order other than ``depth`` an open node whose bound meets the
incumbent is dropped, without its LP, as soon as the incumbent improves (certified by that
bound). Both children of a node then keep its LP's basis (either may be taken after other
subtrees).

>>> from types import SimpleNamespace as N
>>> stack = [N(bound=0.2, depth=1), N(bound=0.1, depth=2), N(bound=0.1, depth=3), N(bound=0.3, depth=4)]
>>> order("plunge").take(stack, pruned=False), order("plunge").take(stack, pruned=True)
(-1, 2)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ..errors import InputError


class Open(Protocol):
    """What an order reads of an open node."""

    bound: float
    depth: int


class NodeOrder(Protocol):
    """Which open node to search next: the index into the stack (-1: its top)."""

    @property
    def name(self) -> str: ...

    def take(self, stack: Sequence[Open], pruned: bool) -> int: ...


@dataclass(frozen=True)
class DepthFirst:
    """``depth``: always the top of the stack."""

    @property
    def name(self) -> str:
        return "depth"

    def take(self, stack: Sequence[Open], pruned: bool) -> int:
        return -1


@dataclass(frozen=True)
class Plunge:
    """``plunge``: the top while diving, the least bound after a pruned node."""

    @property
    def name(self) -> str:
        return "plunge"

    def take(self, stack: Sequence[Open], pruned: bool) -> int:
        return least(stack) if pruned else -1


DEPTH = DepthFirst()
PLUNGE = Plunge()


def least(stack: Sequence[Open]) -> int:
    """The index of the open node of least bound; ties to the deepest, then to the latest put."""
    return min(range(len(stack)), key=lambda i: (stack[i].bound, -stack[i].depth, -i))


def order(name: str) -> NodeOrder:
    """The order called ``name`` (``depth`` or ``plunge``)."""
    for known in (DEPTH, PLUNGE):
        if name == known.name:
            return known
    raise InputError(f"node order: unknown order {name!r}; one of {DEPTH.name}, {PLUNGE.name}")


def is_order(name: str) -> bool:
    """Whether ``name`` names a node order (the first part of a branching rule's name may)."""
    return name in (DEPTH.name, PLUNGE.name)
