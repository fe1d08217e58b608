"""Invariants over generated event streams (hypothesis; the streams are ``strategies.py``'s)."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from strategies import END, PROPERTY, assert_no_commission_created_or_lost, cases

from commission_engine import EngineState, Plan, PlanBook, Result, compute
from commission_engine.domain.money import round_money


def _run(book: PlanBook, events: list[dict[str, Any]], **kw: Any) -> Result:
    return compute(book, events, through=kw.pop("through", END), **kw)


@PROPERTY
@given(cases())
def test_no_commission_is_created_or_lost(case: tuple[PlanBook, list[dict[str, Any]]]) -> None:
    book, events = case
    assert_no_commission_created_or_lost(book.plans[0], _run(book, events).state())


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
