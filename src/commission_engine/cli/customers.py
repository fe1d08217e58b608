"""``commission-engine customers PLAN_FILE EVENT_FILE``: the customer P&L.

Per customer, and per rep and customer: invoiced net of tax, gross profit where costs are
given, credit notes, write-offs, collected, days to pay, the carrying cost of the open
balances, the commission paid and clawed back, and the contribution that remains. Exit
status as for ``aging``.
"""

from __future__ import annotations

import argparse
import json
from decimal import Decimal
from typing import Any, TextIO

from ..api import read_events
from ..domain.currencies import format_money
from ..domain.errors import CommissionEngineError
from ..domain.money import shown, to_decimal
from ..files import read_plans
from ..modeling.customer_figures import PNL_TEXT_COLUMNS, CustomerPnl, pnl_document, pnl_rows
from ..modeling.customers import COST_OF_CAPITAL, customer_pnl
from ..parallel.by_rep import cores
from ..report.html import html_table
from ..report.render import csv_writer
from ..report.tables import aligned, exact, snake_case
from .commands import COMMANDS
from .options import add_files, add_through, say, stopped_by_rejections, with_events, write_safely
from .overdue import add_formats, html_page

PROG = "commission-engine customers"


def yearly_rate(text: str) -> Decimal:
    """An argparse type: a yearly rate such as 0.08."""
    try:
        return to_decimal(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a yearly rate such as 0.08 (for 8%), got {shown(text)}"
        ) from None


def register(subparsers: Any) -> None:
    """Add the ``customers`` subcommand."""
    parser = subparsers.add_parser(
        "customers",
        help=COMMANDS["customers"],
        description="Per customer, and per rep and customer: invoiced net of tax, gross profit "
        "where costs are given, credit notes, write-offs, collected, open, days to pay, the "
        "carrying cost of the open balances at --cost-of-capital, the commission paid and "
        "clawed back, and the contribution that remains (docs/modeling.md). Exit status: 0 "
        "all events applied (or --lenient), 1 an event rejected, 2 a bad plan file, an "
        "unreadable file or bad usage.",
    )
    add_files(parser)
    add_through(parser)
    parser.add_argument(
        "--cost-of-capital",
        metavar="RATE",
        type=yearly_rate,
        default=COST_OF_CAPITAL,
        help=f"the yearly cost of carrying receivables (default: {COST_OF_CAPITAL}, 8%%)",
    )
    add_formats(
        parser, lenient="compute from the events that could be applied and list the rejected "
        "ones (default: stop)",
    )  # fmt: skip
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compute the P&L and print it; returns the exit status."""
    try:
        plans = read_plans(args.plan_file)
        events = with_events(read_events(args.event_file, processes=cores()), args.event_file)
        pnl = customer_pnl(
            plans, events, through=args.through, cost_of_capital=args.cost_of_capital
        )
    except CommissionEngineError as error:
        say(PROG, str(error))
        return 2
    stopped = stopped_by_rejections(
        PROG, args, {"": pnl.rejected}, nothing_was="computed",
        lenient_would="compute from the events that could be applied", unlisted_in=("csv", "html"),
    )  # fmt: skip
    if stopped is not None:
        return stopped
    return write_safely(PROG, lambda out: _write(pnl, args, out))


def _write(pnl: CustomerPnl, args: argparse.Namespace, out: TextIO) -> None:
    if args.format == "json":
        json.dump(pnl_document(pnl), out, indent=2, ensure_ascii=False)
        out.write("\n")
    elif args.format == "csv":
        header, *rows = pnl_rows(pnl.rows, figure=exact)
        # The JSON's names (snake_case), as in every CSV.
        csv_writer(out).writerows([[snake_case(name) for name in header], *rows])
    elif args.format == "html":
        title = f"Customer P&L through {pnl.through}"
        out.write(html_page(title, html_table(pnl_rows(pnl.rows), caption=title)))
    else:
        _write_table(pnl, args.locale, out)


def _write_table(pnl: CustomerPnl, locale: str, out: TextIO) -> None:
    out.write(
        f"Customer P&L through {pnl.through}, receivables carried at "
        f"{pnl.cost_of_capital * 100:f}% a year\n\n"
    )
    if not pnl.rows:
        out.write("No invoices.\n")
    else:
        money = lambda amount, code: format_money(amount, code, locale)  # noqa: E731
        lines = aligned(pnl_rows(pnl.rows, money), PNL_TEXT_COLUMNS)
        out.write(lines[0] + "\n")
        for row, line in zip(pnl.rows, lines[1:], strict=True):
            if row.rep is None and row is not pnl.rows[0]:
                out.write("\n")  # a blank line between customers
            out.write(line + "\n")
    if pnl.pending:
        out.write(f"\n{pnl.pending:,} events dated after {pnl.through} not applied.\n")
    if pnl.rejected:
        out.write(f"\nRejected, not applied ({len(pnl.rejected)}):\n")
        out.writelines(f"  {rejection.message}\n" for rejection in pnl.rejected)
