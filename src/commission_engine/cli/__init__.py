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

from .. import __version__
from . import aging, close, compare, customers, ingest, overdue, payouts, statement

#: The subcommands; each module has ``register(subparsers)``, which adds its parser and sets
#: ``run`` (``args -> exit status``) as its default, so :func:`main` only dispatches.
COMMANDS = (payouts, close, ingest, compare, aging, statement, overdue, customers)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="commission-engine",
        description="Sales commissions linked to customer collections.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subcommands)
    args = parser.parse_args(argv)
    status: int = args.run(args)
    return status


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
