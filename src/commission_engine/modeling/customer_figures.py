"""What :func:`~.customers.customer_pnl` returns: a customer P&L, per customer and per rep and
customer, and how it shows (rows of text, a JSON-ready document, DataFrames).

The figures are computed in :mod:`.customers`; the definitions are in ``docs/modeling.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import TYPE_CHECKING

from ..domain.errors import Rejection
from ..domain.money import show
from ..report.html import html_table
from ..report.tables import FigureFormat, MoneyFormat, days, exact, rejection_document

if TYPE_CHECKING:
    import pandas


@dataclass(frozen=True, slots=True)
class CustomerFigures:
    """One customer's P&L in one currency (``rep`` is ``None``), or one rep's part of it.

    Money is in the currency's minor units; ``contribution`` is ``net_margin -
    carrying_cost - commission_paid + commission_clawed_back`` exactly. ``gross_profit`` is
    over the invoices that give a cost (``None`` when none does); ``average_days`` is
    ``None`` when no invoice was paid in full, ``weighted_days`` when nothing was collected.
    """

    customer: str
    rep: str | None
    currency: str
    invoices: int
    invoiced: Decimal
    cost: Decimal
    gross_profit: Decimal | None
    credited: Decimal
    written_off: Decimal
    collected: Decimal
    open: Decimal
    net_margin: Decimal
    average_days: Decimal | None
    weighted_days: Decimal | None
    carrying_cost: Decimal
    commission_paid: Decimal
    commission_clawed_back: Decimal
    contribution: Decimal

    @property
    def margin(self) -> Decimal | None:
        """``contribution / invoiced`` (``None`` when nothing was invoiced)."""
        return self.contribution / self.invoiced if self.invoiced else None


@dataclass(frozen=True, slots=True)
class CustomerPnl:
    """The P&L through ``through``: each customer's row, followed by their reps' rows."""

    through: dt.date | None
    cost_of_capital: Decimal
    rows: tuple[CustomerFigures, ...]
    rejected: tuple[Rejection, ...] = field(repr=False)
    pending: int = 0

    @property
    def customers(self) -> tuple[CustomerFigures, ...]:
        """The customers' own rows (no rep)."""
        return tuple(row for row in self.rows if row.rep is None)

    def customer(self, name: str, currency: str | None = None) -> CustomerFigures:
        """The row of customer ``name`` (in ``currency``, when they buy in more than one)."""
        for row in self.customers:
            if row.customer == name and currency in (None, row.currency):
                return row
        raise KeyError(f"no invoices for customer {name} through {self.through}")

    def ranked(self) -> list[CustomerFigures]:
        """The customers' rows, the largest contribution first."""
        return sorted(self.customers, key=lambda row: (-row.contribution, row.customer))

    def to_frame(self, *, reps: bool = False) -> pandas.DataFrame:
        """One row per customer and currency, or with ``reps`` per rep, customer and currency
        (needs the ``notebook`` extra)."""
        from ..report.frames import records_frame

        names = [f.name for f in fields(CustomerFigures)]
        chosen = [row for row in self.rows if (row.rep is not None) == reps]
        records = [{**asdict(row), "margin": row.margin} for row in chosen]
        columns = [*names, "margin"] if reps else [n for n in [*names, "margin"] if n != "rep"]
        return records_frame(records, columns)

    def _repr_html_(self) -> str:
        return html_table(
            [row[:1] + row[2:] for row in pnl_rows(self.customers)],
            caption=f"customer P&L through {self.through}",
        )


# The P&L as text ---------------------------------------------------------------------------

PNL_HEADER = [
    "customer",
    "rep",
    "currency",
    "invoices",
    "invoiced",
    "cost",
    "gross profit",
    "credited",
    "written off",
    "collected",
    "open",
    "net margin",
    "average days",
    "weighted days",
    "carrying cost",
    "commission paid",
    "clawed back",
    "contribution",
]
#: The columns that are text (left-aligned in a table): customer, rep, currency.
PNL_TEXT_COLUMNS = 3


def pnl_row(
    row: CustomerFigures, money: MoneyFormat = show, figure: FigureFormat = days
) -> list[str]:
    """A row as text, in the order of :data:`PNL_HEADER`."""

    def amount(value: Decimal | None) -> str:
        return "" if value is None else money(value, row.currency)

    return [
        row.customer,
        row.rep or "",
        row.currency,
        str(row.invoices),
        *map(amount, (row.invoiced, row.cost, row.gross_profit, row.credited, row.written_off)),
        *map(amount, (row.collected, row.open, row.net_margin)),
        figure(row.average_days),
        figure(row.weighted_days),
        *map(amount, (row.carrying_cost, row.commission_paid, row.commission_clawed_back)),
        amount(row.contribution),
    ]


def pnl_rows(
    rows: tuple[CustomerFigures, ...], money: MoneyFormat = show, figure: FigureFormat = days
) -> list[list[str]]:
    """The header, then one row per figures."""
    return [PNL_HEADER, *(pnl_row(row, money, figure) for row in rows)]


def pnl_document(pnl: CustomerPnl) -> dict[str, object]:
    """The P&L as JSON-ready data: money as text with its minor digits, days exact."""
    header = [name.replace(" ", "_") for name in PNL_HEADER]
    return {
        "through": None if pnl.through is None else pnl.through.isoformat(),
        "cost_of_capital": str(pnl.cost_of_capital),
        "rows": [
            {
                **dict(zip(header, pnl_row(row, figure=exact), strict=True)),
                "rep": row.rep,
                "invoices": row.invoices,
                "gross_profit": None
                if row.gross_profit is None
                else show(row.gross_profit, row.currency),
                "average_days": exact(row.average_days) or None,
                "weighted_days": exact(row.weighted_days) or None,
            }
            for row in pnl.rows
        ],
        "rejected": [rejection_document(r) for r in pnl.rejected],
        "pending": pnl.pending,
    }
