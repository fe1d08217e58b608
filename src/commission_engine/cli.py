"""The ``commission-engine`` command: one subcommand per module in :mod:`.commands`.

This is the edge: it reads files, formats output and sets the exit status; the
domain core never imports it. Exit status: 0 success, 1 an event rejected in
strict mode, 2 a bad plan file or bad usage (argparse's own usage errors are 2).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .commands import COMMANDS


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="commission-engine",
        description="Sales commissions linked to customer collections.",
    )
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subcommands)
    args = parser.parse_args(argv)
    status: int = args.run(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
