"""No function of the library takes more than six parameters: what travels together is one object
(:class:`milpinv.problem.Problem`, the option records of :mod:`milpinv.options`, a ``Box``)."""

from __future__ import annotations

import ast
from pathlib import Path

import milpinv

LIMIT = 6  # named parameters, not counting self / cls, *args, **kwargs
# The user's keyword façade: its keywords are the problem's fields, gathered into one Problem at once.
FACADES = {("invert.py", "invert")}


def _count(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = fn.args
    names = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    if names and names[0].arg in ("self", "cls"):
        names = names[1:]
    return len(names)


def long_signatures(root: Path) -> list[str]:
    """``file:function (n)`` for every function of ``root`` with more than :data:`LIMIT` parameters."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            is_fn = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            if is_fn and _count(node) > LIMIT and (rel, node.name) not in FACADES:
                found.append(f"{rel}:{node.name} ({_count(node)})")
    return found


def test_no_library_function_takes_more_than_six_parameters():
    assert long_signatures(Path(milpinv.__file__).parent) == []


def test_the_count_sees_keyword_only_and_skips_self():
    tree = ast.parse("class A:\n    def f(self, a, b, *c, d, e, f, g, **h): pass\n")
    (fn,) = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    assert _count(fn) == 6
