"""The API reference (docs/, Sphinx autodoc from the docstrings) builds without a warning."""

import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_the_api_reference_builds_without_warnings(tmp_path):
    pytest.importorskip("sphinx")  # the docs extra; the test extra (CI) installs it
    args = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(DOCS), str(tmp_path)]
    out = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    page = (tmp_path / "api" / "embed.html").read_text()
    assert "milpinv.embed.embed" in page and "appsi_highs" in page  # autodoc read the docstrings
