"""``commission-engine compare PLAN_FILE EVENT_FILE``: the same events under each plan.

Every plan in the file is run on its own, with every rep on it (assignments
are not used), and the figures are printed with one column per plan. Exit
status as for ``payouts``: 0 when every plan applied every event (or with
``--lenient``), 1 when an event was rejected, 2 for a bad file or usage.
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from ..api import read_events
from ..domain.currencies import format_money
from ..domain.errors import CommissionEngineError, printable
from ..files import read_plans
from ..modeling.compare import compare_plans
from ..modeling.comparison import (
    Comparison,
    comparison_csv_rows,
    comparison_rows,
    outcome_document,
)
from ..report.render import csv_writer
from ..report.tables import aligned
from .commands import COMMANDS
from .options import (
    add_files,
    add_output,
    add_processes,
    add_scheduler,
    add_through,
    cluster,
    say,
    stopped_by_rejections,
    with_events,
    write_safely,
)
from .progress import Progress

PROG = "commission-engine compare"


def register(subparsers: Any) -> None:
    """Add the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help=COMMANDS["compare"],
        description="Run the events of EVENT_FILE under each plan of PLAN_FILE in turn (every "
        "rep on that plan) and print, one column per plan: total payout, clawed back, peak and "
        "final debt, held at the end, payout as a share of cash collected, and the average days "
        "from invoice to payable. Exit status: 0 all events applied (or --lenient), 1 an event "
        "rejected, 2 a bad plan file, an unreadable file or bad usage.",
    )
    add_files(parser)
    add_through(parser)
    add_output(
        parser, lenient="compare even when a plan rejects events, and list them (default: stop)"
    )
    add_processes(
        parser,
        "compute up to N plans at once, each in its own process (default: the cores this "
        "process may use, here %(default)s); the figures are the same",
    )
    add_scheduler(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compare the plans and print the figures; returns the exit status."""
    try:
        book = read_plans(args.plan_file)
        with cluster(args.scheduler) as client, Progress() as progress:
            events = with_events(
                read_events(args.event_file, processes=args.processes, client=client),
                args.event_file,
            )
            events = progress.reading(events, args.event_file.name, then="computing the plans")
            comparison = compare_plans(
                book.plans, events, through=args.through, processes=args.processes, client=client
            )
    except CommissionEngineError as error:
        say(PROG, str(error))
        return 2
    rejected = {o.name: o.rejected for o in comparison.outcomes if o.rejected}
    stopped = stopped_by_rejections(
        PROG, args, rejected, nothing_was="compared",
        lenient_would="compare on the events each plan could apply",
    )  # fmt: skip
    if stopped is not None:
        return stopped
    return write_safely(PROG, lambda out: _write(comparison, args, out))


def _write(comparison: Comparison, args: argparse.Namespace, out: TextIO) -> None:
    if args.format == "json":
        document = {
            "through": None if comparison.through is None else comparison.through.isoformat(),
            "plans": [outcome_document(outcome) for outcome in comparison.outcomes],
        }
        json.dump(document, out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        csv_writer(out).writerows(comparison_csv_rows(comparison))
    else:
        _write_table(comparison, args.locale, out)


def _write_table(comparison: Comparison, locale: str, out: TextIO) -> None:
    through = "no events" if comparison.through is None else f"through {comparison.through}"
    out.write(f"Plans compared on the same events, {through}\n\n")
    rows = comparison_rows(comparison, lambda amount, code: format_money(amount, code, locale))
    out.writelines(line + "\n" for line in aligned(rows))
    for outcome in comparison.outcomes:
        if outcome.rejected:
            out.write(
                f"\n{printable(outcome.name)}: rejected, not applied ({len(outcome.rejected)}):\n"
            )
            out.writelines(f"  {rejection.message}\n" for rejection in outcome.rejected)
