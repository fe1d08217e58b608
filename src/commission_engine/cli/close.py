"""``commission-engine close PLAN_FILE EVENT_FILE --period YYYY-MM --ledger FILE``.

Closes every open period through ``--period`` in the ledger (an SQLite file, created on
first use) and prints the statements it closed. Exit status: 0 closed (even if the statements
could not then be written); 1 an event was rejected in strict mode (nothing closed); 2 a bad
plan file, an unreadable file, bad usage, or a period already closed; 3 another close is
running on the same ledger.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any, TextIO

from ..api import Result, read_events
from ..books.monthly import close_with_ledger
from ..books.store import Ledger, LedgerBusyError, LedgerError
from ..books.texts import TextForms
from ..domain.errors import CommissionEngineError, RejectedEventError
from ..domain.events import FIRST_DAY, LAST_DAY
from ..domain.money import shown
from ..files import read_plans
from ..report.render import (
    KEPT_TEXTS_VERSION,
    closed_csv,
    closed_json,
    write_csv,
    write_json,
    write_table,
)
from .commands import COMMANDS
from .options import (
    BUSY,
    add_files,
    add_output,
    add_processes,
    deliver,
    rendered,
    say,
    with_events,
)
from .payouts import report_changes
from .progress import Progress

PROG = "commission-engine close"
#: The closed statements' texts a close keeps, as ``payouts --ledger`` prints them (issue 19).
TEXTS = TextForms(version=KEPT_TEXTS_VERSION, json=closed_json, csv=closed_csv)


def register(subparsers: Any) -> None:
    """Add the ``close`` subcommand."""
    parser = subparsers.add_parser(
        "close",
        help=COMMANDS["close"],
        description="Close every open period through --period in the ledger file, which "
        "records the statements as paid, the events they came from and the state to resume "
        "from. Exit status: 0 closed, 1 an event rejected (nothing closed), 2 bad input or a "
        "period already closed, 3 another close is running on the ledger.",
    )
    add_files(parser)
    parser.add_argument("--period", metavar="YYYY-MM", required=True, type=_period)
    parser.add_argument("--ledger", metavar="FILE", required=True, type=Path)
    add_output(
        parser, lenient="close with the valid events and list the rejected ones (default: refuse)"
    )
    parser.add_argument("--rep", help="only show this rep's closed statements")
    add_processes(
        parser,
        "read a large event file in up to N parts at once, one process each (default: the "
        "cores this process may use, here %(default)s); what is closed is the same",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Close the periods and print what was closed; returns the exit status."""
    try:
        plans = read_plans(args.plan_file)
        # Read (and digested) in the background while the closed book, if any, loads.
        events = read_events(
            args.event_file,
            processes=args.processes,
            background=args.ledger.exists(),
            digests=True,
        )
        events = with_events(events, args.event_file)
        with Ledger(args.ledger).held(lazy=True, texts=TEXTS) as held, Progress() as progress:
            events = progress.reading(events, args.event_file.name, then="closing")
            book, closing_run = close_with_ledger(
                plans, events, args.period, held, strict=not args.lenient
            )
            # Whatever can fail fails before the commit: the output is rendered first.
            newly_closed = tuple(s for s in closing_run.open if s.period <= args.period)
            shown = closing_run.result.model_copy(update={"statements": newly_closed})
            progress.now("writing")
            output = rendered(lambda out: _write(shown, args, out))
            progress.now("saving the closed books")
            held.record(book)
    except RejectedEventError as error:
        _say(
            f"{args.event_file}: {error.rejection.message}\n"
            "Nothing was closed: an event was rejected. Correct it, or give --lenient."
        )
        return 1
    except LedgerError as error:
        _say(str(error))
        return BUSY if isinstance(error, LedgerBusyError) else 2
    except CommissionEngineError as error:  # a bad file, or a period already closed
        _say(str(error))
        return 2
    report_changes(closing_run, args.event_file)
    if args.format == "csv":
        for rejection in closing_run.result.rejected:
            _say(f"{args.event_file}: {rejection.message}")
    _say(f"closed through {args.period} in {args.ledger}")
    if deliver(PROG, output) != 0:  # the months are closed all the same: the status says so
        _say(f"the statements closed can be shown with: payouts --ledger {args.ledger}")
    return 0


def _write(result: Result, args: argparse.Namespace, out: TextIO) -> None:
    if args.format == "json":
        write_json(result, out, args.rep, args.period)
    elif args.format == "csv":
        write_csv(result, out, args.rep, args.period)
    else:
        write_table(result, out, args.locale, args.rep, args.period)


def _say(message: str) -> None:
    say(PROG, message)


def _period(text: str) -> str:
    if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(f"{shown(text)} is not a month in the form YYYY-MM")
    if not FIRST_DAY.year <= int(text[:4]) <= LAST_DAY.year:
        raise argparse.ArgumentTypeError(
            f"{text} is out of range: months go from {FIRST_DAY:%Y-%m} to {LAST_DAY:%Y-%m}"
        )
    return text
