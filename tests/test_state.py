"""A saved state is made without validating its records again; it is what validation makes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from scenario import Stream, book, line_amounts, run
from strategies import PROPERTY, cases

from commission_engine import PlanBook, compute
from commission_engine.domain.state import (
    AttainmentRecord,
    EngineState,
    InvoiceRecord,
    _trusted,
)
from commission_engine.domain.working import ClawbackCalendar, open_balance
from commission_engine.files import read_events, read_plans

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_a_saved_state_is_what_validating_its_json_gives() -> None:
    plans = read_plans(EXAMPLES / "plans.yaml")
    state = compute(plans, read_events(EXAMPLES / "events.jsonl")).state()
    validated = EngineState.model_validate_json(state.model_dump_json())
    assert validated == state
    # repr shows each value's type and a Decimal's exponent, which == would not tell apart.
    assert repr(validated) == repr(state)
    assert len(state.invoices) > 100 and state.ledgers and state.attainment


def test_a_booked_invoice_and_its_positions_hold_each_value_in_its_field() -> None:
    # The engine makes these working records with positional arguments (docs/decisions.md,
    # issue 21): a field added or moved must not shift the values into other fields.
    plans = book(1, quota_period="quarter")
    splits = [{"rep": "ana", "share": "0.6"}, {"rep": "bo", "share": "0.4"}]
    stream = Stream().invoice(
        "2026-01-05", "I1", "1100.00", tax="100.00", due="2026-02-20", splits=splits
    )
    (invoice,) = run(plans, stream).state().invoices
    assert (invoice.id, invoice.date, invoice.currency, invoice.amount, invoice.due) == (
        "I1", dt.date(2026, 1, 5), "USD", Decimal("1100.00"), dt.date(2026, 2, 20),
    )  # fmt: skip
    assert [
        (p.rep, p.plan, p.share, p.credited_base, p.commission, p.booking_quota_period)
        for p in invoice.positions
    ] == [
        ("ana", "L1", Decimal("0.6"), Decimal("600.000"), Decimal("60.0000"), "2026-Q1"),
        ("bo", "L1", Decimal("0.4"), Decimal("400.000"), Decimal("40.0000"), "2026-Q1"),
    ]
    # Level 1 claws back 90 days past due.
    assert {p.clawback_date for p in invoice.positions} == {dt.date(2026, 5, 21)}


@pytest.mark.parametrize("level", [0, 1, 2])
def test_a_booked_position_s_targets_as_posted(level: int) -> None:
    # The engine makes a booked position with its targets positionally (Engine._position):
    # each in its own field, the forfeited one the rounded zero, and one booked after its
    # clawback date is past due from the start.
    stream = (
        Stream()
        .invoice("2026-08-20", "I1", "1100.00", tax="100.00")
        .invoice("2026-09-01", "I2", "500.00", due="2026-01-01")
    )
    result = run(book(level), stream)
    # Past due when booked, I2 advances nothing (level 0 claws nothing back).
    assert line_amounts(result, "I2") == ([("advance", "50.00")] if level == 0 else [])
    invoices = result.state().invoices
    assert [
        (str(p.payable), str(p.forfeited), str(p.held), p.past_due)
        for i in invoices
        for p in i.positions
    ] == {
        0: [("100.00", "0.00", "0.00", False), ("50.00", "0.00", "0.00", False)],
        1: [("100.00", "0.00", "0.00", False), ("0.00", "0.00", "50.00", True)],
        2: [("50.00", "0.00", "50.00", False), ("0.00", "0.00", "50.00", True)],
    }[level]


@pytest.mark.parametrize(
    ("tax", "base"),
    [(None, "1100.00"), ("0.00", "1100.00"), ("0", "1100.00"), ("0.000", "1100.000"),
     ("-0.00", "1100.00"), ("100.00", "1000.00")],
)  # fmt: skip
def test_a_credited_base_is_the_amount_less_tax_to_the_exponent(tax: str | None, base: str) -> None:
    # The engine holds the amount itself as the base where the tax is a zero of no finer
    # exponent: a finer one makes a base of its exponent, as amount - tax does.
    fields = {} if tax is None else {"tax": tax}
    (invoice,) = (
        run(book(1), Stream().invoice("2026-01-05", "I1", "1100.00", **fields)).state().invoices
    )
    assert [str(p.credited_base) for p in invoice.positions] == [base]


@PROPERTY
@given(cases(), st.data())
def test_an_invoices_open_balance_kept_by_the_handlers_is_the_one_computed_afresh(
    case: tuple[PlanBook, list[dict[str, Any]]], data: st.DataObject
) -> None:
    # The fold keeps InvoiceState.open in step rather than computing it each event: it must
    # be amount - credited - paid - written_off, value and exponent (a recovered amount
    # carries it into the saved written-off), whatever the amounts' exponents, and resumed.
    plans, events = case
    for event in events:  # some amounts written with a digit more ("12.50" as "12.500")
        if "amount" in event and data.draw(st.booleans()):
            text = event["amount"]
            event["amount"] = text + ("0" if "." in text else ".0")
    middle = dt.date(2026, 4, 1)
    before = compute(plans, events, through=middle)
    after = compute(plans, events[len(events) // 2 :], state=before.state())
    for result in (before, compute(plans, events), after):
        assert result._book is not None
        for invoice in result._book.invoices.values():
            balance = open_balance(
                invoice.amount, invoice.credited, invoice.paid, invoice.written_off
            )
            assert repr(invoice.open) == repr(balance), invoice.id
            assert invoice.open == invoice.amount - invoice.credited - invoice.paid - (
                invoice.written_off
            )


def test_a_trusted_record_needs_every_field_and_no_other() -> None:
    with pytest.raises(TypeError, match=r"InvoiceRecord takes \[.*'written_off'\], got \['id'\]"):
        _trusted(InvoiceRecord, id="I1")


def test_a_resumed_run_works_on_the_invoices_it_touches_and_keeps_the_others_as_saved() -> None:
    plans = book(1, clawback={"after_days_past_due": 30})
    stream = (
        Stream()
        .invoice("2026-01-05", "I1", "1000.00", due="2026-01-31")
        .invoice("2026-01-06", "I2", "500.00", due="2026-02-15")
        .invoice("2026-01-07", "I3", "300.00", due="2026-03-31")
    )
    january = compute(plans, stream.events, through=dt.date(2026, 1, 31)).state()
    later = stream.pay("2026-02-10", "I1", "1000.00").invoice("2026-02-11", "I3", "1.00").events
    # I1 is paid, I2 goes past due on 17 March (a clawback fires on an invoice no event names),
    # a second I3 is refused, and I3 itself is untouched.
    result = compute(plans, later[3:], state=january, through=dt.date(2026, 3, 31))
    batch = compute(plans, later, through=dt.date(2026, 3, 31))
    assert result.statements == batch.statements
    assert [r.reason for r in result.rejected] == [r.reason for r in batch.rejected]
    assert result.rejected[0].reason == "invoice I3 already exists"
    saved = result.state()
    assert saved == batch.state()
    assert [record is january.invoices[2] for record in saved.invoices] == [False, False, True]


@pytest.mark.parametrize(
    ("text", "error"),
    [("NaN", "finite number"), ("Infinity", "finite number"), ("abc", "valid decimal")],
)
def test_an_amount_read_back_is_still_checked(text: str, error: str) -> None:
    record = '{"rep": "ana", "plan": "L1", "quota_period": "2026-01", "base": "%s"}'
    with pytest.raises(ValidationError, match=error):
        TypeAdapter(AttainmentRecord).validate_json(record % text)


def test_amounts_read_back_share_one_decimal_per_text_and_keep_their_exponent() -> None:
    record = '{"rep": "ana", "plan": "L1", "quota_period": "2026-01", "base": "%s"}'
    adapter = TypeAdapter(AttainmentRecord)
    read = [adapter.validate_json(record % text).base for text in ("0.00", "0.00", "0")]
    assert read[0] is read[1] and read[1] is not read[2]
    assert [str(base) for base in read] == ["0.00", "0.00", "0"]


def test_saving_keeps_the_digests_of_the_events_applied_not_the_events() -> None:
    events = list(read_events(EXAMPLES / "events.jsonl"))
    result = compute(read_plans(EXAMPLES / "plans.yaml"), events)
    book = result._book
    assert book is not None and any(not isinstance(seen, str) for seen in book.seen.values())
    state = result.state()
    assert all(isinstance(seen, str) for seen in book.seen.values())  # the events can go
    assert result.state() == state


@given(st.lists(st.tuples(st.integers(0, 40), st.sampled_from("ABC"), st.integers(0, 2))))
def test_clawbacks_fall_due_in_the_order_a_heap_of_them_gives(
    clawbacks: list[tuple[int, str, int]],
) -> None:
    # By day, then invoice id, then position: the order the engine fires them in (the
    # calendar replaced a heap of (day, invoice id, index) tuples; the order is the heap's).
    first = dt.date(2026, 1, 1)
    calendar = ClawbackCalendar()
    calendar.extend(
        (first + dt.timedelta(days=d), invoice, index) for d, invoice, index in clawbacks
    )
    fired: list[tuple[dt.date, str, int]] = []
    # first_day, which the engine reads to skip the days when nothing falls due, is the
    # first day held (date.max when none is) after every change.
    assert calendar.first_day == min(calendar, default=dt.date.max)
    for through in (10, 10, 25, 40):  # as the fold advances, a day at a time or more
        while (due := calendar.take_due(first + dt.timedelta(days=through))) is not None:
            day, entries = due
            assert day <= first + dt.timedelta(days=through)
            fired.extend((day, invoice, index) for invoice, index in entries)
            assert calendar.first_day == min(calendar, default=dt.date.max)
    expected = sorted((first + dt.timedelta(days=d), i, n) for d, i, n in clawbacks)
    assert fired == expected
    assert calendar.take_due(dt.date(2199, 12, 31)) is None
