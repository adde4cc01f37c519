"""The ``reductions`` command line; subcommands live in ``reductions/commands/``."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from milpinv.cli.main import command_line

COMMANDS: dict[str, tuple[str, str]] = {  # name -> (module, summary), as milpinv.cli.main.COMMANDS
    "generate": ("reductions.commands.generate", "write random instances, their reductions and a manifest"),
    "list": ("reductions.commands.list", "show the problems and reductions in the registry"),
    "reduce": ("reductions.commands.reduce", "reduce a .cnf or .ss file to an inversion instance (.npz)"),
    "solve": ("reductions.commands.solve", "solve a reduced instance and map the answer back"),
    "verify": ("reductions.commands.verify", "check yes-instance <=> pre-image exists on random instances"),
}


def main(argv: Sequence[str] | None = None) -> int:
    about = "Reduce 3-SAT and subset-sum to ReLU inversion, solve, verify."
    return command_line("reductions", about, COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
