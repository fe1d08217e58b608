"""Closed periods (SEMANTICS.md 10): paid statements never change, late events roll forward."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scenario import Stream, book
from strategies import PROPERTY, cases

from commission_engine import StateError, compute
from commission_engine.books.closing import ClosedBook, ClosingError, close, reopen_and_compute
from commission_engine.parallel import by_rep as split


def rows(statements: Any, rep: str = "ana") -> list[tuple[str, str, str, str, str]]:
    return [
        (s.period, str(s.gross), str(s.recovered), str(s.payout), str(s.debt_balance))
        for s in statements
        if s.rep == rep
    ]


def test_without_late_events_the_result_equals_a_batch_run() -> None:
    events = (
        Stream()
        .invoice("2026-01-05", "I1", "2000.00", due="2026-01-31")
        .invoice("2026-02-05", "I2", "500.00")
        .pay("2026-04-20", "I1", "2000.00")
    )
    plans = book(1, clawback={"after_days_past_due": 30})
    january, _ = close(plans, events.events, "2026-01")
    run = reopen_and_compute(plans, events.events, january, through=dt.date(2026, 4, 30))
    assert run.changes == ()
    assert run.statements == compute(plans, events.events, through=dt.date(2026, 4, 30)).statements
    assert run.closed == january.statements


def test_late_payment_into_a_closed_month_rolls_forward() -> None:
    plans = book(3)
    known = Stream().invoice("2026-01-10", "I1", "1000.00")
    january, _ = close(plans, known.events, "2026-01")
    assert rows(january.statements) == [("2026-01", "0.00", "0.00", "0.00", "0.00")]
    later = known.pay("2026-01-20", "I1", "1000.00").invoice("2026-02-03", "I2", "200.00")
    run = reopen_and_compute(plans, later.events, january)
    assert rows(run.statements) == [
        ("2026-01", "0.00", "0.00", "0.00", "0.00"),
        ("2026-02", "100.00", "0.00", "100.00", "0.00"),
    ]
    [adjustment] = run.open[0].lines
    assert adjustment.kind == "prior_period_adjustment"
    assert adjustment.date == dt.date(2026, 2, 1)
    assert adjustment.detail == "closed periods 2026-01; events e002"
    assert [(c.event, c.change) for c in run.changes] == [("e002", "late")]


def test_backdated_credit_note_becomes_debt_in_the_first_open_period() -> None:
    plans = book(0)
    known = Stream().invoice("2026-01-05", "I1", "1000.00")
    january, _ = close(plans, known.events, "2026-01")
    later = known.credit("2026-01-25", "I1", "500.00").invoice("2026-03-05", "I2", "300.00")
    run = reopen_and_compute(plans, later.events, january)
    assert rows(run.statements) == [
        ("2026-01", "100.00", "0.00", "100.00", "0.00"),
        ("2026-02", "-50.00", "0.00", "0.00", "50.00"),
        ("2026-03", "30.00", "30.00", "0.00", "20.00"),
    ]


def test_corrected_and_removed_events_are_reported_by_id() -> None:
    plans = book(3)
    known = Stream().invoice("2026-01-05", "I1", "1000.00").pay("2026-01-20", "I1", "400.00")
    known.pay("2026-01-21", "I1", "100.00")
    january, _ = close(plans, known.events, "2026-01")
    corrected = [dict(e) for e in known.events[:2]]
    corrected[1]["amount"] = "300.00"  # e002 keyed with the wrong amount; e003 deleted
    run = reopen_and_compute(plans, corrected, january, through=dt.date(2026, 2, 28))
    assert [(c.event, c.change) for c in run.changes] == [("e002", "changed"), ("e003", "removed")]
    assert rows(run.open) == [("2026-02", "-20.00", "0.00", "0.00", "20.00")]
    assert run.open[0].lines[0].detail == "closed periods 2026-01; events e002, e003"


def test_closing_is_in_month_order() -> None:
    plans = book(0)
    events = Stream().invoice("2026-01-05", "I1", "1000.00").events
    february, _ = close(plans, events, "2026-02")
    with pytest.raises(ClosingError, match="periods through 2026-02 are already closed"):
        close(plans, events, "2026-02", february)
    with pytest.raises(ClosingError):
        close(plans, events, "2026-01", february)


def test_a_second_close_builds_on_the_first_and_keeps_its_statements() -> None:
    plans = book(0)
    stream = Stream().invoice("2026-01-05", "I1", "1000.00")
    january, _ = close(plans, stream.events, "2026-01")
    stream.credit("2026-01-25", "I1", "500.00").invoice("2026-02-05", "I2", "2000.00")
    february, _ = close(plans, stream.events, "2026-02", january)
    assert rows(february.statements) == [
        ("2026-01", "100.00", "0.00", "100.00", "0.00"),
        ("2026-02", "150.00", "0.00", "150.00", "0.00"),
    ]
    # Nothing new: March resumes from February's state and adds no adjustment.
    stream.invoice("2026-03-05", "I3", "100.00")
    march = reopen_and_compute(plans, stream.events, february)
    assert march.changes == ()
    assert rows(march.open) == [("2026-03", "10.00", "0.00", "10.00", "0.00")]
    assert not any(line.kind == "prior_period_adjustment" for line in march.open[0].lines)


def test_a_rep_whose_events_all_arrived_late_starts_at_the_first_open_period() -> None:
    plans = book(0)
    ana = Stream().invoice("2026-01-05", "I1", "1000.00")
    january, _ = close(plans, ana.events, "2026-01")
    bo = Stream(rep="bo").invoice("2026-01-07", "I2", "400.00")
    bo.events[0]["id"] = "b1"
    run = reopen_and_compute(plans, ana.events + bo.events, january, through=dt.date(2026, 2, 28))
    assert rows(run.statements, "bo") == [("2026-02", "40.00", "0.00", "40.00", "0.00")]


def test_closed_book_round_trips_as_json() -> None:
    plans = book(2)
    events = Stream().invoice("2026-01-05", "I1", "1000.00").pay("2026-01-20", "I1", "10.00")
    january, _ = close(plans, events.events, "2026-01")
    again = ClosedBook.model_validate_json(january.model_dump_json())
    assert again == january


@PROPERTY
@given(cases(), st.integers(1, 10), st.integers(0, 3))
def test_any_split_into_closed_and_late_events_pays_the_batch_total(
    case: tuple[Any, list[dict[str, Any]]], month: int, late_every: int
) -> None:
    plans, events = case
    end = dt.date(2026, 12, 31)
    period = f"2026-{month:02d}"
    known = [e for n, e in enumerate(events) if not late_every or n % (late_every + 1)]
    closed, _ = close(plans, known, period)
    run = reopen_and_compute(plans, events, closed, through=end)
    batch = compute(plans, events, through=end)

    def owed(statements: Any) -> dict[tuple[str, str], Decimal]:
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        last: dict[tuple[str, str], Decimal] = {}
        for s in statements:
            totals[(s.rep, s.currency)] += s.payout
            last[(s.rep, s.currency)] = s.debt_balance
        return {key: totals[key] - last[key] for key in totals}

    assert owed(run.statements) == owed(batch.statements)


def test_an_event_rejected_before_the_close_is_not_taken_for_a_late_one() -> None:
    plans = book(0)
    stream = Stream().invoice("2026-01-05", "I1", "1000.00").pay("2026-01-20", "I9", "5.00")
    january, first = close(plans, stream.events, "2026-01")
    assert [r.event for r in first.result.rejected] == ["e002"]
    stream.invoice("2026-02-05", "I2", "100.00")
    run = reopen_and_compute(plans, stream.events, january)
    assert run.changes == ()
    assert run.still_rejected == ("e002",)
    assert rows(run.open) == [("2026-02", "10.00", "0.00", "10.00", "0.00")]


def test_asking_only_for_closed_periods_shows_them_as_paid() -> None:
    plans = book(0)
    stream = Stream().invoice("2026-01-05", "I1", "1000.00").invoice("2026-02-05", "I2", "50.00")
    february, _ = close(plans, stream.events, "2026-02")
    run = reopen_and_compute(plans, stream.events, february, through=dt.date(2026, 1, 20))
    assert rows(run.statements) == [("2026-01", "100.00", "0.00", "100.00", "0.00")]
    assert run.open == ()


def test_a_closed_book_holds_each_line_once() -> None:
    plans = book(2)
    stream = Stream().invoice("2026-01-05", "I1", "1000.00").pay("2026-01-20", "I1", "400.00")
    january, _ = close(plans, stream.events, "2026-01")
    assert [len(s.lines) for s in january.statements] == [2]  # advance and release
    assert all(not p.lines for ledger in january.state.ledgers for p in ledger.periods)
    assert "events" not in january.model_dump()  # the state's, not a copy
    assert january.events == january.state.events and len(january.events) == 2
    later = stream.pay("2026-02-10", "I1", "600.00").events
    assert reopen_and_compute(plans, later, january).statements == compute(plans, later).statements


def test_a_recompute_behind_closed_periods_may_be_split_with_the_same_statements(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(split, "MIN_EVENTS_PER_PART", 1)
    plans = book(1, clawback={"after_days_past_due": 30})
    stream = Stream().invoice("2026-01-05", "I1", "1000.00", due="2026-01-31")
    stream.invoice("2026-01-08", "B1", "300.00", rep="bo").pay("2026-02-10", "B1", "300.00")
    january, _ = close(plans, stream.events, "2026-01")
    late = stream.credit("2026-01-20", "I1", "100.00").invoice("2026-03-01", "I2", "50.00")
    one = reopen_and_compute(plans, late.events, january)
    split_run = reopen_and_compute(plans, late.events, january, processes=2)
    assert [c.change for c in one.changes] == ["late"]
    assert split_run.statements == one.statements and split_run.changes == one.changes
    with pytest.raises(StateError):
        split_run.result.state()  # split: no engine state, as compute(processes=2) keeps none
