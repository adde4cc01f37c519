"""The structure stays as drawn: import-linter's contracts (layers, reductions -> milpinv only,
formulations never call a solver, no cycles), ruff (lint and format) and mypy on the library."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess:
    exe = BIN / args[0]
    if not exe.exists() and shutil.which(args[0]) is None:
        pytest.fail(f"{args[0]} is not installed: pip install -e '.[test]'")
    cmd = [str(exe) if exe.exists() else args[0], *args[1:]]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_import_contracts_are_kept():
    out = run("lint-imports", "--no-cache")
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("args", [("check",), ("format", "--check")])
def test_ruff(args):
    out = run("ruff", *args, "milpinv", "reductions", "tests")
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_on_the_library():
    out = run("mypy", "--no-incremental")
    assert out.returncode == 0, out.stdout + out.stderr
