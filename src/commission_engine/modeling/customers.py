"""The customer P&L: what each customer relationship brings in, and what late payment, credit
notes, write-offs and commission cost, per customer and per rep and customer.

Balances come from the engine: one run stops at the end of every day an event is dated
(:func:`~commission_engine.api.open_invoices_at`), which gives each invoice's open balance
day by day for the carrying cost; the amounts credited, paid and written off are those of
the invoices after the run, and the commission is the run's own lines. Customers, tax, cost
and payment dates are read from the events applied (:mod:`.applied`). The result types and
their views are in :mod:`.customer_figures`; the definitions in ``docs/modeling.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

from ..api import EventInput, open_invoices_at
from ..domain.errors import CommissionEngineError
from ..domain.events import BaseEvent
from ..domain.money import EXACT, ONE, ZERO, Exact, round_money, to_decimal
from ..domain.plans import PlanBook
from ..domain.state import InvoiceRecord
from .applied import InvoiceFacts, applied_events, invoice_facts, parsed
from .customer_figures import CustomerFigures, CustomerPnl

#: The annual cost of capital when none is given.
COST_OF_CAPITAL = Decimal("0.08")
#: A row: (customer, rep or ``None`` for the customer's own row, currency).
Key = tuple[str, str | None, str]


def customer_pnl(
    plans: PlanBook,
    events: Iterable[EventInput],
    *,
    through: dt.date | None = None,
    cost_of_capital: Decimal | str = COST_OF_CAPITAL,
) -> CustomerPnl:
    """Each customer's P&L through ``through`` (default: the latest event applied), and each
    rep's part of it.

    ``cost_of_capital`` is a yearly rate (``"0.08"`` for 8%), charged at a 365th of it on
    each day's open balance.

    >>> from commission_engine import Plan, PlanBook
    >>> plans = PlanBook(plans=[Plan(id="L3", currency="USD", level=3, rate="0.10")])
    >>> events = [
    ...     {"type": "invoice", "id": "e1", "date": "2026-01-01", "invoice": "I1",
    ...      "rep": "ana", "customer": "Acme", "amount": "1000.00", "cost": "600.00"},
    ...     {"type": "payment", "id": "e2", "date": "2026-03-02", "invoice": "I1",
    ...      "amount": "1000.00"},
    ... ]
    >>> acme = customer_pnl(plans, events).customer("Acme")
    >>> acme.gross_profit, acme.weighted_days, acme.carrying_cost, acme.commission_paid
    (Decimal('400.00'), Decimal('60.0000'), Decimal('13.15'), Decimal('100.00'))
    >>> acme.contribution  # 400.00 - 13.15 - 100.00
    Decimal('286.85')
    """
    try:
        rate = to_decimal(cost_of_capital)
    except ValueError as error:
        raise CommissionEngineError(f"the cost of capital: {error}") from None
    if not ZERO <= rate < ONE:
        raise CommissionEngineError(
            f"the cost of capital is a yearly rate from 0 to 1 (0.08 for 8%), got {rate}"
        )
    given = parsed(events)
    days = sorted(
        {
            e.date
            for e in given
            if isinstance(e, BaseEvent) and (through is None or e.date <= through)
        }
    )
    if through is not None and (not days or days[-1] < through):
        days.append(through)
    if not days:
        return CustomerPnl(through=None, cost_of_capital=rate, rows=(), rejected=(), pending=0)
    open_at, result = open_invoices_at(plans, given, days)
    applied = applied_events(given, result.rejected, through)
    if through is None:  # as compute: the latest event applied (a rejected one does not count)
        through = applied[-1].date if applied else days[-1]
    facts = invoice_facts(applied)
    rows: dict[Key, _Sums] = {}

    def sums(customer: str, rep: str | None, currency: str) -> _Sums:
        return rows.setdefault((customer, rep, currency), _Sums(currency))

    with localcontext(EXACT):  # sums and products never round
        for invoice in result.invoices():
            fact = facts[invoice.id]
            sums(fact.customer, None, invoice.currency).add(invoice, fact, ONE)
            for position in invoice.positions:
                sums(fact.customer, position.rep, invoice.currency).add(
                    invoice, fact, position.share
                )
        for end, after, open_invoices in _spans(days, open_at, through):
            for invoice in open_invoices:
                balance_days = (
                    invoice.amount - invoice.credited - invoice.paid - invoice.written_off
                ) * (after - end).days
                customer = facts[invoice.id].customer
                sums(customer, None, invoice.currency).balance_days += balance_days
                for position in invoice.positions:
                    row = sums(customer, position.rep, invoice.currency)
                    row.balance_days += position.share * balance_days
        for line in result.lines:
            if line.invoice is not None and line.date <= through:
                customer = facts[line.invoice].customer
                sums(customer, None, line.currency).commission(line.amount)
                sums(customer, line.rep, line.currency).commission(line.amount)
        figures = tuple(
            rows[key].figures(*key, Fraction(rate) / 365) for key in sorted(rows, key=_order)
        )
    return CustomerPnl(
        through=through,
        cost_of_capital=rate,
        rows=figures,
        rejected=result.rejected,
        pending=result.pending,
    )


def _order(key: Key) -> tuple[str, str, bool, str]:
    customer, rep, currency = key
    return (customer, currency, rep is not None, rep or "")


def _spans(
    days: Sequence[dt.date], open_at: Sequence[tuple[InvoiceRecord, ...]], through: dt.date
) -> Iterable[tuple[dt.date, dt.date, tuple[InvoiceRecord, ...]]]:
    """Each day's open invoices, held from the end of that day to the end of the day before
    the next (or through ``through``): balances only move on days with events."""
    kept = [(day, invoices) for day, invoices in zip(days, open_at, strict=True) if day <= through]
    nexts = [day for day, _ in kept[1:]] + [through + dt.timedelta(days=1)]
    for (day, invoices), after in zip(kept, nexts, strict=True):
        yield day, after, invoices


class _Sums:
    """One row's exact sums, each invoice's amounts times the row's share of it."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.invoices = 0
        self.invoiced: Decimal = ZERO
        self.cost: Decimal = ZERO
        self.costed: Decimal | None = None  # gross profit of the invoices giving a cost
        self.credited: Decimal = ZERO
        self.written_off: Decimal = ZERO
        self.collected: Decimal = ZERO
        self.open: Decimal = ZERO
        self.lost = Fraction(0)  # the net-of-tax part of credit notes and write-offs
        self.balance_days: Decimal = ZERO
        self.settled = 0
        self.settled_days = 0
        self.paid_days = Fraction(0)  # amount collected times its days to pay
        self.paid = Fraction(0)  # amount collected, reversals out
        self.commission_paid = ZERO
        self.commission_clawed_back = ZERO

    def add(self, invoice: InvoiceRecord, fact: InvoiceFacts, share: Decimal) -> None:
        self.invoices += 1
        net_of_tax = invoice.amount - fact.tax
        self.invoiced += share * net_of_tax
        self.cost += share * fact.cost
        if fact.cost > ZERO:
            self.costed = (self.costed or ZERO) + share * (net_of_tax - fact.cost)
        self.credited += share * invoice.credited
        self.written_off += share * invoice.written_off
        self.collected += share * invoice.paid
        self.open += share * (
            invoice.amount - invoice.credited - invoice.paid - invoice.written_off
        )
        self.lost += (
            Fraction(share * (invoice.credited + invoice.written_off))
            * Fraction(net_of_tax)
            / Fraction(invoice.amount)
        )
        weighted, paid, last = _days_to_pay(invoice.date, fact)
        self.paid_days += Fraction(share) * weighted
        self.paid += Fraction(share) * paid
        if (
            last is not None
            and invoice.paid > ZERO
            and invoice.amount == (invoice.credited + invoice.paid + invoice.written_off)
        ):
            self.settled += 1
            self.settled_days += (last - invoice.date).days

    def commission(self, amount: Decimal) -> None:
        if amount > ZERO:
            self.commission_paid += amount
        else:
            self.commission_clawed_back -= amount

    def figures(
        self, customer: str, rep: str | None, currency: str, daily_rate: Fraction
    ) -> CustomerFigures:
        def money(value: Exact) -> Decimal:
            return round_money(value, currency)

        net_margin = money(Fraction(self.invoiced - self.cost) - self.lost)
        carrying_cost = money(Fraction(self.balance_days) * daily_rate)
        commission = self.commission_paid - self.commission_clawed_back
        return CustomerFigures(
            customer=customer,
            rep=rep,
            currency=currency,
            invoices=self.invoices,
            invoiced=money(self.invoiced),
            cost=money(self.cost),
            gross_profit=None if self.costed is None else money(self.costed),
            credited=money(self.credited),
            written_off=money(self.written_off),
            collected=money(self.collected),
            open=money(self.open),
            net_margin=net_margin,
            average_days=_days(Fraction(self.settled_days), self.settled),
            weighted_days=_days(self.paid_days, self.paid),
            carrying_cost=carrying_cost,
            commission_paid=self.commission_paid,
            commission_clawed_back=self.commission_clawed_back,
            contribution=net_margin - carrying_cost - commission,
        )


#: Days to pay are kept to a ten-thousandth of a day (they are not money; half even).
DAYS = Decimal("0.0001")


def _days(numerator: Fraction, denominator: Fraction | int) -> Decimal | None:
    """The exact quotient, to :data:`DAYS` (``None`` when there is nothing to divide by)."""
    if not denominator:
        return None
    ratio = numerator / denominator
    value = Decimal(ratio.numerator) / Decimal(ratio.denominator)
    return value.quantize(DAYS, rounding=ROUND_HALF_EVEN)


def _days_to_pay(
    invoiced: dt.date, fact: InvoiceFacts
) -> tuple[Fraction, Fraction, dt.date | None]:
    """Amount collected times its days from the invoice, the amount, and the last payment day.

    A reversal takes back collected cash at the invoice's average days so far, as it takes
    back commission at the average rate (SEMANTICS.md 4).
    """
    weighted = paid = Fraction(0)
    last = None
    for day, amount in fact.cash:
        if amount > ZERO:
            weighted += Fraction(amount) * (day - invoiced).days
            paid += Fraction(amount)
            last = day
        elif paid:
            weighted -= weighted * Fraction(-amount) / paid
            paid += Fraction(amount)
    return weighted, paid, last
