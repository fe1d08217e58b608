"""Hypothesis strategies the property tests share: plans at every level and event streams.

Streams mix every event type, splits, tiers, levels, both rounding modes and currencies with
0, 2 and 3 minor digits; some events are deliberately invalid (over-payments and the like),
so the properties hold in the presence of rejections.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from commission_engine import EngineState, Plan, PlanBook
from commission_engine.domain.money import round_money

START = dt.date(2026, 1, 1)
REPS = ("ana", "bo", "cy")
FOLLOW_UPS = ("payment", "payment", "payment", "credit_note", "write_off", "payment_reversal")


@st.composite
def plans(draw: st.DrawFn) -> PlanBook:
    currency = draw(st.sampled_from(["USD", "JPY", "KWD"]))
    level = draw(st.integers(0, 4))
    terms: dict[str, Any] = {"id": "p", "currency": currency, "level": level}
    if draw(st.booleans()):
        terms["rate"] = draw(st.sampled_from(["0.1", "0.07", "0.125", "0.0333"]))
    else:
        terms["quota"] = draw(st.sampled_from(["1000", "50000"]))
        terms["tiers"] = [{"from": "0", "rate": "0.05"}, {"from": "1", "rate": "0.0875"}]
        terms["quota_period"] = draw(st.sampled_from(["month", "quarter", "year"]))
    if level in (1, 2):
        terms["clawback"] = {
            "after_days_past_due": draw(st.sampled_from([0, 15, 45])),
            "max_recovery": draw(st.sampled_from(["1", "0.5", "0.3333"])),
        }
    if level == 2:
        terms["advance"] = draw(st.sampled_from(["0.5", "0.3333", "0.9"]))
    terms["rounding"] = draw(st.sampled_from(["half_up", "half_even"]))
    terms["base"] = draw(st.sampled_from(["revenue", "gross_profit"]))
    return PlanBook(plans=[Plan(**terms)])


@st.composite
def streams(draw: st.DrawFn, digits: int) -> list[dict[str, Any]]:
    """A few invoices, each followed by payments, credit notes, write-offs and reversals."""
    unit = Decimal(1).scaleb(-digits)
    events: list[dict[str, Any]] = []
    for number in range(draw(st.integers(1, 5))):
        booked = START + dt.timedelta(days=draw(st.integers(0, 120)))
        amount = draw(st.integers(1, 2_000_000)) * unit
        invoice: dict[str, Any] = {
            "type": "invoice",
            "id": f"i{number}",
            "date": booked.isoformat(),
            "invoice": f"I{number}",
            "amount": str(amount),
            "tax": str((amount * draw(st.sampled_from([0, 1, 2])) / 10).quantize(unit)),
            "cost": str((amount * draw(st.sampled_from([0, 3, 9])) / 10).quantize(unit)),
        }
        if draw(st.booleans()):
            invoice["rep"] = draw(st.sampled_from(REPS))
        else:
            invoice["splits"] = [{"rep": "ana", "share": "0.3"}, {"rep": "bo", "share": "0.7"}]
        events.append(invoice)
        for step in range(draw(st.integers(0, 6))):
            kind = draw(st.sampled_from(FOLLOW_UPS))
            part = draw(st.sampled_from([Decimal("0.1"), Decimal("0.3333"), Decimal("0.5"), 1]))
            event: dict[str, Any] = {
                "type": kind,
                "id": f"i{number}-{step}",
                "date": (booked + dt.timedelta(days=draw(st.integers(0, 200)))).isoformat(),
                "invoice": f"I{number}",
            }
            if kind != "write_off" or draw(st.booleans()):
                event["amount"] = str(max(unit, (amount * part).quantize(unit)))
            events.append(event)
    if draw(st.booleans()):
        events.append(
            {
                "type": "adjustment",
                "id": "adj",
                "date": "2026-03-15",
                "rep": "ana",
                "amount": str(-100 * unit * draw(st.integers(1, 1000))),
            }
        )
    return events


@st.composite
def cases(draw: st.DrawFn) -> tuple[PlanBook, list[dict[str, Any]]]:
    book = draw(plans())
    currency = book.plans[0].currency
    digits = {"USD": 2, "JPY": 0, "KWD": 3}[currency]
    return book, draw(streams(digits))


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
END = dt.date(2026, 12, 31)


@st.composite
def incentive_cases(draw: st.DrawFn) -> tuple[PlanBook, list[dict[str, Any]]]:
    """:func:`cases` whose plan carries some terms of SEMANTICS.md section 11, and whose
    stream holds disputes (some of them rejected: a second dispute, a resolution of none)."""
    book, events = draw(cases())
    terms = book.plans[0].model_dump(by_alias=True, exclude={"incentives", "draw"})
    incentives: dict[str, Any] = {}
    if draw(st.booleans()):
        incentives["cash_with_order"] = {"rate": "0.015", "within_days": draw(st.integers(0, 20))}
    if draw(st.booleans()):
        incentives["late_payment"] = [
            {"after_days": 10, "factor": "0.8"},
            {"after_days": 60, "factor": draw(st.sampled_from(["0", "0.3333"]))},
        ]
    if draw(st.booleans()):
        measure = draw(st.sampled_from(["dso", "current"]))
        bound = "at_most" if measure == "dso" else "at_least"
        values = ["20", "60"] if measure == "dso" else ["0.9", "0.5"]
        incentives["collection_bonus"] = {
            "period": draw(st.sampled_from(["month", "quarter", "year"])),
            "measure": measure,
            "tiers": [{bound: values[0], "amount": "300"}, {bound: values[1], "amount": "7"}],
        }
    if incentives:
        terms["incentives"] = incentives
    if draw(st.booleans()):
        terms["draw"] = {"amount": "50", "recoverable": draw(st.booleans())}
    if terms.get("tiers") and draw(st.booleans()):
        terms["quota_period"] = "quarter_ytd"
    invoices = [event for event in events if event["type"] == "invoice"]
    for number in range(draw(st.integers(0, 4))):
        invoice = draw(st.sampled_from(invoices))
        opened = dt.date.fromisoformat(invoice["date"]) + dt.timedelta(draw(st.integers(0, 90)))
        events.append(
            {"type": "dispute", "id": f"d{number}", "date": opened.isoformat(),
             "invoice": invoice["invoice"]}
        )  # fmt: skip
        if draw(st.booleans()):
            closed = opened + dt.timedelta(draw(st.integers(0, 60)))
            events.append(
                {"type": "dispute_resolved", "id": f"r{number}", "date": closed.isoformat(),
                 "invoice": invoice["invoice"]}
            )  # fmt: skip
    return PlanBook(plans=[Plan(**terms)]), events


def assert_no_commission_created_or_lost(plan: Plan, state: EngineState) -> None:
    """SEMANTICS.md section 3's identity, per position of an invoice earned at invoicing:
    payable + held + forfeited == the commission on net sales, rounded once (exactly)."""
    for invoice in state.invoices:
        net = invoice.amount - invoice.credited
        for position in invoice.positions:
            if plan.earn_on == "invoice":
                exact = Fraction(position.commission) * Fraction(net) / Fraction(invoice.amount)
                total = round_money(exact, plan.currency, plan.rounding)
                assert position.payable + position.held + position.forfeited == total
