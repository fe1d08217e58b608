"""Every rule of SEMANTICS.md section 8: the rejection, its field and its message."""

from __future__ import annotations

from typing import Any

import pytest
from scenario import book

from commission_engine import Plan, PlanBook, RejectedEventError, compute

INVOICE = {
    "type": "invoice",
    "id": "i1",
    "date": "2026-01-10",
    "invoice": "I1",
    "rep": "ana",
    "amount": "400.00",
}


def ev(kind: str, event_id: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "id": event_id, "date": "2026-01-20", **fields}


CASES: list[tuple[str, dict[str, Any], str | None, str]] = [
    (
        "unknown type",
        ev("refund", "x1", invoice="I1"),
        "type",
        "unknown event type 'refund'; expected one of invoice, dispute, dispute_resolved, "
        "credit_note, payment, payment_reversal, write_off, adjustment",
    ),
    ("missing field", ev("payment", "x1", invoice="I1"), "amount", "is required"),
    (
        "malformed date",
        dict(ev("payment", "x1", invoice="I1", amount="1"), date="2026-02-30"),
        "date",
        "'2026-02-30' is not a calendar date",
    ),
    (
        "malformed number",
        ev("payment", "x1", invoice="I1", amount="1,5"),
        "amount",
        "'1,5' is not a number",
    ),
    (
        "unknown invoice",
        ev("payment", "x1", invoice="I9", amount="1"),
        "invoice",
        "unknown invoice I9",
    ),
    ("duplicate invoice", dict(INVOICE, id="x1"), "invoice", "invoice I1 already exists"),
    (
        "dated before its invoice",
        dict(ev("payment", "x1", invoice="I1", amount="1"), date="2026-01-09"),
        "date",
        "dated before its invoice I1 of 2026-01-10",
    ),
    (
        "non-positive amount",
        ev("payment", "x1", invoice="I1", amount="0"),
        "amount",
        "amount must be positive, got 0",
    ),
    (
        "zero adjustment",
        ev("adjustment", "x1", rep="ana", amount="0"),
        "amount",
        "an adjustment amount cannot be zero",
    ),
    (
        "negative cost",
        dict(INVOICE, id="x1", invoice="I2", cost="-1"),
        "cost",
        "cost cannot be negative, got -1",
    ),
    (
        "tax above amount",
        dict(INVOICE, id="x1", invoice="I2", tax="500"),
        "tax",
        "tax 500 must be between 0 and the amount 400.00",
    ),
    (
        "sub-cent amount",
        ev("payment", "x1", invoice="I1", amount="1.005"),
        "amount",
        "1.005 is not a whole number of USD minor units",
    ),
    (
        "payment above open plus written off",
        ev("payment", "x1", invoice="I1", amount="900.00"),
        "amount",
        "payment of 900.00 exceeds open balance plus written-off 400.00 of invoice I1",
    ),
    (
        "credit note above open",
        ev("credit_note", "x1", invoice="I1", amount="400.01"),
        "amount",
        "credit note of 400.01 exceeds open balance 400.00 of invoice I1",
    ),
    (
        "write-off above open",
        ev("write_off", "x1", invoice="I1", amount="401"),
        "amount",
        "write-off of 401.00 exceeds open balance 400.00 of invoice I1",
    ),
    (
        "reversal above paid",
        ev("payment_reversal", "x1", invoice="I1", amount="1.00"),
        "amount",
        "payment reversal of 1.00 exceeds amount paid 0.00 of invoice I1",
    ),
    (
        "other currency",
        dict(INVOICE, id="x1", invoice="I2", currency="EUR"),
        "currency",
        "invoice is in EUR but rep ana's plan L0 pays in USD",
    ),
    (
        "shares not summing to one",
        dict(INVOICE, id="x1", invoice="I2", rep=None, splits="ana=0.5;bo=0.4"),
        "splits",
        "shares in splits must sum to exactly 1, they sum to 0.9",
    ),
    (
        "share not positive",
        dict(INVOICE, id="x1", invoice="I2", rep=None, splits="ana=1.5;bo=-0.5"),
        "splits",
        "every share in splits must be positive",
    ),
    (
        "rep named twice",
        dict(INVOICE, id="x1", invoice="I2", rep=None, splits="ana=0.5;ana=0.5"),
        "splits",
        "splits name rep ana twice",
    ),
    (
        "repeated id, different content",
        dict(INVOICE, amount="500.00"),
        "id",
        "event id i1 was already used for different content; give the correction a new id",
    ),
]


@pytest.mark.parametrize(
    ("bad", "field", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rejected_with_field_and_reason(bad: dict[str, Any], field: str, reason: str) -> None:
    good_payment = dict(ev("payment", "ok", invoice="I1", amount="100.00"), date="2026-01-25")
    result = compute(book(0), [INVOICE, bad, good_payment])
    assert [(r.event, r.field, r.reason) for r in result.rejected] == [(bad["id"], field, reason)]
    # The rest of the stream is unaffected: the invoice and the later payment are applied.
    assert result.state().events.keys() == {"i1", "ok"}


def test_write_off_with_nothing_open() -> None:
    events = [
        INVOICE,
        ev("payment", "p1", invoice="I1", amount="400.00"),
        dict(ev("write_off", "w1", invoice="I1"), date="2026-01-21"),
    ]
    [rejection] = compute(book(0), events).rejected
    assert (rejection.field, rejection.reason) == (
        "invoice",
        "nothing is open on invoice I1 to write off",
    )


def test_rep_with_no_plan_in_force() -> None:
    plans = PlanBook(
        plans=[Plan(id="p", currency="USD", level=0, rate="0.1")],
        assignments=[{"rep": "ana", "plan": "p", "from": "2026-02-01"}],
    )
    result = compute(plans, [INVOICE, dict(INVOICE, id="i2", invoice="I2", rep="bo")])
    assert [(r.event, r.field, r.reason) for r in result.rejected] == [
        ("i1", "rep", "rep ana has no plan in force on 2026-01-10"),
        ("i2", "rep", "rep bo has no plan in force on 2026-01-10"),
    ]


def test_a_split_invoice_s_reps_each_need_a_plan_in_force_in_its_currency() -> None:
    # The engine checks a sole rep (nearly every invoice) apart from a split's reps: the
    # split's checks, each rep in turn, with the field "splits" and the rep named.
    plans = PlanBook(
        plans=[
            Plan(id="u", currency="USD", level=0, rate="0.1"),
            Plan(id="e", currency="EUR", level=0, rate="0.1"),
        ],
        assignments=[
            {"rep": "ana", "plan": "u", "from": "2026-01-01"},
            {"rep": "bo", "plan": "u", "from": "2026-02-01"},
            {"rep": "cy", "plan": "e", "from": "2026-01-01"},
        ],
    )
    split = dict(INVOICE, rep=None, splits="ana=0.5;bo=0.5")
    events = [
        split,
        dict(split, id="i2", invoice="I2", splits="ana=0.5;cy=0.5"),
        dict(split, id="i3", invoice="I3", splits="cy=0.5;ana=0.5", currency="EUR"),
        dict(split, id="i4", invoice="I4", splits="ana=0.5;cy=0.25;bo=0.25"),
        dict(INVOICE, id="i5", invoice="I5", rep="cy"),
        dict(INVOICE, id="i6", invoice="I6", rep="bo", currency="EUR"),
    ]
    assert [(r.event, r.field, r.reason) for r in compute(plans, events).rejected] == [
        ("i1", "splits", "rep bo has no plan in force on 2026-01-10"),
        ("i2", "currency", "invoice is in USD but rep cy's plan e pays in EUR"),
        ("i3", "currency", "invoice is in EUR but rep ana's plan u pays in USD"),
        # Every rep's plan is looked for before any currency is compared.
        ("i4", "splits", "rep bo has no plan in force on 2026-01-10"),
        ("i6", "rep", "rep bo has no plan in force on 2026-01-10"),
    ]


@pytest.mark.parametrize("field", ["amount", "tax", "cost"])
@pytest.mark.parametrize(("currency", "text"), [("JPY", "150.50"), ("KWD", "150.0005")])
def test_an_invoice_s_amounts_are_whole_units_of_its_plan_s_currency(
    field: str, currency: str, text: str
) -> None:
    # Written with a cent's digits, an amount of a currency without cents (or with mills) is
    # not whole minor units: the engine's first test reads the unit of the rep's plan.
    plans = PlanBook(plans=[Plan(id="p", currency=currency, level=0, rate="0.1")])
    invoice = {**INVOICE, "amount": "200", "tax": "0", "cost": "0", field: text}
    [rejection] = compute(plans, [invoice]).rejected
    assert (rejection.field, rejection.reason) == (
        field,
        f"{text} is not a whole number of {currency} minor units",
    )


def test_message_names_line_event_field_and_reason() -> None:
    bad = dict(ev("payment", "e7", invoice="I1", amount="900.00"))
    from commission_engine import parse_event

    result = compute(book(0), [parse_event(INVOICE, line=2), parse_event(bad, line=7)])
    assert result.rejected[0].message == (
        "line 7: event e7, field amount: payment of 900.00 exceeds open balance plus "
        "written-off 400.00 of invoice I1"
    )


def test_strict_mode_raises_the_first_rejection() -> None:
    bad = ev("payment", "x1", invoice="I9", amount="1")
    with pytest.raises(RejectedEventError) as raised:
        compute(book(0), [INVOICE, bad], strict=True)
    assert raised.value.rejection.event == "x1"
    assert str(raised.value) == "event x1, field invoice: unknown invoice I9"


def test_every_input_event_is_applied_or_listed() -> None:
    bad = [ev("payment", f"x{n}", invoice="I9", amount="1") for n in range(3)]
    result = compute(book(0), [INVOICE, *bad])
    assert len(result.rejected) == 3
    assert len(result.state().events) == 1


def test_a_line_field_in_the_input_is_not_taken_for_the_line_number() -> None:
    from commission_engine import parse_event

    rejection = parse_event(dict(INVOICE, line=99), line=4)
    assert (rejection.line, rejection.field, rejection.reason) == (
        4,
        "line",
        "is not a field of this event type",
    )


def test_an_assignment_to_an_unknown_plan_is_a_validation_error() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="names unknown plan zz; plans are a"):
        PlanBook.model_validate(
            {
                "plans": [{"id": "a", "currency": "USD", "level": 0, "rate": "0.1"}],
                "assignments": [{"rep": "x", "plan": "zz", "from": "2026-01-01"}],
            }
        )


def test_events_records_and_rejections_given_together_are_each_told_apart() -> None:
    # prepare tells an event by its class, in a set of the event classes; an event of a
    # subclass is still an event (not a record to parse), a record is parsed, a rejection
    # already made is passed on.
    from commission_engine.domain.events import Payment, parse_event
    from commission_engine.domain.run import prepare
    from commission_engine.domain.working import WorkingState

    class Kept(Payment, frozen=True, kw_only=True):
        pass

    record = ev("payment", "p1", invoice="I1", amount="5")
    event = parse_event(record)
    assert isinstance(event, Payment)
    kept = Kept(id="p2", date=event.date, invoice="I1", amount=event.amount)
    rejection = parse_event({**record, "id": "p3", "amount": "-1"})
    rejected: list[Any] = []
    accepted, _, duplicates = prepare(
        [event, kept, {**record, "id": "p4"}, rejection], WorkingState(), None, rejected.append
    )
    assert [(type(e), e.id) for e in accepted] == [
        (Payment, "p1"),
        (Kept, "p2"),
        (Payment, "p4"),
    ]
    assert (rejected, duplicates) == ([rejection], 0)
