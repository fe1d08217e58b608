"""``commission-engine overdue PLAN_FILE EVENT_FILE --as-of DATE``: the weekly overdue list.

Per rep, each customer's invoices past due on the day: days past due, amount open, the
commission at risk (held, and what the plan's past-due clawback would take back and when),
and who works it (the rep, collections with the rep informed, collections). Exit status as
for ``aging``.
"""

from __future__ import annotations

import argparse
import json
from html import escape
from typing import Any, TextIO

from ..api import read_events
from ..domain.currencies import format_money
from ..domain.errors import CommissionEngineError
from ..files import read_plans
from ..modeling.overdue import (
    OVERDUE_TEXT_COLUMNS,
    Overdue,
    Stages,
    overdue_document,
    overdue_html,
    overdue_list,
    overdue_rows,
)
from ..parallel.by_rep import cores
from ..report.render import csv_writer
from ..report.tables import aligned
from .commands import COMMANDS
from .options import (
    add_files,
    iso_date,
    locale_name,
    say,
    stopped_by_rejections,
    with_events,
    write_safely,
)

PROG = "commission-engine overdue"


def add_formats(parser: argparse.ArgumentParser, *, lenient: str) -> None:
    """``--format`` (with ``html``), ``--lenient`` and ``--locale``."""
    parser.add_argument(
        "--format", choices=("table", "json", "csv", "html"), default="table",
        help="default: table; html is a page of tables",
    )  # fmt: skip
    parser.add_argument("--lenient", action="store_true", help=lenient)
    parser.add_argument(
        "--locale", default="en_US", type=locale_name,
        help="how the table writes money, e.g. de_DE (default: en_US)",
    )  # fmt: skip


def html_page(title: str, body: str) -> str:
    """A page holding ``body``: what a browser or a mail opens."""
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{escape(title)}</title>'
        "<style>table.commission-engine{border-collapse:collapse;margin:1em 0}"
        "table.commission-engine td,table.commission-engine th{padding:2px 8px}"
        "caption{text-align:left;font-weight:bold}</style></head>\n"
        f"<body>{body}</body></html>\n"
    )


def handoff_days(text: str) -> Stages:
    """An argparse type: ``30,61``, the days past due from which collections take over with
    the rep informed, then alone."""
    informed, _, collections = text.partition(",")
    try:
        return Stages(informed_from=int(informed), collections_from=int(collections))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected two whole numbers of days, as in 30,61: {text!r}"
        ) from None
    except CommissionEngineError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def register(subparsers: Any) -> None:
    """Add the ``overdue`` subcommand."""
    parser = subparsers.add_parser(
        "overdue",
        help=COMMANDS["overdue"],
        description="List, per rep and customer, the invoices past due on --as-of: days past "
        "due, amount open, the commission at risk (held, and what a past-due clawback would "
        "take back and when), and the stage: the rep follows up (under 30 days), collections "
        "with the rep informed (30 to 60 days), collections (over 60 days). Exit status: 0 all "
        "events applied (or --lenient), 1 an event rejected, 2 a bad plan file, an unreadable "
        "file or bad usage.",
    )
    add_files(parser)
    parser.add_argument(
        "--as-of", metavar="YYYY-MM-DD", type=iso_date, required=True, help="the day of the list"
    )
    parser.add_argument(
        "--handoff",
        metavar="DAYS,DAYS",
        type=handoff_days,
        default=Stages(),
        help="days past due from which collections work the invoice with the rep informed, "
        "then alone (default: 30,61: day 29 is the rep's, days 30-60 collections with the rep "
        "informed, day 61 on collections)",
    )
    add_formats(
        parser, lenient="list the events that could be applied and the rejected ones "
        "(default: stop)",
    )  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Make the list and print it; returns the exit status."""
    try:
        plans = read_plans(args.plan_file)
        events = with_events(read_events(args.event_file, processes=cores()), args.event_file)
        overdue = overdue_list(plans, events, args.as_of, stages=args.handoff)
    except CommissionEngineError as error:
        say(PROG, str(error))
        return 2
    stopped = stopped_by_rejections(
        PROG, args, {"": overdue.rejected}, nothing_was="listed",
        lenient_would="list from the events that could be applied", unlisted_in=("csv", "html"),
    )  # fmt: skip
    if stopped is not None:
        return stopped
    return write_safely(PROG, lambda out: _write(overdue, args, out))


def _write(overdue: Overdue, args: argparse.Namespace, out: TextIO) -> None:
    if args.format == "json":
        json.dump(overdue_document(overdue), out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        csv_writer(out).writerows(overdue_rows(overdue.items, flag="true"))
    elif args.format == "html":
        out.write(html_page(f"Invoices past due on {overdue.as_of}", overdue_html(overdue)))
    else:
        _write_table(overdue, args.locale, out)


def _write_table(overdue: Overdue, locale: str, out: TextIO) -> None:
    out.write(f"Invoices past due on {overdue.as_of}, by rep and customer\n\n")
    if not overdue.items:
        out.write("Nothing past due.\n")
    else:
        money = lambda amount, code: format_money(amount, code, locale)  # noqa: E731
        lines = aligned(overdue_rows(overdue.items, money), OVERDUE_TEXT_COLUMNS)
        out.write(lines[0] + "\n")
        previous = overdue.items[0].rep
        for item, line in zip(overdue.items, lines[1:], strict=True):
            if item.rep != previous:
                out.write("\n")  # a blank line between reps
                previous = item.rep
            out.write(line + "\n")
    if overdue.pending:
        out.write(f"\n{overdue.pending:,} events dated after {overdue.as_of} not applied.\n")
    if overdue.rejected:
        out.write(f"\nRejected, not applied ({len(overdue.rejected)}):\n")
        out.writelines(f"  {rejection.message}\n" for rejection in overdue.rejected)
