"""A run whose events stay on the workers that read them: sorted out here, moved by rep there.

The workers hold the parts they read (:mod:`.dask_read`) as :mod:`.wire`'s plain values. Of
each event, only what sorting out the run needs comes to this process: its id (re-deliveries
and conflicting ids are found across the whole stream), and of an invoice event its invoice,
date and reps (the :class:`~.by_rep.Partition` is made from the invoices). The few events
whose id is used more than once come whole, and :func:`~..domain.run.prepare` sorts them out
here, as a local run does, with the same reasons. Then each part of what was read is cut, on
its worker, into the pieces each rep part needs (the events this process dropped left out,
those after the end date counted as pending), and Dask moves each piece to the worker that
folds its rep part (:mod:`.dask_run`).

Every step is a task with its inputs: if a worker dies, the scheduler computes what it held
again, from the file if need be.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any, cast

from ..domain.errors import Rejection
from ..domain.events import EVENT_CLASSES, Adjustment, BaseEvent, Invoice
from ..domain.run import prepare
from ..domain.state import WorkingState
from .by_rep import Partition
from .wire import event_from

#: An event or a reader's rejection as plain values (:func:`.wire.event_values`).
Encoded = tuple[int, Any]
#: Where an item is in the stream: its read part, and its position in that part.
Place = tuple[int, int]

# Plain values list an event's dataclass fields in order (:func:`.wire.event_values`).
_AT = [{f.name: at for at, f in enumerate(dataclasses.fields(kind))} for kind in EVENT_CLASSES]
_INVOICE = EVENT_CLASSES.index(Invoice)
_ADJUSTMENT = EVENT_CLASSES.index(Adjustment)
_REJECTED = -1


class Booked:
    """What the partition reads of an invoice event (:class:`~..domain.events.Invoice`)."""

    __slots__ = ("invoice", "rep", "reps")

    def __init__(self, invoice: str, rep: str | None, reps: tuple[str, ...]) -> None:
        self.invoice = invoice
        self.rep = rep
        self.reps = reps

    def shares(self) -> tuple[tuple[str, None], ...]:
        """The split's reps (the partition does not read the shares)."""
        return tuple((rep, None) for rep in self.reps)


#: A part's survey: each item's event id (``None`` for a reader's rejection), the reader's
#: rejections with their positions, and its invoice events as (position, day, invoice, rep,
#: split reps).
Survey = tuple[
    list[str | None],
    list[tuple[int, Any]],
    list[tuple[int, int, str, str | None, tuple[str, ...]]],
]


def survey(read: list[Encoded]) -> Survey:
    """On a worker: what sorting out the run needs of one read part."""
    ids: list[str | None] = []
    rejected: list[tuple[int, Any]] = []
    invoices = []
    at_date, at_invoice, at_rep, at_splits = (
        _AT[_INVOICE][name] for name in ("date", "invoice", "rep", "splits")
    )
    for position, (kind, values) in enumerate(read):
        if kind == _REJECTED:
            ids.append(None)
            rejected.append((position, values))
            continue
        ids.append(values[_AT[kind]["id"]])
        if kind == _INVOICE:
            splits = values[at_splits]
            reps = () if splits is None else tuple(rep for rep, _ in splits)
            invoices.append((position, values[at_date], values[at_invoice], values[at_rep], reps))
    return ids, rejected, invoices


def items_at(read: list[Encoded], positions: list[int]) -> list[Encoded]:
    """On a worker: the items of one read part at ``positions``."""
    return [read[position] for position in positions]


@dataclasses.dataclass
class SortedOut:
    """What this process decided of the stream, before anything is folded."""

    #: Per read part, the positions of the events not applied (re-delivered, conflicting).
    dropped: list[set[int]]
    #: Rejections so far, in stream order (the readers' and conflicting ids).
    rejected: list[Rejection]
    duplicates: int
    partition: Partition


def sort_out(
    surveys: list[Survey],
    fetch: Callable[[list[list[int]]], list[list[Encoded]]],
    through: dt.date | None,
    parts: int,
) -> SortedOut:
    """Re-deliveries, conflicting ids and the partition, as a local run decides them.

    ``fetch(wanted)`` gives the encoded items of each read part at its wanted positions:
    only events whose id is used more than once are asked for, and sorted out by
    :func:`~..domain.run.prepare` in stream order.
    """
    seen: set[str] = set()
    repeated: set[str] = set()
    for ids, _, _ in surveys:
        for event_id in ids:
            if event_id is None:
                continue
            if event_id in seen:
                repeated.add(event_id)
            else:
                seen.add(event_id)
    del seen
    places: list[tuple[Place, Rejection]] = [
        ((part, position), _rejection(values))
        for part, (_, rejected, _) in enumerate(surveys)
        for position, values in rejected
    ]
    dropped: list[set[int]] = [set() for _ in surveys]
    duplicates = 0
    if repeated:
        wanted = [
            [position for position, event_id in enumerate(ids) if event_id in repeated]
            for ids, _, _ in surveys
        ]
        found = [
            (part, position, event_from(item))
            for part, (positions, items) in enumerate(zip(wanted, fetch(wanted), strict=True))
            for position, item in zip(positions, items, strict=True)
        ]
        at: list[Place] = [(0, 0)]

        def in_order() -> Iterator[BaseEvent]:
            for part, position, event in found:
                at[0] = (part, position)
                yield cast(BaseEvent, event)

        def conflict(rejection: Rejection) -> None:
            places.append((at[0], rejection))

        accepted, _, duplicates = prepare(in_order(), WorkingState(), None, conflict)
        kept = {id(event) for event in accepted}
        for part, position, event in found:
            if id(event) not in kept:
                dropped[part].add(position)
    places.sort(key=lambda place: place[0])
    last = None if through is None else through.toordinal()
    booked = [
        Booked(invoice, rep, reps)
        for part, (_, _, invoices) in enumerate(surveys)
        for position, day, invoice, rep, reps in invoices
        if position not in dropped[part] and (last is None or day <= last)
    ]
    # The partition reads only what Booked has of an invoice event.
    partition = Partition(cast(list[Invoice], booked), [1.0] * parts)
    return SortedOut(dropped, [r for _, r in places], duplicates, partition)


def route(
    read: list[Encoded], dropped: set[int], through: int | None, partition: Partition
) -> tuple[int, list[list[Encoded]]]:
    """On a worker: one read part cut into each rep part's piece; and how many of its events
    wait after ``through`` (a day number; pending).

    An adjustment goes to its rep's part, an invoice's event to every part of the invoice's
    reps, an event of an invoice nobody booked to the first part (which rejects it).
    """
    pieces: list[list[Encoded]] = [[] for _ in range(partition.parts)]
    parts_of, owner_of = partition.parts_of, partition.owner_of
    pending = 0
    for position, item in enumerate(read):
        kind, values = item
        if kind == _REJECTED or position in dropped:
            continue
        fields = _AT[kind]
        if through is not None and values[fields["date"]] > through:
            pending += 1
            continue
        if kind == _ADJUSTMENT:
            pieces[owner_of(values[fields["rep"]])].append(item)
            continue
        mask = parts_of.get(values[fields["invoice"]], 1)
        for part, piece in enumerate(pieces):
            if mask >> part & 1:
                piece.append(item)
    return pending, pieces


def piece_of(routed: tuple[int, list[list[Encoded]]], part: int) -> list[Encoded]:
    """On a worker: one rep part's piece of a routed read part."""
    return routed[1][part]


def pending_of(routed: tuple[int, list[list[Encoded]]]) -> int:
    """On a worker: how many events of a routed read part wait after the end date."""
    return routed[0]


def _rejection(values: Any) -> Rejection:
    event = event_from((_REJECTED, values))
    assert isinstance(event, Rejection)
    return event
