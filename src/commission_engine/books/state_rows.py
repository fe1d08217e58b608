"""The state of the latest close kept in rows of the ledger (issue 19): what a close writes
of it, and how a run reads it back as it asks for it.

Invoices (``state_invoices``), the digests of the events applied (``state_events``) and the
clawbacks pending (``state_clawbacks``) are read by id as a month's events name them
(:class:`StateRows`, the :class:`~..domain.state.SavedRecords` of a state kept over them);
the ledgers' period totals and the attainment (``state_ledgers``, ``state_periods``,
``state_attainment``) by rep and key (its :class:`~..domain.state.SavedTotals`). A close
writes only what its state changed (:func:`write_state`), or everything afresh for a state
held whole. Each record keeps its ``rank``, its place in a whole state.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction

from pydantic import TypeAdapter

from ..domain.money import Exact, read_exact
from ..domain.state import (
    AttainmentRecord,
    EngineState,
    InvoiceRecord,
    LedgerRecord,
    PeriodRecord,
    pending_clawbacks,
)
from .concerned import Replaced

_INVOICE: TypeAdapter[InvoiceRecord] = TypeAdapter(InvoiceRecord)

#: The state of the latest close kept in rows (issue 19): a close that says so in its sizes
#: (``store._IN_ROWS``) keeps its invoices and event digests here rather than in chunks, so that a
#: month reads the invoices its events name and writes those that changed.
SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS state_invoices (
    id     TEXT PRIMARY KEY,
    rank   INTEGER NOT NULL,  -- its place in a whole state (the order first booked)
    record TEXT NOT NULL      -- JSON: the InvoiceRecord
)""",
    """
CREATE TABLE IF NOT EXISTS state_events (
    id     TEXT PRIMARY KEY,  -- an event applied
    digest TEXT NOT NULL
) WITHOUT ROWID""",
    """
CREATE TABLE IF NOT EXISTS state_clawbacks (
    date     TEXT NOT NULL,     -- a past-due clawback yet to fire: its day,
    invoice  TEXT NOT NULL,     -- its invoice
    position INTEGER NOT NULL   -- and the position's index
)""",
    "CREATE INDEX IF NOT EXISTS state_clawbacks_by_invoice ON state_clawbacks (invoice)",
    """
CREATE TABLE IF NOT EXISTS state_ledgers (
    rep          TEXT NOT NULL,
    currency     TEXT NOT NULL,
    rank         INTEGER NOT NULL,  -- its place in a whole state (the order first opened)
    first_period TEXT NOT NULL,
    PRIMARY KEY (rep, currency)
)""",
    """
CREATE TABLE IF NOT EXISTS state_periods (
    rep         TEXT NOT NULL,
    currency    TEXT NOT NULL,
    period      TEXT NOT NULL,
    gross       TEXT NOT NULL,      -- a Decimal, as its text
    held_change TEXT NOT NULL,
    PRIMARY KEY (rep, currency, period)
) WITHOUT ROWID""",
    """
CREATE TABLE IF NOT EXISTS state_attainment (
    rep          TEXT NOT NULL,
    plan         TEXT NOT NULL,
    quota_period TEXT NOT NULL,
    rank         INTEGER NOT NULL,  -- its place in a whole state (the order first attained)
    base         TEXT NOT NULL,     -- exact: a Decimal's text, or numerator/denominator
    PRIMARY KEY (rep, plan, quota_period)
)""",
)


def write_state(connection: sqlite3.Connection, state: EngineState) -> None:
    """Keep ``state``'s invoices and event digests in rows: only those it holds when it is
    kept over the rows (what changed), all of them afresh otherwise."""
    for table in SCHEMA:
        connection.execute(table)
    if state.records is None:
        for table in ("state_invoices", "state_events", "state_clawbacks"):
            connection.execute(f"DELETE FROM {table}")
    elif isinstance(state.records, Replaced):
        _remove_replaced(connection, state, state.records)
    first = connection.execute("SELECT COALESCE(MAX(rank), -1) + 1 FROM state_invoices")
    rank = int(first.fetchone()[0])
    connection.executemany(
        "INSERT OR REPLACE INTO state_events (id, digest) VALUES (?, ?)", state.events.items()
    )
    connection.executemany(  # an invoice kept before keeps its place
        "INSERT INTO state_invoices (id, rank, record) VALUES (?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET record = excluded.record",
        (
            (record.id, rank + index, _INVOICE.dump_json(record).decode())
            for index, record in enumerate(state.invoices)
        ),
    )
    if state.records is not None:
        connection.executemany(
            "DELETE FROM state_clawbacks WHERE invoice = ?",
            ((record.id,) for record in state.invoices),
        )
    connection.executemany(
        "INSERT INTO state_clawbacks (date, invoice, position) VALUES (?, ?, ?)",
        (
            (day.isoformat(), invoice_id, index)
            for record in state.invoices
            for day, invoice_id, index in pending_clawbacks(record)
        ),
    )
    _write_totals(connection, state)


def _remove_replaced(
    connection: sqlite3.Connection, state: EngineState, replaced: Replaced
) -> None:
    """Remove the rows of what ``replaced`` leaves out (a recomputation of its reps and
    invoices replaces them): those ``state`` holds again are written over, keeping their
    place; the others go (an invoice moved to another rep, an event now rejected)."""
    applied = state.events  # written over below
    connection.executemany(
        "DELETE FROM state_events WHERE id = ?",
        ((i,) for i in replaced.event_ids if i not in applied),
    )
    again = {record.id for record in state.invoices}
    connection.executemany(
        "DELETE FROM state_invoices WHERE id = ?",
        ((i,) for i in replaced.invoice_ids if i not in again),
    )
    connection.executemany(
        "DELETE FROM state_clawbacks WHERE invoice = ?", ((i,) for i in replaced.invoice_ids)
    )
    ledgers = {(x.rep, x.currency) for x in state.ledgers}
    attained = {(a.rep, a.plan, a.quota_period) for a in state.attainment}
    for rep in sorted(replaced.reps):
        connection.execute("DELETE FROM state_periods WHERE rep = ?", (rep,))
        for currency in [
            currency
            for (currency,) in connection.execute(
                "SELECT currency FROM state_ledgers WHERE rep = ?", (rep,)
            )
            if (rep, currency) not in ledgers
        ]:
            connection.execute(
                "DELETE FROM state_ledgers WHERE rep = ? AND currency = ?", (rep, currency)
            )
        for plan, quota_period in [
            (plan, quota_period)
            for plan, quota_period in connection.execute(
                "SELECT plan, quota_period FROM state_attainment WHERE rep = ?", (rep,)
            )
            if (rep, plan, quota_period) not in attained
        ]:
            connection.execute(
                "DELETE FROM state_attainment WHERE rep = ? AND plan = ? AND quota_period = ?",
                (rep, plan, quota_period),
            )


def _write_totals(connection: sqlite3.Connection, state: EngineState) -> None:
    """Keep ``state``'s ledgers' totals and attainment in rows: the periods posted to and the
    attainment set since, when it is kept over the rows; all of them afresh otherwise."""
    if state.totals is None:
        for table in ("state_ledgers", "state_periods", "state_attainment"):
            connection.execute(f"DELETE FROM {table}")
    first = connection.execute("SELECT COALESCE(MAX(rank), -1) + 1 FROM state_ledgers")
    rank = int(first.fetchone()[0])
    connection.executemany(  # a ledger kept before keeps its place (its first period is
        # the same, but where a recomputation replaced it: a late event may open it earlier)
        "INSERT INTO state_ledgers (rep, currency, rank, first_period) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (rep, currency) DO UPDATE SET first_period = excluded.first_period",
        (
            (ledger.rep, ledger.currency, rank + index, ledger.first_period)
            for index, ledger in enumerate(state.ledgers)
        ),
    )
    connection.executemany(
        "INSERT OR REPLACE INTO state_periods (rep, currency, period, gross, held_change)"
        " VALUES (?, ?, ?, ?, ?)",
        (
            (ledger.rep, ledger.currency, p.period, str(p.gross), str(p.held_change))
            for ledger in state.ledgers
            for p in ledger.periods
        ),
    )
    first = connection.execute("SELECT COALESCE(MAX(rank), -1) + 1 FROM state_attainment")
    rank = int(first.fetchone()[0])
    connection.executemany(
        "INSERT INTO state_attainment (rep, plan, quota_period, rank, base)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (rep, plan, quota_period) DO UPDATE"
        " SET base = excluded.base",
        (
            (a.rep, a.plan, a.quota_period, rank + index, str(a.base))
            for index, a in enumerate(state.attainment)
        ),
    )


class StateRows:
    """The invoices and event digests of the latest close, read from its rows when asked
    for (:class:`~..domain.state.SavedRecords`); valid while the connection is open."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def invoice(self, invoice_id: str) -> InvoiceRecord | None:
        row = self.connection.execute(
            "SELECT record FROM state_invoices WHERE id = ?", (invoice_id,)
        ).fetchone()
        return None if row is None else _INVOICE.validate_json(row[0])

    def digest(self, event_id: str) -> str | None:
        row = self.connection.execute(
            "SELECT digest FROM state_events WHERE id = ?", (event_id,)
        ).fetchone()
        return None if row is None else str(row[0])

    def clawbacks_due(self) -> list[tuple[dt.date, str, int]]:
        return [
            (dt.date.fromisoformat(day), invoice_id, index)
            for day, invoice_id, index in self.connection.execute(
                "SELECT date, invoice, position FROM state_clawbacks"
            )
        ]

    def invoices(self) -> Iterator[InvoiceRecord]:
        rows = self.connection.execute("SELECT record FROM state_invoices ORDER BY rank")
        return (_INVOICE.validate_json(text) for (text,) in rows)

    def events(self) -> Iterator[tuple[str, str]]:
        return iter(self.connection.execute("SELECT id, digest FROM state_events"))

    # The ledgers' totals and attainment (:class:`~..domain.state.SavedTotals`).

    def first_period(self, rep: str, currency: str) -> str | None:
        row = self.connection.execute(
            "SELECT first_period FROM state_ledgers WHERE rep = ? AND currency = ?",
            (rep, currency),
        ).fetchone()
        return None if row is None else str(row[0])

    def ledger_keys(self) -> Iterator[tuple[str, str]]:
        rows = self.connection.execute("SELECT rep, currency FROM state_ledgers ORDER BY rank")
        return ((rep, currency) for rep, currency in rows)

    def attained(self, rep: str, plan: str, quota_period: str) -> Exact | None:
        row = self.connection.execute(
            "SELECT base FROM state_attainment WHERE rep = ? AND plan = ? AND quota_period = ?",
            (rep, plan, quota_period),
        ).fetchone()
        if row is None:
            return None
        base = read_exact(row[0])
        assert isinstance(base, Decimal | Fraction)  # written from an exact value
        return base

    def ledgers(self) -> Iterator[LedgerRecord]:
        periods: dict[tuple[str, str], list[PeriodRecord]] = {}
        for rep, currency, period, gross, held_change in self.connection.execute(
            "SELECT rep, currency, period, gross, held_change FROM state_periods"
            " ORDER BY rep, currency, period"
        ):
            periods.setdefault((rep, currency), []).append(
                PeriodRecord(
                    period=period, gross=Decimal(gross), held_change=Decimal(held_change), lines=()
                )
            )
        for rep, currency, first in self.connection.execute(
            "SELECT rep, currency, first_period FROM state_ledgers ORDER BY rank"
        ):
            yield LedgerRecord(
                rep=rep,
                currency=currency,
                first_period=first,
                periods=tuple(periods.get((rep, currency), ())),
            )

    def attainments(self) -> Iterator[AttainmentRecord]:
        for rep, plan, quota_period, base in self.connection.execute(
            "SELECT rep, plan, quota_period, base FROM state_attainment ORDER BY rank"
        ):
            yield AttainmentRecord(rep=rep, plan=plan, quota_period=quota_period, base=base)
