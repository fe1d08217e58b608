"""The ledger as an event store: monthly files ingested and closed equal today's path."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import in_order, ingest, month_of, parsed
from hypothesis import given, settings
from hypothesis import strategies as st
from scenario import Stream, book
from strategies import PROPERTY, cases

from commission_engine import compute
from commission_engine.books.closing import ClosedBook, close, reopen_and_compute
from commission_engine.books.monthly import close_with_ledger, reopen_with_ledger
from commission_engine.books.store import Ledger
from commission_engine.domain.statements import last_day


@pytest.mark.parametrize("lazy", [False, True], ids=["whole state", "state in rows"])
@settings(PROPERTY, max_examples=40)
@given(cases(), st.data())
def test_monthly_files_ingested_and_closed_equal_the_whole_file_closed_each_month(
    lazy: bool, case: tuple[Any, list[dict[str, Any]]], data: st.DataObject
) -> None:
    """Each event is delivered in its month or, late, in one of the two after; each month
    is ingested, shown (payouts --ledger with the month's file) and closed, the close
    reading the whole state or (``lazy``) the state kept in rows, read as the month needs it
    and written where it changed. Every run and every book equals today's: the whole file so
    far given to reopen_and_compute and close."""
    plans, events = case
    delays = data.draw(st.lists(st.sampled_from([0, 0, 0, 1, 2]), min_size=len(events)))
    delivered = [min(12, month_of(e) + delay) for e, delay in zip(events, delays, strict=False)]
    with tempfile.TemporaryDirectory() as folder:
        ledger = Ledger(Path(folder) / "ledger.sqlite")
        so_far: list[dict[str, Any]] = []
        closed: ClosedBook | None = None
        for month in range(1, 13):
            period, end = f"2026-{month:02d}", last_day(f"2026-{month:02d}")
            this_month = [e for e, m in zip(events, delivered, strict=False) if m == month]
            so_far += this_month
            ingest(ledger, this_month)
            with ledger.reading() as (latest, stored):
                shown = reopen_with_ledger(plans, parsed(this_month), latest, stored, through=end)
                today = reopen_and_compute(plans, so_far, closed, through=end)
                assert shown.statements == today.statements
                assert shown.result.rejected == today.result.rejected
            with ledger.held(lazy=lazy) as held:
                book_now, run = close_with_ledger(plans, parsed(this_month), period, held)
                held.record(book_now)
                closed, today_run = close(plans, so_far, period, closed)
                assert run.statements == today_run.statements
                # (Read while the ledger is held: a state in rows reads them as asked.)
                assert in_order(book_now) == in_order(closed)
            latest = ledger.latest()
            assert latest is not None and in_order(latest) == in_order(closed)
    if not any(delays):  # nothing late: the books are the batch run's
        batch = compute(plans, events, through=dt.date(2026, 12, 31))
        assert closed is not None and closed.statements == batch.statements


def test_ingest_reports_re_deliveries_corrections_and_late_events(tmp_path: Path) -> None:
    plans = book(3)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    january = Stream().invoice("2026-01-10", "I1", "1000.00").events
    assert len(ingest(ledger, january).added) == 1
    with ledger.held() as held:
        held.record(close_with_ledger(plans, [], "2026-01", held)[0])
    corrected = {**january[0], "amount": "1200.00"}
    late = {"type": "payment", "id": "p1", "date": "2026-01-20", "invoice": "I1", "amount": "5"}
    feb = {"type": "payment", "id": "p2", "date": "2026-02-20", "invoice": "I1", "amount": "5"}
    delivery = ingest(ledger, [january[0], corrected, late, feb, feb])
    # The first copy of e001 is the one kept: it is a re-delivery; the other content corrects it.
    assert delivery.redelivered == 2
    assert delivery.corrected == [("e001", None)]
    assert delivery.late == [("p1", None)]
    assert [e.id for e in delivery.added] == ["e001", "p1", "p2"]
    with ledger.reading() as (latest, stored):
        assert stored is not None and stored.complete
        assert [e.id for e in stored.since()] == ["e001", "p1", "p2"]
        run = reopen_with_ledger(plans, [], latest, stored, through=dt.date(2026, 2, 28))
    assert [(c.event, c.change) for c in run.changes] == [("e001", "changed"), ("p1", "late")]
    [adjustment] = [line for s in run.open for line in s.lines][:1]
    assert adjustment.kind == "prior_period_adjustment"


def test_a_month_without_late_events_never_reads_the_history(tmp_path: Path) -> None:
    plans = book(3)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    stream = Stream().invoice("2026-01-10", "I1", "1000.00").pay("2026-02-10", "I1", "10.00")
    ingest(ledger, stream.events[:1])
    with ledger.held() as held:
        held.record(close_with_ledger(plans, [], "2026-01", held)[0])
    ingest(ledger, stream.events[1:])
    with ledger.reading() as (latest, stored):
        assert stored is not None

        def refuse() -> list[Any]:
            raise AssertionError("the history was read")

        stored.history = refuse  # type: ignore[method-assign]
        run = reopen_with_ledger(plans, [], latest, stored)
    assert run.changes == ()
    assert [s.period for s in run.open] == ["2026-02"]


def test_a_ledger_written_before_keeps_its_events_from_its_next_close(tmp_path: Path) -> None:
    plans = book(3)
    ledger = Ledger(tmp_path / "ledger.sqlite")
    stream = Stream().invoice("2026-01-10", "I1", "1000.00").pay("2026-02-10", "I1", "10.00")
    with ledger.closing() as (previous, record):  # as the code before issue 19 closed
        record(close(plans, stream.events[:1], "2026-01", previous)[0])
    with ledger.reading() as (_, stored):
        assert stored is None
    with ledger.held() as held:
        february, _ = close_with_ledger(plans, parsed(stream.events), "2026-02", held)
        held.record(february)
    assert (
        february
        == close(plans, stream.events, "2026-02", close(plans, stream.events[:1], "2026-01")[0])[0]
    )
    with ledger.reading() as (_, stored):
        assert stored is not None and stored.complete
        assert stored.since() == []
        assert [e.id for e in stored.history()] == ["e001", "e002"]
