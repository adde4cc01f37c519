"""The ``reductions`` command line; subcommands live in ``reductions/commands/``."""

from __future__ import annotations

import sys

from milpinv.cli.main import build_parser, guard_interrupt, run_cli

from .commands import generate, reduce, solve, verify
from .commands import list as list_command

COMMANDS = (generate, list_command, reduce, solve, verify)


def main(argv: list[str] | None = None) -> int:
    about = "Reduce 3-SAT and subset-sum to ReLU inversion, solve, verify."
    return guard_interrupt("reductions", lambda: run_cli(build_parser("reductions", about, COMMANDS), argv))


if __name__ == "__main__":
    sys.exit(main())
