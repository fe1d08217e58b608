"""A rep's part of an invoice: the plan's terms, and the cumulative targets (SEMANTICS.md 3-4).

The formulas of the specification, as pure functions of the invoice's amounts and the plan's
terms. The engine posts the difference of each rounded target from what it posted before
(:meth:`~.engine.Engine._post`, which recomputes a target only when its argument moved);
plan modeling asks the same functions what a clawback would take
(:mod:`..modeling.aging`).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from decimal import Decimal

from .money import (
    ONE,
    ZERO,
    Attained,
    Exact,
    Rounding,
    exact_product,
    exact_sum,
    quantum,
    rounder,
)
from .plans import CollectionBonus, Draw, Plan, PlanBook
from .rating import Bands, bands_of, commission_in_bands, quarter_of, quota_period_of


class Terms:
    """What the per-event arithmetic needs from one plan, computed once per run.

    ``advance``, ``cash_share`` and ``write_off_share`` are ``a``, ``1 - a`` and
    ``a*w + 1 - a`` of SEMANTICS.md section 3. The terms of section 11 are read here once,
    so that a plan without them costs the per-event path one attribute test each:
    ``cash_with_order`` (its rate, or ``None``), ``late`` (the late-payment schedule, or
    ``None``), ``bands_by_quarter`` (``quarter_ytd`` thresholds, or ``None``), ``bonus``
    and ``draw``. The plan's own values the fold reads an event (``plan_id``, ``currency``,
    ``rate``, ``quota_period``) are copied here too: reading a pydantic model's attribute
    takes several times a slot's; and its currency's ``unit`` (``money.quantum``), a cached
    call an invoice less, and that unit's exponent (``unit_exponent``).
    """

    __slots__ = (
        "advance",
        "advances_all",
        "bands",
        "bands_by_quarter",
        "bonus",
        "cash_share",
        "cash_with_order",
        "cash_with_order_days",
        "clawback_after",
        "claws_back_write_off",
        "currency",
        "draw",
        "earns_on_collection",
        "late",
        "late_days",
        "on_gross_profit",
        "payment_terms",
        "plan",
        "plan_id",
        "quota_period",
        "quota_periods",
        "rate",
        "round",
        "unit",
        "unit_exponent",
        "write_off_share",
    )

    def __init__(self, plan: Plan, quota_periods: dict[dt.date, str] | None = None) -> None:
        self.plan = plan
        self.plan_id = plan.id
        self.currency = plan.currency
        self.unit = quantum(plan.currency)  # its smallest unit, 0.01 for USD: money.quantum
        self.unit_exponent = self.unit.adjusted()  # -2 for USD (a call an invoice less)
        self.rate = plan.rate
        self.quota_period = plan.quota_period
        # Day -> the quota period containing it, for the days met so far (see quota_period_on;
        # shared by the terms of plans with the same kind of quota period: terms_by_plan).
        self.quota_periods: dict[dt.date, str] = {} if quota_periods is None else quota_periods
        self.on_gross_profit = plan.base == "gross_profit"
        self.advance = plan.advance
        self.cash_share = ONE - plan.advance
        self.claws_back_write_off = plan.clawback.on_write_off
        self.write_off_share = (plan.advance if self.claws_back_write_off else ZERO) + (
            ONE - plan.advance
        )
        self.earns_on_collection = plan.earn_on == "collection"
        self.payment_terms = dt.timedelta(days=plan.payment_terms_days)
        # How long after its due date an invoice's advanced commission is clawed back; None
        # where no advance is at stake (no such clawback, nothing advanced, or earned on cash).
        days = plan.clawback.after_days_past_due
        at_stake = days is not None and self.advance > ZERO and not self.earns_on_collection
        self.clawback_after = dt.timedelta(days=days) if at_stake and days is not None else None
        self.bands = bands_of(plan)
        self.round: Rounding = rounder(plan.currency, plan.rounding)
        self.bands_by_quarter: tuple[Bands, ...] | None = None
        if plan.quota_period == "quarter_ytd":
            self.bands_by_quarter = tuple(bands_of(plan, k) for k in (1, 2, 3, 4))
        incentives = plan.incentives
        cash = incentives and incentives.cash_with_order
        self.cash_with_order: Decimal | None = cash.rate if cash else None
        self.cash_with_order_days = dt.timedelta(days=cash.within_days if cash else 0)
        steps = incentives.late_payment if incentives else None
        self.late_days: list[int] = [step.after_days for step in steps or ()]
        self.late: tuple[Decimal, ...] | None = (
            tuple(step.factor for step in steps) if steps else None
        )
        # Everything advanced at invoicing (``a = 1``), no late-payment schedule: a payment
        # moves no target of a position not past due (the payable base is net, less what is
        # written off: no ``paid`` in it; see payable_base).
        self.advances_all = (
            not self.cash_share and not self.earns_on_collection and self.late is None
        )
        self.bonus: CollectionBonus | None = incentives.collection_bonus if incentives else None
        self.draw: Draw | None = plan.draw

    def quota_period_on(self, day: dt.date) -> str:
        """The quota period containing ``day`` (:func:`~.rating.quota_period_of`), kept in
        :attr:`quota_periods`. A booking reads ``quota_periods.get(day)`` first, and calls
        this only for a day not met yet: a dict look-up by the day costs a third of the
        cached call, whose key is made of two arguments (on the 10k stream a day's invoices
        fall under several plans of one kind, hence the dict shared by kind).

        >>> terms = Terms(Plan(id="q", currency="USD", level=0, rate="0.1", quota_period="month"))
        >>> terms.quota_period_on(dt.date(2026, 5, 9)), terms.quota_periods
        ('2026-05', {datetime.date(2026, 5, 9): '2026-05'})
        """
        period = self.quota_periods[day] = quota_period_of(day, self.quota_period)
        return period

    def bands_on(self, day: dt.date) -> Bands:
        """The tiers' bands for credit dated ``day`` (per quarter with ``quarter_ytd``)."""
        if self.bands_by_quarter is None:
            return self.bands
        return self.bands_by_quarter[quarter_of(day) - 1]

    def commission(self, attained: Attained, credit: Exact, day: dt.date) -> Exact:
        """Commission, unrounded and exact, on ``credit`` dated ``day`` added to ``attained``."""
        rate = self.rate
        if rate is not None:
            return exact_product(rate, credit)
        return commission_in_bands(self.bands_on(day), attained, credit)

    def late_factor(self, days_late: int) -> Decimal:
        """The late-payment factor of cash paid ``days_late`` days after the due date: the
        entry with the largest ``after_days`` not above it, else 1 (SEMANTICS.md 11.2).

        >>> plan = Plan(id="p", currency="USD", level=3, rate="0.1", incentives={
        ...     "late_payment": [{"after_days": 30, "factor": "0.75"},
        ...                      {"after_days": 90, "factor": "0"}]})
        >>> [str(Terms(plan).late_factor(days)) for days in (-5, 29, 30, 89, 90, 400)]
        ['1', '1', '0.75', '0.75', '0', '0']
        """
        if self.late is None:
            return ONE
        index = bisect_right(self.late_days, days_late) - 1
        return ONE if index < 0 else self.late[index]


def terms_by_plan(plans: PlanBook) -> dict[str, Terms]:
    """Plan id -> its :class:`Terms`; those with the same kind of quota period share their
    :attr:`~Terms.quota_periods` (the days met by any of them)."""
    kinds: dict[str, dict[dt.date, str]] = {}
    return {plan.id: Terms(plan, kinds.setdefault(plan.quota_period, {})) for plan in plans.plans}


def payable_base(
    terms: Terms,
    net: Decimal,
    paid: Decimal,
    written_off: Decimal,
    past_due: bool,
) -> Decimal:
    """What ``u`` multiplies in the payable target of an invoice earned at invoicing::

        a * (net - w*written_off - d*open) + (1 - a) * paid

    with ``d = 1`` once the invoice is ``past_due`` (``open = net - paid - written_off``).
    The rounded target is ``terms.round.times_ratio(C, payable_base(...), A)``.

    >>> terms = Terms(Plan(id="l2", currency="USD", level=2, rate="0.1"))
    >>> payable_base(terms, Decimal(1000), Decimal(400), Decimal(0), past_due=False)
    Decimal('700.0')
    >>> payable_base(terms, Decimal(1000), Decimal(400), Decimal(0), past_due=True)
    Decimal('400.0')

    With ``a`` 0 or 1 (levels 0, 1 and 3) the sum has one term, taken as it is rather than
    multiplied by one and added to a product of zero (the same value; the engine computes
    this a posting).
    """
    if not terms.advance:
        return paid
    on_advance = net
    if terms.claws_back_write_off and written_off:  # (net itself where nothing is written off)
        on_advance -= written_off
    if past_due:
        on_advance -= net - paid - written_off
    if not terms.cash_share:
        return on_advance
    return terms.advance * on_advance + terms.cash_share * paid


def forfeited_base(terms: Terms, written_off: Decimal) -> Decimal:
    """What ``u`` multiplies in the forfeited target: ``written_off * (a*w + 1 - a)``."""
    return terms.write_off_share * written_off


def late_bases(
    terms: Terms,
    net: Decimal,
    paid: Decimal,
    written_off: Decimal,
    past_due: bool,
    paid_factored: Exact,
) -> tuple[Exact, Exact]:
    """:func:`payable_base` and :func:`forfeited_base` under a late-payment schedule
    (SEMANTICS.md 11.2): ``(1 - a) * paid`` becomes ``(1 - a) * paid_f``, and what lateness
    cost, ``(1 - a) * (paid - paid_f)``, is forfeited. ``paid_f`` is exact (a reversal lowers
    it pro rata).

    >>> terms = Terms(Plan(id="l3", currency="USD", level=3, rate="0.1",
    ...                    incentives={"late_payment": [{"after_days": 30, "factor": "0.5"}]}))
    >>> late_bases(terms, Decimal(1000), Decimal(400), Decimal(0), False, Decimal(200))
    (Decimal('200'), Decimal('200'))
    """
    on_advance = payable_base(terms, net, paid, written_off, past_due) - terms.cash_share * paid
    late = exact_product(terms.cash_share, exact_sum(paid, -paid_factored))
    payable = exact_sum(on_advance, exact_product(terms.cash_share, paid_factored))
    return payable, exact_sum(forfeited_base(terms, written_off), late)
