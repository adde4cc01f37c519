"""The ``milpinv`` command line: one module per subcommand (``register(subparsers)`` and
``run(args) -> exit code``), listed in :data:`COMMANDS`. Commands are thin: parse, call the
library, print, and map the result to an exit code (:func:`milpinv.status.exit_code`)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from ..errors import MilpinvError
from ..status import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_INTERRUPTED
from ..version import __version__
from . import bench, demo, export, invert, make_instance, make_suite, make_tier, preimage, random_net

COMMANDS: tuple[ModuleType, ...] = (
    bench,
    demo,
    export,
    invert,
    make_instance,
    make_suite,
    make_tier,
    preimage,
    random_net,
)


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``prog: error: message`` and exit 2 (no usage block)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser(
    prog: str = "milpinv",
    description: str = "Exact inversion of deep ReLU generative models.",
    commands: Sequence[ModuleType] = COMMANDS,
) -> argparse.ArgumentParser:
    parser = Parser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in commands:
        command.register(sub)
    return parser


def run_cli(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    """Parse and dispatch; every MilpinvError or OSError becomes one line and exit 2."""
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed on one line
        return int(exc.code or 0)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a reader that closed the pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:  # `milpinv ... | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except MilpinvError as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (OSError, MemoryError) as exc:
        print(f"{parser.prog}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def guard_interrupt(prog: str, command: Callable[[], int]) -> int:
    """``command()``; a Ctrl-C it did not turn into a result (while the parser is built, an
    instance read, a file written): one line on stderr and exit 130."""
    try:
        return command()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def main(argv: list[str] | None = None) -> int:
    return guard_interrupt("milpinv", lambda: run_cli(build_parser(), argv))


if __name__ == "__main__":
    sys.exit(main())
