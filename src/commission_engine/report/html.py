"""HTML tables for Jupyter: rows of text as a table, and statements as a table.

Statements are core values, so :func:`statements_table` wraps them, and
:func:`register_notebook_display` teaches IPython to show a
:class:`~commission_engine.Result` or a :class:`~commission_engine.Statement`
as a table on its own. Plain string building: no extra is needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from ..api import Result
from ..domain.money import show
from ..domain.statements import Statement
from .tables import aligned

STATEMENT_HEADER = (
    "rep",
    "period",
    "currency",
    "gross",
    "recovered",
    "payout",
    "debt_balance",
    "held_balance",
)


def html_table(rows: Sequence[Sequence[str]], *, caption: str | None = None) -> str:
    """The first row as the header; the first column left-aligned, the others right-aligned."""
    header, *body = rows
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    lines = [
        "<tr>"
        + "".join(
            f'<td style="text-align:{"left" if index == 0 else "right"}">{escape(cell)}</td>'
            for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in body
    ]
    title = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (
        f'<table class="commission-engine">{title}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table>"
    )


def statement_rows(statements: Iterable[Statement]) -> list[list[str]]:
    """The statement header, then one row per statement, money with its currency's digits."""
    rows = [list(STATEMENT_HEADER)]
    for s in statements:
        money = [s.gross, s.recovered, s.payout, s.debt_balance, s.held_balance]
        rows.append([s.rep, s.period, s.currency, *(show(m, s.currency) for m in money)])
    return rows


@dataclass(frozen=True, slots=True)
class StatementTable:
    """Statements that show as an HTML table in Jupyter and as text elsewhere."""

    statements: tuple[Statement, ...]

    def _repr_html_(self) -> str:
        return html_table(statement_rows(self.statements))

    def __str__(self) -> str:
        return "\n".join(aligned(statement_rows(self.statements), text_columns=3))


def statements_table(
    source: Result | Iterable[Statement], *, rep: str | None = None
) -> StatementTable:
    """The statements of a result (or any statements), optionally of one rep only.

    >>> from commission_engine import Plan, PlanBook, compute
    >>> plans = PlanBook(plans=[Plan(id="L2", currency="USD", level=2, rate="0.10")])
    >>> result = compute(plans, [
    ...     {"type": "invoice", "id": "e1", "date": "2026-01-15", "invoice": "I1",
    ...      "rep": "ana", "amount": "1000.00"}])
    >>> print(statements_table(result))
    rep  period   currency  gross  recovered  payout  debt_balance  held_balance
    ana  2026-01  USD       50.00       0.00   50.00          0.00         50.00
    """
    statements = source.statements if isinstance(source, Result) else tuple(source)
    return StatementTable(tuple(s for s in statements if rep is None or s.rep == rep))


def register_notebook_display(ipython: Any = None) -> None:
    """Show every :class:`Result` and :class:`Statement` as an HTML table in this notebook.

    ``ipython`` defaults to the running IPython shell; outside IPython this does nothing.
    """
    if ipython is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        ipython = get_ipython()
        if ipython is None:
            return
    formatter = ipython.display_formatter.formatters["text/html"]
    formatter.for_type(Result, lambda result: statements_table(result)._repr_html_())
    formatter.for_type(Statement, lambda statement: statements_table([statement])._repr_html_())
