"""The ``milpinv`` command line. Subcommands live in ``milpinv/commands/`` (one module each,
exposing ``register(subparsers)``), so new capabilities add a module, not edits here."""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from . import __version__, commands
from .errors import MilpinvError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="milpinv", description="Exact inversion of deep ReLU generative models.")
    parser.add_argument("--version", action="version", version=f"milpinv {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{info.name}").register(sub)
    return parser


def run_cli(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse and dispatch; every MilpinvError or OSError becomes one line and exit 2."""
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MilpinvError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    except (OSError, MemoryError) as exc:
        print(f"{parser.prog}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130


def main(argv: list[str] | None = None) -> int:
    return run_cli(build_parser(), argv)


if __name__ == "__main__":
    sys.exit(main())
