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
leaves the previous ledger intact (SQLite rolls the unfinished transaction back). A close that
fails on a ledger it was creating leaves no file behind: only a close creates a ledger, and
only when it succeeds.

Every close also records a digest of what it wrote (``close_digests``): BLAKE2b over its row
of ``closes`` and the list of its chunks, each of which is kept under the digest of its own
text. Every read checks both, so a close edited inside the file is refused, naming its period.
(A digest finds changes, not forgery: whoever edits the file can also recompute it.) Ledgers
written before these digests are read as they are, until their next close.

The same file keeps every event delivered (:mod:`.event_store`): ``ingest`` appends to it
under the same lock (:meth:`Ledger.held`), and a close records the last event it saw.

A close given :class:`~.texts.TextForms` also keeps each closed statement as ``payouts`` prints it
(``closed_texts``: its JSON and its CSV row), so that a run prints the closed statements by
copying those texts in order instead of reading and rendering them (issue 19). The close's
part ``texts`` records, per period, how many there are and a digest of each form's texts
(what a reader checks); a close without forms records none, and a run then reads the
statements as before, until a close with forms writes every text again.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from itertools import chain, islice
from operator import is_
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ..domain.errors import Rejection
from ..domain.events import BaseEvent
from ..domain.state import AttainmentRecord, InvoiceRecord, LedgerRecord
from ..domain.statements import Statement, last_day
from ..parallel.collector import collector_paused
from . import event_store
from .closing import ClosedBook, KeptStatements, by_rep
from .errors import LedgerBusyError, LedgerError
from .state_rows import StateRows, write_state
from .texts import TEXT_DIGESTS, KeptTexts, TextDigests, TextForms, write_texts

__all__ = [  # and the ledger's errors, kept in .errors
    "BUSY_WAIT_SECONDS",
    "PART_SIZE",
    "ChunksRead",
    "Held",
    "Ledger",
    "LedgerBusyError",
    "LedgerError",
    "Stored",
]

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
    """
CREATE TABLE IF NOT EXISTS close_digests (
    period TEXT PRIMARY KEY,   -- the close it vouches for
    digest TEXT NOT NULL       -- BLAKE2b (16 bytes, hex) of its book row and its chunk list
)""",
)

_IN_ROWS = "state_in_rows"
_ROW_PARTS = ("events", "invoices")
#: A close that says so in its sizes keeps its ledgers' totals and attainment in rows too.
_TOTALS_IN_ROWS = "totals_in_rows"
_TOTAL_PARTS = ("ledgers", "attainment")

#: How long a reader waits for a close committing (or a close for readers to finish).
BUSY_WAIT_SECONDS = 30

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
#: Each rep's last closed statement per currency (by rep), kept by a close that keeps its
#: state in rows: a close reads these for the debt, not every closed statement (issue 19).
_LAST = "last"
#: The part saying what ``closed_texts`` holds for a close (:class:`TextDigests`).
_TEXTS = "texts"
#: The chunks read for a close: list name -> (digest, its objects) of each chunk, in order.
ChunksRead = dict[str, list[tuple[str, tuple[Any, ...]]]]
#: The part that says how many items each list has: a close missing a row is refused.
_SIZES = "sizes"
_SIZES_ADAPTER: TypeAdapter[dict[str, int]] = TypeAdapter(dict[str, int])


def _busy(error: sqlite3.Error) -> bool:
    return getattr(error, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED") or (
        "locked" in str(error)
    )


class _NothingRecorded(Exception):
    """A close on a new ledger that recorded no book: the file is not kept."""


class Ledger:
    """Closed books in the SQLite file at ``path`` (created by the first close that succeeds)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _read_only(self) -> sqlite3.Connection:
        """The ledger opened read-only (a reader waits for a writer's commit); a file that
        is not a ledger (an empty file, another SQLite database) is a :class:`LedgerError`."""
        try:
            connection = sqlite3.connect(
                self.path.absolute().as_uri() + "?mode=ro",
                uri=True,
                timeout=BUSY_WAIT_SECONDS,
                isolation_level=None,
            )
        except sqlite3.Error as error:
            raise self._not_a_ledger(error) from None
        try:
            is_ledger = _is_ledger(connection)
        except sqlite3.DatabaseError as error:
            connection.close()
            if _busy(error):
                raise LedgerBusyError(f"{self.path} is busy: {error}") from None
            raise self._not_a_ledger(error) from None
        if not is_ledger:
            connection.close()
            raise self._not_a_ledger("it holds no closes (only close creates a ledger)")
        return connection

    def _not_a_ledger(self, why: object) -> LedgerError:
        return LedgerError(f"{self.path} is not a usable ledger: {why}")

    def latest(self) -> ClosedBook | None:
        """The book of the latest close, or ``None`` when nothing was closed yet (no file).

        The file is only read (opened read-only), and a file that is not a ledger (an
        empty file, another SQLite database) is a :class:`LedgerError`.
        """
        if not self.path.exists():
            return None
        connection = self._read_only()
        try:
            return _latest(connection, self.path)
        except sqlite3.DatabaseError as error:
            if _busy(error):
                raise LedgerBusyError(f"{self.path} is busy: {error}") from None
            raise self._not_a_ledger(error) from None
        except ValidationError as error:
            raise LedgerError(_unreadable(self.path, error)) from None
        finally:
            connection.close()

    @contextmanager
    def closing(self) -> Iterator[tuple[ClosedBook | None, Callable[[ClosedBook], None]]]:
        """Hold the ledger for one close: yields the latest book and a ``record`` function.

        Nothing is written unless ``record`` is called and the block ends without an
        error; then the new book is committed in one transaction. A ledger this close was
        creating is removed again when the close fails: only a close that succeeds leaves one.
        """
        with self.held() as held:
            yield held.previous, held.record

    @contextmanager
    def held(
        self,
        *,
        load: bool = True,
        keep: bool = False,
        lazy: bool = False,
        texts: TextForms | None = None,
    ) -> Iterator[Held]:
        """Hold the ledger for one writer (a close, or an ``ingest`` with ``load=False``,
        which reads no book and ``keep``s the file it creates even with no close in it).

        ``texts``: a close keeps each closed statement's printed texts too (their forms).

        ``lazy``: the previous book's state is read as the run asks for it (its invoices by
        id, its event digests by id) and the close writes what changed, in rows; otherwise
        the book is read whole, as :meth:`latest` gives it.

        One ``BEGIN IMMEDIATE`` transaction: a second writer is refused at once
        (:class:`LedgerBusyError`), and what the block wrote is committed when it ends
        without an error, or not at all.
        """
        new = not self.path.exists()
        try:
            connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        except sqlite3.Error as error:
            raise self._not_a_ledger(error) from None
        held = False
        try:
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as error:
                if _busy(error):
                    raise LedgerBusyError(
                        f"another close is running on {self.path}; try again when it has finished"
                    ) from None
                raise self._not_a_ledger(error) from None
            held = True
            # Once it holds the ledger, a close waits for readers to finish to commit.
            connection.execute(f"PRAGMA busy_timeout = {BUSY_WAIT_SECONDS * 1000}")
            if not new and not _is_ledger(connection):
                raise self._not_a_ledger("it holds no closes (only close creates a ledger)")
            for table in _SCHEMA:
                connection.execute(table)
            read: ChunksRead = {}
            latest = None
            if load:
                try:
                    latest = _latest(connection, self.path, read, lazy=lazy)
                except ValidationError as error:
                    raise LedgerError(_unreadable(self.path, error)) from None
            session = Held(connection, latest, self.path)
            yield session
            if new and not session.books and not keep:  # nothing recorded: no ledger either
                raise _NothingRecorded
            for book in session.books:
                _record(connection, book, read, as_rows=lazy, texts=texts)
                if session.delivered:  # the store holds every event this close was given
                    event_store.record_seen(connection, book.period)
            connection.execute("COMMIT")
        except _NothingRecorded:
            self.path.unlink(missing_ok=True)
            connection.execute("ROLLBACK")
        except BaseException as error:
            if held and new:  # a ledger this close created: none is left when it fails
                self.path.unlink(missing_ok=True)
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.DatabaseError):
                if _busy(error):
                    raise LedgerBusyError(f"{self.path} is busy: {error}") from None
                raise LedgerError(f"{self.path} cannot be used: {error}") from None
            raise
        finally:
            connection.close()

    @contextmanager
    def reading(
        self, *, statements_after: bool = True
    ) -> Iterator[tuple[ClosedBook | None, Stored | None]]:
        """The latest book, and the events kept since it (``None`` when the ledger does
        not keep them: written before issue 19), read in one read-only transaction.

        ``statements_after``: the book's closed statements are read before the file is let
        go of, for use after the block; without it, only inside it (or not at all)."""
        if not self.path.exists():
            raise LedgerError(f"there is no ledger {self.path}")
        connection = self._read_only()
        try:
            connection.execute("BEGIN")  # one snapshot of the file for the book and its events
            book = _latest(connection, self.path, lazy=True)
            kept = event_store.has_events(connection)
            yield book, Stored(connection, book) if kept else None
            if (
                statements_after
                and book is not None
                and isinstance(book.statements, KeptStatements)
            ):
                book.statements.whole()  # what is shown after the file is let go of
        except sqlite3.DatabaseError as error:
            if _busy(error):
                raise LedgerBusyError(f"{self.path} is busy: {error}") from None
            raise self._not_a_ledger(error) from None
        except ValidationError as error:
            raise LedgerError(_unreadable(self.path, error)) from None
        finally:
            connection.close()


class Stored:
    """The events a ledger keeps, as a run on its latest book needs them."""

    def __init__(self, connection: sqlite3.Connection, book: ClosedBook | None) -> None:
        self._connection = connection
        self.book = book
        self.seen = 0 if book is None else event_store.seen_by(connection, book.period)

    @property
    def complete(self) -> bool:
        """Whether the store holds every event the latest book was folded from."""
        return self.seen is not None

    def since(self) -> list[BaseEvent]:
        """The events the latest close did not fold (all of them, with no close yet)."""
        closed_through = None if self.book is None else last_day(self.book.period)
        return event_store.since(self._connection, self.seen or 0, closed_through)

    def history(self) -> list[BaseEvent]:
        """Every event as now known."""
        return event_store.history(self._connection)

    def versions(self, wanted: Mapping[str, str]) -> list[BaseEvent]:
        """The stored content of each id of ``wanted`` with the digest it maps to (what a
        corrected event said before); ids the store has no such content of are left out."""
        return event_store.versions(self._connection, wanted)


class Held:
    """A ledger held by one writer: the latest book, the events kept, what to record."""

    def __init__(
        self, connection: sqlite3.Connection, previous: ClosedBook | None, path: Path
    ) -> None:
        self.connection = connection
        self.previous = previous
        self.path = path
        self.books: list[ClosedBook] = []
        self.delivered = False

    def record(self, book: ClosedBook) -> None:
        """Record ``book`` when the ledger is let go of without an error."""
        self.books.append(book)

    def stored(self) -> Stored | None:
        """The events kept, or ``None`` for a ledger that does not keep them."""
        if not event_store.has_events(self.connection):
            return None
        return Stored(self.connection, self.previous)

    def deliver(
        self, events: Iterable[BaseEvent | Rejection], known: Mapping[str, str] | None = None
    ) -> event_store.Delivery:
        """Keep the new and corrected ones of ``events`` (the store is made if need be)."""
        event_store.create(self.connection)
        self.delivered = True
        row = self.connection.execute("SELECT MAX(period) FROM closes").fetchone()
        closed_through = None if row[0] is None else last_day(row[0])
        return event_store.append(self.connection, events, closed_through, known)


def _record(
    connection: sqlite3.Connection,
    book: ClosedBook,
    read: ChunksRead,
    *,
    as_rows: bool = False,
    texts: TextForms | None = None,
) -> None:
    """Write ``book``; a chunk holding the very objects of one in ``read`` is not written again.
    Its invoices and event digests go to rows when ``as_rows`` or when its state is kept over
    the rows already (then only what changed is written). With ``texts``, its statements'
    printed texts are kept (those of the statements it adds, or all of them)."""
    in_rows = as_rows or book.state.records is not None
    digests = None
    if texts is not None:
        before = read.get(_TEXTS)
        digests = write_texts(connection, book, before[0][1][0] if before else None, texts)
        if digests is not None:  # what a second book of this transaction builds on
            read[_TEXTS] = [("", (digests,))]
    statements = book.statements
    carried: list[tuple[str, int, str]] = []
    if isinstance(statements, KeptStatements):  # the kept chunks as they are, then the new
        carried = list(statements.source)
        new_statements: Sequence[Statement] = sorted(statements.added, key=_by_period)
        last = sorted(statements.last.values(), key=by_rep)
    else:
        # By period, so that a close's new statements come after the ones closed before.
        new_statements = sorted(statements, key=_by_period)
        last = sorted(_last_of(new_statements).values(), key=by_rep)
    lists: dict[str, Sequence[Any]] = {
        "statements": new_statements,
        "events": tuple(book.state.events.items()),
        **{name: getattr(book.state, name) for name in _IN_STATE if name != "events"},
    }
    if in_rows:
        write_state(connection, book.state)
        for name in (*_ROW_PARTS, *_TOTAL_PARTS):
            del lists[name]
        lists[_LAST] = last
    head = book.model_copy(
        update={
            "statements": (),
            "state": book.state.model_copy(
                update={name: {} if name == "events" else () for name in _IN_STATE}
            ),
        }
    )
    head_json = head.model_dump_json()
    connection.execute("INSERT INTO closes (period, book) VALUES (?, ?)", (book.period, head_json))
    sizes = {name: len(items) for name, items in lists.items()}
    sizes["statements"] = len(statements)
    if in_rows:
        sizes[_IN_ROWS] = sizes[_TOTALS_IN_ROWS] = 1
    rows = [(_SIZES, 0, _keep(connection, _SIZES_ADAPTER.dump_json(sizes))), *carried]
    if digests is not None:
        rows.append((_TEXTS, 0, _keep(connection, TEXT_DIGESTS.dump_json(digests))))
    for name, items in lists.items():
        before = read.get(name, [])
        first = len(carried) if name == "statements" else 0
        for seq, chunk in enumerate(_chunks(items), first):
            if seq < len(before) and _same(_objects(name, chunk), before[seq][1]):
                rows.append((name, seq, before[seq][0]))  # its JSON would be that chunk's
            else:
                adapter = _PARTS["statements" if name == _LAST else name]
                rows.append((name, seq, _keep(connection, adapter.dump_json(chunk))))
    connection.executemany(
        "INSERT INTO close_parts (period, part, seq, chunk) VALUES (?, ?, ?, ?)",
        ((book.period, *row) for row in rows),
    )
    connection.execute(
        "INSERT INTO close_digests (period, digest) VALUES (?, ?)",
        (book.period, _book_digest(head_json.encode(), rows)),
    )


def _last_of(statements: Iterable[Statement]) -> dict[tuple[str, str], Statement]:
    """Each rep's last statement per currency of ``statements`` (sorted by period)."""
    return {(statement.rep, statement.currency): statement for statement in statements}


def _book_digest(head: bytes, rows: Iterable[tuple[str, int, str]]) -> str:
    """The digest of a close: its ``closes`` row, then its chunks' (part, seq, digest) in order."""
    listed = "".join(f"{part}\t{seq}\t{chunk}\n" for part, seq, chunk in sorted(rows))
    return hashlib.blake2b(head + b"\n" + listed.encode(), digest_size=16).hexdigest()


def _is_ledger(connection: sqlite3.Connection) -> bool:
    """Whether the database has the ``closes`` table (a close wrote it) or the ``events``
    table (an ingest did): whether it is a ledger."""
    return _has_table(connection, "closes") or _has_table(connection, "events")


def _has_table(connection: sqlite3.Connection, name: str) -> bool:
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
    ).fetchone()
    return found is not None


def _recorded_digest(connection: sqlite3.Connection, period: str) -> tuple[bool, str | None]:
    """Whether the ledger keeps digests, and the one recorded for the close of ``period``."""
    try:
        rows = connection.execute(
            "SELECT period, digest FROM close_digests WHERE period = ? OR rowid = "
            "(SELECT MIN(rowid) FROM close_digests)",
            (period,),
        ).fetchall()
    except sqlite3.OperationalError:  # a ledger from before digests
        return False, None
    return bool(rows), next((digest for at, digest in rows if at == period), None)


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
    connection: sqlite3.Connection,
    path: Path,
    read: ChunksRead | None = None,
    *,
    lazy: bool = False,
) -> ClosedBook | None:
    """The latest close's book; with ``read``, what each of its chunks held goes there.
    A close keeping its state in rows is read whole, or, ``lazy``, over its rows."""
    row = connection.execute(
        "SELECT period, CAST(book AS BLOB) FROM closes ORDER BY period DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    period, head = row
    listed: list[tuple[str, int, str]] = []
    changed = False
    texts: TextDigests | None = None
    with collector_paused():  # a closed book is history-sized: millions of objects, no cycles
        book = ClosedBook.model_validate_json(head)
        if not _has_table(connection, "close_parts"):  # a ledger of books in one piece only
            return book
        lists: dict[str, list[Any]] = {}
        sizes: dict[str, int] | None = None
        kept: list[tuple[str, int, str]] | None = None  # statement chunks left unread
        for name, seq, digest, items in connection.execute(
            "SELECT part, seq, chunk, CAST(items AS BLOB) FROM close_parts"
            " LEFT JOIN chunks ON digest = chunk WHERE period = ? ORDER BY part, seq",
            (period,),
        ):
            listed.append((name, seq, digest))
            if items is None:  # a chunk listed but not kept
                changed = True
                continue
            same = hashlib.blake2b(items, digest_size=16).hexdigest() == digest
            changed = changed or not same
            if name == _SIZES:
                sizes = _SIZES_ADAPTER.validate_json(items)
            elif name == _TEXTS:
                texts = TEXT_DIGESTS.validate_json(items)
                if read is not None:
                    read[_TEXTS] = [(digest, (texts,))]
            elif name == _LAST:
                if lazy:
                    lists.setdefault(name, []).extend(_PARTS["statements"].validate_json(items))
            elif name == "statements" and lazy and _LAST in (sizes or {}):
                # Checked, not read: the run reads them only if it needs them.
                if not same:  # read, to say what is wrong with it as a read would
                    _PARTS[name].validate_json(items)
                kept = kept if kept is not None else []
                kept.append((name, seq, digest))
            elif name in _PARTS:
                chunk = _PARTS[name].validate_json(items)
                lists.setdefault(name, []).extend(chunk)
                if read is not None:
                    read.setdefault(name, []).append((digest, _objects(name, chunk)))
            else:
                raise LedgerError(f"{path}: the close of {period} has a part unknown here: {name}")
    keeps_digests, recorded = _recorded_digest(connection, period)
    if sizes is None and not lists and not keeps_digests:  # one piece, before December 2026
        return book
    in_rows = bool((sizes or {}).get(_IN_ROWS))
    totals_in_rows = bool((sizes or {}).get(_TOTALS_IN_ROWS))
    in_chunks = [
        name
        for name in _PARTS
        if not (in_rows and name in _ROW_PARTS) and not (totals_in_rows and name in _TOTAL_PARTS)
    ]
    for name in in_chunks:
        if name == "statements" and kept is not None:
            continue
        found, expected = len(lists.get(name, ())), (sizes or {}).get(name)
        if found != expected:
            raise LedgerError(
                f"{path}: the close of {period} is incomplete: {found} {name} of {expected}"
            )
    if keeps_digests and (changed or recorded != _book_digest(head, listed)):
        raise LedgerError(
            f"{path}: the close of {period} was changed after it was recorded (its digest "
            "does not match what the file holds); restore the ledger from a backup"
        )
    state = book.state.model_copy(
        update={
            name: dict(lists.get(name, ())) if name == "events" else tuple(lists.get(name, ()))
            for name in _IN_STATE
            if name in in_chunks
        }
    )
    if in_rows:
        rows = StateRows(connection)
        state = state.over(rows, rows if totals_in_rows else None)
        if not lazy:
            with collector_paused():
                state = state.whole()
    if kept is not None or (lazy and _LAST in (sizes or {})):
        chunks = [digest for _, _, digest in kept or ()]
        last = {(s.rep, s.currency): s for s in lists.get(_LAST, ())}
        size = (sizes or {}).get("statements", 0)
        shown = None if texts is None else KeptTexts(connection, path, period, texts)
        statements: Sequence[Statement] = KeptStatements(
            last, size, lambda: _read_chunks(connection, chunks), source=kept or [], texts=shown
        )
    else:
        statements = tuple(sorted(lists.get("statements", ()), key=_by_rep))  # as close() has them
    return book.model_copy(update={"statements": statements, "state": state})


def _read_chunks(connection: sqlite3.Connection, chunks: list[str]) -> Iterator[Statement]:
    """The statements of the chunks ``chunks``, in order (checked when the book was read)."""
    with collector_paused():
        for digest in chunks:
            row = connection.execute(
                "SELECT CAST(items AS BLOB) FROM chunks WHERE digest = ?", (digest,)
            ).fetchone()
            yield from _PARTS["statements"].validate_json(row[0])


def _unreadable(path: Path, error: ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{path}: the latest close cannot be read (at {where or 'the top'}: {first['msg']})"
