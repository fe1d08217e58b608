"""Every event delivered, kept in the ledger file: the history the closes were folded from.

The table ``events`` is append-only. Each delivery (an ``ingest``, or the file a ``close``
is given) is one ``batch``; each event a row: its id, digest, date, invoice and the event
itself (as :mod:`..parallel.wire` writes it, in JSON). An identical re-delivery (same id,
same digest as the id's current row) adds no row; a correction (same id, other content)
adds one, which supersedes the id's rows of earlier batches. Two contents of one id in the
same delivery both stay, as in a file: the fold keeps the first and rejects the second.

Each close records, in ``close_events``, the last row it saw (``last_seq``). The events a
run folds on top of that close's snapshot are the current rows after it, and the current
rows dated after the closed month (delivered early: pending at the close). Everything else
is in the snapshot already.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

import msgspec

from ..domain.errors import Rejection
from ..domain.events import BaseEvent
from ..parallel.wire import event_from, event_values

SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS events (
    seq     INTEGER PRIMARY KEY,  -- the order rows were delivered in
    batch   INTEGER NOT NULL,     -- the delivery (ingest or close) that brought it
    id      TEXT NOT NULL,
    digest  TEXT NOT NULL,        -- BaseEvent.digest(): what the event says
    date    TEXT NOT NULL,        -- YYYY-MM-DD
    invoice TEXT,                 -- the invoice it names (none for an adjustment)
    event   TEXT NOT NULL         -- JSON: parallel.wire.event_values
)""",
    "CREATE INDEX IF NOT EXISTS events_by_id ON events (id, batch)",
    "CREATE INDEX IF NOT EXISTS events_by_date ON events (date)",
    "CREATE INDEX IF NOT EXISTS events_by_invoice ON events (invoice)",
    """
CREATE TABLE IF NOT EXISTS close_events (
    period   TEXT PRIMARY KEY,    -- the close (closes.period)
    last_seq INTEGER NOT NULL     -- the last row of events it saw
)""",
)

#: A row is current when no later delivery corrected its id.
_CURRENT = (
    "NOT EXISTS (SELECT 1 FROM events AS later WHERE later.id = e.id AND later.batch > e.batch)"
)


@dataclass
class Delivery:
    """What a delivery brought, by id: what was added, re-delivered, corrected or late."""

    added: list[BaseEvent] = field(default_factory=list)
    redelivered: int = 0
    #: (id, line) of each correction of a stored event, and of each new event dated in a
    #: closed month.
    corrected: list[tuple[str, int | None]] = field(default_factory=list)
    late: list[tuple[str, int | None]] = field(default_factory=list)
    #: Lines that are not events at all (not stored).
    rejected: list[Rejection] = field(default_factory=list)


def has_events(connection: sqlite3.Connection) -> bool:
    """Whether the ledger keeps its events (written by this code: every close since)."""
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'events'"
    ).fetchone()
    return found is not None


def create(connection: sqlite3.Connection) -> None:
    for statement in SCHEMA:
        connection.execute(statement)


def append(
    connection: sqlite3.Connection,
    events: Iterable[BaseEvent | Rejection],
    closed_through: dt.date | None,
    known: Mapping[str, str] | None = None,
) -> Delivery:
    """Append the new and corrected ones of ``events`` as one delivery (inside the caller's
    transaction). ``known`` (id -> current digest), when given, spares a look-up per event
    the caller already knows of; an id not in it is looked up."""
    batch = connection.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM events").fetchone()[0]
    empty = batch == 1  # the first delivery: nothing to look up
    delivery = Delivery()
    this_batch: dict[str, set[str]] = {}
    rows = []
    closed_end = None if closed_through is None else closed_through.isoformat()
    for event in events:
        if isinstance(event, Rejection):
            delivery.rejected.append(event)
            continue
        digest = event.digest()
        given = this_batch.get(event.id)
        if given is not None:  # given twice in this delivery
            if digest in given:
                delivery.redelivered += 1
                continue
            given.add(digest)  # a conflict, kept as the file has it: the fold rejects it
        else:
            current = known.get(event.id) if known is not None else None
            if current is None and not empty:
                current = _current_digest(connection, event.id)
            if current == digest:
                delivery.redelivered += 1
                continue
            this_batch[event.id] = {digest}
            if current is not None:
                delivery.corrected.append((event.id, event.line))
            elif closed_end is not None and event.date.isoformat() <= closed_end:
                delivery.late.append((event.id, event.line))
        delivery.added.append(event)
        rows.append(
            (
                batch,
                event.id,
                digest,
                event.date.isoformat(),
                getattr(event, "invoice", None),
                json.dumps(event_values(event), separators=(",", ":")),
            )
        )
    connection.executemany(
        "INSERT INTO events (batch, id, digest, date, invoice, event) VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    return delivery


def _current_digest(connection: sqlite3.Connection, event_id: str) -> str | None:
    """The digest of the id's current row (of its latest delivery), or ``None``."""
    row = connection.execute(
        "SELECT digest FROM events WHERE id = ? ORDER BY batch DESC, seq LIMIT 1", (event_id,)
    ).fetchone()
    return None if row is None else str(row[0])


def last_seq(connection: sqlite3.Connection) -> int:
    return int(connection.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])


def seen_by(connection: sqlite3.Connection, period: str) -> int | None:
    """The last row the close of ``period`` saw; ``None`` for a close made without the store."""
    row = connection.execute(
        "SELECT last_seq FROM close_events WHERE period = ?", (period,)
    ).fetchone()
    return None if row is None else int(row[0])


def record_seen(connection: sqlite3.Connection, period: str) -> None:
    connection.execute(
        "INSERT INTO close_events (period, last_seq) VALUES (?, ?)",
        (period, last_seq(connection)),
    )


def since(
    connection: sqlite3.Connection, seen: int, closed_through: dt.date | None
) -> list[BaseEvent]:
    """The current events a close that saw rows through ``seen`` did not fold: those
    delivered after it, and those dated after the month it closed."""
    after = "9999-12-31" if closed_through is None else closed_through.isoformat()
    return list(
        _events(
            connection.execute(
                f"SELECT event FROM events AS e WHERE (seq > ? OR date > ?) AND {_CURRENT}"
                " ORDER BY seq",
                (seen, after),
            )
        )
    )


def history(connection: sqlite3.Connection) -> list[BaseEvent]:
    """Every current event, in the order delivered: the history as now known."""
    return list(
        _events(connection.execute(f"SELECT event FROM events AS e WHERE {_CURRENT} ORDER BY seq"))
    )


def versions(connection: sqlite3.Connection, wanted: Mapping[str, str]) -> list[BaseEvent]:
    """The stored content of each id of ``wanted`` with the digest it maps to (a version a
    later delivery corrected: the table keeps it); ids without one are left out."""
    found: list[BaseEvent] = []
    for event_id, digest in wanted.items():
        rows = connection.execute(
            "SELECT event FROM events WHERE id = ? AND digest = ? ORDER BY seq LIMIT 1",
            (event_id, digest),
        )
        found.extend(_events(rows))
    return found


def _events(rows: Iterable[tuple[str]]) -> Iterator[BaseEvent]:
    decode = msgspec.json.decode  # the history's rows, read as json.loads reads them
    for (text,) in rows:
        index, values = decode(text)
        event = event_from((index, tuple(values)))
        assert isinstance(event, BaseEvent)  # only events are stored
        yield event
