"""Invariants over generated event streams (hypothesis).

Streams mix every event type, splits, tiers, levels, both rounding modes and
currencies with 0, 2 and 3 minor digits; some events are deliberately invalid
(over-payments and the like), so the properties hold in the presence of rejections.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commission_engine import EngineState, Plan, PlanBook, Result, compute
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


def _run(book: PlanBook, events: list[dict[str, Any]], **kw: Any) -> Result:
    return compute(book, events, through=kw.pop("through", END), **kw)


@PROPERTY
@given(cases())
def test_no_commission_is_created_or_lost(case: tuple[PlanBook, list[dict[str, Any]]]) -> None:
    book, events = case
    plan = book.plans[0]
    state = _run(book, events).state()
    for invoice in state.invoices:
        net = invoice.amount - invoice.credited
        for position in invoice.positions:
            if plan.earn_on == "invoice":
                # payable + held + forfeited == commission on net sales, rounded.
                total = round_money(
                    position.commission * net / invoice.amount, plan.currency, plan.rounding
                )
                assert position.payable + position.held + position.forfeited == total


@PROPERTY
@given(cases())
def test_lines_of_an_invoice_sum_to_its_rounded_final_target(
    case: tuple[PlanBook, list[dict[str, Any]]],
) -> None:
    book, events = case
    result = _run(book, events)
    posted: dict[tuple[str | None, str], Decimal] = defaultdict(Decimal)
    for line in result.lines:
        posted[(line.invoice, line.rep)] += line.amount
    for invoice in result.state().invoices:
        for position in invoice.positions:
            assert posted[(invoice.id, position.rep)] == position.payable


@PROPERTY
@given(cases())
def test_payout_and_debt_never_negative_and_netting_balances(
    case: tuple[PlanBook, list[dict[str, Any]]],
) -> None:
    book, events = case
    result = _run(book, events)
    by_rep: dict[str, list[Any]] = defaultdict(list)
    for statement in result.statements:
        assert statement.payout >= 0
        assert statement.debt_balance >= 0
        assert statement.recovered >= 0
        assert statement.gross == sum((line.amount for line in statement.lines), Decimal(0))
        by_rep[statement.rep].append(statement)
    for statements in by_rep.values():
        # Everything posted is either paid out or still owed back as debt.
        gross = sum(s.gross for s in statements)
        assert sum(s.payout for s in statements) - statements[-1].debt_balance == gross


@PROPERTY
@given(cases(), st.randoms(use_true_random=False))
def test_input_order_is_irrelevant(
    case: tuple[PlanBook, list[dict[str, Any]]], rng: random.Random
) -> None:
    book, events = case
    shuffled = list(events)
    rng.shuffle(shuffled)
    first, second = _run(book, events), _run(book, shuffled)
    assert first.statements == second.statements
    assert {(r.event, r.reason) for r in first.rejected} == {
        (r.event, r.reason) for r in second.rejected
    }


@PROPERTY
@given(cases(), st.integers(1, 11))
def test_resume_equals_batch(case: tuple[PlanBook, list[dict[str, Any]]], month: int) -> None:
    book, events = case
    cut = dt.date(2026, month + 1, 1) - dt.timedelta(days=1)
    batch = _run(book, events)
    first = _run(book, [e for e in events if e["date"] <= cut.isoformat()], through=cut)
    saved = EngineState.model_validate_json(first.state().model_dump_json())
    later = [e for e in events if e["date"] > cut.isoformat()]
    resumed = _run(book, later, state=saved)
    assert resumed.statements == batch.statements
    assert resumed.state().model_dump() == batch.state().model_dump()


@PROPERTY
@given(st.integers(2, 12), st.integers(100, 10_000_000))
def test_partial_payments_never_drift(parts: int, cents: int) -> None:
    book = PlanBook(plans=[Plan(id="p", currency="USD", level=3, rate="0.0725")])
    amount = Decimal(cents) / 100
    pieces = [(amount / parts).quantize(Decimal("0.01"))] * (parts - 1)
    pieces.append(amount - sum(pieces, Decimal(0)))
    events: list[dict[str, Any]] = [
        {
            "type": "invoice",
            "id": "i",
            "date": "2026-01-01",
            "invoice": "I",
            "rep": "ana",
            "amount": str(amount),
        }
    ]
    for n, piece in enumerate(pieces):
        events.append(
            {
                "type": "payment",
                "id": f"p{n:02d}",
                "date": f"2026-01-{n + 2:02d}",
                "invoice": "I",
                "amount": str(piece),
            }
        )
    result = compute(book, events)
    assert result.rejected == ()
    expected = round_money(Decimal("0.0725") * amount, "USD")
    assert sum(line.amount for line in result.lines) == expected


def test_saved_state_is_plain_json() -> None:
    book = PlanBook(plans=[Plan(id="p", currency="USD", level=1, rate="0.1")])
    result = compute(
        book,
        [
            {
                "type": "invoice",
                "id": "i",
                "date": "2026-01-01",
                "invoice": "I",
                "rep": "ana",
                "amount": "10.00",
            }
        ],
    )
    document = json.loads(result.state().model_dump_json())
    assert document["through"] == "2026-01-01"
    assert document["invoices"][0]["positions"][0]["payable"] == "1.00"
