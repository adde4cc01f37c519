"""Sphinx configuration of milpinv's API reference, built from the docstrings (reStructuredText,
doctests included): ``pip install -e '.[docs]'``, then ``sphinx-build -W -b html docs docs/_build``.
tests/test_docs.py builds it with warnings as errors."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from milpinv.version import __version__  # noqa: E402

project = "milpinv"
release = version = __version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
exclude_patterns = ["_build"]
html_theme = "alabaster"
html_static_path: list[str] = []
