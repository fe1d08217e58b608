"""Collection bonuses: a rep's DSO or share current over a bonus period (SEMANTICS.md 11.3).

At each month end the engine asks :func:`collection_bonuses` which reps earn a bonus for a
bonus period ending that day. The measure is taken over all the rep's invoices in the plan's
currency, by share, on the balances at the end of that day; it is computed exactly and
compared without dividing, so no rounding decides a tier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from .money import ONE, ZERO, Exact, exact_ratio, round_money, show, shown_measure
from .plans import CollectionBonus, Plan
from .rating import quota_period_of
from .targets import Terms
from .working import WorkingState


@dataclass(slots=True)
class Measure:
    """A rep's balances for one bonus period: ``open_end`` and its ``current`` part, by share,
    at the end of the last day; ``sales``, by share, of invoices dated in the period."""

    open_end: Decimal = ZERO
    current: Decimal = ZERO
    sales: Decimal = ZERO


def period_start(day: dt.date, period: str) -> dt.date | None:
    """The first day of the bonus ``period`` ending on ``day``; ``None`` if none ends then.

    >>> period_start(dt.date(2026, 6, 30), "quarter"), period_start(dt.date(2026, 5, 31), "year")
    (datetime.date(2026, 4, 1), None)
    """
    if period == "month":
        return day.replace(day=1)
    if period == "quarter":
        return day.replace(month=day.month - 2, day=1) if day.month % 3 == 0 else None
    return day.replace(month=1, day=1) if day.month == 12 else None


def collection_bonuses(
    book: WorkingState,
    plan_for: Callable[[str, dt.date], Plan | None],
    terms: dict[str, Terms],
    day: dt.date,
) -> Iterator[tuple[str, str, Decimal, str]]:
    """(rep, currency, amount, detail) of each bonus earned for a period ending on ``day``
    (a month end), reps in a fixed order. The bonus is the plan's in force on ``day``, paid in
    its currency, measured over the rep's invoices in that currency."""
    due: dict[tuple[str, str], tuple[CollectionBonus, dt.date]] = {}
    for rep, currency in sorted(book.ledgers):
        plan = plan_for(rep, day)
        if plan is None or plan.currency != currency:
            continue
        bonus = terms[plan.id].bonus
        start = None if bonus is None else period_start(day, bonus.period)
        if bonus is not None and start is not None:
            due[(rep, currency)] = (bonus, start)
    if not due:
        return
    measures = _measures(book, due, day)
    for key, (bonus, start) in due.items():
        measure = measures.get(key)
        if measure is None or not measure.sales:
            continue  # no sales, no bonus
        days = (day - start).days + 1
        label = quota_period_of(day, bonus.period)
        for tier in bonus.tiers:
            if _holds(bonus, tier.at_most, tier.at_least, measure, days):
                yield (*key, tier.amount, _detail(bonus, measure, days, label, key[1]))
                break


def _measures(
    book: WorkingState, due: dict[tuple[str, str], tuple[CollectionBonus, dt.date]], day: dt.date
) -> dict[tuple[str, str], Measure]:
    measures: dict[tuple[str, str], Measure] = {}
    # Working invoices, and those of a resumed state no event has touched yet, as saved.
    invoices = [*book.invoices.values()]
    invoices.extend(r for i, r in book.resumed.items() if i not in book.invoices)
    for invoice in invoices:
        open_ = invoice.amount - invoice.credited - invoice.paid - invoice.written_off
        for position in invoice.positions:
            key = (position.rep, invoice.currency)
            if key not in due:
                continue
            measure = measures.get(key)
            if measure is None:
                measure = measures[key] = Measure()
            if open_:
                owed = position.share * open_
                measure.open_end += owed
                if day <= invoice.due:  # not yet past due
                    measure.current += owed
            if due[key][1] <= invoice.date <= day:
                measure.sales += position.share * invoice.amount
    return measures


def _holds(
    bonus: CollectionBonus,
    at_most: Decimal | None,
    at_least: Decimal | None,
    measure: Measure,
    days: int,
) -> bool:
    if bonus.measure == "dso":  # open_end / sales * days <= at_most, without dividing
        assert at_most is not None
        return measure.open_end * days <= at_most * measure.sales
    assert at_least is not None  # current / open_end >= at_least; 1 when nothing is open
    return not measure.open_end or measure.current >= at_least * measure.open_end


def _detail(bonus: CollectionBonus, measure: Measure, days: int, label: str, currency: str) -> str:
    """What the bonus was measured at, for the statement (the measure shown to 2 places)."""

    def money(value: Decimal) -> str:  # by share, a sum may hold fractions of a cent
        return show(round_money(value, currency), currency)

    open_end = money(measure.open_end)
    if bonus.measure == "dso":
        dso: Exact = exact_ratio(measure.open_end * days, measure.sales)
        return (
            f"{label}: DSO {shown_measure(dso)} days (open {open_end} / sales "
            f"{money(measure.sales)} x {days} days)"
        )
    share: Exact = ONE if not measure.open_end else exact_ratio(measure.current, measure.open_end)
    return (
        f"{label}: {shown_measure(share * 100)}% current "
        f"({money(measure.current)} of {open_end} open not past due)"
    )
