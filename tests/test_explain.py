"""Statements that explain themselves (issue 16): plans, summary, attainment, each line's basis."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from commission_engine import (
    Plan,
    PlanBook,
    Rejection,
    compute,
    parse_event,
    read_events,
    read_plans,
)
from commission_engine.domain.explain import Explained, explain
from commission_engine.domain.money import round_ratio


def _explained(plans: PlanBook, events: list[dict[str, str]]) -> tuple[Explained, ...]:
    parsed = [parse_event(record, number) for number, record in enumerate(events, 1)]
    applied = [event for event in parsed if not isinstance(event, Rejection)]
    result = compute(plans, applied, strict=True)
    assert result.through is not None
    return explain(result.statements, plans, applied, result.invoices(), result.through)


TIERED = PlanBook(
    plans=[
        Plan(
            id="q",
            currency="USD",
            level=3,
            quota="100000",
            quota_period="quarter",
            tiers=[{"from": "0", "rate": "0.10"}, {"from": "1", "rate": "0.12"}],
        )
    ]
)


def test_a_tiered_booking_names_both_tiers_and_attainment_follows_the_quarter() -> None:
    # EXAMPLES.md 4: 60,000 then 60,000 booked in the quarter; the second crosses the quota.
    events = [
        {"type": "invoice", "id": "e1", "date": "2026-01-10", "invoice": "I1", "rep": "ana",
         "amount": "60000.00", "customer": "Acme"},
        {"type": "invoice", "id": "e2", "date": "2026-02-10", "invoice": "I2", "rep": "ana",
         "amount": "60000.00", "customer": "Globex"},
        {"type": "payment", "id": "e3", "date": "2026-02-20", "invoice": "I2",
         "amount": "60000.00"},
    ]  # fmt: skip
    january, february = _explained(TIERED, events)
    assert [(a.credited, a.share, a.tier_rate) for a in january.attainment] == [
        (Decimal("60000.00"), Decimal("0.6000"), Decimal("0.10"))
    ]
    assert [(a.credited, a.share, a.tier_rate) for a in february.attainment] == [
        (Decimal("120000.00"), Decimal("1.2000"), Decimal("0.12"))
    ]
    (release,) = february.lines
    assert release.line.kind == "release" and release.event_type == "payment"
    assert release.customer == "Globex" and release.commission == Decimal("6400.00")
    assert [(t.from_, t.rate) for t in release.tiers] == [
        (Decimal("0"), Decimal("0.10")),
        (Decimal("1"), Decimal("0.12")),
    ]
    assert dict(february.by_kind)["release"] == february.statement.gross == Decimal("6400.00")
    assert february.commission_booked == Decimal("6400.00")
    assert february.held_brought == january.statement.held_balance == Decimal("6000.00")


def test_a_past_due_clawback_says_how_many_days_and_an_adjustment_its_reason() -> None:
    plans = PlanBook(
        plans=[
            Plan(id="std", currency="USD", level=1, rate="0.10",
                 clawback={"after_days_past_due": 60})
        ]
    )  # fmt: skip
    events = [
        {"type": "invoice", "id": "e1", "date": "2026-01-15", "invoice": "I1", "rep": "ana",
         "amount": "1000.00", "due": "2026-02-14"},
        {"type": "adjustment", "id": "e2", "date": "2026-04-30", "rep": "ana",
         "amount": "-15.00", "reason": "laptop damage"},
    ]  # fmt: skip
    april = _explained(plans, events)[-1]
    past_due, adjustment = april.lines
    assert (past_due.line.kind, past_due.event_type, past_due.days_past_due) == (
        "past_due",
        None,
        60,
    )
    assert past_due.due.isoformat() == "2026-02-14"  # type: ignore[union-attr]
    assert (adjustment.line.kind, adjustment.reason) == ("adjustment", "laptop damage")
    summary = dict(april.by_kind)
    assert summary["past_due"] == Decimal("-100.00") and summary["adjustment"] == Decimal("-15")
    assert april.statement.payout == 0 and april.statement.debt_balance == Decimal("115.00")


def test_plans_in_force_change_mid_month() -> None:
    plans = PlanBook(
        plans=[
            Plan(id="a", currency="USD", level=0, rate="0.01"),
            Plan(id="b", currency="USD", level=4, rate="0.02"),
        ],
        assignments=[
            {"rep": "ana", "plan": "a", "from": "2026-01-01"},
            {"rep": "ana", "plan": "b", "from": "2026-03-16"},
        ],
    )
    events = [
        {"type": "invoice", "id": "e1", "date": "2026-03-02", "invoice": "I1", "rep": "ana",
         "amount": "100.00"},
        {"type": "payment", "id": "e2", "date": "2026-03-20", "invoice": "I1",
         "amount": "100.00"},
    ]  # fmt: skip
    (march,) = _explained(plans, events)
    # The run ends on its last event, so the second plan covers the 16th to the 20th.
    assert [(p.plan, p.level, p.start.day, p.end.day) for p in march.plans] == [
        ("a", 0, 1, 15),
        ("b", 4, 16, 20),
    ]


@pytest.fixture(scope="module")
def example_explained() -> tuple[Explained, ...]:
    folder = Path(__file__).resolve().parent.parent / "examples"
    plans = read_plans(folder / "plans.yaml")
    events = list(read_events(folder / "events.csv"))
    result = compute(plans, events)
    assert result.through is not None
    return explain(result.statements, plans, events, result.invoices(), result.through)


def test_every_example_statement_adds_up(example_explained: tuple[Explained, ...]) -> None:
    for explained in example_explained:
        statement = explained.statement
        assert sum(amount for _, amount in explained.by_kind) == statement.gross
        assert statement.gross - statement.recovered == statement.payout or statement.gross < 0
        debt = explained.debt_brought + max(-statement.gross, Decimal(0)) - statement.recovered
        assert debt == statement.debt_balance
        assert explained.plans, statement
        assert len(explained.lines) == len(statement.lines)
        for basis in explained.lines:
            if basis.line.invoice is not None:
                assert basis.plan and basis.base_credited is not None and basis.due is not None
            if basis.line.kind == "past_due":
                assert basis.days_past_due is not None and basis.days_past_due >= 0


def test_alice_in_may_says_why_she_is_paid_nothing(
    example_explained: tuple[Explained, ...],
) -> None:
    (may,) = [
        e
        for e in example_explained
        if (e.statement.rep, e.statement.period) == ("alice", "2026-05")
    ]
    summary = dict(may.by_kind)
    assert summary["advance"] == Decimal("2248.40")
    assert summary["past_due"] == Decimal("-4504.80")
    assert summary["clawback"] == Decimal("-1200.00")
    assert may.statement.gross == Decimal("-3456.40") and may.statement.payout == 0
    assert [(p.plan, p.level) for p in may.plans] == [("ae-standard", 1)]


def test_ratios_are_rounded_to_four_places() -> None:
    assert str(round_ratio(Decimal(2) / Decimal(3))) == "0.6667"
