"""Several event files, or a glob, read as one stream: JSON Lines, CSV and Parquet.

The files are read in the order given (a glob's matches sorted by name), as if they were
one file: while the run is computed, an event's line counts every line of the files before
its own, so that rejections sort file by file. :meth:`EventFiles.located` then gives each
rejection its line in its own file, and, when there are several files, starts its reason
with the file's name (FORMATS.md's rejection keeps its fields; docs/decisions.md).
"""

from __future__ import annotations

import bisect
import csv
import glob
import io
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from pathlib import Path

from ..domain.errors import Rejection
from ..domain.events import Event
from .errors import FileError
from .event_files import Read, csv_header, csv_rows, json_lines, read_events, text_lines
from .parquet_files import parquet_rows, row_groups

#: Where a path holds one of these, it is a pattern, unless a file has that very name.
GLOB = frozenset("*?[")
JSON_LINES = (".jsonl", ".ndjson")
KINDS = (*JSON_LINES, ".csv", ".parquet")

Paths = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def expand(paths: Paths) -> list[Path]:
    """The event files ``paths`` name, in order; a pattern's matches sorted by name."""
    given = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    found: list[Path] = []
    for path in given:
        text = os.fspath(path)
        if GLOB.isdisjoint(text) or Path(text).exists():
            found.append(Path(text))
            continue
        matches = sorted(glob.glob(text, recursive=True))
        if not matches:
            raise FileError(f"no event file matches {text}")
        found.extend(Path(match) for match in matches)
    if not found:
        raise FileError("give at least one event file")
    for path in found:
        if path.suffix.lower() not in KINDS:
            raise FileError(
                f"{path}: an event file must end in {', '.join(KINDS)} "
                f"(JSON Lines, CSV or Parquet); got '{path.suffix or 'no extension'}'"
            )
    return found


def is_one_file(paths: Paths) -> bool:
    """Whether ``paths`` is one JSON Lines or CSV file, which the usual reader reads."""
    if not isinstance(paths, str | os.PathLike):
        return False
    text = os.fspath(paths)
    simple = GLOB.isdisjoint(text) or Path(text).exists()
    return simple and Path(text).suffix.lower() != ".parquet"


def lines_in(path: Path) -> int:
    """The lines of a text file (a last line without a line end counts), or a Parquet
    file's rows."""
    if path.suffix.lower() == ".parquet":
        return sum(row_groups(path))
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FileError(f"cannot read event file {path}: {error.strerror or error}") from None
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


class EventFiles(Iterator[Event | Rejection]):
    """The events of several files as one stream, and where each line came from."""

    def __init__(
        self, items: Iterator[Event | Rejection], names: Sequence[str], starts: Sequence[int]
    ) -> None:
        self._items = items
        self.names = tuple(names)
        #: Per file, the lines of the files before it.
        self.starts = tuple(starts)

    def __next__(self) -> Event | Rejection:
        return next(self._items)

    def put_back(self, first: Event | Rejection) -> EventFiles:
        """This stream, ``first`` (taken from it) first again."""
        self._items = chain((first,), self._items)
        return self

    def located(self, rejections: Iterable[Rejection]) -> tuple[Rejection, ...]:
        """``rejections`` (in order) with their lines in their own files, and the file named
        in the reason when there are several."""
        several = len(self.names) > 1
        located = []
        for rejection in rejections:
            if rejection.line is None:
                located.append(rejection)
                continue
            at, line = self._where(rejection.line)
            # A reused id's reason names the line of its first use: in its own file too.
            reason = _EARLIER.sub(lambda found: self._line_of(int(found[2])), rejection.reason)
            reason = f"{self.names[at]}: {reason}" if several else reason
            located.append(rejection.model_copy(update={"line": line, "reason": reason}))
        return tuple(located)

    def _where(self, line: int) -> tuple[int, int]:
        """The file (its index) and its own line of the stream's ``line``."""
        at = bisect.bisect_right(self.starts, line - 1) - 1
        return at, line - self.starts[at]

    def _line_of(self, line: int) -> str:
        at, own = self._where(line)
        return f"on line {own}" + (f" of {self.names[at]}" if len(self.names) > 1 else "")


#: How the reason of a reused id names the line of its first use (``domain.run``).
_EARLIER = re.compile(r"(on line )(\d+)")


def read_files(paths: Paths) -> EventFiles:
    """The events of ``paths`` (:func:`expand`) read in this process, one after the other."""
    files = expand(paths)
    starts = [0]
    for path in files[:-1]:
        starts.append(starts[-1] + lines_in(path))
    items = chain.from_iterable(
        read_part(path, 0, None, start + 1) for path, start in zip(files, starts, strict=True)
    )
    return EventFiles(items, [str(path) for path in files], starts)


def read_part(path: Path, start: int, end: int | None, first: int) -> Read:
    """The records of ``path`` from byte ``start`` (a line start) to ``end`` (a line start,
    or the file's end), whose first line is line ``first`` of the stream; for Parquet,
    ``start`` and ``end`` are row groups (``None``: the last)."""
    kind = path.suffix.lower()
    if kind == ".parquet":
        groups = range(start, len(row_groups(path)) if end is None else end)
        return parquet_rows(path, groups, first)
    if start == 0 and end is None and first == 1:
        return read_events(path)
    try:
        stream = path.open("rb")
    except OSError as error:
        raise FileError(f"cannot read event file {path}: {error.strerror or error}") from None
    stream.seek(start)
    if end is not None:
        data = stream.read(end - start)
        stream.close()
        stream = io.BytesIO(data)  # type: ignore[assignment]
    if kind in JSON_LINES:
        return json_lines(stream, path, first)
    # CSV, always read whole (a quoted cell may span lines): its header is line ``first``.
    undecodable: set[int] = set()
    lines = text_lines(stream, undecodable, first)
    header = csv_header(path, csv.reader(lines), undecodable)
    if header is None:
        stream.close()
        return iter(())
    return csv_rows(stream, path, lines, header, undecodable, first)
