"""The collector is paused while a run or a ledger makes its objects, and restored as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from commission_engine import RejectedEventError, compute
from commission_engine.books.closing import close
from commission_engine.books.store import Ledger
from commission_engine.files import read_events, read_plans
from commission_engine.parallel.collector import collector_paused

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def collecting() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_restored_after_even_on_an_error(collecting: None) -> None:
    with pytest.raises(ZeroDivisionError), collector_paused():
        assert not gc.isenabled()
        _ = 1 / 0
    assert gc.isenabled()
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()  # a caller's disabled collector stays disabled


def test_compute_and_the_ledger_leave_the_collector_as_they_found_it(
    collecting: None, tmp_path: Path
) -> None:
    plans = read_plans(EXAMPLES / "plans.yaml")
    events = list(read_events(EXAMPLES / "events.jsonl"))
    ledger = Ledger(tmp_path / "ledger.sqlite")
    with ledger.closing() as (previous, record):
        record(close(plans, events, "2026-03", previous)[0])
    assert gc.isenabled()
    book = ledger.latest()
    assert book is not None and gc.isenabled()
    assert compute(plans, events, state=book.state).statements and gc.isenabled()
    late = {"type": "payment", "id": "zz", "date": "2026-12-30", "invoice": "NOPE",
            "amount": "1"}  # fmt: skip
    with pytest.raises(RejectedEventError):
        compute(plans, [*events, late], strict=True)
    assert gc.isenabled()
