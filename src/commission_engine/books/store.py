"""The embedded ledger: closed books kept in one SQLite file (stdlib ``sqlite3``).

Each close is one row of ``closes`` holding the :class:`~.closing.ClosedBook` as JSON, but
for its history-sized lists (statements, event digests, invoices, attainment, ledgers).
Those are cut into chunks of 1,000 items, kept once each in ``chunks`` by the digest of
their JSON, and listed in order for each close in ``close_parts``:

- each chunk is validated on its own: validating a million-event book in one piece first
  parses it whole, which held about 1 GB more than the book itself at the peak;
- a close shares with the one before every chunk that did not change. The lists are kept
  in an order where what a month adds comes last (statements by period, invoices and event
  digests in the order they were first booked or applied), so a month's close adds its own
  statements and the chunks of the invoices it touched, not another copy of the history
  (at a million events, 85 MB for the month-end close where a whole book is 295 MB).

Books written in one piece, before December 2026, are read as they are.

A close runs inside one ``BEGIN IMMEDIATE`` transaction taken before the previous book is
read, so a second close on the same file is refused at once, and a process killed mid-close
leaves the previous ledger intact (SQLite rolls the unfinished transaction back).
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from operator import is_
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..domain.errors import CommissionEngineError
from ..domain.state import AttainmentRecord, InvoiceRecord, LedgerRecord
from ..domain.statements import Statement
from ..parallel.collector import collector_paused
from .closing import ClosedBook

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS closes (
    period TEXT PRIMARY KEY,   -- YYYY-MM, the last period this close recorded
    book   TEXT NOT NULL       -- the ClosedBook as JSON, less what close_parts holds
)""",
    """
CREATE TABLE IF NOT EXISTS chunks (
    digest TEXT PRIMARY KEY,   -- BLAKE2b (16 bytes, hex) of items
    items  TEXT NOT NULL       -- JSON: up to PART_SIZE items of one of a book's lists
)""",
    """
CREATE TABLE IF NOT EXISTS close_parts (
    period TEXT NOT NULL,      -- the close it belongs to
    part   TEXT NOT NULL,      -- which list of the book: a key of _PARTS, or 'sizes'
    seq    INTEGER NOT NULL,   -- its place in that list
    chunk  TEXT NOT NULL REFERENCES chunks (digest),
    PRIMARY KEY (period, part, seq)
)""",
)

#: Items to a chunk.
PART_SIZE = 1_000

#: The book's history-sized lists, kept in chunks: name -> how one chunk's items read.
#: ``events`` (the state's event digests) is kept as a list of [id, digest] pairs.
_PARTS: dict[str, TypeAdapter[Any]] = {
    "statements": TypeAdapter(tuple[Statement, ...]),
    "events": TypeAdapter(tuple[tuple[str, str], ...]),
    "invoices": TypeAdapter(tuple[InvoiceRecord, ...]),
    "attainment": TypeAdapter(tuple[AttainmentRecord, ...]),
    "ledgers": TypeAdapter(tuple[LedgerRecord, ...]),
}
_IN_STATE = ("events", "invoices", "attainment", "ledgers")
#: The chunks read for a close: list name -> (digest, its objects) of each chunk, in order.
ChunksRead = dict[str, list[tuple[str, tuple[Any, ...]]]]
#: The part that says how many items each list has: a close missing a row is refused.
_SIZES = "sizes"
_SIZES_ADAPTER: TypeAdapter[dict[str, int]] = TypeAdapter(dict[str, int])


class LedgerError(CommissionEngineError):
    """The ledger file cannot be used: unreadable, not a ledger, or busy with another close."""


class Ledger:
    """Closed books in the SQLite file at ``path`` (created on first close)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            for table in _SCHEMA:
                connection.execute(table)
        except sqlite3.DatabaseError as error:
            raise LedgerError(f"{self.path} is not a usable ledger: {error}") from None
        return connection

    def latest(self) -> ClosedBook | None:
        """The book of the latest close, or ``None`` when nothing was closed yet."""
        if not self.path.exists():
            return None
        connection = self._connect()
        try:
            return _latest(connection, self.path)
        except sqlite3.OperationalError as error:
            raise LedgerError(f"{self.path} cannot be read: {error}") from None
        except ValidationError as error:
            raise LedgerError(_unreadable(self.path, error)) from None
        finally:
            connection.close()

    @contextmanager
    def closing(self) -> Iterator[tuple[ClosedBook | None, Callable[[ClosedBook], None]]]:
        """Hold the ledger for one close: yields the latest book and a ``record`` function.

        Nothing is written unless ``record`` is called and the block ends without an
        error; then the new book is committed in one transaction.
        """
        connection = self._connect()
        try:
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                raise LedgerError(
                    f"another close is running on {self.path}; try again when it has finished"
                ) from None
            books: list[ClosedBook] = []
            read: ChunksRead = {}
            try:
                latest = _latest(connection, self.path, read)
            except ValidationError as error:
                raise LedgerError(_unreadable(self.path, error)) from None
            yield latest, books.append
            for book in books:
                _record(connection, book, read)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()


def _record(connection: sqlite3.Connection, book: ClosedBook, read: ChunksRead) -> None:
    """Write ``book``; a chunk holding the very objects of one in ``read`` is not written again."""
    lists: dict[str, Sequence[Any]] = {
        # By period, so that a close's new statements come after the ones closed before.
        "statements": sorted(book.statements, key=_by_period),
        "events": tuple(book.state.events.items()),
        **{name: getattr(book.state, name) for name in _IN_STATE if name != "events"},
    }
    head = book.model_copy(
        update={
            "statements": (),
            "state": book.state.model_copy(
                update={name: {} if name == "events" else () for name in _IN_STATE}
            ),
        }
    )
    connection.execute(
        "INSERT INTO closes (period, book) VALUES (?, ?)", (book.period, head.model_dump_json())
    )
    sizes = {name: len(items) for name, items in lists.items()}
    rows = [(_SIZES, 0, _keep(connection, _SIZES_ADAPTER.dump_json(sizes)))]
    for name, items in lists.items():
        before = read.get(name, [])
        for seq, chunk in enumerate(_chunks(items)):
            if seq < len(before) and _same(_objects(name, chunk), before[seq][1]):
                rows.append((name, seq, before[seq][0]))  # its JSON would be that chunk's
            else:
                rows.append((name, seq, _keep(connection, _PARTS[name].dump_json(chunk))))
    connection.executemany(
        "INSERT INTO close_parts (period, part, seq, chunk) VALUES (?, ?, ?, ?)",
        ((book.period, *row) for row in rows),
    )


def _keep(connection: sqlite3.Connection, items: bytes) -> str:
    """Keep a chunk (once, whichever closes hold it); its digest."""
    digest = hashlib.blake2b(items, digest_size=16).hexdigest()
    connection.execute(
        "INSERT OR IGNORE INTO chunks (digest, items) VALUES (?, ?)", (digest, items.decode())
    )
    return digest


def _objects(name: str, chunk: tuple[Any, ...]) -> tuple[Any, ...]:
    """The objects whose identity fixes ``chunk``'s JSON: its items, all immutable; for the
    event digests, pairs made anew from the state's dict at every save, the strings in them.

    A close carries over, as they are, the closed statements and the untouched invoice records
    of the book it read, and the strings of its event digests.
    """
    return tuple(chain.from_iterable(chunk)) if name == "events" else chunk


def _same(objects: tuple[Any, ...], kept: tuple[Any, ...]) -> bool:
    return len(objects) == len(kept) and all(map(is_, objects, kept))


def _by_period(statement: Statement) -> tuple[str, str, str]:
    return (statement.period, statement.rep, statement.currency)


def _by_rep(statement: Statement) -> tuple[str, str, str]:
    return (statement.rep, statement.period, statement.currency)


def _chunks(items: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    rest = iter(items)
    while chunk := tuple(islice(rest, PART_SIZE)):
        yield chunk


def _latest(
    connection: sqlite3.Connection, path: Path, read: ChunksRead | None = None
) -> ClosedBook | None:
    """The latest close's book; with ``read``, what each of its chunks held goes there."""
    row = connection.execute(
        "SELECT period, book FROM closes ORDER BY period DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    period, head = row
    with collector_paused():  # a closed book is history-sized: millions of objects, no cycles
        book = ClosedBook.model_validate_json(head)
        lists: dict[str, list[Any]] = {}
        sizes: dict[str, int] | None = None
        for name, digest, items in connection.execute(
            "SELECT part, digest, items FROM close_parts JOIN chunks ON digest = chunk"
            " WHERE period = ? ORDER BY part, seq",
            (period,),
        ):
            if name == _SIZES:
                sizes = _SIZES_ADAPTER.validate_json(items)
            elif name in _PARTS:
                chunk = _PARTS[name].validate_json(items)
                lists.setdefault(name, []).extend(chunk)
                if read is not None:
                    read.setdefault(name, []).append((digest, _objects(name, chunk)))
            else:
                raise LedgerError(f"{path}: the close of {period} has a part unknown here: {name}")
    if sizes is None and not lists:  # written in one piece, before December 2026
        return book
    for name in _PARTS:
        found, expected = len(lists.get(name, ())), (sizes or {}).get(name)
        if found != expected:
            raise LedgerError(
                f"{path}: the close of {period} is incomplete: {found} {name} of {expected}"
            )
    state = book.state.model_copy(
        update={
            name: dict(lists.get(name, ())) if name == "events" else tuple(lists.get(name, ()))
            for name in _IN_STATE
        }
    )
    statements = tuple(sorted(lists.get("statements", ()), key=_by_rep))  # as close() sorts them
    return book.model_copy(update={"statements": statements, "state": state})


def _unreadable(path: Path, error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{path}: the latest close cannot be read (at {where or 'the top'}: {first['msg']})"
