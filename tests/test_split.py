"""A run split by rep across processes gives exactly what one process gives.

``MIN_EVENTS_PER_PART`` is lowered so that even the few events of a generated stream
are split; every test here forks.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import END, cases

from commission_engine import CommissionEngineError, Plan, PlanBook, RejectedEventError, compute
from commission_engine.domain.errors import StateError
from commission_engine.domain.events import SORT_KEY, Invoice, parse_event, sort_key
from commission_engine.parallel import by_rep as split_module

SPLIT = settings(max_examples=60, deadline=None)


@pytest.fixture(autouse=True)
def _split_even_small_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(split_module, "MIN_EVENTS_PER_PART", 1)


def _awkward(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``events`` and the ones a partition could get wrong."""
    first_rep = next((event.get("rep") or event["splits"][0]["rep"] for event in events[:1]), "ana")
    return [
        *events,
        # An invoice nobody booked: rejected, in the first part.
        {"type": "payment", "id": "lost", "date": "2026-02-01", "invoice": "NOPE",
         "amount": "1"},
        # An invoice id booked twice with another rep: the second is rejected.
        {"type": "invoice", "id": "again", "date": "2026-06-01", "invoice": "I0",
         "rep": "cy" if first_rep != "cy" else "bo", "amount": "5"},
        # A rep with adjustments only.
        {"type": "adjustment", "id": "only-adj", "date": "2026-04-02", "rep": "dee",
         "amount": "7"},
    ]  # fmt: skip


def _same(book: PlanBook, events: list[dict[str, Any]], **kw: Any) -> None:
    one = compute(book, events, **kw)
    for processes in (2, 3):
        split = compute(book, events, processes=processes, **kw)
        assert split.statements == one.statements
        assert split.rejected == one.rejected
        assert (split.through, split.pending, split.duplicates) == (
            one.through,
            one.pending,
            one.duplicates,
        )


@SPLIT
@given(cases(), st.sampled_from([None, END, dt.date(2026, 3, 31)]))
def test_split_run_equals_one_process(
    case: tuple[PlanBook, list[dict[str, Any]]], through: dt.date | None
) -> None:
    book, events = case
    _same(book, _awkward(events), through=through)


@SPLIT
@given(cases())
def test_strict_split_run_raises_the_first_rejection_in_applied_order(
    case: tuple[PlanBook, list[dict[str, Any]]],
) -> None:
    book, events = case
    events = _awkward(events)
    try:
        compute(book, events, strict=True)
    except RejectedEventError as error:
        with pytest.raises(RejectedEventError) as split:
            compute(book, events, strict=True, processes=2)
        assert split.value.rejection == error.rejection
    else:
        _same(book, events, strict=True)


def _sales(count: int) -> list[dict[str, Any]]:
    return [
        {"type": "invoice", "id": f"e{n}", "date": "2026-01-10", "invoice": f"I{n}",
         "rep": f"rep{n % 4}", "amount": "100.00"}
        for n in range(count)
    ]  # fmt: skip


def test_a_split_run_keeps_no_state() -> None:
    plans = PlanBook(plans=[{"id": "p", "currency": "USD", "level": 0, "rate": "0.1"}])
    result = compute(plans, _sales(8), processes=2)
    with pytest.raises(StateError, match="split across processes, which keeps no engine state"):
        result.state()


def test_a_run_too_small_to_split_runs_here_and_keeps_its_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(split_module, "MIN_EVENTS_PER_PART", 5)
    plans = PlanBook(plans=[{"id": "p", "currency": "USD", "level": 0, "rate": "0.1"}])
    assert compute(plans, _sales(9), processes=2).state().through == dt.date(2026, 1, 10)


def test_a_failing_part_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    works = split_module._Part.statements

    def broken(part: Any, through: dt.date) -> Any:
        if part.part == 0:  # this process's part works; the child's fails
            return works(part, through)
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(split_module._Part, "statements", broken)
    plans = PlanBook(plans=[{"id": "p", "currency": "USD", "level": 0, "rate": "0.1"}])
    with pytest.raises(CommissionEngineError, match=r"(?s)a part of the run failed.*disk on fire"):
        compute(plans, _sales(8), processes=2)


def test_parts_follow_reps_and_split_invoices_go_to_both() -> None:
    records = [
        {"type": "invoice", "id": "a", "date": "2026-01-01", "invoice": "A", "rep": "ana",
         "amount": "10"},
        {"type": "invoice", "id": "b", "date": "2026-01-01", "invoice": "B", "rep": "bo",
         "amount": "10"},
        {"type": "invoice", "id": "s", "date": "2026-01-01", "invoice": "S",
         "splits": "ana=0.5;bo=0.5", "amount": "10"},
        {"type": "payment", "id": "p", "date": "2026-01-02", "invoice": "S", "amount": "5"},
        {"type": "payment", "id": "x", "date": "2026-01-02", "invoice": "X", "amount": "5"},
    ]  # fmt: skip
    events = [parse_event(record) for record in records]
    invoices = [event for event in events if isinstance(event, Invoice)]
    partition = split_module.Partition(invoices, [1.0, 1.0])
    assert partition.owner_of("ana") != partition.owner_of("bo")
    ana = partition.owner_of("ana")
    applied = {
        part: [number for number, _ in partition.events_of(part, events)]  # type: ignore[arg-type]
        for part in (0, 1)
    }
    assert applied[ana] == [0, 2, 3] + ([4] if ana == 0 else [])
    assert applied[1 - ana] == [1, 2, 3] + ([4] if ana == 1 else [])


def test_an_invoice_id_booked_twice_is_applied_wherever_either_booking_has_a_rep() -> None:
    records = [
        {"type": "invoice", "id": "a", "date": "2026-01-01", "invoice": "A", "rep": "ana",
         "amount": "10"},
        {"type": "invoice", "id": "b", "date": "2026-01-01", "invoice": "B", "rep": "bo",
         "amount": "10"},
        # A booked again by bo, and S booked split, then again by ana alone.
        {"type": "invoice", "id": "a2", "date": "2026-01-02", "invoice": "A", "rep": "bo",
         "amount": "10"},
        {"type": "invoice", "id": "s", "date": "2026-01-01", "invoice": "S",
         "splits": "ana=0.5;bo=0.5", "amount": "10"},
        {"type": "invoice", "id": "s2", "date": "2026-01-02", "invoice": "S", "rep": "ana",
         "amount": "10"},
    ]  # fmt: skip
    invoices = [parse_event(record) for record in records]
    partition = split_module.Partition(invoices, [1.0, 1.0])  # type: ignore[arg-type]
    ana, bo = 1 << partition.owner_of("ana"), 1 << partition.owner_of("bo")
    assert ana != bo
    assert partition.parts_of == {"A": ana | bo, "B": bo, "S": ana | bo}


def _payouts(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    from commission_engine.cli import main

    status = main(["payouts", *map(str, args)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_the_command_prints_the_same_whatever_the_processes(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    from pathlib import Path

    examples = Path(__file__).resolve().parent.parent / "examples"
    plans, events = examples / "plans.yaml", examples / "events.csv"
    for options in (("--format", "json"), ("--format", "csv"), ()):
        one = _payouts(capsys, plans, events, *options, "--processes", "1")
        assert one[0] == 0
        assert _payouts(capsys, plans, events, *options, "--processes", "2") == one
    broken = tmp_path / "events.csv"
    text = events.read_text()
    broken.write_text(text + "payment,zz1,2026-12-30,NOPE,,,,5.00,,,,\n")
    one = _payouts(capsys, plans, broken, "--processes", "1")
    assert one[0] == 1 and "unknown invoice NOPE" in one[2]
    assert _payouts(capsys, plans, broken, "--processes", "2") == one


def test_the_sort_key_in_c_is_the_events_own() -> None:
    records = [
        {"type": "adjustment", "id": "z", "date": "2026-01-02", "rep": "ana", "amount": "1"},
        {"type": "payment", "id": "b", "date": "2026-01-02", "invoice": "A", "amount": "5"},
        {"type": "invoice", "id": "c", "date": "2026-01-02", "invoice": "A", "rep": "ana",
         "amount": "10"},
        {"type": "write_off", "id": "a", "date": "2026-01-01", "invoice": "A"},
    ]  # fmt: skip
    events = [parse_event(record) for record in records]
    assert [SORT_KEY(event) for event in events] == [sort_key(event) for event in events]  # type: ignore[arg-type]


def _clawed_back_when_due(payment_terms_days: int) -> PlanBook:
    """One plan paying 10% at invoicing, clawed back the day an invoice falls due."""
    return PlanBook(
        plans=[
            {"id": "p", "currency": "USD", "level": 1, "rate": "0.1",
             "clawback": {"after_days_past_due": 0}, "payment_terms_days": payment_terms_days}
        ]
    )  # fmt: skip


def test_a_child_whose_events_end_early_nets_through_the_runs_end() -> None:
    # bo (the lighter rep, so the child's) has nothing after January; ana runs to April.
    # The child is told the run's end, April 30, and nets bo through it, by which time bo's
    # invoice has gone past due and its advance is clawed back.
    plans = _clawed_back_when_due(payment_terms_days=30)
    events = [
        {"type": "invoice", "id": "b1", "date": "2026-01-20", "invoice": "B1", "rep": "bo",
         "amount": "100.00"},
        {"type": "invoice", "id": "a1", "date": "2026-01-05", "invoice": "A1", "rep": "ana",
         "amount": "100.00"},
        {"type": "invoice", "id": "a2", "date": "2026-04-30", "invoice": "A2", "rep": "ana",
         "amount": "100.00"},
    ]  # fmt: skip
    split = compute(plans, events, processes=2)
    assert split.statements == compute(plans, events).statements
    assert [(s.rep, s.period, str(s.gross)) for s in split.statements if s.rep == "bo"] == [
        ("bo", "2026-01", "10.00"),
        ("bo", "2026-02", "-10.00"),
        ("bo", "2026-03", "0.00"),
        ("bo", "2026-04", "0.00"),
    ]


@settings(max_examples=20, deadline=None)
@given(cases(), st.integers(1, 3), st.integers(1, 40))
def test_statements_sent_in_small_chunks_all_arrive_in_order(
    case: tuple[PlanBook, list[dict[str, Any]]], most: int, lines: int
) -> None:
    book, events = case
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(split_module, "CHUNK", most)
        patch.setattr(split_module, "CHUNK_LINES", lines)
        _same(book, _awkward(events))


def test_a_child_nets_through_the_runs_end_when_its_last_events_are_rejected() -> None:
    # The run's last event (a payment of an invoice nobody booked, on March 28) is rejected,
    # so the run ends on March 20, ana's last invoice. bo's clawback falls due between the
    # two, on March 25: netted through March 28, the child would post it into bo's March.
    plans = _clawed_back_when_due(payment_terms_days=24)
    events = [
        {"type": "invoice", "id": "b1", "date": "2026-03-01", "invoice": "B1", "rep": "bo",
         "amount": "100.00"},
        {"type": "invoice", "id": "a1", "date": "2026-03-01", "invoice": "A1", "rep": "ana",
         "amount": "100.00"},
        {"type": "invoice", "id": "a2", "date": "2026-03-20", "invoice": "A2", "rep": "ana",
         "amount": "100.00"},
        {"type": "payment", "id": "lost", "date": "2026-03-28", "invoice": "NOPE",
         "amount": "1.00"},
    ]  # fmt: skip
    one, split = compute(plans, events), compute(plans, events, processes=2)
    assert split.through == one.through == dt.date(2026, 3, 20)
    assert split.statements == one.statements
    assert [(s.rep, s.period, str(s.gross)) for s in split.statements if s.rep == "bo"] == [
        ("bo", "2026-03", "10.00")
    ]


def test_closing_and_the_monthly_run_are_the_same_whatever_the_processes(
    capsys: pytest.CaptureFixture[str], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3
    from pathlib import Path

    from commission_engine.cli import main
    from commission_engine.parallel import read_in_parts as split_read

    monkeypatch.setattr(split_read, "MIN_BYTES_PER_PART", 1)  # split even the example file
    examples = Path(__file__).resolve().parent.parent / "examples"
    plans, events = examples / "plans.yaml", examples / "events.jsonl"
    seen = {}
    for processes in ("1", "2"):
        ledger = tmp_path / f"ledger-{processes}.sqlite"
        common = [plans, events, "--ledger", ledger, "--format", "json", "--processes", processes]
        assert main(["close", *map(str, common), "--period", "2026-06"]) == 0
        closed = capsys.readouterr().out
        assert main(["payouts", *map(str, common)]) == 0
        monthly = capsys.readouterr().out
        with sqlite3.connect(ledger) as connection:
            book = connection.execute("SELECT book FROM closes").fetchall()
        seen[processes] = (closed, monthly, book)
    assert seen["2"] == seen["1"]
    assert '"closed": true' in seen["1"][1] and '"closed": false' in seen["1"][1]


def test_a_part_with_no_rep_of_its_own_still_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    # Two reps and three parts: the third part applies nothing, so it has no end date of
    # its own to net through; it used to end without an answer ("a part of the run ended
    # without an answer"), as hypothesis found on a stream of two reps.
    monkeypatch.setattr(split_module, "MIN_EVENTS_PER_PART", 1)
    book = PlanBook(plans=[Plan(id="p", currency="USD", level=0, rate="0.1")])
    events = [
        {"type": "invoice", "id": "i1", "date": "2026-01-05", "invoice": "I1", "rep": "ana",
         "amount": "100.00"},
        {"type": "invoice", "id": "i2", "date": "2026-02-05", "invoice": "I2", "rep": "bo",
         "amount": "200.00"},
        {"type": "adjustment", "id": "a1", "date": "2026-02-06", "rep": "ana", "amount": "5"},
    ]  # fmt: skip
    one = compute(book, events)
    for processes in (3,):  # three events, three parts, two reps
        assert compute(book, events, processes=processes).statements == one.statements
