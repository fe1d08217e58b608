"""The closed statements kept in the ledger (issue 19, third pass): a month's close reads each
rep's last closed statement, not the history's; a late event still reads them all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import ingest
from scenario import Stream, book

from commission_engine.books import store
from commission_engine.books.closing import KeptStatements, close
from commission_engine.books.monthly import close_with_ledger
from commission_engine.books.store import Ledger


def _stream() -> Stream:
    return (
        Stream()
        .invoice("2026-01-10", "I1", "1000.00")
        .invoice("2026-01-11", "I2", "500.00", rep="bo")
        .pay("2026-02-10", "I1", "1000.00")
        .credit("2026-02-12", "I2", "200.00")
        .invoice("2026-03-05", "I3", "200.00")
        .pay("2026-03-20", "I3", "200.00")
    )


def _closed_monthly(ledger: Ledger, stream: Stream, months: int) -> None:
    for month in range(1, months + 1):
        ingest(ledger, [e for e in stream.events if e["date"][5:7] == f"{month:02d}"])
        with ledger.held(lazy=True) as held:
            held.record(close_with_ledger(book(3), [], f"2026-{month:02d}", held)[0])


def test_a_month_closed_reads_no_closed_statement_but_each_reps_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = _stream()
    ledger = Ledger(tmp_path / "ledger.sqlite")
    _closed_monthly(ledger, stream, 2)
    ingest(ledger, [e for e in stream.events if e["date"][5:7] == "03"])
    read: list[list[str]] = []
    read_chunks = store._read_chunks

    def reading(connection: sqlite3.Connection, chunks: list[str]) -> object:
        read.append(chunks)
        return read_chunks(connection, chunks)

    monkeypatch.setattr(store, "_read_chunks", reading)
    with ledger.held(lazy=True) as held:
        assert held.previous is not None
        kept = held.previous.statements
        assert isinstance(kept, KeptStatements)
        assert sorted(kept.last) == [("ana", "USD"), ("bo", "USD")]
        assert kept.last[("bo", "USD")].period == "2026-02"
        march, _ = close_with_ledger(book(3), [], "2026-03", held)
        held.record(march)
    assert read == []  # the history's statements stayed on disk
    expected = close(book(3), stream.events, "2026-03")[0]
    assert ledger.latest() == expected


def test_a_late_event_reads_the_closed_statements_and_rolls_forward_as_before(
    tmp_path: Path,
) -> None:
    stream = _stream()
    ledger = Ledger(tmp_path / "ledger.sqlite")
    _closed_monthly(ledger, stream, 2)
    late = [
        {"type": "payment", "id": "late", "date": "2026-01-20", "invoice": "I2", "amount": "100.00"}
    ]
    ingest(ledger, [e for e in stream.events if e["date"][5:7] == "03"] + late)
    with ledger.held(lazy=True) as held:
        march, run = close_with_ledger(book(3), [], "2026-03", held)
        held.record(march)
    closed = close(book(3), stream.events[:4], "2026-02")[0]
    expected, expected_run = close(book(3), stream.events + late, "2026-03", closed)
    assert [c.event for c in run.changes] == ["late"]
    assert run.statements == expected_run.statements
    assert ledger.latest() == expected
