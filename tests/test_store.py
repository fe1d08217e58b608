"""The SQLite ledger: a closed book reads back identical; closes are exclusive."""

from __future__ import annotations

from pathlib import Path

import pytest
from scenario import Stream, book

from commission_engine.closing import close
from commission_engine.store import Ledger, LedgerError


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
