"""The embedded ledger: closed books kept in one SQLite file (stdlib ``sqlite3``).

Each close is one row holding the whole :class:`~.closing.ClosedBook` as JSON. A close
runs inside one ``BEGIN IMMEDIATE`` transaction taken before the previous book is read, so
a second close on the same file is refused at once, and a process killed mid-close leaves
the previous ledger intact (SQLite rolls the unfinished transaction back).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .closing import ClosedBook
from .collector import collector_paused
from .errors import CommissionEngineError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS closes (
    period TEXT PRIMARY KEY,   -- YYYY-MM, the last period this close recorded
    book   TEXT NOT NULL       -- the ClosedBook as JSON
)
"""


class LedgerError(CommissionEngineError):
    """The ledger file cannot be used: unreadable, not a ledger, or busy with another close."""


class Ledger:
    """Closed books in the SQLite file at ``path`` (created on first close)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            connection.execute(_SCHEMA)
        except sqlite3.DatabaseError as error:
            raise LedgerError(f"{self.path} is not a usable ledger: {error}") from None
        return connection

    def latest(self) -> ClosedBook | None:
        """The book of the latest close, or ``None`` when nothing was closed yet."""
        if not self.path.exists():
            return None
        connection = self._connect()
        try:
            return _latest(connection)
        except sqlite3.OperationalError as error:
            raise LedgerError(f"{self.path} cannot be read: {error}") from None
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
            yield _latest(connection), books.append
            for book in books:
                connection.execute(
                    "INSERT INTO closes (period, book) VALUES (?, ?)",
                    (book.period, book.model_dump_json()),
                )
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            connection.close()


def _latest(connection: sqlite3.Connection) -> ClosedBook | None:
    row = connection.execute("SELECT book FROM closes ORDER BY period DESC LIMIT 1").fetchone()
    if row is None:
        return None
    with collector_paused():  # a closed book is history-sized: millions of objects, no cycles
        return ClosedBook.model_validate_json(row[0])
