"""The weekly overdue list finance hands each rep: their customers' invoices past due, the
commission at risk on each, and who works it (the 30/60-day handoff to collections).

The open items are the aging's own (:func:`~.aging.age_receivables`): each rep's part of
each open invoice, with the commission the plan would claw back and when, by the engine's
figures. This module picks the past-due ones, names their customer, gives each a stage
(:class:`Stages`), and orders them so a rep can work the list from the top. The definitions
are in ``docs/modeling.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import TYPE_CHECKING

from ..api import EventInput
from ..domain.disputes import past_due_days
from ..domain.errors import CommissionEngineError, Rejection
from ..domain.money import show, zero
from ..domain.plans import PlanBook
from ..report.html import html_table
from ..report.tables import MoneyFormat, rejection_document, snake_case
from .aging import age_receivables
from .applied import InvoiceFacts, applied_events, invoice_facts, parsed
from .receivables import OpenItem

if TYPE_CHECKING:
    import pandas


@dataclass(frozen=True, slots=True)
class Stages:
    """Who works an invoice, by its days past due: the handoff thresholds.

    An invoice 1 to ``informed_from - 1`` days past due is the rep's to follow up; from
    ``informed_from`` through ``collections_from - 1`` days it is with collections, the rep
    informed; from ``collections_from`` days on, with collections. The defaults read "under
    30 days, 30 to 60, over 60": day 29 is the rep's, days 30 and 60 are collections with
    the rep informed, day 61 is collections.

    >>> [Stages().stage_of(days) for days in (1, 29, 30, 60, 61)]  # doctest: +NORMALIZE_WHITESPACE
    ['rep follows up', 'rep follows up', 'collections with the rep informed',
     'collections with the rep informed', 'collections']
    """

    informed_from: int = 30
    collections_from: int = 61

    #: The stages, in the order an invoice goes through them.
    NAMES = ("rep follows up", "collections with the rep informed", "collections")

    def __post_init__(self) -> None:
        if not 2 <= self.informed_from < self.collections_from:
            raise CommissionEngineError(
                "the handoff days must rise, from 2 days past due on: collections with the rep "
                f"informed from {self.informed_from}, collections from {self.collections_from}"
            )

    def stage_of(self, days_past_due: int) -> str:
        """The stage of an invoice ``days_past_due`` days past due (1 or more)."""
        if days_past_due >= self.collections_from:
            return self.NAMES[2]
        if days_past_due >= self.informed_from:
            return self.NAMES[1]
        return self.NAMES[0]


@dataclass(frozen=True, slots=True)
class OverdueItem:
    """One rep's part of one invoice past due on ``Overdue.as_of``.

    ``clawback_exposure`` is what the plan's past-due clawback would take back on
    ``clawback_date`` if nothing more is paid (zero when none is pending: the plan has no
    such clawback, or it has already been taken); ``held`` is commission not paid yet, which
    comes only if the customer pays. Both are the aging's (:class:`~.receivables.OpenItem`).

    ``disputed``: the invoice is in dispute on ``as_of`` (SEMANTICS.md 11.6). Its past-due
    clock is stopped: ``days_past_due`` is the clock's count (days past the due date not
    inside a dispute, this one's or earlier ones'), and there is no ``clawback_date`` until
    the dispute is resolved. An invoice is on the list once its due date has passed unpaid,
    in dispute or not.
    """

    rep: str
    currency: str
    customer: str
    invoice: str
    date: dt.date
    due: dt.date
    days_past_due: int
    disputed: bool
    stage: str
    open: Decimal
    held: Decimal
    clawback_exposure: Decimal
    clawback_date: dt.date | None

    @property
    def at_risk(self) -> Decimal:
        return self.held + self.clawback_exposure


def work_order(items: Iterable[OverdueItem]) -> list[OverdueItem]:
    """Per rep (and currency), one customer after another, each with all their invoices:
    the customer with the oldest invoice first (then the most open, then by name), and
    within a customer the oldest invoice first."""
    items = list(items)
    oldest: dict[tuple[str, str, str], int] = {}
    owed: dict[tuple[str, str, str], Decimal] = {}
    for item in items:
        key = (item.rep, item.currency, item.customer)
        oldest[key] = max(oldest.get(key, 0), item.days_past_due)
        owed[key] = owed.get(key, zero(item.currency)) + item.open

    def order(item: OverdueItem) -> tuple[str, str, int, Decimal, str, int, str]:
        key = (item.rep, item.currency, item.customer)
        return (
            item.rep,
            item.currency,
            -oldest[key],
            -owed[key],
            item.customer,
            -item.days_past_due,
            item.invoice,
        )

    return sorted(items, key=order)


@dataclass(frozen=True, slots=True)
class Overdue:
    """The overdue list on ``as_of``: every rep's past-due items, in :func:`work_order`."""

    as_of: dt.date
    stages: Stages
    items: tuple[OverdueItem, ...]
    rejected: tuple[Rejection, ...] = field(repr=False)
    pending: int = 0

    def of_rep(self, rep: str) -> tuple[OverdueItem, ...]:
        """The list of one rep."""
        return tuple(item for item in self.items if item.rep == rep)

    def by_stage(self) -> dict[tuple[str, str], dict[str, Decimal]]:
        """(rep, currency) -> stage -> amount open past due (every stage, zero included)."""
        totals: dict[tuple[str, str], dict[str, Decimal]] = {}
        for item in self.items:
            stages = totals.setdefault(
                (item.rep, item.currency), {name: zero(item.currency) for name in Stages.NAMES}
            )
            stages[item.stage] += item.open
        return totals

    def to_frame(self) -> pandas.DataFrame:
        """One row per item, in work order, with ``at_risk`` (needs the ``notebook`` extra)."""
        from ..report.frames import records_frame

        names = [f.name for f in fields(OverdueItem)]
        records = [{**asdict(item), "at_risk": item.at_risk} for item in self.items]
        return records_frame(records, [*names, "at_risk"])

    def _repr_html_(self) -> str:
        return overdue_html(self)


def overdue_list(
    plans: PlanBook,
    events: Iterable[EventInput],
    as_of: dt.date,
    *,
    stages: Stages | None = None,
) -> Overdue:
    """Every rep's invoices past due on ``as_of``, with the commission at risk and the stage.

    >>> from commission_engine import Plan, PlanBook
    >>> plans = PlanBook(plans=[Plan(id="L1", currency="USD", level=1, rate="0.10")])
    >>> events = [
    ...     {"type": "invoice", "id": "e1", "date": "2026-01-01", "invoice": "I1",
    ...      "rep": "ana", "customer": "Acme", "amount": "1000.00", "due": "2026-01-31"}]
    >>> item, = overdue_list(plans, events, dt.date(2026, 3, 2)).items
    >>> item.customer, item.days_past_due, item.stage, item.clawback_exposure, item.clawback_date
    ('Acme', 30, 'collections with the rep informed', Decimal('100.00'), datetime.date(2026, 5, 1))
    """
    stages = stages or Stages()
    given = parsed(events)
    aging = age_receivables(plans, given, as_of, dso=False)
    facts = invoice_facts(applied_events(given, aging.rejected, as_of))
    items = work_order(
        _overdue(item, facts[item.invoice], stages, as_of)
        for item in aging.items
        if item.days_past_due > 0  # past its due date on the calendar
    )
    return Overdue(
        as_of=as_of,
        stages=stages,
        items=tuple(items),
        rejected=aging.rejected,
        pending=aging.pending,
    )


def _overdue(item: OpenItem, facts: InvoiceFacts, stages: Stages, as_of: dt.date) -> OverdueItem:
    # The clock of 11.6, over the disputes the run applied (the engine's own rule).
    days = past_due_days(item.due, facts.disputes, as_of)
    return OverdueItem(
        rep=item.rep,
        currency=item.currency,
        customer=facts.customer,
        invoice=item.invoice,
        date=item.date,
        due=item.due,
        days_past_due=days,
        disputed=bool(facts.disputes) and facts.disputes[-1][1] is None,
        stage=stages.stage_of(days),
        open=item.open,
        held=item.held,
        clawback_exposure=item.clawback_exposure,
        clawback_date=item.clawback_date,
    )


# The list as text ------------------------------------------------------------------------

OVERDUE_HEADER = [
    "rep",
    "customer",
    "invoice",
    "currency",
    "due",
    "days past due",
    "disputed",
    "stage",
    "open",
    "held",
    "clawback",
    "clawback date",
    "at risk",
]
#: The columns that are text (left-aligned in a table): the first eight.
OVERDUE_TEXT_COLUMNS = 8


def overdue_row(item: OverdueItem, money: MoneyFormat = show, flag: str = "disputed") -> list[str]:
    """An item as text, in the order of :data:`OVERDUE_HEADER`; ``flag`` is what the
    ``disputed`` column says of a disputed invoice (CSV: ``true``, and ``false`` if not)."""
    return [
        item.rep,
        item.customer,
        item.invoice,
        item.currency,
        item.due.isoformat(),
        str(item.days_past_due),
        (flag if item.disputed else "false" if flag == "true" else ""),
        item.stage,
        money(item.open, item.currency),
        money(item.held, item.currency),
        money(item.clawback_exposure, item.currency),
        "" if item.clawback_date is None else item.clawback_date.isoformat(),
        money(item.at_risk, item.currency),
    ]


#: The CSV's names for the columns: the JSON's.
OVERDUE_CSV_HEADER = [
    "clawback_exposure" if name == "clawback" else snake_case(name) for name in OVERDUE_HEADER
]


def overdue_rows(
    items: Iterable[OverdueItem], money: MoneyFormat = show, flag: str = "disputed"
) -> list[list[str]]:
    """The header, then one row per item. With ``flag="true"``, the CSV: its header is
    :data:`OVERDUE_CSV_HEADER`, and ``disputed`` is ``true`` or ``false``."""
    header = OVERDUE_CSV_HEADER if flag == "true" else OVERDUE_HEADER
    return [header, *(overdue_row(item, money, flag) for item in items)]


def overdue_document(overdue: Overdue) -> dict[str, object]:
    """The list as JSON-ready data: the thresholds, then the items in work order."""
    return {
        "as_of": overdue.as_of.isoformat(),
        "stages": [
            {"stage": name, "from_days": days}
            for name, days in zip(
                overdue.stages.NAMES,
                (1, overdue.stages.informed_from, overdue.stages.collections_from),
                strict=True,
            )
        ],
        "items": [
            {
                "rep": item.rep,
                "customer": item.customer,
                "invoice": item.invoice,
                "currency": item.currency,
                "date": item.date.isoformat(),
                "due": item.due.isoformat(),
                "days_past_due": item.days_past_due,
                "disputed": item.disputed,
                "stage": item.stage,
                **{
                    name: show(getattr(item, name), item.currency)
                    for name in ("open", "held", "clawback_exposure", "at_risk")
                },
                "clawback_date": None if item.clawback_date is None else str(item.clawback_date),
            }
            for item in overdue.items
        ],
        "rejected": [rejection_document(r) for r in overdue.rejected],
        "pending": overdue.pending,
    }


def overdue_html(overdue: Overdue) -> str:
    """One table per rep, as the package's other HTML views draw them."""
    reps = sorted({item.rep for item in overdue.items})
    if not reps:
        return f"<p>Nothing past due on {overdue.as_of}.</p>"
    return "".join(
        html_table(
            [OVERDUE_HEADER[1:], *(row[1:] for row in overdue_rows(overdue.of_rep(rep))[1:])],
            caption=f"{rep}: invoices past due on {overdue.as_of}",
        )
        for rep in reps
    )
