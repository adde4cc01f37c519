import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SATLIB = SHARED / "data" / "satlib"


@pytest.fixture
def satlib_dir() -> Path:
    if not SATLIB.is_dir():
        pytest.skip("../shared/data/satlib is not beside the checkout")
    return SATLIB


def run_cli(main, args, capsys):
    """Run a console entry point in-process; returns (exit code, stdout, stderr)."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def cli(capsys):
    from milpinv.cli.main import main

    return lambda *args: run_cli(main, args, capsys)


@pytest.fixture
def rcli(capsys):
    from reductions.cli import main

    return lambda *args: run_cli(main, args, capsys)


sys.path.insert(0, str(ROOT / "tests"))
