"""The combinatorial problems that reductions start from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from milpinv.errors import InputError


@dataclass(frozen=True)
class CNF:
    """A CNF formula over variables 1..num_vars; a clause is a tuple of nonzero DIMACS literals."""

    num_vars: int
    clauses: tuple[tuple[int, ...], ...]
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.num_vars < 0:
            raise InputError(f"num_vars: must be >= 0, got {self.num_vars}")
        clauses = tuple(tuple(_integer(l, f"clause {i + 1}: literal") for l in c) for i, c in enumerate(self.clauses))
        object.__setattr__(self, "clauses", clauses)
        for i, clause in enumerate(clauses):
            if not clause:
                raise InputError(f"clause {i + 1}: empty clause")
            for lit in clause:
                if lit == 0 or abs(lit) > self.num_vars:
                    raise InputError(f"clause {i + 1}: literal {lit} out of range 1..{self.num_vars}")

    @property
    def num_clauses(self) -> int:
        return len(self.clauses)

    def satisfied_by(self, assignment: Sequence[bool]) -> bool:
        """``assignment[v-1]`` is the value of variable v."""
        if len(assignment) != self.num_vars:
            raise InputError(f"assignment: expected {self.num_vars} values, got {len(assignment)}")
        return all(any(bool(assignment[abs(l) - 1]) == (l > 0) for l in c) for c in self.clauses)


@dataclass(frozen=True)
class SubsetSum:
    """Is there a subset of ``weights`` (non-negative integers) summing to ``target``?"""

    weights: tuple[int, ...]
    target: int
    meta: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        weights = tuple(_integer(w, "weight") for w in self.weights)
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "target", _integer(self.target, "target"))
        if any(w < 0 for w in weights):
            raise InputError("weights: subset-sum weights must be non-negative integers")
        if self.target < 0:
            raise InputError(f"target: must be >= 0, got {self.target}")

    @property
    def n(self) -> int:
        return len(self.weights)

    def satisfied_by(self, chosen: Sequence[bool]) -> bool:
        if len(chosen) != self.n:
            raise InputError(f"selection: expected {self.n} values, got {len(chosen)}")
        return sum(w for w, c in zip(self.weights, chosen) if c) == self.target


def _integer(value, what: str) -> int:
    """An integer (an integral float is taken, 1.7 is not, nor a bool)."""
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise InputError(f"{what} {value!r} is not an integer") from None
    if isinstance(value, bool) or number != value:
        raise InputError(f"{what} {value!r} is not an integer")
    return number


def problem_kind(problem) -> str:
    """The registry name of a problem object: ``3sat`` or ``subset-sum``."""
    if isinstance(problem, CNF):
        return "3sat"
    if isinstance(problem, SubsetSum):
        return "subset-sum"
    raise InputError(f"problem: expected a CNF or SubsetSum, got {type(problem).__name__}")


def problem_to_dict(problem) -> dict:
    """A JSON-able description (stored in a reduced instance's meta, so its maps can run later)."""
    if isinstance(problem, CNF):
        return {"kind": "3sat", "num_vars": problem.num_vars, "clauses": [list(c) for c in problem.clauses]}
    if isinstance(problem, SubsetSum):
        return {"kind": "subset-sum", "weights": list(problem.weights), "target": problem.target}
    raise InputError(f"problem: expected a CNF or SubsetSum, got {type(problem).__name__}")


def problem_from_dict(data: dict):
    """Inverse of :func:`problem_to_dict`."""
    try:
        if data["kind"] == "3sat":
            return CNF(int(data["num_vars"]), tuple(tuple(c) for c in data["clauses"]))
        if data["kind"] == "subset-sum":
            return SubsetSum(tuple(data["weights"]), int(data["target"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"source problem: malformed description ({exc})") from None
    raise InputError(f"source problem: unknown kind {data.get('kind')!r}")
