"""DIMACS CNF files: ``c`` comments, a ``p cnf V C`` header, clauses of nonzero literals ended by
0 (a clause may span lines, a line may hold several), and SATLIB's ``%`` end marker (followed by
a stray ``0``), after which the file is ignored. Every malformed input raises a one-line
InputError naming the line."""

from __future__ import annotations

from pathlib import Path

from milpinv.errors import InputError
from milpinv.files import atomic_write, check_readable

from .problems import CNF
from .text import parse_int


def parse_dimacs(text: str, source: str = "<string>") -> CNF:
    """Parse DIMACS CNF text into a validated :class:`CNF`."""
    header: tuple[int, int] | None = None
    clauses: list[tuple[int, ...]] = []
    current: list[int] = []
    last_line = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        last_line = lineno
        if not line or line.startswith("c"):
            continue
        if line.startswith("%"):
            break
        if line.startswith("p"):
            if header is not None:
                raise InputError(f"{source}:{lineno}: second 'p' header")
            header = _parse_header(line, source, lineno)
            continue
        if header is None:
            raise InputError(f"{source}:{lineno}: clause before the 'p cnf' header")
        for tok in line.split():
            try:
                lit = parse_int(tok)
            except ValueError:
                raise InputError(f"{source}:{lineno}: {tok[:40]!r} is not an integer literal") from None
            if abs(lit) > header[0]:
                raise InputError(f"{source}:{lineno}: literal {lit} exceeds the {header[0]} variables of the header")
            if lit == 0:
                if not current:
                    raise InputError(f"{source}:{lineno}: empty clause")
                clauses.append(tuple(current))
                current = []
            else:
                current.append(lit)
    if header is None:
        raise InputError(f"{source}: no 'p cnf' header" + (" (empty file)" if not text.strip() else ""))
    if current:
        raise InputError(f"{source}:{last_line}: last clause is missing its terminating 0")
    if len(clauses) != header[1]:
        raise InputError(f"{source}: header declares {header[1]} clauses but the file has {len(clauses)}")
    return CNF(header[0], tuple(clauses), {"source": source})


def _parse_header(line: str, source: str, lineno: int) -> tuple[int, int]:
    parts = line.split()
    if len(parts) != 4 or parts[0] != "p" or parts[1] != "cnf":
        raise InputError(f"{source}:{lineno}: malformed header {line[:80]!r}, expected 'p cnf VARIABLES CLAUSES'")
    try:
        nv, nc = parse_int(parts[2]), parse_int(parts[3])
    except ValueError:
        raise InputError(f"{source}:{lineno}: header counts must be integers, got {line[:80]!r}") from None
    if nv < 0 or nc < 0:
        raise InputError(f"{source}:{lineno}: header counts must be >= 0, got {line[:80]!r}")
    return nv, nc


def read_dimacs(path: str | Path) -> CNF:
    p = check_readable(path, "a DIMACS CNF file")
    try:
        text = p.read_text()
    except UnicodeDecodeError:
        raise InputError(f"{p}: not a text file") from None
    return parse_dimacs(text, str(p))


def format_dimacs(cnf: CNF, comment: str | None = None) -> str:
    lines = [f"c {line}" for line in (comment or "").splitlines()]
    lines.append(f"p cnf {cnf.num_vars} {cnf.num_clauses}")
    lines += [" ".join(str(l) for l in clause) + " 0" for clause in cnf.clauses]
    return "\n".join(lines) + "\n"


def write_dimacs(cnf: CNF, path: str | Path, comment: str | None = None) -> None:
    atomic_write(path, format_dimacs(cnf, comment))
