"""Golden scenarios for the rules beyond the levels: rates, bases, splits, currencies, netting."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from decimal import Decimal
from typing import Any

import pytest
from scenario import Stream, book, line_amounts, run, statement, table

from commission_engine import Plan, PlanBook, compute
from commission_engine.domain.engine import Engine
from commission_engine.domain.errors import Rejection
from commission_engine.domain.events import parse_event
from commission_engine.domain.working import Position, WorkingState

TIERED = {
    "quota": "1000",
    "tiers": [{"from": "0.5", "rate": "0.10"}, {"from": "1", "rate": "0.20"}],
}


def test_below_the_first_tier_the_rate_is_zero_and_tiers_are_marginal() -> None:
    # Quota 1,000: nothing on the first 500, 10% from 500 to 1,000, 20% above.
    events = Stream().invoice("2026-01-05", "I1", "800.00").invoice("2026-02-05", "I2", "400.00")
    result = run(book(0, rate=None, **TIERED), events)
    assert line_amounts(result) == [("advance", "30.00"), ("advance", "60.00")]


def test_attainment_restarts_each_quota_period() -> None:
    events = Stream().invoice("2026-03-31", "I1", "800.00").invoice("2026-04-01", "I2", "800.00")
    result = run(book(0, rate=None, **TIERED), events)
    assert line_amounts(result) == [("advance", "30.00"), ("advance", "30.00")]


def test_credit_note_lowers_attainment_without_re_rating_other_invoices() -> None:
    events = (
        Stream()
        .invoice("2026-01-05", "I1", "800.00")  # 30.00
        .credit("2026-01-06", "I1", "400.00")  # locked rate: -15.00; attainment 800 -> 400
        .invoice("2026-01-07", "I2", "400.00")  # 400 -> 800: 300 at 10%, 100 at 0% = 30.00
    )
    result = run(book(0, rate=None, **TIERED), events)
    assert line_amounts(result) == [
        ("advance", "30.00"),
        ("credit_note", "-15.00"),
        ("advance", "30.00"),
    ]


def test_gross_profit_base_excludes_tax_and_cost_and_is_never_negative() -> None:
    events = (
        Stream()
        .invoice("2026-01-05", "I1", "120.00", tax="20.00", cost="60.00")
        .invoice("2026-01-06", "I2", "100.00", cost="150.00")
    )
    result = run(book(0, base="gross_profit"), events)
    assert line_amounts(result) == [("advance", "4.00")]


def test_splits_share_the_commission_and_each_rep_gets_a_statement() -> None:
    events = Stream().invoice(
        "2026-01-05",
        "I1",
        "1000.00",
        splits=[{"rep": "ana", "share": "0.6"}, {"rep": "bo", "share": "0.4"}],
    )
    result = run(book(0), events)
    assert [(s.rep, str(s.payout)) for s in result.statements] == [
        ("ana", "60.00"),
        ("bo", "40.00"),
    ]


def test_each_rep_of_a_split_invoice_is_clawed_back_when_it_falls_past_due() -> None:
    # Each position's clawback is put on the calendar under its own index.
    splits = [{"rep": "ana", "share": "0.6"}, {"rep": "bo", "share": "0.4"}]
    events = (
        Stream()
        .invoice("2026-01-05", "I1", "1000.00", due="2026-02-04", splits=splits)
        .adjust("2026-06-30", "1.00")
    )
    result = run(book(1), events)
    assert [(x.rep, x.kind, str(x.amount), str(x.date)) for x in result.lines if x.invoice] == [
        ("ana", "advance", "60.00", "2026-01-05"),
        ("ana", "past_due", "-60.00", "2026-05-05"),
        ("bo", "advance", "40.00", "2026-01-05"),
        ("bo", "past_due", "-40.00", "2026-05-05"),
    ]


def test_plan_in_force_on_the_invoice_date_governs_the_invoice_for_life() -> None:
    plans = PlanBook(
        plans=[
            Plan(id="old", currency="USD", level=0, rate="0.10"),
            Plan(id="new", currency="USD", level=3, rate="0.20"),
        ],
        assignments=[
            {"rep": "ana", "plan": "old", "from": "2026-01-01"},
            {"rep": "ana", "plan": "new", "from": "2026-02-01"},
        ],
    )
    events = (
        Stream()
        .invoice("2026-01-15", "I1", "100.00")
        .invoice("2026-02-15", "I2", "100.00")
        .pay("2026-03-01", "I1", "100.00")
        .pay("2026-03-01", "I2", "100.00")
    )
    result = compute(plans, events.events)
    assert line_amounts(result) == [("advance", "10.00"), ("release", "20.00")]


def test_each_booking_is_in_its_own_plan_s_quota_period() -> None:
    # The engine keeps the quota period of each day met, shared by plans of one kind only.
    tiers = [{"from": "0", "rate": "0.1"}]
    kinds = {"m": "month", "q": "quarter", "y": "year", "m2": "month"}
    plans = PlanBook(
        plans=[
            Plan(id=plan, currency="USD", level=0, quota="1000", quota_period=kind, tiers=tiers)
            for plan, kind in kinds.items()
        ],
        assignments=[
            {"rep": rep, "plan": plan, "from": "2026-01-01"}
            for rep, plan in (("ana", "m"), ("bo", "q"), ("cy", "y"), ("di", "m2"))
        ],
    )
    stream = Stream()
    for day in ("2026-01-05", "2026-02-05"):
        for rep in ("ana", "bo", "cy", "di"):
            stream.invoice(day, f"{rep}-{day}", "100.00", rep=rep)
    invoices = compute(plans, stream.events).state().invoices
    assert sorted((p.rep, p.booking_quota_period) for i in invoices for p in i.positions) == [
        ("ana", "2026-01"), ("ana", "2026-02"), ("bo", "2026-Q1"), ("bo", "2026-Q1"),
        ("cy", "2026"), ("cy", "2026"), ("di", "2026-01"), ("di", "2026-02"),
    ]  # fmt: skip


def test_a_rep_without_a_plan_yet_is_rated_once_the_first_comes_into_force() -> None:
    # The engine keeps each rep's plan while the days stay inside its span: the span before
    # the first assignment ends where that assignment starts.
    plans = PlanBook(
        plans=[Plan(id="p", currency="USD", level=0, rate="0.10")],
        assignments=[{"rep": "ana", "plan": "p", "from": "2026-01-01"}],
    )
    events = Stream().invoice("2025-12-20", "I0", "100.00").invoice("2026-01-02", "I1", "50.00")
    result = compute(plans, events.events)
    assert [(r.event, r.reason) for r in result.rejected] == [
        ("e001", "rep ana has no plan in force on 2025-12-20")
    ]
    assert line_amounts(result) == [("advance", "5.00")]


def test_minor_units_follow_the_currency() -> None:
    for currency, amount, commission in [("JPY", "10005", "1001"), ("KWD", "10.005", "1.001")]:
        plans = PlanBook(plans=[Plan(id="p", currency=currency, level=0, rate="0.1")])
        events = Stream().invoice("2026-01-05", "I1", amount)
        [line] = compute(plans, events.events).lines
        assert str(line.amount) == commission


def test_a_payment_is_whole_minor_units_of_its_invoices_currency() -> None:
    # One run, three currencies: each payment is held to its own invoice's minor unit
    # (the engine keeps each currency's unit once it has looked it up).
    plans = PlanBook(
        plans=[Plan(id=c, currency=c, level=0, rate="0.1") for c in ("KWD", "USD", "JPY")],
        assignments=[
            {"rep": rep, "plan": c, "from": "2020-01-01"}
            for rep, c in (("kim", "KWD"), ("uma", "USD"), ("jo", "JPY"))
        ],
    )
    events = Stream()
    for rep, invoice, amount in (("kim", "K", "10.000"), ("uma", "U", "10.00"), ("jo", "J", "10")):
        events.invoice("2026-01-05", invoice, amount, rep=rep)
    for invoice, amount in (("K", "1.005"), ("U", "1.005"), ("U", "1.50"), ("J", "1.50")):
        events.pay("2026-01-06", invoice, amount)
    result = compute(plans, events.events)
    assert [r.reason for r in result.rejected] == [
        "1.005 is not a whole number of USD minor units",
        "1.50 is not a whole number of JPY minor units",
    ]


def test_rounding_half_even_on_request() -> None:
    # 10% of 0.25 is 0.025: half_up gives 0.03, half_even 0.02.
    events = Stream().invoice("2026-01-05", "I1", "0.25")
    assert line_amounts(run(book(0), events)) == [("advance", "0.03")]
    assert line_amounts(run(book(0, rounding="half_even"), events)) == [("advance", "0.02")]


def test_statements_cover_every_period_from_the_first_event_through_the_end_date() -> None:
    events = Stream().invoice("2026-02-10", "I1", "100.00")
    result = run(book(0), events, through="2026-05-15")
    assert [s.period for s in result.statements] == ["2026-02", "2026-03", "2026-04", "2026-05"]
    assert result.through == dt.date(2026, 5, 15)


def test_events_after_the_end_date_are_pending() -> None:
    events = Stream().invoice("2026-01-10", "I1", "100.00").pay("2026-03-10", "I1", "100.00")
    result = run(book(3), events, through="2026-02-28")
    assert result.pending == 1
    assert line_amounts(result) == []


def test_adjustments_add_to_gross_and_negative_gross_becomes_debt() -> None:
    events = (
        Stream()
        .invoice("2026-01-05", "I1", "1000.00")
        .adjust("2026-01-31", "25.00", "spiff")
        .adjust("2026-02-10", "-150.00", "overpaid bonus")
        .invoice("2026-03-05", "I2", "1000.00")
    )
    result = run(book(0), events)
    assert table(result) == [
        ("2026-01", "125.00", "0.00", "125.00", "0.00"),
        ("2026-02", "-150.00", "0.00", "0.00", "150.00"),
        ("2026-03", "100.00", "100.00", "0.00", "50.00"),
    ]
    assert statement(result, "2026-01").lines[1].detail == "spiff"


def test_max_recovery_is_rounded_in_the_plans_mode() -> None:
    # Debt 300.00; next gross 0.05 with max_recovery 0.5 -> cap 0.025 -> 0.03 (half_up).
    events = (
        Stream()
        .invoice("2026-01-05", "I1", "3000.00")
        .write_off("2026-02-10", "I1")
        .invoice("2026-03-05", "I2", "0.50")
    )
    result = run(book(1, clawback={"max_recovery": "0.5"}), events)
    march = statement(result, "2026-03")
    assert (str(march.gross), str(march.recovered), str(march.payout)) == ("0.05", "0.03", "0.02")


def test_duplicate_delivery_is_applied_once() -> None:
    events = Stream().invoice("2026-01-05", "I1", "1000.00")
    twice = [*events.events, dict(events.events[0], amount="1000.0")]
    result = compute(book(0), twice)
    assert result.duplicates == 1
    assert result.rejected == ()
    assert [str(s.payout) for s in result.statements] == ["100.00"]


def test_an_event_a_resumed_run_applied_before_is_a_re_delivery_or_a_conflict() -> None:
    # The ids a saved state applied count as given before: the same event again is dropped
    # (not rejected as dated before the state), and other content under its id is refused.
    stream = Stream().invoice("2026-01-05", "I1", "1000.00")
    events = list(stream.events)
    january = compute(book(0), events, through=dt.date(2026, 1, 31)).state()
    later = stream.invoice("2026-02-05", "I2", "200.00").events[1:]
    again = compute(book(0), [*events, *later], state=january)
    assert (again.duplicates, again.rejected) == (1, ())
    changed = compute(book(0), [dict(events[0], amount="999.00"), *later], state=january)
    assert changed.duplicates == 0
    assert [(r.event, r.field) for r in changed.rejected] == [(events[0]["id"], "id")]
    assert "already used for different content" in changed.rejected[0].reason


def test_held_balance_sums_over_invoices() -> None:
    events = Stream().invoice("2026-01-05", "I1", "1000.00").invoice("2026-01-06", "I2", "500.00")
    assert statement(run(book(2), events), "2026-01").held_balance == Decimal("75.00")


def test_default_end_date_is_the_latest_applied_event_not_a_rejected_one() -> None:
    events = Stream().invoice("2026-01-10", "I1", "100.00").pay("2026-03-02", "I9", "5.00")
    result = run(book(0), events)
    assert result.through == dt.date(2026, 1, 10)
    assert [s.period for s in result.statements] == ["2026-01"]


def test_a_rejected_event_does_not_move_the_calendar() -> None:
    # The run ends on the last applied event's date (2026-01-05): a payment rejected on
    # 2026-02-10 must not fire the clawback due on 2026-01-31 (N = 0), which is after the end.
    # (It used to: the calendar caught up before the payment was checked, and a run split by
    # rep, whose other part never saw that payment, disagreed with the run in one process.)
    stream = (
        Stream()
        .invoice("2026-01-05", "I1", "100.00", due="2026-01-31")
        .invoice("2026-01-05", "I2", "100.00", due="2026-03-31")
        .pay("2026-02-10", "I2", "999.00")  # more than is open: rejected
    )
    plans = book(1, clawback={"after_days_past_due": 0})
    result = run(plans, stream)
    assert [r.event for r in result.rejected] == ["e003"]
    assert result.through == dt.date(2026, 1, 5)
    assert line_amounts(result, "I1") == [("advance", "10.00")]
    # Through a later day given, the clawback is due within the run and is posted.
    later = run(plans, stream, through="2026-02-10")
    assert line_amounts(later, "I1") == [("advance", "10.00"), ("past_due", "-10.00")]


def test_a_clawback_falls_due_on_its_very_day_the_run_s_last() -> None:
    # The calendar is read only on the days something falls due by (ClawbackCalendar's
    # first_day): a clawback due on the last day of the run is one of them.
    stream = Stream().invoice("2026-01-05", "I1", "100.00", due="2026-01-31")
    plans = book(1, clawback={"after_days_past_due": 0})
    assert line_amounts(run(plans, stream, through="2026-01-30"), "I1") == [("advance", "10.00")]
    assert line_amounts(run(plans, stream, through="2026-01-31"), "I1") == [
        ("advance", "10.00"),
        ("past_due", "-10.00"),
    ]


@pytest.mark.parametrize(("level", "booked"), [(1, "10.00"), (2, "5.00")])
def test_a_clawback_due_on_a_settled_invoice_takes_nothing_but_counts(
    level: int, booked: str
) -> None:
    # Paid in full before its clawback date: the day passes with nothing to take. But the
    # invoice is past due from then on, so a reversal after it takes the advance back at once.
    stream = (
        Stream()
        .invoice("2026-01-05", "I1", "100.00", due="2026-01-31")
        .pay("2026-01-20", "I1", "100.00")
        .reverse("2026-02-10", "I1", "100.00")
    )
    plans = book(level, clawback={"after_days_past_due": 0})
    before_reversal = run(plans, stream, through="2026-02-09")
    assert [kind for kind, _ in line_amounts(before_reversal, "I1")] == ["advance", "release"][
        : 1 if level == 1 else 2
    ]
    after = line_amounts(run(plans, stream), "I1")
    assert after[0] == ("advance", booked)
    assert after[-1] == ("payment_reversal", "-10.00")
    assert "past_due" not in [kind for kind, _ in after]


def test_a_fold_returns_the_date_of_its_own_last_applied_event() -> None:
    # The fold reads its last applied event off the book's list of applied events: what it
    # appended itself, not what an earlier fold on the same book left there.
    engine = Engine(book(0), WorkingState())
    events = Stream().invoice("2026-01-10", "I1", "100.00").pay("2026-01-12", "I1", "5.00")
    parsed = [parse_event(record) for record in events.events]
    assert engine.fold(enumerate(parsed), _no_rejection) == dt.date(2026, 1, 12)
    rejected: list[int] = []
    again = Stream().pay("2026-01-20", "I9", "5.00").events  # an unknown invoice
    assert engine.fold(enumerate(map(parse_event, again)), lambda n, _: rejected.append(n)) is None
    assert rejected == [0]


def _no_rejection(number: int, rejection: Rejection) -> None:
    raise AssertionError(rejection)


#: The fields of a position a booking decides (Engine._position writes the others with the
#: class's defaults).
BOOKED = (
    "rep", "terms", "share", "credited_base", "commission", "booking_quota_period",
    "clawback_date", "past_due", "payable", "forfeited", "held", "ledger", "at_net",
    "at_written_off", "at_base", "total_at_net",
)  # fmt: skip


@pytest.mark.parametrize(
    "terms",
    [
        {"level": 0},
        {"level": 1, "clawback": {"after_days_past_due": 0}},
        {"level": 2, "rate": None, **TIERED},
        {"level": 3, "incentives": {"late_payment": [{"after_days": 10, "factor": "0.5"}]}},
        {"level": 4, "incentives": {"cash_with_order": {"rate": "0.01", "within_days": 5}}},
    ],
)
def test_a_booked_position_is_the_one_the_class_makes(terms: dict[str, Any]) -> None:
    # The engine makes a booked position without calling the class, each field written
    # (Engine._position): every field is there, and those a booking does not decide hold
    # the defaults the class gives them, the very objects (a zero's exponent is output).
    engine = Engine(book(**{"rate": "0.10", **terms}), WorkingState())
    stream = Stream().invoice("2026-01-05", "I1", "100.00", due="2026-01-05")
    stream.invoice("2026-01-06", "I2", "300.00", splits="ana=0.25;bo=0.75", rep=None)
    rejected: list[Rejection] = []
    engine.fold(enumerate(map(parse_event, stream.events)), lambda _, r: rejected.append(r))
    assert not rejected
    positions = [p for invoice in engine.book.invoices.values() for p in invoice.positions]
    assert len(positions) == 3
    for position in positions:
        booked = {field.name: getattr(position, field.name) for field in fields(Position)}
        made = Position(**{name: booked[name] for name in BOOKED})
        assert [name for name, value in booked.items() if getattr(made, name) is not value] == []
