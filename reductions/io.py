"""Reading a source problem file by its kind (given, or guessed from the extension)."""

from __future__ import annotations

from pathlib import Path

from milpinv.errors import InputError
from milpinv.files import check_suffix

from .dimacs import read_dimacs, write_dimacs
from .subsetsum_io import read_subsetsum, write_subsetsum

EXTENSIONS = {".cnf": "3sat", ".dimacs": "3sat", ".ss": "subset-sum", ".subsetsum": "subset-sum"}
SUFFIX = {"3sat": ".cnf", "subset-sum": ".ss"}


def guess_kind(path: str | Path, kind: str | None = None) -> str:
    if kind:
        return kind
    ext = Path(path).suffix.lower()
    if ext not in EXTENSIONS:
        raise InputError(
            f"{path}: cannot tell the problem from the extension {ext!r}; "
            "use --from 3sat|subset-sum (or name it .cnf / .ss)"
        )
    return EXTENSIONS[ext]


def read_problem(path: str | Path, kind: str | None = None):
    """A CNF (DIMACS) or SubsetSum (text format) from a file."""
    return read_dimacs(path) if guess_kind(path, kind) == "3sat" else read_subsetsum(path)


def write_problem(problem, path: str | Path, comment: str | None = None) -> None:
    from .problems import problem_kind

    check_suffix(path, SUFFIX[problem_kind(problem)], f"a {problem_kind(problem)} problem")
    (write_dimacs if problem_kind(problem) == "3sat" else write_subsetsum)(problem, path, comment)
