"""Receivables behind the pay: buckets on their boundaries, commission at risk, DSO."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from scenario import Stream, book

from commission_engine import PlanBook, compute
from commission_engine.domain.statements import last_day, period_of, periods_between
from commission_engine.modeling import BUCKETS, age_receivables, bucket_of

AS_OF = dt.date(2026, 6, 30)
D = Decimal


def due_days_ago(days: int) -> str:
    return (AS_OF - dt.timedelta(days=days)).isoformat()


def test_each_age_on_a_bucket_boundary_lands_in_its_bucket() -> None:
    # One invoice per boundary: the amount says which age it has (days past due on AS_OF).
    ages = {-1: "100.00", 0: "200.00", 1: "300.00", 30: "400.00", 31: "500.00", 60: "600.00"}
    ages |= {61: "700.00", 90: "800.00", 91: "900.00"}
    stream = Stream()
    for days, amount in ages.items():
        stream.invoice("2026-01-02", f"I{days}", amount, due=due_days_ago(days))
    aging = age_receivables(book(3), stream.events, AS_OF)

    placed = {item.invoice: (item.days_past_due, item.bucket) for item in aging.items}
    assert placed == {
        "I-1": (-1, "current"),
        "I0": (0, "current"),
        "I1": (1, "1-30"),
        "I30": (30, "1-30"),
        "I31": (31, "31-60"),
        "I60": (60, "31-60"),
        "I61": (61, "61-90"),
        "I90": (90, "61-90"),
        "I91": (91, "over 90"),
    }
    assert aging.rep("ana").buckets() == {
        "current": D("300.00"),
        "1-30": D("700.00"),
        "31-60": D("1100.00"),
        "61-90": D("1500.00"),
        "over 90": D("900.00"),
    }
    assert aging.rep("ana").open == D("4500.00")
    assert list(aging.rep("ana").buckets()) == list(BUCKETS)


def test_bucket_of_counts_days_after_the_due_date() -> None:
    assert [bucket_of(d) for d in (0, 1, 30, 31, 60, 61, 90, 91)] == [
        "current", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "over 90",
    ]  # fmt: skip


def test_the_due_date_defaults_to_the_plans_payment_terms() -> None:
    # Invoiced 2026-05-01 at 30 days' terms: due 2026-05-31, 30 days past due on June 30.
    stream = Stream().invoice("2026-05-01", "I1", "100.00")
    item = age_receivables(book(3), stream.events, AS_OF).items[0]
    assert (item.due, item.days_past_due, item.bucket) == (dt.date(2026, 5, 31), 30, "1-30")
    terms = book(3, payment_terms_days=60)
    assert age_receivables(terms, stream.events, AS_OF).items[0].bucket == "current"


def test_only_what_is_still_open_is_aged() -> None:
    stream = (
        Stream()
        .invoice("2026-01-10", "I1", "1000.00")
        .pay("2026-02-01", "I1", "300.00")
        .credit("2026-02-02", "I1", "200.00")
        .write_off("2026-03-01", "I1", "100.00")
        .invoice("2026-01-12", "I2", "50.00")
        .pay("2026-01-30", "I2", "50.00")
    )
    aging = age_receivables(book(3), stream.events, AS_OF)
    assert [(i.invoice, i.open) for i in aging.items] == [("I1", D("400.00"))]


def test_a_split_invoice_is_shared_by_share_without_losing_a_cent() -> None:
    stream = Stream().invoice("2026-06-01", "I1", "100.01", splits="ana=0.5;bo=0.5")
    aging = age_receivables(book(3), stream.events, AS_OF)
    assert [(i.rep, i.open) for i in aging.items] == [("ana", D("50.01")), ("bo", D("50.00"))]
    thirds = Stream().invoice("2026-06-01", "I1", "100.00", splits="a=0.3;b=0.3;c=0.4")
    parts = [i.open for i in age_receivables(book(3), thirds.events, AS_OF).items]
    assert parts == [D("30.00"), D("30.00"), D("40.00")]


def test_held_equals_the_held_balance_on_the_statement() -> None:
    stream = (
        Stream()
        .invoice("2026-01-15", "I1", "1000.00")
        .pay("2026-02-10", "I1", "333.33")
        .invoice("2026-03-01", "I2", "777.77")
        .write_off("2026-05-01", "I2", "100.00")
    )
    for level in range(5):
        plans = book(level)
        aging = age_receivables(plans, stream.events, AS_OF)
        statement = compute(plans, stream.events, through=AS_OF).statements[-1]
        assert aging.rep("ana").held == statement.held_balance, level


# Commission at risk ----------------------------------------------------------------------


def test_commission_at_risk_is_held_plus_the_pending_past_due_clawback() -> None:
    # Level 2, 10%: 1000.00 invoiced, 400.00 paid. Of the 100.00 commission, 50.00 was
    # advanced and 20.00 released: 30.00 is held, and the clawback (due 2026-02-14 + 90
    # days) would take back the advance on the 600.00 still open, 30.00.
    stream = (
        Stream()
        .invoice("2026-01-15", "I1", "1000.00", due="2026-02-14")
        .pay("2026-02-10", "I1", "400.00")
    )
    aging = age_receivables(book(2), stream.events, dt.date(2026, 3, 31))
    item = aging.items[0]
    assert (item.held, item.clawback_exposure, item.at_risk) == (D("30.00"), D("30.00"), D("60.00"))
    assert item.clawback_date == dt.date(2026, 5, 15)
    ana = aging.rep("ana")
    assert (ana.held, ana.clawback_exposure, ana.at_risk) == (D("30.00"), D("30.00"), D("60.00"))


CASES: list[tuple[int, dict[str, Any], Stream]] = [
    (1, {}, Stream().invoice("2026-01-05", "I1", "1234.57").pay("2026-02-01", "I1", "333.33")),
    (
        2,
        {"rounding": "half_even"},
        Stream()
        .invoice("2026-01-05", "I1", "1000.05", splits="ana=0.5;bo=0.5")
        .credit("2026-01-20", "I1", "100.00")
        .pay("2026-02-01", "I1", "300.01"),
    ),
    (
        2,
        {"clawback": {"after_days_past_due": 30}},
        Stream().invoice("2026-01-05", "I1", "999.99").write_off("2026-02-01", "I1", "99.99"),
    ),
    (
        1,
        {"advance": "0.25", "clawback": {"on_write_off": False}},
        Stream()
        .invoice("2026-01-05", "I1", "500.00", tax="50.00")
        .write_off("2026-01-31", "I1", "120.00")
        .pay("2026-02-03", "I1", "77.77"),
    ),
]


@pytest.mark.parametrize(("level", "terms", "stream"), CASES)
def test_the_exposure_is_exactly_what_the_engine_claws_back_when_nothing_is_paid(
    level: int, terms: dict[str, Any], stream: Stream
) -> None:
    plans = book(level, **terms)
    aging = age_receivables(plans, stream.events, dt.date(2026, 2, 28))
    exposed = [i for i in aging.items if i.clawback_exposure]
    assert exposed, "the case should have a clawback pending"
    for item in exposed:
        assert item.clawback_date is not None
        later = compute(plans, stream.events, through=item.clawback_date)
        taken = [
            line.amount
            for line in later.lines
            if line.kind == "past_due" and line.rep == item.rep and line.invoice == item.invoice
        ]
        assert taken == [-item.clawback_exposure]


def test_nothing_is_exposed_once_the_clawback_has_happened_or_where_there_is_none() -> None:
    stream = Stream().invoice("2026-01-05", "I1", "1000.00", due="2026-01-31")
    past_due = age_receivables(book(1), stream.events, dt.date(2026, 6, 1)).items[0]
    assert (past_due.clawback_exposure, past_due.clawback_date) == (D("0.00"), None)
    for level in (0, 3, 4):
        item = age_receivables(book(level), stream.events, dt.date(2026, 2, 1)).items[0]
        assert item.clawback_exposure == D("0.00")


# DSO -------------------------------------------------------------------------------------


def test_dso_is_open_at_period_end_over_sales_times_days() -> None:
    stream = (
        Stream()
        .invoice("2026-01-10", "I1", "1000.00")
        .invoice("2026-01-20", "I2", "500.00")
        .pay("2026-01-25", "I2", "500.00")
        .pay("2026-02-10", "I1", "1000.00")
        .invoice("2026-02-12", "I3", "300.00")
    )
    aging = age_receivables(book(3), stream.events, dt.date(2026, 2, 15))
    assert [(d.period, d.receivables, d.sales, d.days) for d in aging.dso] == [
        ("2026-01", D("1000.00"), D("1500.00"), 31),
        ("2026-02", D("300.00"), D("300.00"), 15),  # counted through as_of
    ]
    assert aging.dso[0].dso == D("1000.00") * 31 / D("1500.00")
    assert aging.dso[1].dso == 15


def test_dso_is_undefined_in_a_period_without_sales() -> None:
    stream = Stream().invoice("2026-01-10", "I1", "1000.00")
    aging = age_receivables(book(3), stream.events, dt.date(2026, 2, 28))
    assert [(d.period, d.receivables, d.dso) for d in aging.dso] == [
        ("2026-01", D("1000.00"), 31),
        ("2026-02", D("1000.00"), None),
    ]


def test_receivables_at_each_period_end_equal_a_run_through_that_day() -> None:
    stream = (
        Stream()
        .invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
        .invoice("2026-01-10", "I2", "1100.00", tax="100.00", splits="ana=0.7;bo=0.3")
        .pay("2026-01-25", "I2", "550.00")
        .invoice("2026-02-01", "I3", "3000.00")
        .pay("2026-02-20", "I2", "550.00")
        .write_off("2026-03-15", "I3", "1000.00")
        .credit("2026-03-16", "I1", "500.00")
        .reverse("2026-03-25", "I2", "100.00")
        .pay("2026-04-20", "I1", "1500.00")
        .invoice("2026-04-25", "I4", "800.00", rep="bo")
    )
    plans = book(2)
    as_of = dt.date(2026, 4, 22)
    aging = age_receivables(plans, stream.events, as_of)
    for period in periods_between("2026-01", "2026-04"):
        end = min(last_day(period), as_of)
        state = compute(plans, stream.events, through=end).state()
        owed: dict[str, Decimal] = {}
        for invoice in state.invoices:
            still_open = invoice.amount - invoice.credited - invoice.paid - invoice.written_off
            for position in invoice.positions:
                owed[position.rep] = owed.get(position.rep, D(0)) + still_open * position.share
        got = {d.rep: d.receivables for d in aging.dso if d.period == period}
        assert got == owed, period
    assert period_of(as_of) == aging.dso[-1].period


def test_events_after_as_of_are_pending_and_bad_events_are_listed() -> None:
    stream = (
        Stream()
        .invoice("2026-01-05", "I1", "100.00")
        .pay("2026-01-06", "NOPE", "10.00")
        .pay("2026-08-01", "I1", "100.00")
    )
    aging = age_receivables(book(3), stream.events, AS_OF)
    assert aging.pending == 1
    assert [(r.event, r.field) for r in aging.rejected] == [("e002", "invoice")]
    assert aging.rep("ana").open == D("100.00")


def test_a_reused_event_id_is_treated_as_in_one_run_over_the_file() -> None:
    # The first use of e1 (March) is kept; a different event under the same id is rejected
    # even though it is dated earlier, exactly as compute() does on the whole file.
    events = [
        {"type": "invoice", "id": "i1", "date": "2026-01-05", "invoice": "I1", "rep": "ana",
         "amount": "100.00"},
        {"type": "payment", "id": "e1", "date": "2026-03-01", "invoice": "I1", "amount": "60.00"},
        {"type": "payment", "id": "e1", "date": "2026-01-20", "invoice": "I1", "amount": "10.00"},
        {"type": "payment", "id": "e1", "date": "2026-03-01", "invoice": "I1", "amount": "60.00"},
    ]  # fmt: skip
    aging = age_receivables(book(3), events, AS_OF)
    direct = compute(book(3), events, through=AS_OF)
    assert aging.rep("ana").open == D("40.00")
    assert [r.message for r in aging.rejected] == [r.message for r in direct.rejected]


def test_no_invoices_no_rows() -> None:
    aging = age_receivables(book(3), Stream().adjust("2026-01-05", "10.00").events, AS_OF)
    assert (aging.reps, aging.items, aging.dso) == ((), (), ())
    assert age_receivables(book(3), [], AS_OF).reps == ()


def test_several_reps_and_a_book_with_assignments() -> None:
    plans = PlanBook(
        plans=[*book(1).plans, *book(3).plans],
        assignments=[
            {"rep": "ana", "plan": "L1", "from": "2026-01-01"},
            {"rep": "*", "plan": "L3", "from": "2026-01-01"},
        ],
    )
    stream = (
        Stream()
        .invoice("2026-06-01", "I1", "1000.00")
        .invoice("2026-06-02", "I2", "500.00", rep="bo")
    )
    aging = age_receivables(plans, stream.events, AS_OF)
    assert [(r.rep, r.held, r.clawback_exposure) for r in aging.reps] == [
        ("ana", D("0.00"), D("100.00")),  # L1: all advanced, all exposed to the clawback
        ("bo", D("50.00"), D("0.00")),  # L3: all held, no clawback
    ]
    with pytest.raises(KeyError, match="no receivables for rep cy"):
        aging.rep("cy")


def test_without_dso_one_run_gives_the_same_aging() -> None:
    stream = (
        Stream()
        .invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
        .invoice("2026-02-10", "I2", "1100.00", tax="100.00", splits="ana=0.7;bo=0.3")
        .pay("2026-03-25", "I2", "550.00")
        .pay("2026-08-01", "I1", "1.00")
    )
    full = age_receivables(book(2), stream.events, AS_OF)
    quick = age_receivables(book(2), stream.events, AS_OF, dso=False)
    assert (quick.reps, quick.items, quick.pending) == (full.reps, full.items, full.pending)
    assert (quick.dso, len(full.dso)) == ((), 6 + 5)
