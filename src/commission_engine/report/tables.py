"""Figures as text, shared by plain-text tables, HTML, JSON and CSV.

Money is shown with exactly its currency's minor digits (or by a formatter the
caller gives, such as a locale's). Shares and average days are not money: they
are kept exact in the results and only shortened here, for reading.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from ..domain.errors import Rejection, printable

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


def snake_case(name: str) -> str:
    """A column's name as every JSON and CSV writes it: lower case words joined by ``_``; a
    range of days is named as such.

    >>> [snake_case(n) for n in ("at risk", "1-30", "over 90", "days past due")]
    ['at_risk', 'days_1_30', 'over_90', 'days_past_due']
    """
    name = name.replace(" ", "_").replace("-", "_")
    return f"days_{name}" if name[:1].isdigit() else name


#: How a share or a number of days is shown.
FigureFormat = Callable[[Decimal | None], str]


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
