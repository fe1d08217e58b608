"""Month end: one pay period's statements as a table, with a subtotal per rep (``payouts
--period``). What payroll pays for the month, and per rep what makes it up."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TextIO

from ..api import Result
from ..domain.currencies import format_money
from ..domain.money import ZERO
from ..domain.statements import Statement
from .tables import aligned
from .translations import label, month


def write_period_table(result: Result, out: TextIO, period: str, locale: str) -> None:
    """The statements of ``period`` (``result`` holds no others), each rep's lines under their
    statement and a subtotal per rep and currency, then the month's total payout."""
    through = "(no events)" if result.through is None else f"through {result.through}"
    out.write(f"{label('Payouts for', locale)} {month(period, locale)} ({period}), {through}\n\n")
    statements = result.statements
    if not statements:
        out.write("No statements.\n")
        return
    totals: dict[str, Decimal] = {}
    reps: dict[str, list[Statement]] = {}
    for statement in statements:
        reps.setdefault(statement.rep, []).append(statement)
        totals[statement.currency] = totals.get(statement.currency, ZERO) + statement.payout
    # A draw column only when a statement has a draw (11.5), before the payout it is part of.
    drawn = any(s.draw for s in statements)
    draw_heading: tuple[str, ...] = ("draw",) if drawn else ()
    heading = ("rep", "currency", "kind", "date", "invoice", "event", "gross", "recovered")
    rows: list[Sequence[str]] = [(*heading, *draw_heading, "payout")]
    blank: tuple[str, ...] = ("",) if drawn else ()
    for rep, own in reps.items():
        for s in own:
            for line in s.lines:
                rows.append(
                    (
                        rep,
                        s.currency,
                        line.kind,
                        line.date.isoformat(),
                        line.invoice or "-",
                        line.event or "-",
                        format_money(line.amount, s.currency, locale),
                        "",
                        *blank,
                        "",
                    )
                )
            if s.draw:  # what the draw tops up, and whether it is owed back
                kind = "draw (recoverable)" if s.draw_recoverable else "draw (not recoverable)"
                draw = format_money(s.draw, s.currency, locale)
                rows.append((rep, s.currency, label(kind, locale), "", "", "", "", "", draw, ""))
            rows.append(
                (
                    rep,
                    s.currency,
                    label("Subtotal", locale),
                    "",
                    "",
                    "",
                    format_money(s.gross, s.currency, locale),
                    format_money(s.recovered, s.currency, locale),
                    *((format_money(s.draw, s.currency, locale),) if drawn else ()),
                    format_money(s.payout, s.currency, locale),
                )
            )
    out.writelines(line + "\n" for line in aligned(rows, text_columns=6))
    paid = ", ".join(format_money(total, code, locale) for code, total in totals.items())
    out.write(f"\nTotal payout: {paid}\n")
