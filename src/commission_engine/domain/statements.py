"""Ledger lines, and netting them into per-rep, per-period statements (SEMANTICS.md 6)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from typing import Annotated, Literal, NamedTuple

from dateutil.relativedelta import relativedelta
from pydantic import BeforeValidator

from .money import ZERO, RoundingMode, round_money, shared_decimal, zero

#: An amount read back from a saved state or closed book (JSON), sharing one Decimal with
#: every equal text read lately: most of a book's millions of amounts repeat.
StoredDecimal = Annotated[Decimal, BeforeValidator(shared_decimal)]

LineKind = Literal[
    "advance",  # commission payable at invoicing
    "release",  # held commission paid out as cash comes in
    "collection",  # commission earned on cash (earn_on: collection)
    "reinstatement",  # clawed-back commission restored by a late or recovered payment
    "credit_note",  # commission reversed with the amount credited
    "payment_reversal",  # commission taken back with a reversed payment
    "clawback",  # advanced commission taken back on a write-off
    "past_due",  # advanced commission taken back when an invoice goes past due
    "cash_with_order",  # extra commission on cash paid with the order (11.1)
    "collection_bonus",  # a fixed amount for collecting well over a bonus period (11.3)
    "adjustment",  # a manual amount
    "prior_period_adjustment",  # late or corrected events behind closed periods, rolled forward
]


class LedgerLine(NamedTuple):
    """One payable amount for a rep, traceable to the event and invoice that caused it.

    ``event`` is ``None`` only for lines the calendar causes (``past_due``) or that sum
    other events (``prior_period_adjustment``). An immutable tuple: the engine makes one
    per posting, so it must be cheap.
    """

    rep: str
    currency: str
    date: dt.date
    kind: LineKind
    amount: StoredDecimal
    event: str | None
    invoice: str | None
    detail: str | None = None


@dataclass(slots=True)
class PeriodTotals:
    """What one period holds for one rep and currency, as the fold builds it."""

    gross: Decimal = ZERO
    held_change: Decimal = ZERO
    lines: list[LedgerLine] = field(default_factory=list)


@cache
def period_of(day: dt.date) -> str:
    """The pay period (a calendar month) containing ``day``, as ``YYYY-MM``."""
    return f"{day.year:04d}-{day.month:02d}"


def first_day(period: str) -> dt.date:
    """The first calendar day of the ``YYYY-MM`` period."""
    return dt.date(int(period[:4]), int(period[5:7]), 1)


#: From a month's first day to its last: dateutil's calendar arithmetic (month lengths, leap
#: years), where hand-written arithmetic used to be.
_TO_LAST_DAY = relativedelta(months=1, days=-1)


@lru_cache(maxsize=1024)
def periods_between(first: str, last: str) -> tuple[str, ...]:
    """Every ``YYYY-MM`` from ``first`` to ``last`` inclusive.

    Counts months as numbers (stepping a date by ``relativedelta`` costs three times as
    much), and keeps the spans it made: a run nets every rep's every period through this,
    most reps over the same few spans.

    >>> periods_between("2025-11", "2026-02")
    ('2025-11', '2025-12', '2026-01', '2026-02')
    """
    periods = []
    year, month = divmod(int(first[:4]) * 12 + int(first[5:7]) - 1, 12)
    while (current := f"{year:04d}-{month + 1:02d}") <= last:
        periods.append(current)
        year, month = divmod(year * 12 + month + 1, 12)
    return tuple(periods)


@cache
def last_day(period: str) -> dt.date:
    """The last calendar day of the ``YYYY-MM`` period.

    >>> last_day("2028-02"), last_day("2026-12")
    (datetime.date(2028, 2, 29), datetime.date(2026, 12, 31))
    """
    return first_day(period) + _TO_LAST_DAY


@dataclass(frozen=True, slots=True)
class Statement:
    """What a rep is paid for one period in one currency, and what is carried forward.

    A frozen dataclass (pydantic validates and serializes it inside the models that hold
    statements): a run makes one per rep and month, so it must be cheap to make.
    """

    rep: str
    period: str
    currency: str
    gross: StoredDecimal
    recovered: StoredDecimal
    payout: StoredDecimal
    debt_balance: StoredDecimal
    held_balance: StoredDecimal
    lines: tuple[LedgerLine, ...] = ()
    #: What a guaranteed draw added to ``payout`` (11.5), and whether it became debt.
    draw: StoredDecimal = ZERO
    draw_recoverable: bool = False


#: For a rep and a day: (max_recovery, rounding mode) of the plan then in force.
RecoveryTerms = Callable[[str, dt.date], tuple[Decimal, RoundingMode]]
#: For a rep and a day: (amount, recoverable, currency) of the draw of the plan then in force,
#: or ``None`` (SEMANTICS.md 11.5).
DrawTerms = Callable[[str, dt.date], tuple[Decimal, bool, str] | None]


def net_periods(
    rep: str,
    currency: str,
    periods: dict[str, PeriodTotals],
    first: str,
    through: dt.date,
    recovery_terms: RecoveryTerms,
    *,
    debt: Decimal = ZERO,
    held: Decimal = ZERO,
    draws: DrawTerms | None = None,
) -> list[Statement]:
    """Net a rep's periods ``first`` .. ``through`` into statements, carrying debt forward.

    ``debt`` and ``held`` are the balances brought into ``first``. With ``draws``, a plan's
    guaranteed draw tops the payout up after netting (SEMANTICS.md 11.5).
    """
    statements = []
    empty = PeriodTotals()
    nothing = zero(currency)  # adding it writes every amount with the currency's digits
    debt += nothing
    held += nothing
    for period in periods_between(first, period_of(through)):
        totals = periods.get(period, empty)
        gross = totals.gross + nothing
        held += totals.held_change
        if gross < ZERO:
            recovered = payout = nothing
            debt -= gross
        else:
            recovered = debt  # no debt: nothing to recover, whatever the plan's cap
            if debt:
                max_recovery, mode = recovery_terms(rep, min(last_day(period), through))
                cap = round_money(max_recovery * gross, currency, mode)
                recovered = min(debt, cap)
            payout = gross - recovered
            debt -= recovered
        draw, recoverable = nothing, False
        if draws is not None:
            # The plan in force on the period's last day (or the end date, when earlier).
            terms = draws(rep, min(last_day(period), through))
            # (A draw is paid in its plan's currency, on that currency's statement only.)
            if terms is not None and terms[2] == currency and payout < terms[0]:
                draw, recoverable = terms[0] - payout, terms[1]
                payout += draw
                if recoverable:
                    debt += draw
        # Positional, in the fields' order (rep, period, currency, gross, recovered, payout,
        # debt_balance, held_balance, lines, draw, draw_recoverable): a class called with
        # keywords builds a dict of them, and a run nets a statement a rep and month.
        statements.append(
            Statement(
                rep, period, currency, gross, recovered, payout, debt, held,
                tuple(totals.lines), draw, recoverable,
            )
        )  # fmt: skip
    return statements
