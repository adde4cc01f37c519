"""VNN-LIB 1.0, the property format of VNN-COMP: write inversion queries, read the subset milpinv
decides, and write VNN-COMP result files.

A property over the inputs ``X_0 .. X_{n-1}`` and outputs ``Y_0 .. Y_{m-1}`` of a network is
*sat* iff some input meets every assertion (a counterexample, in VNN-COMP's words). For an
inversion query, "X in the latent box and Y in the target's intervals", sat means a pre-image
exists (milpinv's ``optimal``) and unsat that none does (milpinv's ``infeasible``).

The subset read (anything else is refused with a line saying what, and where):

* ``(declare-const X_i Real)`` and ``(declare-const Y_j Real)``, each index from 0 up, once, before use;
* ``(assert B)`` where ``B`` is a bound of one declared variable by a number, ``(<= X_0 1.5)``,
  ``(>= Y_3 -2e-3)``, ``(<= 0.5 X_1)``, ``(<= X_0 (- 1.5))``; an ``(and B ...)`` of bounds; or one
  ``(or ...)`` in the file whose terms are bounds or ``(and ...)`` of bounds;
* comments after ``;``.

Refused: strict ``<`` / ``>``, ``=``, arithmetic (``+ - * /``), comparisons of two variables (which
mix inputs and outputs, or outputs with each other), an ``(or ...)`` inside an ``(and ...)``, a
second ``(or ...)``, and other commands. The top-level assertions hold in every term of the
``(or ...)``: a parsed property is a disjunction of :class:`Region` s, each closed bounds on every
variable (infinite where none is given). Arrays and files only: deciding a property is
:mod:`milpinv.queries`.

>>> q = parse_vnnlib("(declare-const X_0 Real)(declare-const Y_0 Real)"
...                  "(assert (<= X_0 1))(assert (>= X_0 -1))(assert (or (<= Y_0 -3) (>= Y_0 0.5)))")
>>> len(q.regions), q.holds(np.array([0.0]), np.array([1.0])), q.holds(np.array([0.0]), np.array([0.0]))
(2, True, False)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from ..files import atomic_write, check_readable

VERDICTS = ("sat", "unsat", "timeout", "unknown", "error")  # the first line of a VNN-COMP result file
MAX_BYTES = 256 * 2**20  # refuse larger property files before reading them
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
NAME = re.compile(r"([XY])_(0|[1-9]\d*)")
TOKEN = re.compile(r";[^\n]*|\(|\)|[^\s();]+|\s+")
BOUND_OPS = ("<=", ">=")


@dataclass(frozen=True)
class Region:
    """One term of the property's disjunction: closed bounds on every input and output."""

    x_lower: np.ndarray
    x_upper: np.ndarray
    y_lower: np.ndarray
    y_upper: np.ndarray

    def contains(self, x: np.ndarray, y: np.ndarray) -> bool:
        """Every bound holds at the input ``x`` with output ``y``."""
        return bool(
            np.all((self.x_lower <= x) & (x <= self.x_upper)) and np.all((self.y_lower <= y) & (y <= self.y_upper))
        )


@dataclass(frozen=True)
class Property:
    """A parsed VNN-LIB property: sat iff some region has a point (x, G(x))."""

    n_inputs: int
    n_outputs: int
    regions: tuple[Region, ...]

    def holds(self, x: np.ndarray, y: np.ndarray) -> bool:
        """The input ``x`` with output ``y`` is a counterexample (meets some region)."""
        return any(r.contains(x, y) for r in self.regions)


# ----------------------------------------------------------------------------------------- writing
def _number(v: float) -> str:
    return repr(float(v))


def _bounds(name: str, lower: np.ndarray, upper: np.ndarray) -> Iterator[str]:
    for i, (lo, hi) in enumerate(zip(lower, upper)):
        if np.isfinite(lo):
            yield f"(>= {name}_{i} {_number(lo)})"
        if np.isfinite(hi):
            yield f"(<= {name}_{i} {_number(hi)})"


def vnnlib_text(
    x_lower,
    x_upper,
    outputs: Sequence[tuple[np.ndarray, np.ndarray]],
    comments: Sequence[str] = (),
) -> str:
    """A property: X in the box ``[x_lower, x_upper]`` and Y in one of the ``outputs`` boxes
    (``(y_lower, y_upper)`` pairs; infinite entries are left out). One box gives plain assertions,
    several give ``(assert (or (and ...) ...))``."""
    lo, hi = np.asarray(x_lower, float), np.asarray(x_upper, float)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))) or lo.shape != hi.shape or lo.ndim != 1:
        raise InputError("vnnlib: the input box needs finite lower and upper bounds of one length")
    if not outputs:
        raise InputError("vnnlib: at least one output box")
    m = len(outputs[0][0])
    lines = [f"; {c}" for text in comments for c in str(text).splitlines()]
    lines += [f"(declare-const X_{i} Real)" for i in range(lo.size)]
    lines += [f"(declare-const Y_{j} Real)" for j in range(m)]
    lines += [f"(assert {b})" for b in _bounds("X", lo, hi)]
    terms = [list(_bounds("Y", np.asarray(a, float), np.asarray(b, float))) for a, b in outputs]
    if any(len(a) != m or len(b) != m for a, b in outputs):
        raise InputError(f"vnnlib: every output box needs {m} lower and upper bounds")
    if len(terms) == 1 or not all(terms):  # a box without bounds makes the disjunction true
        lines += [f"(assert {b})" for b in terms[0] if all(terms)]
    else:
        lines.append("(assert (or")
        lines += [f"  (and {' '.join(t)})" for t in terms]
        lines.append("))")
    return "\n".join(lines) + "\n"


def write_vnnlib(path: str | Path, x_lower, x_upper, outputs, comments: Sequence[str] = ()) -> None:
    """:func:`vnnlib_text`, written atomically."""
    atomic_write(path, vnnlib_text(x_lower, x_upper, outputs, comments))


def result_text(verdict: str, x: np.ndarray | None = None, y: np.ndarray | None = None) -> str:
    """A VNN-COMP result file: the verdict on the first line; after ``sat``, the counterexample
    ``((X_0 v) (X_1 v) ... (Y_0 v) ...)``, one assignment a line."""
    if verdict not in VERDICTS:
        raise InputError(f"verdict: expected one of {VERDICTS}, got {verdict!r}")
    if verdict != "sat" or x is None or y is None:
        return verdict + "\n"
    pairs = [f"(X_{i} {_number(v)})" for i, v in enumerate(x)] + [f"(Y_{j} {_number(v)})" for j, v in enumerate(y)]
    return "sat\n(" + "\n ".join(pairs) + ")\n"


# ----------------------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class Node:
    """An s-expression: an atom (``text``) or a list (``items``), with its line."""

    line: int
    text: str | None = None
    items: tuple[Node, ...] = ()

    def head(self) -> str | None:
        return self.items[0].text if self.items else None


class _Reader:
    """The parser's state: the source name for messages and the declared variables."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.declared: dict[str, set[int]] = {"X": set(), "Y": set()}

    def fail(self, node: Node | int, message: str) -> InputError:
        line = node if isinstance(node, int) else node.line
        return InputError(f"{self.source}:{line}: {message}")

    # -- s-expressions
    def nodes(self, text: str) -> list[Node]:
        stack: list[tuple[int, list[Node]]] = [(0, [])]
        line = 1
        for m in TOKEN.finditer(text):
            tok = m.group()
            if tok == "(":
                stack.append((line, []))
            elif tok == ")":
                if len(stack) == 1:
                    raise self.fail(line, "unbalanced ')'")
                start, items = stack.pop()
                stack[-1][1].append(Node(start, items=tuple(items)))
            elif not tok[0].isspace() and tok[0] != ";":
                stack[-1][1].append(Node(line, text=tok))
            line += tok.count("\n")
        if len(stack) > 1:
            raise self.fail(stack[-1][0], "unbalanced '(': the expression opened here is not closed")
        return stack[0][1]

    # -- commands
    def command(self, node: Node, asserts: list[Node]) -> None:
        head = node.head()
        if node.text is not None or head is None:
            raise self.fail(node, f"expected a command in parentheses, got {node.text or '()'!r}")
        if head == "declare-const":
            self.declare(node)
        elif head == "assert":
            if len(node.items) != 2:
                raise self.fail(node, "assert takes one expression")
            asserts.append(node.items[1])
        else:
            raise self.fail(node, f"unsupported command {head!r}: milpinv reads declare-const and assert")

    def declare(self, node: Node) -> None:
        parts = [n.text for n in node.items]
        if len(parts) != 3 or parts[2] != "Real" or parts[1] is None:
            raise self.fail(node, "expected (declare-const NAME Real)")
        m = NAME.fullmatch(parts[1])
        if not m:
            raise self.fail(
                node, f"variable {parts[1]!r}: milpinv reads inputs X_0, X_1, ... and outputs Y_0, Y_1, ..."
            )
        index = int(m.group(2))
        if index in self.declared[m.group(1)]:
            raise self.fail(node, f"{parts[1]} declared twice")
        self.declared[m.group(1)].add(index)

    # -- expressions: a conjunction of bounds (kind, index, side, value)
    def bounds(self, node: Node) -> list[tuple[str, int, str, float]]:
        head = node.head()
        if head == "and":
            if len(node.items) < 2:
                raise self.fail(node, "empty (and)")
            return [b for item in node.items[1:] for b in self.bounds(item)]
        if head in BOUND_OPS:
            return [self.bound(node)]
        raise self.fail(node, self.unsupported(node, "a bound (<= / >=) or an (and ...) of bounds"))

    def unsupported(self, node: Node, expected: str) -> str:
        head = (node.head() if node.text is None else node.text) or "(...)"
        if head in ("<", ">"):
            return f"strict inequality {head!r}: milpinv reads closed bounds (<=, >=)"
        if head == "or":
            return "an (or ...) inside another expression: milpinv reads one top-level (or (and ...) ...)"
        if head in ("+", "-", "*", "/"):
            return f"arithmetic ({head} ...): milpinv reads bounds of one variable by a number"
        return f"unsupported expression {head!r}: expected {expected}"

    def bound(self, node: Node) -> tuple[str, int, str, float]:
        op = node.head()
        if len(node.items) != 3:
            raise self.fail(node, f"({op} ...) takes two operands")
        a, b = node.items[1:]
        va, vb = self.variable(a), self.variable(b)
        if va and vb:
            raise self.fail(node, f"({op} {a.text} {b.text}) compares two variables: milpinv reads bounds by a number")
        var = va or vb
        if var is None:
            self.number(a), self.number(b)  # names what else the operands are (arithmetic, ...)
            raise self.fail(node, f"({op} ...) bounds no variable")
        value = self.number(b if va else a)
        upper = (op == "<=") == bool(va)  # (<= V c) and (>= c V) are upper bounds
        return var[0], var[1], "upper" if upper else "lower", value

    def variable(self, node: Node) -> tuple[str, int] | None:
        if node.text is None:
            return None
        m = NAME.fullmatch(node.text)
        if not m:
            return None
        kind, index = m.group(1), int(m.group(2))
        if index not in self.declared[kind]:
            raise self.fail(node, f"{node.text} is used before it is declared")
        return kind, index

    def number(self, node: Node) -> float:
        sign, atom = 1.0, node
        if node.text is None and node.head() == "-" and len(node.items) == 2:  # (- 1.5)
            sign, atom = -1.0, node.items[1]
        if atom.text is None or not NUMBER.fullmatch(atom.text):
            raise self.fail(node, self.unsupported(node, "a number"))
        value = sign * float(atom.text)
        if not np.isfinite(value):
            raise self.fail(node, f"{atom.text} overflows float64")
        return value

    def disjunction(self, node: Node) -> list[list[tuple[str, int, str, float]]]:
        if len(node.items) < 2:
            raise self.fail(node, "empty (or)")
        terms = []
        for item in node.items[1:]:
            terms += self.disjunction(item) if item.head() == "or" else [self.bounds(item)]
        return terms

    # -- the property
    def sizes(self) -> tuple[int, int]:
        n, m = (len(self.declared[k]) for k in "XY")
        for kind, size in (("X", n), ("Y", m)):
            if size == 0:
                raise self.fail(1, f"no {kind}_i declared: milpinv reads properties over inputs and outputs")
            if self.declared[kind] != set(range(size)):
                gap = min(set(range(size)) - self.declared[kind])
                raise self.fail(1, f"{kind}_{gap} is not declared, but higher indices are")
        return n, m

    def region(self, n: int, m: int, bounds) -> Region:
        arrays = {"X": (np.full(n, -np.inf), np.full(n, np.inf)), "Y": (np.full(m, -np.inf), np.full(m, np.inf))}
        for kind, index, side, value in bounds:
            lo, hi = arrays[kind]
            if side == "upper":
                hi[index] = min(hi[index], value)
            else:
                lo[index] = max(lo[index], value)
        return Region(*arrays["X"], *arrays["Y"])


def parse_vnnlib(text: str, source: str = "<vnnlib>") -> Property:
    """Parse the subset of the module docstring; one-line :class:`InputError` otherwise."""
    reader = _Reader(source)
    asserts: list[Node] = []
    for node in reader.nodes(text):
        reader.command(node, asserts)
    n, m = reader.sizes()
    common: list = []
    terms: list | None = None
    try:
        for node in asserts:
            if node.head() != "or":
                common += reader.bounds(node)
            elif terms is not None:
                raise reader.fail(node, "a second (or ...): milpinv reads at most one disjunction")
            else:
                terms = reader.disjunction(node)
    except RecursionError:
        raise InputError(f"{source}: expressions nested too deeply") from None
    regions = tuple(reader.region(n, m, common + term) for term in (terms or [[]]))
    return Property(n, m, regions)


def read_vnnlib(path: str | Path) -> Property:
    """Read a ``.vnnlib`` file (see :func:`parse_vnnlib`)."""
    p = check_readable(path, "a VNN-LIB property (.vnnlib)")
    if p.stat().st_size > MAX_BYTES:
        raise InputError(f"{p}: {p.stat().st_size} bytes, beyond the limit of {MAX_BYTES} for a property file")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a UTF-8 text file") from None
    return parse_vnnlib(text, str(p))
