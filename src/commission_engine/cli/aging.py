"""``commission-engine aging PLAN_FILE EVENT_FILE --as-of DATE``: receivables behind pay.

(The older ``aging EVENT_FILE --as-of DATE --plans PLAN_FILE`` still works, with a note on
stderr that it is deprecated.)

Per rep: open receivables by days past due, the commission at risk (held, plus
what a pending past-due clawback would take back) and DSO per period. The plan
file is needed because it sets each invoice's currency, payment terms (and so
its due date) and commission. Exit status as for ``payouts``: 0 when every event
was applied (or with ``--lenient``), 1 when an event was rejected, 2 for a bad
file or usage.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from ..api import read_events
from ..domain.currencies import format_money
from ..domain.errors import CommissionEngineError
from ..files import read_plans
from ..modeling.aging import age_receivables
from ..modeling.receivables import Aging, aging_csv_rows, aging_document, aging_rows, dso_rows
from ..parallel.by_rep import cores
from ..report.render import csv_writer
from ..report.tables import aligned
from .commands import COMMANDS
from .options import (
    add_output,
    add_scheduler,
    cluster,
    iso_date,
    say,
    stopped_by_rejections,
    with_events,
    write_safely,
)
from .progress import Progress

PROG = "commission-engine aging"


def register(subparsers: Any) -> None:
    """Add the ``aging`` subcommand."""
    parser = subparsers.add_parser(
        "aging",
        help=COMMANDS["aging"],
        description="Age each rep's open receivables on --as-of (current, 1-30, 31-60, 61-90 "
        "and over 90 days past due), price the commission at risk (held, plus what a pending "
        "past-due clawback would take back if the invoice stays unpaid) and give DSO per "
        "period. Exit status: 0 all events applied (or --lenient), 1 an event rejected, 2 a "
        "bad plan file, an unreadable file or bad usage.",
    )
    parser.add_argument(
        "files",
        metavar="PLAN_FILE EVENT_FILE",
        type=Path,
        nargs="+",
        help="the plan file (it sets due dates, currencies and commission), then the events",
    )
    parser.add_argument(
        "--as-of", metavar="YYYY-MM-DD", type=iso_date, required=True, help="the day to age on"
    )
    parser.add_argument(
        "--plans",
        metavar="PLAN_FILE",
        type=Path,
        help="deprecated: give PLAN_FILE first, as every command takes it",
    )
    add_output(
        parser,
        lenient="age the events that could be applied and list the rejected ones (default: stop)",
    )
    parser.add_argument(
        "--no-dso",
        dest="dso",
        action="store_false",
        help="leave out DSO per period: one run over the events instead of one per period",
    )
    add_scheduler(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Age the receivables and print them; returns the exit status."""
    if len(args.files) == 2 and args.plans is None:
        args.plans, args.event_file = args.files
    elif len(args.files) == 1 and args.plans is not None:
        (args.event_file,) = args.files
        say(PROG, "--plans is deprecated: write `aging PLAN_FILE EVENT_FILE --as-of DATE`")
    else:
        say(PROG, "give PLAN_FILE EVENT_FILE (or the deprecated EVENT_FILE --plans PLAN_FILE)")
        return 2
    try:
        plans = read_plans(args.plans)
        with cluster(args.scheduler) as client, Progress() as progress:
            # In parts, on every core (or on the cluster's workers).
            events = read_events(args.event_file, processes=cores(), client=client)
            events = with_events(events, args.event_file)
            events = progress.reading(events, args.event_file.name, then="aging the receivables")
            aging = age_receivables(plans, events, args.as_of, dso=args.dso, client=client)
    except CommissionEngineError as error:
        say(PROG, str(error))
        return 2
    stopped = stopped_by_rejections(
        PROG, args, {"": aging.rejected}, nothing_was="aged",
        lenient_would="age the events that could be applied",
    )  # fmt: skip
    if stopped is not None:
        return stopped
    return write_safely(PROG, lambda out: _write(aging, args, out))


def _write(aging: Aging, args: argparse.Namespace, out: TextIO) -> None:
    if args.format == "json":
        json.dump(aging_document(aging), out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        csv_writer(out).writerows(aging_csv_rows(aging))
    else:
        _write_table(aging, args.locale, out)


def _write_table(aging: Aging, locale: str, out: TextIO) -> None:
    out.write(f"Receivables and commission at risk as of {aging.as_of}\n\n")
    if not aging.reps:
        out.write("No invoices.\n")
    else:
        rows = aging_rows(aging, lambda amount, code: format_money(amount, code, locale))
        out.writelines(line + "\n" for line in aligned(rows, text_columns=2))
    if aging.dso:
        out.write(
            "\nDays sales outstanding per period "
            "(open at the period's end / invoiced in the period x its days):\n\n"
        )
        out.writelines(line + "\n" for line in aligned(dso_rows(aging)))
    if aging.pending:
        out.write(f"\n{aging.pending:,} events dated after {aging.as_of} not applied.\n")
    if aging.rejected:
        out.write(f"\nRejected, not applied ({len(aging.rejected)}):\n")
        out.writelines(f"  {rejection.message}\n" for rejection in aging.rejected)
