"""The five worked examples of EXAMPLES.md, as golden scenarios."""

from __future__ import annotations

from decimal import Decimal

from scenario import Stream, book, line_amounts, payouts, run, statement, table

QUARTERLY = {
    "quota": "100000",
    "tiers": [{"from": "0", "rate": "0.10"}, {"from": "1", "rate": "0.12"}],
}


def test_1_pay_on_collection_with_tax_and_partial_payments() -> None:
    events = (
        Stream()
        .invoice("2026-01-10", "I1", "110.00", tax="10.00")
        .pay("2026-01-10", "I1", "55.00")
        .pay("2026-02-10", "I1", "22.00")
        .pay("2026-03-10", "I1", "33.00")
    )
    result = run(book(3), events)
    assert table(result) == [
        ("2026-01", "5.00", "0.00", "5.00", "0.00"),
        ("2026-02", "2.00", "0.00", "2.00", "0.00"),
        ("2026-03", "3.00", "0.00", "3.00", "0.00"),
    ]
    assert statement(result, "2026-01").held_balance == Decimal("5.00")
    assert statement(result, "2026-03").held_balance == 0


def test_2_holdback_with_cumulative_rounding() -> None:
    events = (
        Stream()
        .invoice("2026-01-15", "I1", "1000.00")
        .pay("2026-02-10", "I1", "333.33")
        .pay("2026-03-10", "I1", "333.33")
        .pay("2026-04-10", "I1", "333.34")
    )
    result = run(book(2), events)
    assert line_amounts(result) == [
        ("advance", "50.00"),
        ("release", "16.67"),
        ("release", "16.66"),
        ("release", "16.67"),
    ]
    assert sum(line.amount for line in result.lines if line.kind == "release") == Decimal("50.00")
    assert statement(result, "2026-01").held_balance == Decimal("50.00")
    assert statement(result, "2026-04").held_balance == 0


def test_3_past_due_clawback_then_reinstatement_netted_against_debt() -> None:
    events = (
        Stream()
        .invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
        .pay("2026-04-20", "I1", "2000.00")
    )
    result = run(book(1, clawback={"after_days_past_due": 30}), events)
    assert table(result) == [
        ("2026-01", "200.00", "0.00", "200.00", "0.00"),
        ("2026-02", "0.00", "0.00", "0.00", "0.00"),
        ("2026-03", "-200.00", "0.00", "0.00", "200.00"),
        ("2026-04", "200.00", "200.00", "0.00", "0.00"),
    ]
    clawback = statement(result, "2026-03").lines[0]
    assert (clawback.kind, str(clawback.date), clawback.event) == ("past_due", "2026-03-02", None)
    assert statement(result, "2026-04").lines[0].kind == "reinstatement"


def test_4_booking_quarter_versus_collection_quarter() -> None:
    events = (
        Stream()
        .invoice("2026-01-15", "A", "60000.00")
        .invoice("2026-02-15", "B", "60000.00")
        .pay("2026-02-20", "A", "60000.00")
        .invoice("2026-04-02", "D", "80000.00")
        .pay("2026-04-10", "D", "80000.00")
        .pay("2026-04-20", "B", "60000.00")
    )
    at_booking = payouts(run(book(3, rate=None, **QUARTERLY), events))
    assert (at_booking["2026-02"], at_booking["2026-04"]) == (
        Decimal("6000.00"),
        Decimal("14400.00"),
    )
    at_collection = payouts(run(book(4, rate=None, **QUARTERLY), events))
    assert (at_collection["2026-02"], at_collection["2026-04"]) == (
        Decimal("6000.00"),
        Decimal("14800.00"),
    )


def test_5_write_off_clawback_recovered_under_a_cap() -> None:
    events = (
        Stream()
        .invoice("2026-01-05", "I1", "3000.00")
        .write_off("2026-02-10", "I1")
        .invoice("2026-03-05", "I2", "4000.00")
        .invoice("2026-04-05", "I3", "4000.00")
    )
    result = run(book(1, clawback={"max_recovery": "0.5"}), events)
    assert table(result) == [
        ("2026-01", "300.00", "0.00", "300.00", "0.00"),
        ("2026-02", "-300.00", "0.00", "0.00", "300.00"),
        ("2026-03", "400.00", "200.00", "200.00", "100.00"),
        ("2026-04", "400.00", "100.00", "300.00", "0.00"),
    ]
