"""Subcommands of `mcsec`: one module each, each with `register(subparsers)`."""
