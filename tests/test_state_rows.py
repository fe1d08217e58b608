"""The closed state kept in rows (issue 19): a month reads the invoices its events name and
writes those that changed. That every book and run over rows equals today's path is the
property of test_event_store, run over rows too."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from conftest import ingest
from scenario import Stream, book

from commission_engine.books.closing import close, reopen_and_compute
from commission_engine.books.monthly import close_with_ledger, reopen_with_ledger
from commission_engine.books.store import Ledger


def test_a_month_reads_only_the_invoices_its_events_name(tmp_path: Path) -> None:
    plans = book(3)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    stream = (
        Stream()
        .invoice("2026-01-10", "I1", "1000.00")
        .invoice("2026-01-11", "I2", "500.00")
        .pay("2026-02-10", "I1", "10.00")
    )
    ingest(ledger, stream.events[:2])
    with ledger.held(lazy=True) as held:
        held.record(close_with_ledger(plans, [], "2026-01", held)[0])
    ingest(ledger, stream.events[2:])
    with ledger.held(lazy=True) as held:
        assert held.previous is not None
        records = held.previous.state.records
        assert records is not None and held.previous.state.invoices == ()
        asked: list[str] = []
        invoice = records.invoice
        records.invoice = lambda i: asked.append(i) or invoice(i)  # type: ignore[method-assign]
        february, _ = close_with_ledger(plans, [], "2026-02", held)
        held.record(february)
    assert asked == ["I1"]  # I2 stays on disk
    assert [r.id for r in february.state.invoices] == ["I1"]  # only what changed is written
    assert dict(february.state.events) == {"e003": february.events["e003"]}
    with sqlite3.connect(ledger.path) as connection:
        ranks = connection.execute("SELECT id FROM state_invoices ORDER BY rank").fetchall()
    assert ranks == [("I1",), ("I2",)]
    expected = close(plans, stream.events, "2026-02", close(plans, stream.events[:2], "2026-01")[0])
    assert ledger.latest() == expected[0]
    with ledger.reading() as (latest, stored):
        run = reopen_with_ledger(plans, [], latest, stored, through=dt.date(2026, 3, 31))
    assert (
        run.statements
        == reopen_and_compute(
            plans, stream.events, expected[0], through=dt.date(2026, 3, 31)
        ).statements
    )


def test_a_ledger_in_chunks_moves_to_rows_at_its_next_lazy_close(tmp_path: Path) -> None:
    plans = book(3)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    stream = Stream().invoice("2026-01-10", "I1", "1000.00").pay("2026-02-10", "I1", "10.00")
    ingest(ledger, stream.events[:1])
    with ledger.held() as held:  # as the code before kept the state: in chunks
        held.record(close_with_ledger(plans, [], "2026-01", held)[0])
    with sqlite3.connect(ledger.path) as connection:
        parts = {p for (p,) in connection.execute("SELECT part FROM close_parts")}
    assert {"events", "invoices"} <= parts
    ingest(ledger, stream.events[1:])
    with ledger.held(lazy=True) as held:
        assert held.previous is not None and held.previous.state.records is None
        held.record(close_with_ledger(plans, [], "2026-02", held)[0])
    with sqlite3.connect(ledger.path) as connection:
        kept = connection.execute("SELECT COUNT(*) FROM state_invoices").fetchone()[0]
        parts = {
            p
            for (p,) in connection.execute("SELECT part FROM close_parts WHERE period = '2026-02'")
        }
    assert kept == 1 and not {"events", "invoices"} & parts
    assert (
        ledger.latest()
        == close(plans, stream.events, "2026-02", close(plans, stream.events[:1], "2026-01")[0])[0]
    )


def test_a_month_reads_only_the_ledgers_and_attainment_its_events_post_to(
    tmp_path: Path,
) -> None:
    """Issue 19, fourth pass: the ledgers' totals and the attainment stay in rows; a month
    opens the ledger of each rep it posts to and reads the attainment its credits move."""
    plans = book(3, rate=None, quota="1000", quota_period="quarter",
                 tiers=[{"from": "0", "rate": "0.05"}, {"from": "1", "rate": "0.10"}])  # fmt: skip
    ledger = Ledger(tmp_path / "ledger.sqlite")
    stream = (
        Stream()
        .invoice("2026-01-10", "I1", "800.00")
        .invoice("2026-01-11", "I2", "500.00", rep="bo")
        .invoice("2026-02-10", "I3", "400.00")  # ana over her quota of the quarter
        .pay("2026-02-12", "I1", "800.00")
    )
    ingest(ledger, stream.events[:2])
    with ledger.held(lazy=True) as held:
        held.record(close_with_ledger(plans, [], "2026-01", held)[0])
    ingest(ledger, stream.events[2:])
    january = close(plans, stream.events[:2], "2026-01")[0]
    expected, expected_run = close(plans, stream.events, "2026-02", january)
    asked: list[tuple[str, ...]] = []
    with ledger.held(lazy=True) as held:
        assert held.previous is not None
        totals = held.previous.state.totals
        assert totals is not None and held.previous.state.ledgers == ()
        first_period, attained = totals.first_period, totals.attained
        totals.first_period = lambda *key: asked.append(key) or first_period(*key)  # type: ignore[method-assign]
        totals.attained = lambda *key: asked.append(key) or attained(*key)  # type: ignore[method-assign]
        totals.ledgers = totals.attainments = None  # type: ignore[assignment,method-assign]
        february, run = close_with_ledger(plans, [], "2026-02", held)
        held.record(february)
        assert run.statements == expected_run.statements  # bo's February too, from his last
    assert sorted(set(asked)) == [("ana", "L3", "2026-Q1"), ("ana", "USD")]  # bo's stay on disk
    assert [(r.rep, [p.period for p in r.periods]) for r in february.state.ledgers] == [
        ("ana", ["2026-02"])
    ]
    assert [(a.rep, a.quota_period) for a in february.state.attainment] == [("ana", "2026-Q1")]
    assert ledger.latest() == expected
