"""The ``commission-engine`` command: one subcommand per module of this package.

This is the edge: it reads files, formats output and sets the exit status; the
domain core never imports it. Exit status: 0 success, 1 an event rejected in
strict mode, 2 a bad plan file or bad usage (argparse's own usage errors are 2).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from importlib import import_module

from .. import __version__
from .commands import COMMANDS


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="commission-engine",
        description="Sales commissions linked to customer collections.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    given = _command_in(sys.argv[1:] if argv is None else argv)
    for name, summary in COMMANDS.items():
        if name == given:
            # The module of the subcommand given, which imports what it runs: ``register``
            # adds its parser and sets ``run`` (``args -> exit status``) as its default.
            import_module(f"{__name__}.{name}").register(subcommands)
        else:  # the others only as --help lists them, and as choices
            subcommands.add_parser(name, help=summary)
    args = parser.parse_args(argv)
    status: int = args.run(args)
    return status


def _command_in(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names: its first argument that is not an option (the command's
    own options, ``--help`` and ``--version``, take no value)."""
    for at, argument in enumerate(argv):
        if argument == "--":
            return argv[at + 1] if at + 1 < len(argv) else None
        if not argument.startswith("-"):
            return argument
    return None


def script() -> None:
    """The installed ``commission-engine``: :func:`main` in a process of its own.

    The command owns its process, so it tunes it for one large run: the cyclic garbage
    collector stays off (a run makes no cycles, only millions of objects the collector would
    walk again and again: a tenth of reading a million events), and once the output is
    flushed the process ends without freeing them one by one (seconds, for nothing).
    """
    gc.disable()
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # the reader went away; the status says what happened
        pass
    os._exit(status)


if __name__ == "__main__":
    script()
