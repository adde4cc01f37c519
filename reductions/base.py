"""What a reduction is: an instance map, and solution maps in both directions.

A :class:`Reduction` from problem A to problem B has

* ``reduce(a) -> b``: the instance map (polynomial time);
* ``forward(a, sol_a) -> sol_b``: a solution of a yes-instance ``a`` to a solution of ``b``;
* ``backward(a, sol_b) -> sol_a``: any solution of ``b = reduce(a)`` to a solution of ``a``.

Together they witness ``a`` is a yes-instance iff ``reduce(a)`` is. Solutions are lists of
booleans for 3-SAT (the value of variable v at index v-1) and subset-sum (chosen items), and the
latent vector z for ReLU inversion. :class:`ComposedReduction` chains reductions; its maps are
the compositions (the backward map walks the chain in reverse over the intermediate instances).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar


class Reduction(ABC):
    """One reduction; subclasses set ``source`` and ``target`` (registry problem names)."""

    source: ClassVar[str]
    target: ClassVar[str]

    @property
    def name(self) -> str:
        return f"{self.source}->{self.target}"

    @property
    def path(self) -> list[str]:
        return [self.source, self.target]

    @abstractmethod
    def reduce(self, problem) -> Any:
        """The instance map."""

    @abstractmethod
    def forward(self, problem, solution) -> Any:
        """A solution of ``problem`` to a solution of ``reduce(problem)``."""

    @abstractmethod
    def backward(self, problem, solution) -> Any:
        """A solution of ``reduce(problem)`` to a solution of ``problem``."""

    def __repr__(self) -> str:
        return f"<reduction {self.name}>"


class ComposedReduction(Reduction):
    """``steps[-1] o ... o steps[0]``; each step's target is the next step's source."""

    def __init__(self, steps: Sequence[Reduction]) -> None:
        if not steps:
            raise ValueError("a composed reduction needs at least one step")
        for a, b in zip(steps, steps[1:]):
            if a.target != b.source:
                raise ValueError(f"cannot compose {a.name} with {b.name}")
        self.steps = list(steps)

    @property
    def source(self) -> str:  # type: ignore[override]
        return self.steps[0].source

    @property
    def target(self) -> str:  # type: ignore[override]
        return self.steps[-1].target

    @property
    def path(self) -> list[str]:
        return [self.source] + [s.target for s in self.steps]

    @property
    def name(self) -> str:
        return "->".join(self.path)

    def chain(self, problem) -> list:
        """The instances along the chain: ``[problem, step0(problem), ...]``."""
        instances = [problem]
        for step in self.steps:
            instances.append(step.reduce(instances[-1]))
        return instances

    def reduce(self, problem):
        out = self.chain(problem)[-1]
        _relabel(out, self, problem)
        return out

    def forward(self, problem, solution):
        instances = self.chain(problem)
        for step, inst in zip(self.steps, instances):
            solution = step.forward(inst, solution)
        return solution

    def backward(self, problem, solution):
        instances = self.chain(problem)
        for step, inst in reversed(list(zip(self.steps, instances))):
            solution = step.backward(inst, solution)
        return solution


def _relabel(out, reduction: Reduction, problem) -> None:
    """A reduced inversion instance records the whole chain and the original problem in its meta."""
    meta = getattr(out, "meta", None)
    if isinstance(meta, dict) and "reduction" in meta:
        from .problems import problem_to_dict

        meta.update(reduction=reduction.name, path=reduction.path, source=problem_to_dict(problem))
