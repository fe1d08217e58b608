"""The SQLite ledger: a closed book reads back identical; closes are exclusive."""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario import Stream, book
from strategies import cases

from commission_engine import PlanBook, compute
from commission_engine.books import store
from commission_engine.books.closing import ClosedBook, close, reopen_and_compute
from commission_engine.books.store import Ledger, LedgerError


def test_a_closed_book_reads_back_identical(tmp_path: Path) -> None:
    plans = book(2)
    events = Stream().invoice("2026-01-05", "I1", "1000.00").pay("2026-01-20", "I1", "10.00")
    ledger = Ledger(tmp_path / "ledger.sqlite")
    assert ledger.latest() is None
    with ledger.closing() as (previous, record):
        assert previous is None
        january, _ = close(plans, events.events, "2026-01", previous)
        record(january)
    assert ledger.latest() == january


def test_nothing_is_recorded_when_the_close_fails(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    plans = book(0)
    events = Stream().invoice("2026-01-05", "I1", "1000.00").events
    with ledger.closing() as (_, record):
        record(close(plans, events, "2026-01")[0])
    with pytest.raises(RuntimeError), ledger.closing() as (previous, record):
        record(close(plans, events, "2026-02", previous)[0])
        raise RuntimeError("killed")
    latest = ledger.latest()
    assert latest is not None and latest.period == "2026-01"


def test_a_second_close_at_the_same_time_is_refused(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    with (
        ledger.closing(),
        pytest.raises(LedgerError, match="another close is running"),
        Ledger(tmp_path / "ledger.sqlite").closing(),
    ):
        pass


def test_a_file_that_is_not_a_ledger(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("this is not SQLite, just text long enough to have a header" * 20)
    with pytest.raises(LedgerError, match="is not a usable ledger"):
        Ledger(path).latest()


def _history() -> Stream:
    return (
        Stream()
        .invoice("2026-01-05", "I1", "1000.00", due="2026-01-31")
        .invoice("2026-01-09", "I2", "400.00")
        .pay("2026-01-20", "I1", "250.00")
        .invoice("2026-02-03", "I3", "700.00")
        .credit("2026-02-10", "I2", "100.00")
        .pay("2026-02-20", "I1", "750.00")
        .invoice("2026-03-02", "I4", "90.00")
    )


def _two_reps() -> list[dict[str, str]]:
    """The history, and an invoice of bo's in January: two statements a month from then."""
    bo = {"type": "invoice", "id": "b1", "date": "2026-01-07", "invoice": "B1", "rep": "bo"}
    return [*_history().events, {**bo, "amount": "100.00"}]


def test_a_book_kept_in_many_parts_reads_back_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "PART_SIZE", 2)
    plans = book(2)
    february, _ = close(plans, _history().events, "2026-02")
    ledger = Ledger(tmp_path / "ledger.sqlite")
    with ledger.closing() as (_, record):
        record(february)
    assert ledger.latest() == february
    with sqlite3.connect(ledger.path) as connection:
        parts = dict(connection.execute("SELECT part, COUNT(*) FROM close_parts GROUP BY part"))
        [head] = connection.execute("SELECT book FROM closes").fetchone()
    assert parts["events"] == 3 and parts["invoices"] == 2  # 6 events and 3 invoices, 2 a row
    assert parts["sizes"] == 1
    assert "events" not in json.loads(head)  # once, in the state (the parts)


def test_a_book_written_in_one_piece_still_reads_and_resumes_the_same(tmp_path: Path) -> None:
    # Before December 2026 a close was one row: the book whole, with the events twice and the
    # state's lines as well as the statements'.
    plans, events = book(2), _history().events
    january, _ = close(plans, events, "2026-01")
    whole = compute(plans, [e for e in events if e["date"] <= "2026-01-31"]).state()
    legacy = {**january.model_dump(mode="json"), "events": dict(january.events)}
    legacy["state"] = whole.model_dump(mode="json")
    ledger = Ledger(tmp_path / "ledger.sqlite")
    with sqlite3.connect(ledger.path) as connection:  # the file as it was: one table
        connection.execute("CREATE TABLE closes (period TEXT PRIMARY KEY, book TEXT NOT NULL)")
        connection.execute("INSERT INTO closes VALUES (?, ?)", ("2026-01", json.dumps(legacy)))
    read = ledger.latest()
    assert read is not None and read.state == whole and read.events == january.events
    now, before = (reopen_and_compute(plans, events, b) for b in (january, read))
    assert now.changes == before.changes == ()
    assert now.statements == before.statements
    # The next close goes on top of it, in the new layout.
    with ledger.closing() as (previous, record):
        record(close(plans, events, "2026-02", previous)[0])
    assert ledger.latest() == close(plans, events, "2026-02", january)[0]


@pytest.mark.parametrize(
    ("damage", "where"),
    [
        ("UPDATE closes SET book = json_remove(book, '$.state')", "at state: Field required"),
        (
            "UPDATE chunks SET items = '[[\"e001\"]]'"
            " WHERE digest IN (SELECT chunk FROM close_parts WHERE part = 'events')",
            "at 0.1: Field required",
        ),
    ],
)
def test_a_damaged_close_is_a_ledger_error_not_a_crash(
    tmp_path: Path, damage: str, where: str
) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite")
    with ledger.closing() as (_, record):
        record(close(book(2), _history().events, "2026-01")[0])
    with sqlite3.connect(ledger.path) as connection:
        connection.execute(damage)
    message = f"the latest close cannot be read ({where})"
    with pytest.raises(LedgerError, match=re.escape(message)):
        ledger.latest()
    with pytest.raises(LedgerError, match=re.escape(message)), ledger.closing():
        pass


def test_a_close_missing_a_part_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "PART_SIZE", 2)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    with ledger.closing() as (_, record):
        record(close(book(2), _history().events, "2026-02")[0])
    with sqlite3.connect(ledger.path) as connection:
        connection.execute("DELETE FROM close_parts WHERE part = 'invoices' AND seq = 1")
    with pytest.raises(LedgerError, match="the close of 2026-02 is incomplete: 2 invoices of 3"):
        ledger.latest()


def test_a_close_shares_with_the_one_before_what_did_not_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "PART_SIZE", 2)
    plans, events = book(2), _two_reps()
    ledger = Ledger(tmp_path / "ledger.sqlite")
    for period in ("2026-01", "2026-02"):
        with ledger.closing() as (previous, record):
            record(close(plans, events, period, previous)[0])
    with sqlite3.connect(ledger.path) as connection:
        chunks = {
            (period, part): chunk.split(",")
            for period, part, chunk in connection.execute(
                "SELECT period, part, group_concat(chunk) FROM"
                " (SELECT * FROM close_parts ORDER BY seq) GROUP BY period, part"
            )
        }
        kept = connection.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    # January: 4 events and 2 statements (ana's and bo's), whole chunks of 2 that February's
    # close holds again; its I1 is paid in February, so the chunk holding it is new.
    assert chunks["2026-02", "events"][:2] == chunks["2026-01", "events"]
    assert chunks["2026-02", "statements"][0] == chunks["2026-01", "statements"][0]
    assert chunks["2026-02", "invoices"][0] != chunks["2026-01", "invoices"][0]
    assert kept < sum(len(listed) for listed in chunks.values())
    latest = ledger.latest()
    assert latest is not None and latest.statements == close(plans, events, "2026-02")[0].statements


def test_a_close_writes_only_the_chunks_that_changed_and_the_same_rows_as_written_afresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "PART_SIZE", 2)
    plans, events = book(2), _two_reps()
    written: list[bytes] = []
    keep = store._keep

    def counted(connection: sqlite3.Connection, items: bytes) -> str:
        written.append(items)
        return keep(connection, items)

    monkeypatch.setattr(store, "_keep", counted)
    ledgers = [Ledger(tmp_path / f"{name}.sqlite") for name in ("carried", "afresh")]
    for ledger in ledgers:
        with ledger.closing() as (_, record):
            record(close(plans, events, "2026-01")[0])
    written.clear()
    with ledgers[0].closing() as (january, record):
        record(close(plans, events, "2026-02", january)[0])
    # Carried over: January's 2 event chunks and its statement chunk. Written: the sizes, 2
    # event chunks, 1 statement chunk, 2 invoice chunks (I1 paid) and ledgers (a flat plan
    # keeps no attainment).
    assert len(written) == 7
    with ledgers[1].closing() as (january, _):
        pass  # read, but not recorded from
    with sqlite3.connect(ledgers[1].path) as connection:
        connection.execute("BEGIN")
        store._record(connection, close(plans, events, "2026-02", january)[0], {})
    rows = "SELECT * FROM close_parts ORDER BY period, part, seq"
    dumps = [sqlite3.connect(ledger.path).execute(rows).fetchall() for ledger in ledgers]
    assert dumps[0] == dumps[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases(), st.sets(st.integers(1, 12), min_size=1, max_size=4))
def test_closing_month_after_month_through_the_file_keeps_what_was_closed(
    case: tuple[PlanBook, list[dict[str, Any]]], months: set[int]
) -> None:
    plans, events = case
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "PART_SIZE", 3)  # many chunks, some shared between closes
        ledger = Ledger(Path(folder) / "ledger.sqlite")
        in_memory: ClosedBook | None = None
        for month in sorted(months):
            period = f"2026-{month:02d}"
            in_memory, _ = close(plans, events, period, in_memory)
            with ledger.closing() as (previous, record):
                record(close(plans, events, period, previous)[0])
            assert ledger.latest() == in_memory
