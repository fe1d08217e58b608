"""Event files (FORMATS.md): JSON Lines or CSV, by extension, streamed line by line.

:func:`read_events` yields one :class:`~commission_engine.domain.events.Event` or
:class:`~commission_engine.domain.errors.Rejection` per record, with its 1-based line
in the file, so :func:`~commission_engine.compute` can take a file of any
length without it ever being held as text. A line that cannot even be read
(not JSON, not UTF-8, more cells than the header) is a rejection like any
other: it is reported, never silently dropped.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, cast

from ..domain.errors import Rejection
from ..domain.events import EVENT_CLASSES, Event, parse_event
from .errors import FileError
from .fast_json import plain_event, plain_events

Read = Iterator[Event | Rejection]

#: Every field some event type has: the columns a CSV header may name.
COLUMNS = tuple(dict.fromkeys(name for kind in EVENT_CLASSES for name in ("type", *kind.FIELDS)))
_REQUIRED_COLUMNS = ("type", "id", "date")


def read_events(path: str | os.PathLike[str]) -> Read:
    """Stream the events of the JSON Lines (``.jsonl``, ``.ndjson``) or CSV file at ``path``
    (a ``str`` or any path-like), in this process.

    The file is opened (and a CSV header checked) now, so a missing file or a
    bad header raises :class:`FileError` at once; lines are read as the result
    is iterated. A CSV cell's surrounding spaces are dropped, and an empty cell
    (or a JSON ``null``) is the same as a field not given. To read a large file in parts on
    several cores, :func:`commission_engine.read_events` takes ``processes``.
    """
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        raise FileError(
            f"{path}: an event file must end in {', '.join(_READERS)} (JSON Lines or CSV); "
            f"got '{path.suffix or 'no extension'}'"
        )
    try:
        stream = path.open("rb")
    except OSError as error:
        raise FileError(f"cannot read event file {path}: {error.strerror or error}") from None
    try:
        return reader(stream, path)
    except BaseException:
        stream.close()
        raise


# JSON Lines ------------------------------------------------------------------------------

_ID = re.compile(rb'"id"\s*:\s*"([^"\\]{1,200})"')


class _WrittenTwice(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):  # json keeps the last; an amount written twice is ambiguous
        raise _WrittenTwice(
            next(key for key, n in Counter(key for key, _ in pairs).items() if n > 1)
        )
    return found


#: One decoder for every line: ``json.loads`` with options would build a new one each time.
_DECODER = json.JSONDecoder(parse_float=Decimal, parse_constant=Decimal, object_pairs_hook=_object)


#: About how much of a JSON Lines file is read at once (a few thousand lines).
_BLOCK_BYTES = 1 << 18


def json_lines(stream: BinaryIO, path: Path, first: int = 1) -> Read:
    """The records of ``stream``, whose first line is line ``first`` of the file."""
    # A block's records at a time, handed on one by one in C: a generator resumed for each
    # record cost about 200 instructions a record, more than a hundredth of reading it.
    return chain.from_iterable(_json_blocks(stream, first))


def _json_blocks(stream: BinaryIO, first: int) -> Iterator[Sequence[Event | Rejection]]:
    """The records of each block of lines of ``stream`` (see :func:`json_lines`)."""
    number = first
    with stream:
        # Most blocks of lines are plainly valid and read at once; the others line by line,
        # where most lines are plainly valid and read fast, and the others the usual way.
        while block := stream.readlines(_BLOCK_BYTES):
            events = plain_events(block, number)
            if events is not None:
                yield events
            else:
                reads = (
                    plain_event(raw, at) or json_line(raw, at)
                    for at, raw in enumerate(block, number)
                )
                yield [read for read in reads if read is not None]
            number += len(block)


def json_line(raw: bytes, number: int) -> Event | Rejection | None:
    """Line ``number`` of a JSON Lines file read the usual way (:mod:`json`, then
    :func:`~..events.parse_event`): its event, why it was rejected, or ``None`` if blank."""
    try:
        text = raw.decode()
        record = _DECODER.decode(text.lstrip("\ufeff") if number == 1 else text)
    except _WrittenTwice as twice:
        return _unreadable(raw, number, twice.key, f"'{twice.key}' is written twice")
    except UnicodeDecodeError as error:
        return _unreadable(raw, number, None, f"not UTF-8 text: {error.reason}")
    except json.JSONDecodeError as error:
        if not raw.strip():
            return None  # a blank line: skipped, but counted
        cut_off = error.pos >= len(error.doc.rstrip())
        at = "end of line" if cut_off else f"column {error.colno}"
        return _unreadable(raw, number, None, f"not valid JSON: {error.msg} (at {at})")
    except RecursionError:
        return _unreadable(raw, number, None, "not an event: its values are nested too deeply")
    except ValueError:  # an integer of more digits than Python converts (4,300)
        reason = "a number of thousands of digits is out of range (below 10^15 in size)"
        return _unreadable(raw, number, None, reason)
    if not isinstance(record, dict):
        return _unreadable(raw, number, None, "not a JSON object ({...})")
    if None in record.values():
        return parse_event({k: v for k, v in record.items() if v is not None}, number)
    return parse_event(record, number)


def _unreadable(raw: bytes, line: int, field: str | None, reason: str) -> Rejection:
    found = _ID.search(raw)
    event = found.group(1).decode("utf-8", "replace") if found else None
    return Rejection(event=event, line=line, field=field, reason=reason)


# CSV -------------------------------------------------------------------------------------


def _csv(stream: BinaryIO, path: Path) -> Read:
    undecodable: set[int] = set()
    lines = text_lines(stream, undecodable)
    rows = csv.reader(lines)
    header = csv_header(path, rows, undecodable)
    if header is None:  # an empty file: no events
        stream.close()
        return iter(())
    return csv_rows(stream, path, lines, header, undecodable, rows.line_num)


def csv_header(path: Path, rows: Any, undecodable: set[int]) -> list[str] | None:
    """The checked column names on line 1 of ``rows``, or ``None`` for an empty file."""
    try:
        first_row = next(rows, None)
    except csv.Error as error:
        raise FileError(f"{path}, line 1: cannot read the CSV header: {error}") from None
    if first_row is None:
        return None
    header = [name.strip() for name in first_row]
    _check_header(path, header, undecodable)
    return header


def text_lines(stream: BinaryIO, undecodable: set[int], first: int = 1) -> Iterator[str]:
    """The file's lines as text; a line that is not UTF-8 is noted, and read with U+FFFD."""
    for number, raw in enumerate(stream, first):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            undecodable.add(number)
            yield raw.decode("utf-8", "replace")


def _check_header(path: Path, header: list[str], undecodable: set[int]) -> None:
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in _REQUIRED_COLUMNS if name not in header]
    twice = sorted({name for name in header if header.count(name) > 1})
    problem = (
        "it is blank; the first line must name the columns"
        if not header
        else "it is not UTF-8 text"
        if undecodable
        else f"unknown column '{unknown[0]}'; columns are {', '.join(COLUMNS)}"
        if unknown
        else f"column '{missing[0]}' is missing"
        if missing
        else f"column '{twice[0]}' appears twice"
        if twice
        else None
    )
    if problem is not None:
        raise FileError(f"{path}, line 1 (the header): {problem}")


#: The most lines one CSV row may span (a quoted cell may hold line breaks). A quote left
#: open would otherwise take every line after it into one cell; the row is rejected instead,
#: and the lines after its first are read as rows again.
MAX_ROW_LINES = 100


class _Row:
    """What :func:`_feed` tells :func:`csv_rows` of the row the CSV reader is reading."""

    __slots__ = ("ended", "pending", "taken", "too_long")

    def __init__(self) -> None:
        self.taken: list[str] = []  # the lines the row took
        self.pending: deque[str] = deque()  # lines to read (again) before the file's next
        self.ended = False  # the file ended while the row was read
        self.too_long = False  # the row ran past MAX_ROW_LINES


def _feed(lines: Iterator[str], row: _Row) -> Iterator[str | None]:
    """``lines`` for :func:`csv.reader`, each noted in ``row.taken``. A row longer than
    :data:`MAX_ROW_LINES` gets ``None``, on which the reader stops with an error."""
    pending, taken = row.pending, row.taken
    while True:
        if pending:
            line = pending.popleft()
        else:
            read = next(lines, None)
            if read is None:
                row.ended = True
                return
            line = read
        if len(taken) >= MAX_ROW_LINES:
            pending.appendleft(line)
            row.too_long = True
            yield None
        else:
            taken.append(line)
            yield line


def _reader(lines: Iterator[str], row: _Row) -> Any:
    """A CSV reader of ``lines``, through :func:`_feed` (its ``None`` stops the reader)."""
    return csv.reader(cast(Iterator[str], _feed(lines, row)))


def csv_rows(
    stream: BinaryIO,
    path: Path,
    lines: Iterator[str],
    header: list[str],
    undecodable: set[int],
    before: int = 0,
) -> Read:
    """The records of ``lines``, the text of ``stream`` after the file's first ``before`` lines.

    A row that cannot be read (a quoted cell not closed by the end of the file or within
    :data:`MAX_ROW_LINES` lines, a last line cut off, a carriage return inside a cell that is
    not quoted) is rejected at its first line, and the lines after that one read again.
    """
    width = len(header)
    row = _Row()
    rows = _reader(lines, row)
    first = before + 1  # the line where the next row starts
    with stream:
        while True:
            row.taken.clear()
            try:
                cells = next(rows, None)
                # A row the file ends inside, or a last line with no line end.
                ended = cells is not None and (row.ended or row.taken[-1][-1:] != "\n")
                problem = _cut_off(row.taken) if ended else None
            except csv.Error as error:
                cells, problem = [], _unreadable_row(error, row)
                if problem is None:  # a cell beyond the csv module's size limit, say
                    raise FileError(f"{path}, line {first}: cannot read CSV: {error}") from None
            if problem is not None:
                yield _bad_row(_first_id(row.taken, header), first, problem)
                # Read again every line after the row's first, with a reader of its own.
                row.pending.extendleft(reversed(row.taken[1:]))
                row.ended = row.too_long = False
                rows = _reader(lines, row)
                first += 1
                continue
            if cells is None:
                return
            line, first = first, first + len(row.taken)
            if not cells:
                continue  # a blank line
            record = {name: cell.strip() for name, cell in zip(header, cells, strict=False) if cell}
            if len(cells) > width:
                reason = f"the row has {len(cells)} cells but the header names {width} columns"
                yield _bad_row(record.get("id"), line, reason)
            elif undecodable and not undecodable.isdisjoint(range(line, first)):
                yield _bad_row(record.get("id"), line, "not UTF-8 text")
            elif "" in record.values():
                yield parse_event({k: v for k, v in record.items() if v}, line)
            else:
                yield parse_event(record, line)


def _cut_off(taken: list[str]) -> str:
    """Why a row the file ended inside is rejected."""
    if len(taken) == 1 and taken[0][-1:] != "\n" and taken[0].count('"') % 2 == 0:
        return "the last line has no line end: the file may have been cut off here"
    return "a quoted cell is not closed before the end of the file (a closing quote missing?)"


def _unreadable_row(error: csv.Error, row: _Row) -> str | None:
    """Why a row the CSV reader stopped on is rejected; ``None`` when the file is unusable."""
    if row.too_long:
        return (
            f"a quoted cell is still open after {MAX_ROW_LINES} lines (a closing quote "
            "missing?); the lines after this one are read as rows"
        )
    if "new-line character" in str(error):
        return "a carriage return (CR) inside a cell that is not quoted"
    return None


def _first_id(taken: list[str], header: list[str]) -> str | None:
    """The id on a broken row's first line, as far as that line alone says."""
    if not taken or "id" not in header:
        return None
    try:
        cells = next(csv.reader([taken[0].rstrip("\r\n").replace("\r", " ")]), [])
    except csv.Error:
        return None
    at = header.index("id")
    return cells[at].strip() or None if at < len(cells) else None


def _bad_row(event: str | None, line: int, reason: str) -> Rejection:
    return Rejection(event=event or None, line=line, field=None, reason=reason)


_READERS: dict[str, Callable[[BinaryIO, Path], Read]] = {
    ".jsonl": json_lines,
    ".ndjson": json_lines,
    ".csv": _csv,
}
