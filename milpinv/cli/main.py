"""The ``milpinv`` command line: one module per subcommand (``register(parser)`` adds its arguments,
``run(args) -> exit code``), listed with a one-line summary in :data:`COMMANDS`. Only the module of
the command being run is imported (``milpinv --help`` loads no numpy). Commands are thin: parse,
call the library, print, and map the result to an exit code (:func:`milpinv.status.exit_code`)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from importlib import import_module

from ..errors import MilpinvError
from ..status import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_INTERRUPTED
from ..version import __version__

COMMANDS: dict[str, tuple[str, str]] = {  # name -> (module, summary)
    "bench": ("milpinv.cli.bench", "benchmark methods on a suite; check answers against its manifest"),
    "demo": ("milpinv.cli.demo", "the main job on an embedded default: compare inversion methods"),
    "export": ("milpinv.cli.export", "write the MILP of an instance as an MPS or LP file, or a VNN-LIB query"),
    "invert": ("milpinv.cli.invert", "invert an instance: find z with G(z) = x, or prove none exists"),
    "make-instance": ("milpinv.cli.make_instance", "plant z in a box and write an instance (.npz)"),
    "make-suite": (
        "milpinv.cli.make_suite",
        "write a benchmark suite with a manifest (and a pack for VNN-COMP / MIPLIB tools)",
    ),
    "make-tier": (
        "milpinv.cli.make_tier",
        "write a pack whose median solve time (of a reference engine) lies in a range",
    ),
    "preimage": ("milpinv.cli.preimage", "analyse the pre-image {z in box : G(z) = x} of a (small) instance"),
    "random-net": ("milpinv.cli.random_net", "write a random ReLU network (.npz)"),
}


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``prog: error: message`` and exit 2 (no usage block)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser(
    argv: Sequence[str], prog: str, description: str, commands: Mapping[str, tuple[str, str]]
) -> argparse.ArgumentParser:
    """The parser for ``argv``: every command is listed, and the one ``argv`` names (its first word
    that is not an option: the top-level options take no value) gets its arguments."""
    parser = Parser(prog=prog, description=description)
    parser.add_argument("--version", action="version", version=f"{prog} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    chosen = next((word for word in argv if not word.startswith("-")), None)
    for name, (module, summary) in commands.items():
        command = sub.add_parser(name, help=summary, description=summary)
        if name == chosen:
            import_module(module).register(command)
    return parser


def run_cli(parser: argparse.ArgumentParser, argv: Sequence[str]) -> int:
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


def command_line(
    prog: str, description: str, commands: Mapping[str, tuple[str, str]], argv: Sequence[str] | None
) -> int:
    """A command line of ``commands`` run on ``argv`` (default: ``sys.argv[1:]``); the exit code."""
    words = sys.argv[1:] if argv is None else list(argv)
    return guard_interrupt(prog, lambda: run_cli(build_parser(words, prog, description, commands), words))


def main(argv: Sequence[str] | None = None) -> int:
    return command_line("milpinv", "Exact inversion of deep ReLU generative models.", COMMANDS, argv)


if __name__ == "__main__":
    sys.exit(main())
