"""The ``reductions`` command line; subcommands live in ``reductions/commands/``."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from milpinv.cli import run_cli

from . import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reductions", description="Reduce 3-SAT and subset-sum to ReLU inversion, solve, verify.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
