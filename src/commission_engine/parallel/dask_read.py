"""Event files read in parts by the workers of a Dask cluster.

The workers must see the files at the paths given (a shared file system, or the same copy on
every machine). A first task per file surveys it: a JSON Lines file is cut at line starts
into parts of about :data:`PART_BYTES`, each with its count of lines; a Parquet file into its
row groups; a CSV file stays whole (a quoted cell may hold a line break, and where one ends
depends on every quote before it). Then a task per part reads and validates its lines with
the usual readers, numbered as one stream over every file
(:class:`~..files.many_files.EventFiles`), and keeps them as :mod:`.wire`'s plain values.

They stay on the workers: :func:`~.dask_run.compute_from_workers` computes a run from them
there. Only a caller that iterates the stream (plans compared, aging) has them sent here,
part after part, as it goes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from ..domain.errors import Rejection
from ..domain.events import Event
from ..files.many_files import EventFiles, Paths, expand, lines_in, read_part
from ..files.parquet_files import row_groups
from .collector import paused_call
from .wire import event_from, event_values

#: About this many bytes of JSON Lines to a part (about 100,000 events).
PART_BYTES = 16_000_000

#: A part: its start and end (bytes, or row groups; ``None``, the end) and its lines.
Part = tuple[int, int | None, int]


class ClusterEvents(EventFiles):
    """The events of files read by a cluster's workers, held there, part after part.

    Iterated, it is the same stream as the files read here: each part is sent for when the
    stream comes to it. :attr:`parts` are the futures of the parts' plain values.
    """

    def __init__(
        self, client: Any, parts: list[Any], names: Sequence[str], starts: Sequence[int]
    ) -> None:
        super().__init__(self._sent(), names, starts)
        self.client = client
        self.parts = parts
        self._taken = 0

    def _sent(self) -> Iterator[Event | Rejection]:
        for part in self.parts:
            # The events were built by the usual readers: each is of one of the event classes.
            yield from cast(Iterator[Event | Rejection], map(event_from, part.result()))

    def __next__(self) -> Event | Rejection:
        item = super().__next__()
        self._taken += 1
        return item

    def put_back(self, first: Event | Rejection) -> EventFiles:
        self._taken -= 1
        return super().put_back(first)

    def holds_any(self) -> bool:
        """Whether the files hold any event or rejected line, as the workers count them (the
        events stay there)."""
        return any(self.client.gather([self.client.submit(len, part) for part in self.parts]))

    def whole(self) -> bool:
        """Whether nothing was taken from the stream (or all taken was put back): a run
        may then be computed from the parts on the workers."""
        return self._taken == 0


def read_on_cluster(client: Any, paths: Paths) -> ClusterEvents:
    """The events of ``paths`` (:func:`~..files.many_files.expand`), read by ``client``'s
    workers and left there; the same events, rejections and lines as reading them here."""
    files = expand(paths)
    surveys: list[list[Part]] = client.gather(
        [client.submit(survey, str(path), pure=False) for path in files]
    )
    starts, tasks = [], []
    before = 0
    for path, parts in zip(files, surveys, strict=True):
        starts.append(before)
        for start, end, lines in parts:
            read_part_of = (str(path), start, end, before + 1)
            tasks.append(
                client.submit(paused_call, read, *read_part_of, key=task_key(read), pure=False)
            )
            before += lines
    return ClusterEvents(client, tasks, [str(path) for path in files], starts)


def task_key(function: Any) -> str:
    """The key of a task run through :func:`.collector.paused_call`: its own function's
    name, made unique, as Dask keys a task (its dashboard and logs then name the step)."""
    return f"{function.__name__}-{uuid.uuid4().hex}"


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


def read(name: str, start: int, end: int | None, first: int) -> tuple[tuple[int, Any], ...]:
    """On a worker: one part's events and rejections, as plain values (a tuple: Dask sends
    a list to another process item by item, :func:`.dask_route.sent`)."""
    return tuple(event_values(item) for item in read_part(Path(name), start, end, first))
