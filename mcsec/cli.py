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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcsec",
        description="Conformance suite for MCPTT SIP signalling protection "
        "(3GPP TR 33.879 clauses 7.13 and 7.14).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
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
