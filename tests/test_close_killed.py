"""A close killed at a random point leaves the previous ledger intact and usable."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from close_worker import PLANS, events
from conftest import ledger_rows

from commission_engine.books.closing import close
from commission_engine.books.store import Ledger

WORKER = Path(__file__).with_name("close_worker.py")


def _close(
    path: Path, period: str, invoices: int, hold: float = 0, way: str = "close"
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(path), period, str(invoices), str(hold), way],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("seed", range(4))
def test_kill_during_close(tmp_path: Path, seed: int) -> None:
    path = tmp_path / "ledger.sqlite"
    assert _close(path, "2026-01", 200).wait(timeout=60) == 0
    january = Ledger(path).latest()
    assert january is not None

    child = _close(path, "2026-02", 3000)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"  # it holds the ledger now
    time.sleep(random.Random(seed).uniform(0.0, 1.5))
    child.kill()
    child.wait(timeout=60)

    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    latest = Ledger(path).latest()
    assert latest is not None
    if latest.period == "2026-01":
        assert latest == january  # killed before the commit: nothing of it remains
    else:
        assert latest.period == "2026-02"  # the kill came after the commit
    # Either way the ledger is usable: the next close goes through.
    ledger = Ledger(path)
    with ledger.closing() as (previous, record):
        assert previous is not None
        record(close(PLANS, events(10), "2026-03", previous)[0])
    assert ledger.latest() is not None


def test_a_concurrent_close_process_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    first = _close(path, "2026-01", 10, hold=5)
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "started"
    second = _close(path, "2026-01", 10)
    _, errors = second.communicate(timeout=60)
    assert second.returncode != 0
    assert "another close is running on" in errors
    assert first.wait(timeout=120) == 0


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize("way", ["ingest", "store", "store-rows"])
def test_kill_during_ingest_or_a_close_from_the_store(tmp_path: Path, seed: int, way: str) -> None:
    """Killed at a random point, an ingest or a close from the kept events leaves the ledger
    exactly as it was before or as it is after: row for row. (``store-rows``: a close with
    late events, replacing the kept state of the reps they concern.)"""
    path = tmp_path / "ledger.sqlite"
    # The events of 2026-01 and of 2026-02, of invoices 200 to 2999 for ``store-rows``:
    # those of January late for it.
    month = "ingest-late" if way == "store-rows" else "ingest"
    assert _close(path, "2026-01", 200, way="ingest").wait(timeout=60) == 0
    assert _close(path, "2026-01", 200, way=way if way != "ingest" else "store").wait(60) == 0
    if way != "ingest":
        assert _close(path, "2026-02", 3000, way=month).wait(timeout=60) == 0
    before = ledger_rows(path)
    child = _close(path, "2026-02", 3000, way=way)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "started"
    time.sleep(random.Random(seed).uniform(0.0, 1.5))
    child.kill()
    child.wait(timeout=60)
    assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone() == ("ok",)
    now = ledger_rows(path)
    if now != before:  # the kill came after the commit: the rows are those of a whole run
        again = tmp_path / "again.sqlite"
        assert _close(again, "2026-01", 200, way="ingest").wait(timeout=60) == 0
        assert _close(again, "2026-01", 200, way=way if way != "ingest" else "store").wait(60) == 0
        if way != "ingest":
            assert _close(again, "2026-02", 3000, way=month).wait(timeout=60) == 0
        assert _close(again, "2026-02", 3000, way=way).wait(timeout=60) == 0
        assert now == ledger_rows(again)
    # Either way the ledger is usable: the next close goes through.
    assert _close(path, "2026-03", 10, way="store").wait(timeout=60) == 0


def test_a_concurrent_ingest_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    first = _close(path, "2026-01", 10, hold=5, way="ingest")
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "started"
    second = _close(path, "2026-01", 10, way="ingest")
    _, errors = second.communicate(timeout=60)
    assert second.returncode != 0
    assert "another close is running on" in errors
    assert first.wait(timeout=120) == 0
