"""Reading one large event file in several processes at once.

The file is cut at line starts into parts of about equal size. Each part after the first is read
and validated by a child forked for it, with the same functions and the file's own line
numbers, and sent back: its events as msgspec's MessagePack of the event Structs (each field
as it is, amounts as their text), its rejections as plain values; this process reads the
first part meanwhile, then decodes the children's events, which were validated already, in
file order, each id and day shared as a reader shares them. Decoding an event, and sharing
its ids and days, costs about two thirds of reading its JSON line (rebuilding it from ``marshal``'s
plain values had come to cost more), so the parts save only what the parent does not read.
"""

from __future__ import annotations

import csv
import io
import os
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import msgspec

from ..domain.errors import Rejection
from ..domain.events import EVENT_CLASS_SET, Event
from ..files.errors import FileError
from ..files.event_files import Read, csv_header, csv_rows, json_lines, text_lines
from ..files.fast_json import share_names_and_days
from .pipes import Child
from .wire import rejection_from, rejection_values

#: Below this many bytes a part (about 35,000 JSON lines), a process costs more than it saves.
MIN_BYTES_PER_PART = 4_000_000
#: This process's share of the file where a child's is 1 (reading an event costs about
#: twice what rebuilding one does, so this part ends about when the children have sent theirs).
OWN_SHARE = 1.25
#: The same when the caller has other work to do first: it reads a small part after that work,
#: while the children read the rest (they pay for sending, it for rebuilding what they send).
BACKGROUND_OWN_SHARE = 0.3
#: Events or rejections a child sends in one message.
BATCH = 2_000


ReadPart = Callable[[IO[bytes], int], Read]


def read_in_parts(
    path: Path, processes: int, *, background: bool = False, digests: bool = False
) -> Read | None:
    """The events of ``path`` read in up to ``processes`` parts, or ``None`` to read it whole.

    ``None`` where the platform cannot fork, the file is too small to split, is neither JSON
    Lines nor CSV, or is CSV with a quote anywhere (a quoted cell may hold a line break, and
    where one ends depends on every quote before it): the caller then reads it as usual.
    With ``background``, this process has other work to do first: ``processes - 1``
    children (at least one) read most of the file, and this process a small first part
    afterwards. With ``digests``, each process digests the events it reads.
    """
    suffix = path.suffix.lower()
    if not hasattr(os, "fork") or suffix not in (".jsonl", ".ndjson", ".csv"):
        return None
    try:
        size = path.stat().st_size
    except OSError:
        return None  # the usual reader says why
    parts = min(max(processes - 1, 1) if background else processes, size // MIN_BYTES_PER_PART)
    if parts < (1 if background else 2):
        return None
    own_share = BACKGROUND_OWN_SHARE * parts if background else OWN_SHARE
    weights = [own_share] + [1.0] * (parts - (0 if background else 1))
    try:
        data = path.read_bytes()
    except OSError:
        return None  # the usual reader says why
    if suffix == ".csv":
        start = data.find(b"\n") + 1
        if start == 0 or b'"' in data:
            return None
        undecodable: set[int] = set()
        header_rows = csv.reader(text_lines(io.BytesIO(data[:start]), undecodable))
        header = csv_header(path, header_rows, undecodable)  # raises on a bad header now
        assert header is not None

        def read_csv(stream: IO[bytes], first: int) -> Read:
            seen: set[int] = set()
            lines = text_lines(stream, seen, first)  # type: ignore[arg-type]
            return csv_rows(stream, path, lines, header, seen, first - 1)  # type: ignore[arg-type]

        return _read(data, _cuts(data, start, 2, weights), read_csv, digests)

    def read_json(stream: IO[bytes], first: int) -> Read:
        return json_lines(stream, path, first)  # type: ignore[arg-type]

    return _read(data, _cuts(data, 0, 1, weights), read_json, digests)


def _cuts(data: bytes, start: int, line: int, weights: list[float]) -> list[tuple[int, int, int]]:
    """Each part's (start, end, first line): ``data`` from ``start`` cut at line starts.

    The parts are sized as ``weights`` (fewer where the lines run out). This process's part is
    the first, weighted ``OWN_SHARE`` where a child's is 1 (it also rebuilds the others'
    events, which it can only do once they have sent them), or ``BACKGROUND_OWN_SHARE``.
    """
    cuts = [(start, line)]
    total, done = sum(weights), 0.0
    for weight in weights[:-1]:
        done += weight
        at = data.find(b"\n", start + int((len(data) - start) * done / total)) + 1
        if at == 0 or at >= len(data) or at <= cuts[-1][0]:
            break
        cuts.append((at, cuts[-1][1] + data.count(b"\n", cuts[-1][0], at)))
    ends = [at for at, _ in cuts[1:]] + [len(data)]
    return [(at, end, first) for (at, first), end in zip(cuts, ends, strict=True)]


def _read(
    data: bytes, spans: list[tuple[int, int, int]], read_part: ReadPart, digests: bool
) -> Read:
    """The items of every part; the children are forked now, this process's part read later.

    Forking at once lets the children read while the caller does something else first
    (``payouts --ledger`` loads its closed book); this process reads its own part (the first),
    then takes the children's, as the result is iterated.
    """
    (start, end, first), *others = spans
    children = [_Child(data, at, stop, line, read_part, digests) for at, stop, line in others]
    items = _items(io.BytesIO(data[start:end]), first, read_part, children, digests)
    # A result never iterated never runs its ``finally``: its children end when it is freed.
    weakref.finalize(items, _stop, children)
    return items


def _items(
    own: IO[bytes], first: int, read_part: ReadPart, children: list[_Child], digests: bool
) -> Read:
    try:
        yield from _reading(read_part, own, first, digests)
        for child in children:
            yield from child.items()
    finally:
        _stop(children)


def _reading(read_part: ReadPart, stream: IO[bytes], first: int, digests: bool) -> Read:
    """The items of ``stream``, each event digested on the way when ``digests`` (the event
    remembers it, and a child sends it with the event)."""
    for item in read_part(stream, first):
        if digests and not isinstance(item, Rejection):
            item.digest()
        yield item


def _stop(children: list[_Child]) -> None:
    for child in children:
        child.stop()


class _Child:
    """A part of the file read in a forked child."""

    def __init__(
        self, data: bytes, at: int, end: int, first: int, read_part: ReadPart, digests: bool
    ) -> None:
        self.child = Child.start(
            lambda reply, _: _serve(data[at:end], first, read_part, digests, reply),
            "reading a part of the event file",
        )

    def items(self) -> Read:
        while True:
            kind, value = self.child.receive()
            if kind == "file":
                raise FileError(value)
            if kind == "rejected":
                yield rejection_from(value)
            elif not value:
                return
            else:
                events = _DECODER.decode(value)
                share_names_and_days(events)
                yield from events

    def stop(self) -> None:
        self.child.stop()


def _serve(
    chunk: bytes, first: int, read_part: ReadPart, digests: bool, reply: Callable[[Any], None]
) -> None:
    """The child's work: read its part (and digest its events), then send it: its events in
    batches, each rejection in its place among them.

    All of it is read before anything is sent: the parent reads its own part meanwhile, and a
    pipe holds only 64 KB, so sending as it goes would stall the child until the parent came.
    """
    try:
        items = list(_reading(read_part, io.BytesIO(chunk), first, digests))
    except FileError as error:  # an unreadable CSV row: the parent raises it in its place
        reply(("file", str(error)))
        return
    # No rejection, told in C at once (isinstance against the pydantic Rejection goes through
    # ABCMeta's check, about 80 ns an item).
    if EVENT_CLASS_SET.issuperset(map(type, items)):
        for start in range(0, len(items), BATCH):
            reply(("read", _ENCODER.encode(items[start : start + BATCH])))
        reply(("read", b""))
        return
    events: list[Any] = []
    for item in items:
        if isinstance(item, Rejection):
            if events:
                reply(("read", _ENCODER.encode(events)))
                events.clear()
            reply(("rejected", rejection_values(item)))
        else:
            events.append(item)
            if len(events) == BATCH:
                reply(("read", _ENCODER.encode(events)))
                events.clear()
    if events:
        reply(("read", _ENCODER.encode(events)))
    reply(("read", b""))


#: An event travels as its Struct's fields in MessagePack (a Decimal as its text, which
#: gives it back to the digit and exponent; a date as its ISO text), its line and digest too.
_ENCODER = msgspec.msgpack.Encoder(decimal_format="string")
_DECODER = msgspec.msgpack.Decoder(list[Event])
