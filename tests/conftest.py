"""What the tests share: the bundled example files, and the command run in this process.

The hypothesis strategies the property tests share are in ``strategies.py`` (a strategy is
given to ``@given`` when the test is defined, so it is imported, not injected); the readable
scenario vocabulary is in ``scenario.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from commission_engine.books import event_store
from commission_engine.books.closing import ClosedBook
from commission_engine.books.store import Ledger
from commission_engine.cli import main
from commission_engine.domain.events import parse_event

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@dataclass
class Run:
    """What one run of the command gave: its exit status and what it printed."""

    status: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)

    def csv(self) -> list[list[str]]:
        return list(csv.reader(io.StringIO(self.out)))


Command = Callable[..., Run]


@pytest.fixture
def examples() -> Path:
    """The folder of the bundled example (plans.yaml, events.csv, events.jsonl)."""
    return EXAMPLES


@pytest.fixture
def command(capsys: pytest.CaptureFixture[str]) -> Command:
    """Run ``commission-engine ARGS`` in this process; capture its status and output."""

    def run(*args: object) -> Run:
        return Run(*run_command(capsys, *args))

    return run


def run_command(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    """``commission-engine ARGS`` in this process: its exit status, stdout and stderr."""
    try:
        status = main([str(arg) for arg in args])
    except SystemExit as exit_:  # argparse ends bad usage this way
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def ledger_rows(path: Path) -> list[tuple[object, ...]]:
    """Everything a ledger file holds, table by table, each table's rows in one fixed order:
    what a kill during a write must leave exactly as before or after."""
    with sqlite3.connect(path) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return [
            (table, *row)
            for table in tables
            for row in sorted(connection.execute(f"SELECT * FROM {table}"), key=repr)
        ]


# Ledgers that keep their events --------------------------------------------------------


def parsed(events: list[dict[str, Any]]) -> list[Any]:
    """Raw records as the event files give them to a run: each an event or its rejection."""
    return [parse_event(e) for e in events]


def ingest(ledger: Ledger, events: list[dict[str, Any]]) -> event_store.Delivery:
    """``commission-engine ingest`` of ``events`` into ``ledger``."""
    with ledger.held(load=False, keep=True) as held:
        return held.deliver(parsed(events))


def month_of(event: dict[str, Any]) -> int:
    return dt.date.fromisoformat(event["date"]).month


def in_order(book: ClosedBook) -> ClosedBook:
    """``book`` with its state read whole and its records in one fixed order (by id or key):
    a close recomputing only the reps concerned keeps the same records as a close over every
    event, but what it adds (an invoice booked late) after those it kept (docs/decisions.md)."""
    state = book.state.whole()
    return book.model_copy(
        update={
            "state": state.model_copy(
                update={
                    "invoices": tuple(sorted(state.invoices, key=lambda r: r.id)),
                    "ledgers": tuple(sorted(state.ledgers, key=lambda x: (x.rep, x.currency))),
                    "attainment": tuple(
                        sorted(state.attainment, key=lambda a: (a.rep, a.plan, a.quota_period))
                    ),
                }
            )
        }
    )
