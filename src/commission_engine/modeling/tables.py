"""The figures of a comparison and an aging as rows of text, shared by HTML and the CLI.

Money is shown with exactly its currency's minor digits (or by a formatter the
caller gives, such as a locale's). Shares and average days are not money: they
are kept exact in the results and only shortened here, for reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from ..domain.errors import Rejection, printable
from ..domain.money import show
from .aging import BUCKETS, Aging, RepAging
from .compare import Comparison, PlanOutcome

#: (amount, currency) -> text.
MoneyFormat = Callable[[Decimal, str], str]


def percent(value: Decimal | None) -> str:
    """A share as a percentage with two decimals, for reading: ``"8.33%"``."""
    return "" if value is None else f"{value * 100:.2f}%"


def days(value: Decimal | None) -> str:
    """A number of days with one decimal, for reading: ``"37.4"``."""
    return "" if value is None else f"{value:.1f}"


def exact(value: Decimal | None) -> str:
    """A share or average exactly as computed, for machines (JSON, CSV)."""
    return "" if value is None else str(value)


#: How a share or a number of days is shown.
FigureFormat = Callable[[Decimal | None], str]


def _figures(
    money: MoneyFormat, ratio: FigureFormat, day: FigureFormat
) -> list[tuple[str, str, Callable[[PlanOutcome], str]]]:
    """The figures of a comparison: field name, label, and how to show it for one outcome."""

    def cash(attribute: str) -> Callable[[PlanOutcome], str]:
        return lambda o: money(getattr(o, attribute), o.currency)

    return [
        ("currency", "currency", lambda o: o.currency),
        ("payout", "total payout", cash("payout")),
        ("gross", "commission earned (net)", cash("gross")),
        ("clawed_back", "clawed back", cash("clawed_back")),
        ("reinstated", "reinstated", cash("reinstated")),
        ("peak_debt", "peak debt", cash("peak_debt")),
        ("peak_debt_period", "peak debt in", lambda o: o.peak_debt_period or ""),
        ("final_debt", "final debt", cash("final_debt")),
        ("held", "held at end", cash("held")),
        ("collected", "cash collected", cash("collected")),
        ("cost_share", "payout / cash collected", lambda o: ratio(o.cost_share)),
        ("weighted_days", "avg days invoice to payable", lambda o: day(o.weighted_days)),
        ("rejected", "events not applied", lambda o: str(len(o.rejected))),
    ]


def comparison_rows(comparison: Comparison, money: MoneyFormat = show) -> list[list[str]]:
    """A header row (``figure`` then one column per scenario), then one row per figure."""
    rows = [["figure", *comparison.names]]
    for _, label, shown in _figures(money, percent, days):
        rows.append([label, *(shown(outcome) for outcome in comparison.outcomes)])
    return rows


def comparison_csv_rows(comparison: Comparison) -> list[list[str]]:
    """As :func:`comparison_rows`, with field names and exact shares and days."""
    rows = [["figure", *comparison.names]]
    for name, _, shown in _figures(show, exact, exact):
        rows.append([name, *(shown(outcome) for outcome in comparison.outcomes)])
    return rows


def outcome_document(outcome: PlanOutcome) -> dict[str, object]:
    """One scenario as JSON-ready data: money as strings with the currency's digits.

    Shares and average days are exact decimal strings (``null`` when undefined).
    """
    document: dict[str, object] = {"plan": outcome.name}
    for name, _, shown in _figures(show, exact, exact):
        if name != "rejected":
            document[name] = shown(outcome) or None
    document["rejected"] = [rejection_document(r) for r in outcome.rejected]
    document["pending"] = outcome.result.pending
    document["periods"] = [
        {
            "period": p.period,
            **{
                field: show(getattr(p, field), outcome.currency)
                for field in ("gross", "payout", "cumulative_payout", "clawed_back", "held", "debt")
            },
        }
        for p in outcome.periods
    ]
    return document


AGING_HEADER = [
    "rep",
    "currency",
    *BUCKETS,
    "open",
    "held",
    "clawback exposure",
    "at risk",
]


def aging_row(row: RepAging, money: MoneyFormat = show) -> list[str]:
    """A rep's aging as text, in the order of :data:`AGING_HEADER`."""
    amounts = [*row.buckets().values(), row.open, row.held, row.clawback_exposure, row.at_risk]
    return [row.rep, row.currency, *(money(amount, row.currency) for amount in amounts)]


def aging_rows(aging: Aging, money: MoneyFormat = show) -> list[list[str]]:
    """The header, then one row per rep and currency."""
    return [AGING_HEADER, *(aging_row(row, money) for row in aging.reps)]


def aging_document(aging: Aging) -> dict[str, object]:
    """An aging as JSON-ready data: per rep, per open invoice and per period (DSO)."""
    return {
        "as_of": aging.as_of.isoformat(),
        "reps": [
            {
                "rep": row.rep,
                "currency": row.currency,
                "buckets": {
                    name: show(amount, row.currency) for name, amount in row.buckets().items()
                },
                **{
                    name: show(getattr(row, name), row.currency)
                    for name in ("open", "held", "clawback_exposure", "at_risk")
                },
            }
            for row in aging.reps
        ],
        "invoices": [
            {
                "rep": item.rep,
                "invoice": item.invoice,
                "currency": item.currency,
                "date": item.date.isoformat(),
                "due": item.due.isoformat(),
                "days_past_due": item.days_past_due,
                "bucket": item.bucket,
                **{
                    name: show(getattr(item, name), item.currency)
                    for name in ("open", "held", "clawback_exposure", "at_risk")
                },
                "clawback_date": None if item.clawback_date is None else str(item.clawback_date),
            }
            for item in aging.items
        ],
        "dso": [
            {
                "rep": row.rep,
                "currency": row.currency,
                "period": row.period,
                "receivables": show(row.receivables, row.currency),
                "sales": show(row.sales, row.currency),
                "days": row.days,
                "dso": exact(row.dso) or None,
            }
            for row in aging.dso
        ],
        "rejected": [rejection_document(r) for r in aging.rejected],
        "pending": aging.pending,
    }


def dso_rows(aging: Aging) -> list[list[str]]:
    """A header (``period`` then one column per rep and currency), then one row per period."""
    keys = sorted({(row.rep, row.currency) for row in aging.dso})
    several = len({currency for _, currency in keys}) > 1
    periods = sorted({row.period for row in aging.dso})
    value = {(row.rep, row.currency, row.period): days(row.dso) for row in aging.dso}
    header = ["period", *(f"{rep} ({currency})" if several else rep for rep, currency in keys)]
    return [
        header,
        *([period, *(value.get((*key, period), "") for key in keys)] for period in periods),
    ]


def rejection_document(rejection: Rejection) -> dict[str, object]:
    """A rejection as in the ``payouts`` JSON document."""
    return {
        "line": rejection.line,
        "event": rejection.event,
        "field": rejection.field,
        "reason": rejection.reason,
    }


def aligned(rows: Sequence[Sequence[str]], text_columns: int = 1) -> list[str]:
    """Rows as lines of a plain-text table: the first ``text_columns`` left, the rest right.
    Control characters in a cell are written as escapes (:func:`~..errors.printable`)."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if index < text_columns else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
