"""Why a statement says what it says: its plans, a summary by kind of line, quota attainment,
and the basis of every line (issue 16).

A pure function of a run's values, after the fact: the statements and their lines, the plans,
the events applied and the invoices as the run left them (:meth:`~.api.Result.invoices`).
The engine's fold is not touched; what it does not keep (attainment before a booking, the
tiers a credit fell in) is replayed here from the events, for the few reps explained.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction

from .events import (
    SORT_KEY,
    Adjustment,
    BaseEvent,
    CreditNote,
    Invoice,
    Payment,
    PaymentReversal,
)
from .money import ZERO, round_money, round_ratio
from .plans import ANY_REP, Plan, PlanBook
from .rating import quota_period_of
from .state import InvoiceRecord, PositionRecord
from .statements import LedgerLine, Statement, first_day, last_day
from .targets import Terms

#: The kinds of line in the order a summary lists them; a kind not named here (a newer
#: engine's) is listed after them, in the order it first appears.
KIND_ORDER = (
    "advance",
    "collection",
    "release",
    "reinstatement",
    "credit_note",
    "payment_reversal",
    "clawback",
    "past_due",
    "adjustment",
    "prior_period_adjustment",
    "cash_with_order",
    "collection_bonus",
)

#: Kinds whose line exists because of the days an invoice is past due.
_DAYS_MATTER = frozenset({"past_due", "clawback", "reinstatement"})
#: Kinds a late-payment schedule scales (SEMANTICS.md 11.2), on a payment's line.
_LATE_SCALES = frozenset({"release", "collection"})


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class PlanInForce:
    """A plan a rep was on during the period, and the days of the period it covered."""

    plan: str
    level: int | str
    start: dt.date
    end: dt.date


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TierUsed:
    """A tier of a tiered plan, and the part of a credit it rated."""

    from_: Decimal  # attainment, as a fraction of quota
    rate: Decimal


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Attainment:
    """Quota attainment of a tiered plan in its quota period, as of the statement's last day."""

    plan: str
    quota_period: str
    as_of: dt.date
    credited: Decimal  # base credited so far, rounded to the currency
    quota: Decimal
    share: Decimal  # credited / quota, rounded to RATIO_PLACES
    tier_from: Decimal | None  # the tier the next credit falls in (None: below the first)
    tier_rate: Decimal


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LineBasis:
    """One line of a statement, with what it rests on."""

    line: LedgerLine
    event_type: str | None  # the event's type; None for a line the calendar or a close made
    event_amount: Decimal | None
    customer: str | None
    plan: str | None
    share: Decimal | None  # the rep's share of the invoice
    base_credited: Decimal | None  # the rep's credited base on the invoice, rounded
    commission: Decimal | None  # the rep's whole commission on the invoice, rounded
    rate: Decimal | None  # a flat plan's rate; a cash-with-order line's, its rate (11.1)
    tiers: tuple[TierUsed, ...]  # a tiered plan's tiers the credit fell in
    due: dt.date | None
    days_past_due: int | None  # where that is why the line exists
    reason: str | None  # an adjustment's, credit note's or reversal's reason; a line's detail
    # (a collection bonus's: its period and measured DSO or share current, 11.3)
    days_late: int | None = None  # a payment's days after the due date, under a late-payment
    late_factor: Decimal | None = None  # schedule: and the factor its commission was paid at


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Explained:
    """A statement, explained: it adds up from ``by_kind`` to ``payout``: the kinds sum to
    ``gross``; ``payout`` is ``gross`` (nothing when negative) less ``recovered``, plus the
    ``draw`` that tops it up (SEMANTICS.md 11.5; ``draw_recoverable``: it became debt)."""

    statement: Statement
    plans: tuple[PlanInForce, ...]
    by_kind: tuple[tuple[str, Decimal], ...]  # every known kind (zero too), then others
    commission_booked: Decimal  # commission on invoices booked in the period (earned at booking)
    debt_brought: Decimal
    held_brought: Decimal
    attainment: tuple[Attainment, ...]
    lines: tuple[LineBasis, ...]

    @property
    def draw(self) -> Decimal:
        return self.statement.draw

    @property
    def draw_recoverable(self) -> bool:
        return self.statement.draw_recoverable


def explain(
    statements: Sequence[Statement],
    plans: PlanBook,
    events: Iterable[BaseEvent],
    invoices: Iterable[InvoiceRecord],
    through: dt.date,
) -> tuple[Explained, ...]:
    """Every statement of ``statements`` explained (same order).

    ``events`` are the events the run applied (rejected and pending ones left out; an
    identical re-delivery may repeat), ``invoices`` the run's invoices after it, and
    ``through`` the run's last day. ``statements`` holds each rep's statements in period order
    (as a run gives them), so that each one's brought-forward balances are the one before's.
    """
    by_id: dict[str, BaseEvent] = {}
    for event in events:
        by_id.setdefault(event.id, event)
    records = {record.id: record for record in invoices}
    customers = {e.invoice: e.customer for e in by_id.values() if type(e) is Invoice and e.customer}
    replay = _Replay(plans, records, sorted(by_id.values(), key=SORT_KEY))
    explained = []
    previous: dict[tuple[str, str], Statement] = {}
    for statement in statements:
        key = (statement.rep, statement.currency)
        before = previous.get(key)
        previous[key] = statement
        explained.append(
            _explain_one(statement, before, plans, by_id, records, customers, replay, through)
        )
    return tuple(explained)


def _explain_one(
    statement: Statement,
    before: Statement | None,
    plans: PlanBook,
    by_id: Mapping[str, BaseEvent],
    records: Mapping[str, InvoiceRecord],
    customers: Mapping[str, str],
    replay: _Replay,
    through: dt.date,
) -> Explained:
    currency, rep = statement.currency, statement.rep
    start, end = first_day(statement.period), min(last_day(statement.period), through)
    sums: dict[str, Decimal] = dict.fromkeys(KIND_ORDER, ZERO)
    for line in statement.lines:
        sums[line.kind] = sums.get(line.kind, ZERO) + line.amount
    booked = ZERO
    for record in records.values():
        if start <= record.date <= end and record.currency == currency:
            for position in record.positions:
                if position.rep == rep:
                    booked += round_money(position.commission, currency)
    in_force = plans_in_force(plans, rep, start, end)
    attainment = tuple(
        a
        for p in in_force
        if (a := replay.attainment(rep, plans.plan(p.plan), end, currency)) is not None
    )
    return Explained(
        statement=statement,
        plans=in_force,
        by_kind=tuple(sums.items()),
        commission_booked=booked,
        debt_brought=ZERO if before is None else before.debt_balance,
        held_brought=ZERO if before is None else before.held_balance,
        attainment=attainment,
        lines=tuple(
            _basis(line, plans, by_id, records, customers, replay) for line in statement.lines
        ),
    )


def plans_in_force(
    plans: PlanBook, rep: str, start: dt.date, end: dt.date
) -> tuple[PlanInForce, ...]:
    """The plans ``rep`` was on from ``start`` to ``end``, each with the days it covered."""
    own = [a for a in plans.assignments if a.rep == rep]
    chosen = own or [a for a in plans.assignments if a.rep == ANY_REP]
    if not plans.assignments:
        only = plans.plans[0]
        return (PlanInForce(plan=only.id, level=only.level, start=start, end=end),)
    changes = sorted((a.from_, a.plan) for a in chosen)
    starts = [day for day, _ in changes]
    found = []
    first = bisect_right(starts, start) - 1
    for index in range(max(first, 0), len(changes)):
        day, plan_id = changes[index]
        if day > end:
            break
        following = changes[index + 1][0] if index + 1 < len(changes) else None
        if following is not None and following <= start:
            continue
        until = end if following is None else min(end, following - dt.timedelta(days=1))
        plan = plans.plan(plan_id)
        found.append(PlanInForce(plan=plan.id, level=plan.level, start=max(day, start), end=until))
    return tuple(found)


def _basis(
    line: LedgerLine,
    plans: PlanBook,
    by_id: Mapping[str, BaseEvent],
    records: Mapping[str, InvoiceRecord],
    customers: Mapping[str, str],
    replay: _Replay,
) -> LineBasis:
    event = by_id.get(line.event) if line.event is not None else None
    record = records.get(line.invoice) if line.invoice is not None else None
    position = _position_of(record, line.rep)
    plan = None if position is None else plans.plan(position.plan)
    reason = line.detail
    if reason is None and isinstance(event, CreditNote | PaymentReversal | Adjustment):
        reason = event.reason
    days = None
    if record is not None and line.kind in _DAYS_MATTER and line.date > record.due:
        days = (line.date - record.due).days
    tiers: tuple[TierUsed, ...] = ()
    rate = None if plan is None else plan.rate
    days_late = factor = None
    if plan is not None and line.kind == "cash_with_order":
        incentives = plan.incentives
        rate = None if incentives is None or incentives.cash_with_order is None else (
            incentives.cash_with_order.rate
        )  # fmt: skip
    elif plan is not None and plan.tiers is not None:
        collected = plan.earn_on == "collection"
        credit = (line.event if collected else line.invoice) or ""
        tiers = replay.tiers_of(credit, line.rep)
    if plan is not None and record is not None and type(event) is Payment:
        terms = Terms(plan)
        late = (event.date - record.due).days
        if terms.late is not None and line.kind in _LATE_SCALES and late > 0:
            days_late, factor = late, terms.late_factor(late)
    currency = line.currency
    return LineBasis(
        line=line,
        event_type=None if event is None else event.type,
        event_amount=getattr(event, "amount", None),
        customer=None if line.invoice is None else customers.get(line.invoice),
        plan=None if plan is None else plan.id,
        share=None if position is None else position.share,
        base_credited=None if position is None else round_money(position.credited_base, currency),
        commission=None
        if position is None or (plan is not None and plan.earn_on == "collection")
        else round_money(position.commission, currency),
        rate=rate,
        tiers=tiers,
        due=None if record is None else record.due,
        days_past_due=days,
        reason=reason,
        days_late=days_late,
        late_factor=factor,
    )


def _position_of(record: InvoiceRecord | None, rep: str) -> PositionRecord | None:
    if record is None:
        return None
    return next((p for p in record.positions if p.rep == rep), None)


class _Replay:
    """Quota attainment replayed from the events, as the engine moves it (SEMANTICS.md 4):
    an invoice's credited base counts at booking (earn_on invoice) or each payment's part of
    it when paid (earn_on collection); a credit note or a reversal takes its part back."""

    def __init__(
        self, plans: PlanBook, records: Mapping[str, InvoiceRecord], events: list[BaseEvent]
    ) -> None:
        # (rep, plan, quota period) -> days, and attainment after each day's events.
        self._days: dict[tuple[str, str, str], list[dt.date]] = defaultdict(list)
        self._after: dict[tuple[str, str, str], list[Fraction]] = defaultdict(list)
        self._tiers: dict[tuple[str, str], tuple[TierUsed, ...]] = {}
        attained: dict[tuple[str, str, str], Fraction] = defaultdict(Fraction)
        for event in events:
            record = records.get(getattr(event, "invoice", ""))
            if record is None or type(event) is Adjustment:
                continue
            for position in record.positions:
                plan = plans.plan(position.plan)
                if plan.tiers is None or plan.quota is None:
                    continue
                collected = plan.earn_on == "collection"
                part = Fraction(position.credited_base)
                if type(event) is Invoice and not collected:
                    period = position.booking_quota_period
                elif type(event) is CreditNote and not collected:
                    period = position.booking_quota_period
                    part = -part * Fraction(event.amount) / Fraction(record.amount)
                elif isinstance(event, Payment | PaymentReversal) and collected:
                    period = quota_period_of(event.date, plan.quota_period)
                    part *= Fraction(event.amount) / Fraction(record.amount)
                    if type(event) is PaymentReversal:
                        part = -part
                else:
                    continue
                key = (position.rep, plan.id, period)
                before = attained[key]
                after = before + part
                if type(event) is PaymentReversal:  # as the engine: never below nothing
                    after = max(Fraction(0), after)
                attained[key] = after
                if part > 0:  # booked: by invoice; earned on cash: by payment
                    by = record.id if type(event) is Invoice else event.id
                    self._tiers[(by, position.rep)] = _tiers_between(plan, before, after)
                days, values = self._days[key], self._after[key]
                if days and days[-1] == event.date:
                    values[-1] = after
                else:
                    days.append(event.date)
                    values.append(after)

    def tiers_of(self, credit: str, rep: str) -> tuple[TierUsed, ...]:
        """The tiers ``rep``'s credit fell in: ``credit`` is the invoice of a booking (earn_on
        invoice), or the payment's event id (earn_on collection); none for a lowering."""
        return self._tiers.get((credit, rep), ())

    def attainment(self, rep: str, plan: Plan, on: dt.date, currency: str) -> Attainment | None:
        """``rep``'s attainment under a tiered ``plan`` in the quota period of ``on``."""
        if plan.tiers is None or plan.quota is None:
            return None
        period = quota_period_of(on, plan.quota_period)
        key = (rep, plan.id, period)
        days = self._days.get(key, [])
        index = bisect_right(days, on) - 1
        credited = self._after[key][index] if index >= 0 else Fraction(0)
        share = credited / Fraction(plan.quota)
        tier = None
        for candidate in plan.tiers:
            if Fraction(candidate.from_) <= share:
                tier = candidate
        return Attainment(
            plan=plan.id,
            quota_period=period,
            as_of=on,
            credited=round_money(credited, currency),
            quota=plan.quota,
            share=round_ratio(share),
            tier_from=None if tier is None else tier.from_,
            tier_rate=ZERO if tier is None else tier.rate,
        )


def _tiers_between(plan: Plan, before: Fraction, after: Fraction) -> tuple[TierUsed, ...]:
    """The tiers of ``plan`` whose band of attainment overlaps ``before`` .. ``after``."""
    assert plan.tiers is not None and plan.quota is not None
    quota = Fraction(plan.quota)
    used = []
    for index, tier in enumerate(plan.tiers):
        low = Fraction(tier.from_) * quota
        high = (
            Fraction(plan.tiers[index + 1].from_) * quota if index + 1 < len(plan.tiers) else None
        )
        if after > low and (high is None or before < high):
            used.append(TierUsed(from_=tier.from_, rate=tier.rate))
    return tuple(used)
