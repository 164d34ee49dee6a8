"""tunetalk: an offline conversational music recommender. Composition root and command line.

Every subcommand lives in its own module under cli/ (NAME, HELP, add_arguments, run). Modules import
heavy libraries only inside run(), so `--help` and start-up stay fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from types import ModuleType
from typing import NoReturn

import cli
from cli.validate import UsageError, did_you_mean

DEFAULT_COMMAND = "tui"
FALLBACK_COMMAND = "replay"


class Parser(argparse.ArgumentParser):
    """argparse, with a mistake on the command line reported as one line (what is wrong, a suggestion
    for a mistyped name, where to read more) instead of the usage block and the message."""

    def error(self, message: str) -> NoReturn:
        if "invalid choice: " in message:
            # "argument COMMAND: invalid choice: 'replya' (choose from 'tui', 'voice', ...)"
            given = message.split("invalid choice: ", 1)[1].split(" (choose from", 1)[0].strip("'")
            valid = [v.strip("' ") for v in message.split("(choose from", 1)[-1].rstrip(")").split(",")]
            message += did_you_mean(given, valid)
        self.exit(2, f"tunetalk: {message} (see: {self.prog} --help)\n")


def _commands() -> list[ModuleType]:
    modules = []
    for info in pkgutil.iter_modules(cli.__path__):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"cli.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "run"):
            modules.append(module)
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    """The full parser; each cli/ module adds its own subcommand."""
    parser = Parser(
        prog="python main.py",
        description="tunetalk: find music by talking about it. With no command, opens the terminal UI.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _commands():
        command = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    names = [m.NAME for m in _commands()]
    parser = build_parser()
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        # Bare `python main.py` (or only options) opens the everyday way in.
        argv = [DEFAULT_COMMAND if DEFAULT_COMMAND in names else FALLBACK_COMMAND, *argv]
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except UsageError as exc:
        print(f"tunetalk: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`... --json | head`): not an error of ours. Point stdout at devnull so
        # the interpreter's final flush does not raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
