"""What :func:`~.aging.age_receivables` returns: receivables and commission at risk per rep,
DSO per period, and how they show.

The figures are computed in :mod:`.aging`; this module holds the result types, the aging
buckets, and their views: rows of text for the CLI and HTML, a JSON-ready document, and
DataFrames (``to_frame()``, with the ``notebook`` extra). The definitions are in
``docs/modeling.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import TYPE_CHECKING

from ..domain.errors import Rejection
from ..domain.money import round_ratio, show
from ..report.html import html_table
from ..report.tables import MoneyFormat, days, rejection_document, snake_case

if TYPE_CHECKING:
    import pandas

#: The aging buckets, by days past due: not yet due, then 1-30, 31-60, 61-90 and over 90.
BUCKETS = ("current", "1-30", "31-60", "61-90", "over 90")


def bucket_of(days_past_due: int) -> str:
    """The aging bucket of an open balance ``days_past_due`` days after its due date.

    >>> [bucket_of(days) for days in (-5, 0, 1, 30, 31, 60, 61, 90, 91)]
    ['current', 'current', '1-30', '1-30', '31-60', '31-60', '61-90', '61-90', 'over 90']
    """
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1-30"
    if days_past_due <= 60:
        return "31-60"
    if days_past_due <= 90:
        return "61-90"
    return "over 90"


@dataclass(frozen=True, slots=True)
class OpenItem:
    """One rep's part of one invoice with an open balance on ``Aging.as_of``.

    ``clawback_exposure`` is what the past-due clawback would take back on
    ``clawback_date`` if nothing more is paid by then (zero when no such
    clawback is pending for this rep and invoice).
    """

    rep: str
    currency: str
    invoice: str
    date: dt.date
    due: dt.date
    days_past_due: int
    bucket: str
    open: Decimal
    held: Decimal
    clawback_exposure: Decimal
    clawback_date: dt.date | None

    @property
    def at_risk(self) -> Decimal:
        return self.held + self.clawback_exposure


@dataclass(frozen=True, slots=True)
class RepAging:
    """A rep's open receivables by bucket, and their commission at risk, in one currency.

    ``held`` is the rep's whole held balance (it equals ``held_balance`` on the
    statement of the period containing ``as_of``).
    """

    rep: str
    currency: str
    current: Decimal
    days_1_30: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    over_90: Decimal
    held: Decimal
    clawback_exposure: Decimal

    @property
    def open(self) -> Decimal:
        return self.current + self.days_1_30 + self.days_31_60 + self.days_61_90 + self.over_90

    @property
    def at_risk(self) -> Decimal:
        return self.held + self.clawback_exposure

    def buckets(self) -> dict[str, Decimal]:
        """Bucket name (as in :data:`BUCKETS`) -> open amount."""
        amounts = (self.current, self.days_1_30, self.days_31_60, self.days_61_90, self.over_90)
        return dict(zip(BUCKETS, amounts, strict=True))


@dataclass(frozen=True, slots=True)
class PeriodDso:
    """Days sales outstanding of one rep in one period: ``receivables / sales * days``.

    ``receivables`` are open at the end of the period (or on ``as_of``, for
    the period containing it), ``sales`` are the amounts invoiced in it and
    ``days`` the days it counts up to that end. ``dso`` is ``None`` when the
    period has no sales.
    """

    rep: str
    currency: str
    period: str
    receivables: Decimal
    sales: Decimal
    days: int
    dso: Decimal | None


@dataclass(frozen=True, slots=True)
class Aging:
    """Receivables and commission at risk per rep on ``as_of``, and DSO per period."""

    as_of: dt.date
    reps: tuple[RepAging, ...]
    items: tuple[OpenItem, ...] = field(repr=False)
    dso: tuple[PeriodDso, ...] = field(repr=False)
    rejected: tuple[Rejection, ...] = field(repr=False)
    pending: int = 0

    def rep(self, rep: str, currency: str | None = None) -> RepAging:
        """The aging of ``rep`` (in ``currency``, when the rep is paid in more than one)."""
        for row in self.reps:
            if row.rep == rep and currency in (None, row.currency):
                return row
        raise KeyError(f"no receivables for rep {rep} on {self.as_of}")

    def to_frame(self) -> pandas.DataFrame:
        """One row per rep and currency (needs the ``notebook`` extra).

        The columns: rep, currency, the buckets, open, held, clawback exposure, at risk.
        """
        from ..report.frames import records_frame

        records = [
            {
                "rep": row.rep,
                "currency": row.currency,
                **row.buckets(),
                "open": row.open,
                "held": row.held,
                "clawback_exposure": row.clawback_exposure,
                "at_risk": row.at_risk,
            }
            for row in self.reps
        ]
        columns = ["rep", "currency", *BUCKETS, "open", "held", "clawback_exposure", "at_risk"]
        return records_frame(records, columns)

    def items_frame(self) -> pandas.DataFrame:
        """One row per rep and open invoice, with its bucket and commission at risk (needs the
        ``notebook`` extra)."""
        from ..report.frames import records_frame

        names = [field.name for field in fields(OpenItem)]
        records = [{**asdict(item), "at_risk": item.at_risk} for item in self.items]
        return records_frame(records, [*names, "at_risk"])

    def dso_frame(self) -> pandas.DataFrame:
        """One row per rep, currency and period: receivables, sales, days and DSO (needs the
        ``notebook`` extra)."""
        from ..report.frames import records_frame

        records = [asdict(row) for row in self.dso]
        return records_frame(records, [field.name for field in fields(PeriodDso)])

    def _repr_html_(self) -> str:
        """A table: one row per rep and currency."""
        return html_table(aging_rows(self), caption=f"receivables as of {self.as_of}")


# The aging as text -----------------------------------------------------------------------

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


def aging_csv_rows(aging: Aging) -> list[list[str]]:
    """The CSV: :func:`aging_rows` under snake_case names, with each rep's DSO of the period
    of ``as_of`` (``dso_period``, ``dso`` to 4 places; blank without sales in it)."""
    latest: dict[tuple[str, str], PeriodDso] = {}
    for period in aging.dso:  # in period order per rep: the last one is as_of's
        latest[(period.rep, period.currency)] = period
    header = [*(snake_case(name) for name in AGING_HEADER), "dso_period", "dso"]
    rows = [header]
    for row in aging.reps:
        dso = latest.get((row.rep, row.currency))
        rows.append(
            [
                *aging_row(row),
                "" if dso is None else dso.period,
                "" if dso is None or dso.dso is None else str(round_ratio(dso.dso)),
            ]
        )
    return rows


def aging_document(aging: Aging) -> dict[str, object]:
    """An aging as JSON-ready data: per rep, per open invoice and per period (DSO)."""
    return {
        "as_of": aging.as_of.isoformat(),
        "reps": [
            {
                "rep": row.rep,
                "currency": row.currency,
                "buckets": {
                    snake_case(name): show(amount, row.currency)
                    for name, amount in row.buckets().items()
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
                "dso": None if row.dso is None else str(round_ratio(row.dso)),
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
