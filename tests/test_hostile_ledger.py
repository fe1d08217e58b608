"""Issue 15, items 8 and 9: the ledger's errors are messages with an exit status, a ledger is
created only by a close that succeeds, and a close edited in the file is refused."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from hostile import INVOICE, files, run

from commission_engine.books import store
from commission_engine.books.store import Ledger, LedgerError

PAYMENT = (
    '{"type": "payment", "id": "p1", "date": "2026-02-10", "invoice": "I1", "amount": "400.00"}\n'
)


@pytest.fixture
def closed(tmp_path: Path) -> tuple[Path, Path, Path]:
    """Plans, events and a ledger with January closed."""
    plans, events = files(tmp_path, INVOICE + PAYMENT)
    ledger = tmp_path / "ledger.sqlite"
    result = run("close", plans, events, "--period", "2026-01", "--ledger", ledger)
    assert result.status == 0, result.err
    return plans, events, ledger


def test_a_ledger_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    plans, events = files(tmp_path, INVOICE)
    result = run("payouts", plans, events, "--ledger", tmp_path / "ledgr.sqlite")
    assert result.status == 2 and result.out == ""
    assert "there is no ledger" in result.err and "only close creates one" in result.err
    assert not (tmp_path / "ledgr.sqlite").exists()


def test_an_empty_file_is_not_a_ledger(tmp_path: Path) -> None:
    plans, events = files(tmp_path, INVOICE)
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    for args in (
        ("payouts", plans, events, "--ledger", empty),
        ("close", plans, events, "--period", "2026-01", "--ledger", empty),
    ):
        result = run(*args)
        assert result.status == 2 and result.out == ""
        assert "is not a usable ledger" in result.err
    assert empty.read_bytes() == b""


def test_a_failed_close_leaves_no_ledger(tmp_path: Path) -> None:
    plans, events = files(tmp_path, INVOICE + INVOICE.replace('"e1"', '"e2"'))  # I1 twice
    ledger = tmp_path / "ledger.sqlite"
    result = run("close", plans, events, "--period", "2026-01", "--ledger", ledger)
    assert result.status == 1
    assert not ledger.exists()


def test_a_closed_payout_edited_in_the_file_is_refused(closed: tuple[Path, Path, Path]) -> None:
    plans, events, ledger = closed
    with sqlite3.connect(ledger) as connection:
        changed = connection.execute(
            "UPDATE chunks SET items = replace(items, '\"50.00\"', '\"5000.00\"')"
            " WHERE digest IN (SELECT chunk FROM close_parts WHERE part = 'statements')"
        ).rowcount
    assert changed == 1
    for args in (
        ("payouts", plans, events, "--ledger", ledger),
        ("close", plans, events, "--period", "2026-02", "--ledger", ledger),
    ):
        result = run(*args)
        assert result.status == 2 and result.out == ""
        assert "the close of 2026-01 was changed after it was recorded" in result.err


def test_a_close_row_edited_in_the_file_is_refused(closed: tuple[Path, Path, Path]) -> None:
    _, _, ledger = closed
    with sqlite3.connect(ledger) as connection:
        connection.execute(
            'UPDATE closes SET book = replace(book, \'"rejected":{}\', \'"rejected":{"x":"y"}\')'
        )
    with pytest.raises(LedgerError, match="the close of 2026-01 was changed"):
        Ledger(ledger).latest()


def test_a_chunk_that_is_not_utf8_is_a_message(closed: tuple[Path, Path, Path]) -> None:
    plans, events, ledger = closed
    with sqlite3.connect(ledger) as connection:
        connection.execute(
            "UPDATE chunks SET items = CAST(x'5bff5d' AS TEXT)"
            " WHERE digest IN (SELECT chunk FROM close_parts WHERE part = 'statements')"
        )
    for args in (
        ("payouts", plans, events, "--ledger", ledger),
        ("close", plans, events, "--period", "2026-02", "--ledger", ledger),
    ):
        result = run(*args)
        assert result.status == 2 and result.out == ""
        assert "the latest close cannot be read" in result.err


def test_a_ledger_that_cannot_be_written_is_a_message(
    closed: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    plans, events, ledger = closed
    connect = sqlite3.connect

    def read_only(path: object, **options: object) -> sqlite3.Connection:
        return connect(Path(str(path)).absolute().as_uri() + "?mode=ro", uri=True, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(store.sqlite3, "connect", read_only)
    result = run("close", plans, events, "--period", "2026-02", "--ledger", ledger)
    assert result.status == 2 and result.out == ""
    assert "readonly" in result.err
    monkeypatch.undo()
    assert Ledger(ledger).latest().period == "2026-01"  # type: ignore[union-attr]


def test_two_closes_racing_on_a_new_ledger_give_busy(tmp_path: Path) -> None:
    plans, events = files(tmp_path, INVOICE)
    ledger = tmp_path / "ledger.sqlite"
    with Ledger(ledger).closing():
        result = run("close", plans, events, "--period", "2026-01", "--ledger", ledger)
    assert result.status == 3 and "another close is running" in result.err
    assert not ledger.exists()  # the first close recorded nothing: no ledger


def test_a_reader_waits_for_a_commit(closed: tuple[Path, Path, Path]) -> None:
    _, _, ledger = closed
    writer = sqlite3.connect(ledger, isolation_level=None, check_same_thread=False)
    writer.execute("BEGIN EXCLUSIVE")  # as a close does while it commits
    threading.Timer(0.5, lambda: writer.execute("COMMIT")).start()
    started = time.perf_counter()
    book = Ledger(ledger).latest()
    assert book is not None and book.period == "2026-01"
    assert time.perf_counter() - started >= 0.4
    writer.close()
