"""Event files read in parts by the workers of a Dask cluster.

The workers must see the files at the paths given (a shared file system, or the same copy on
every machine). A first task per file surveys it: a JSON Lines file is cut at line starts
into parts of about :data:`PART_BYTES`, each with its count of lines; a Parquet file into its
row groups; a CSV file stays whole (a quoted cell may hold a line break, and where one ends
depends on every quote before it). Then a task per part reads and validates its lines with
the usual readers, numbered as one stream over every file
(:class:`~..files.many_files.EventFiles`), and sends them back as :mod:`.wire`'s plain
values, in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any, cast

from ..domain.errors import Rejection
from ..domain.events import Event
from ..files.many_files import EventFiles, Paths, expand, lines_in, read_part
from ..files.parquet_files import row_groups
from .wire import event_from, event_values

#: About this many bytes of JSON Lines to a part (about 100,000 events).
PART_BYTES = 16_000_000

#: A part: its start and end (bytes, or row groups; ``None``, the end) and its lines.
Part = tuple[int, int | None, int]


def read_on_cluster(client: Any, paths: Paths) -> EventFiles:
    """The events of ``paths`` (:func:`~..files.many_files.expand`), read by ``client``'s
    workers; the same events, rejections and lines as reading them here."""
    files = expand(paths)
    surveys: list[list[Part]] = client.gather(
        [client.submit(survey, str(path), pure=False) for path in files]
    )
    starts, tasks = [], []
    before = 0
    for path, parts in zip(files, surveys, strict=True):
        starts.append(before)
        for start, end, lines in parts:
            tasks.append(client.submit(read, str(path), start, end, before + 1, pure=False))
            before += lines
    read_parts: list[list[tuple[int, Any]]] = client.gather(tasks)
    # The events were built by the usual readers: each is of one of the event classes.
    items = cast(
        Iterator[Event | Rejection],
        chain.from_iterable((event_from(values) for values in part) for part in read_parts),
    )
    return EventFiles(items, [str(path) for path in files], starts)


def survey(name: str) -> list[Part]:
    """On a worker: the parts to read ``name`` in."""
    path = Path(name)
    kind = path.suffix.lower()
    if kind == ".parquet":
        return [(group, group + 1, rows) for group, rows in enumerate(row_groups(path))]
    if kind == ".csv":
        return [(0, None, lines_in(path))]
    data = path.read_bytes()
    parts: list[Part] = []
    start = 0
    while start < len(data):
        cut = data.find(b"\n", start + PART_BYTES) + 1 or len(data)
        chunk = data[start:cut]
        lines = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
        parts.append((start, None if cut == len(data) else cut, lines))
        start = cut
    return parts or [(0, None, 0)]


def read(name: str, start: int, end: int | None, first: int) -> list[tuple[int, Any]]:
    """On a worker: one part's events and rejections, as plain values."""
    return [event_values(item) for item in read_part(Path(name), start, end, first)]
