"""The `mcsec` command line.

Each subcommand lives in its own module under `mcsec.commands` and exposes
`register(subparsers)`, which adds its parser and sets `func` to a callable
taking the parsed arguments and returning the exit status. Modules are found
by name, so adding a command never means editing this file.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import signal
import sys

from mcsec import commands

EXIT_USAGE = 2


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or only of ``command`` when it names one (so that running one command
    does not import what the others need)."""
    parser = argparse.ArgumentParser(
        prog="mcsec",
        description="Conformance suite for MCPTT SIP signalling protection "
        "(3GPP TR 33.879 clauses 7.13 and 7.14).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    names = sorted(info.name for info in pkgutil.iter_modules(commands.__path__))
    wanted = command.replace("-", "_") if command else None
    for name in ([wanted] if wanted in names else names):
        importlib.import_module(f"{commands.__name__}.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("mcsec: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # whoever read the output stopped (`mcsec report diff ... | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 128 + signal.SIGPIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
