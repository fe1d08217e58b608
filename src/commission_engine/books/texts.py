"""The closed statements as ``payouts`` prints them, kept in the ledger (issue 19).

A close given :class:`TextForms` keeps, in ``closed_texts``, each closed statement's JSON (as
``payouts --format json`` prints a closed statement) and its CSV row, written by
``report.render`` (this wing may not import it: the command passes the forms). It records
what it kept in a part of the close (:class:`TextDigests`: per period, how many and a digest
of each form's texts), under the close's digest. A run then prints the closed statements by
copying their texts (:class:`KeptTexts`), checked against those digests, rather than reading
and rendering every closed statement.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter

from ..domain.statements import Statement
from .closing import ClosedBook, KeptStatements
from .errors import LedgerError

#: The printed texts of every closed statement (for a close given :class:`TextForms`).
SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS closed_texts (
    rep      TEXT NOT NULL,
    period   TEXT NOT NULL,
    currency TEXT NOT NULL,
    json     TEXT NOT NULL,  -- what payouts --format json prints for it, closed
    csv      TEXT NOT NULL,  -- its row of payouts --format csv, closed, with its line end
    PRIMARY KEY (rep, period, currency)
)""",
    "CREATE INDEX IF NOT EXISTS closed_texts_by_period ON closed_texts (period, rep, currency)",
)
FORMS = ("json", "csv")


@dataclass(frozen=True)
class TextForms:
    """How closed statements are printed, for a close to keep their texts beside them:
    ``json`` and ``csv`` give one closed statement's text; ``version`` names the writer, so
    that texts another version wrote are not printed as this one's (``report.render``)."""

    version: str
    json: Callable[[Statement], str]
    csv: Callable[[Statement], str]


class TextDigests(BaseModel):
    """What ``closed_texts`` holds for a close: the forms' ``version``, and per period the
    number of statements with the digest of each form's texts (:func:`_texts_digest`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    periods: dict[str, tuple[int, str, str]]  # period -> (count, json digest, csv digest)


TEXT_DIGESTS: TypeAdapter[TextDigests] = TypeAdapter(TextDigests)


class KeptTexts:
    """The printed texts of a book's closed statements, as its close recorded them; read from
    the ledger (valid while its connection is open), checked against the close's digests."""

    def __init__(
        self, connection: sqlite3.Connection, path: Path, period: str, digests: TextDigests
    ) -> None:
        self.connection = connection
        self.path = path
        self.period = period
        self.digests = digests

    @property
    def version(self) -> str:
        """Which version of the forms wrote them (:attr:`TextForms.version`)."""
        return self.digests.version

    def texts(
        self, form: str, period: str | None = None
    ) -> Iterator[tuple[tuple[str, str, str], str]]:
        """Each closed statement's text in ``form`` (``json`` or ``csv``), in the order of
        a result's statements (rep, period, currency), or only those of ``period``.

        Each period's texts are checked against the close's digest of them as they are read:
        the last one read raises a :class:`LedgerError` if any differ.
        """
        if form not in FORMS:
            raise ValueError(f"no texts in the form {form!r}: only {', '.join(FORMS)}")
        column = FORMS.index(form)
        recorded = self.digests.periods
        hashers: dict[str, Any] = {}
        counts: dict[str, int] = {}
        if period is None:
            query = (
                f"SELECT rep, period, currency, {form} FROM closed_texts"
                " ORDER BY rep, period, currency"
            )
            rows = self.connection.execute(query)
            expected = set(recorded)
        else:
            query = (
                f"SELECT rep, period, currency, {form} FROM closed_texts WHERE period = ?"
                " ORDER BY rep, currency"
            )
            rows = self.connection.execute(query, (period,))
            expected = {period} & recorded.keys()
        for rep, at, currency, text in rows:
            hasher = hashers.get(at)
            if hasher is None:
                hasher = hashers[at] = hashlib.blake2b(digest_size=16)
                counts[at] = 0
            hasher.update(_text_entry(rep, currency, text))
            counts[at] += 1
            yield (rep, at, currency), text
        found = {at: (counts[at], hasher.hexdigest()) for at, hasher in hashers.items()}
        wanted = {at: (recorded[at][0], recorded[at][1 + column]) for at in expected}
        if found != wanted:
            changed = sorted(
                at for at in found.keys() | wanted.keys() if found.get(at) != wanted.get(at)
            )
            raise LedgerError(
                f"{self.path}: the closed statements of {', '.join(changed)} were changed after "
                f"the close of {self.period} recorded them (their digest does not match what "
                "the file holds); restore the ledger from a backup"
            )


def write_texts(
    connection: sqlite3.Connection,
    book: ClosedBook,
    previous: TextDigests | None,
    forms: TextForms,
) -> TextDigests | None:
    """Keep the printed texts of ``book``'s statements: of those it adds when the ledger
    holds the texts of the others in these forms, of every statement otherwise. What the
    close records of them; ``None`` when a text cannot be kept (not UTF-8: nothing kept).
    ``previous``: what the close before recorded of the texts (``None``: nothing)."""
    for table in SCHEMA:
        connection.execute(table)
    statements = book.statements
    if previous is not None and previous.version == forms.version:
        row = connection.execute("SELECT MAX(period) FROM closes").fetchone()
        closed = row[0] or ""
        if isinstance(statements, KeptStatements):
            new: Iterable[Statement] = statements.added
        else:
            new = (s for s in statements if s.period > closed)
        periods = dict(previous.periods)
    else:  # the first close with texts, or another version's: every one written afresh
        connection.execute("DELETE FROM closed_texts")
        new = (
            chain(statements.read(), statements.added)
            if isinstance(statements, KeptStatements)
            else statements
        )
        periods = {}
    written: set[str] = set()

    def rows() -> Iterator[tuple[str, str, str, str, str]]:
        for s in new:
            written.add(s.period)
            yield (s.rep, s.period, s.currency, forms.json(s), forms.csv(s))

    connection.execute("SAVEPOINT texts")
    try:
        connection.executemany(
            "INSERT INTO closed_texts (rep, period, currency, json, csv) VALUES (?, ?, ?, ?, ?)",
            rows(),
        )
    except UnicodeEncodeError:  # a text holding half a character (a lone surrogate)
        connection.execute("ROLLBACK TO texts")
        connection.execute("RELEASE texts")
        return None
    connection.execute("RELEASE texts")
    for period in sorted(written):
        periods[period] = _texts_digest(
            connection.execute(
                "SELECT rep, currency, json, csv FROM closed_texts WHERE period = ?"
                " ORDER BY rep, currency",
                (period,),
            )
        )
    return TextDigests(version=forms.version, periods=periods)


def _texts_digest(rows: Iterable[tuple[str, ...]]) -> tuple[int, str, str]:
    """How many rows (rep, currency, then one text per form), and each form's digest."""
    hashers = [hashlib.blake2b(digest_size=16) for _ in FORMS]
    count = 0
    for rep, currency, *texts in rows:
        count += 1
        for hasher, text in zip(hashers, texts, strict=True):
            hasher.update(_text_entry(rep, currency, text))
    json_digest, csv_digest = (hasher.hexdigest() for hasher in hashers)
    return count, json_digest, csv_digest


def _text_entry(rep: str, currency: str, text: str) -> bytes:
    """One statement's text as its form's digest takes it (each piece with its length)."""
    return f"{len(rep)}:{rep}{len(currency)}:{currency}{len(text)}:{text}".encode()
