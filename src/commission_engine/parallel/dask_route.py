"""A run whose events stay on the workers that read them, sorted out and moved there.

The workers hold the parts they read (:mod:`.dask_read`) as :mod:`.wire`'s plain values.
What needs the whole stream is done by hash on the workers, so that no process holds
something of every event:

1. **Re-deliveries and conflicting ids.** Each read part sends each event's id, with its
   position, to the id's bucket (a checksum of the id modulo the buckets); each bucket finds
   the ids used more than once. The events with those ids (few, usually none) go whole to
   their bucket, which sorts them out in stream order with the domain's own
   :func:`~..domain.run.prepare`: the first in stream order is kept, an identical
   re-delivery dropped, other content rejected, with the same reasons as a local run.
2. **The partition.** Each read part counts its invoice events by rep (the weights of
   :class:`~.by_rep.RepOwners`, summed on one worker into the owner of each rep), and sends
   each booking (invoice, rep, split reps) and each invoice its events name to the invoice's
   bucket; each bucket gives each read part the parts (a bit mask) of the invoices it names.
3. **The pieces.** Each read part is cut where it was read into each rep part's piece (the
   dropped events left out, those after the end date counted as pending), and Dask moves the
   pieces to the workers that fold them (:mod:`.dask_run`).

The calling process receives only the exceptions and counts: the readers' rejections and
the conflicting ids' with their places, how many ids were re-delivered, how many events
wait. Every step is a task with its inputs: if a worker dies, the scheduler computes what
it held again, from the file if need be.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any, cast

from ..domain.errors import Rejection
from ..domain.events import EVENT_CLASSES, Adjustment, BaseEvent, Invoice
from ..domain.run import prepare
from ..domain.working import WorkingState
from .by_rep import RepOwners
from .wire import SENT_FIELDS, event_from, rejection_values

#: An event or a reader's rejection as plain values (:func:`.wire.event_values`).
Encoded = tuple[int, Any]
#: Where an item is in the stream: its read part, and its position in that part.
Place = tuple[int, int]
#: A rejection with its place, as plain values.
Placed = tuple[Place, tuple[Any, ...]]

# Where each field is in an event's plain values (:func:`.wire.event_values`).
_AT = [{name: at for at, name in enumerate(names)} for names in SENT_FIELDS]
_INVOICE = EVENT_CLASSES.index(Invoice)
_ADJUSTMENT = EVENT_CLASSES.index(Adjustment)
_REJECTED = -1


def bucket_of(key: str, buckets: int) -> int:
    """The bucket of an id or an invoice: the same in every process (``hash`` of a string
    is not)."""
    return zlib.crc32(key.encode()) % buckets


def at(value: Any, *index: int) -> Any:
    """On a worker: ``value[index]``: a piece of a task's result, made a task's result in
    turn so that Dask moves only that piece; a list as a tuple (:func:`sent`)."""
    for step in index:
        value = value[step]
    return sent(value)


def sent(value: Any) -> Any:
    """``value`` as a task gives it to be sent to another process: a list as a tuple.

    Dask serializes a list between processes item by item (each pickled on its own, with
    its bookkeeping: 1.4 s for 200,000 items), a tuple of plain values in one pickle (0.1 s).
    """
    return tuple(value) if type(value) is list else value


# 1. Re-deliveries and conflicting ids --------------------------------------------------


def ids_by_bucket(
    read: Sequence[Encoded], buckets: int
) -> tuple[list[tuple[list[int], list[str]]], list[Placed]]:
    """On a worker: a read part's ids by bucket (their positions, and the ids), and its
    reader's rejections with their positions."""
    pieces: list[tuple[list[int], list[str]]] = [([], []) for _ in range(buckets)]
    rejected: list[Placed] = []
    for position, (kind, values) in enumerate(read):
        if kind == _REJECTED:
            rejected.append(((0, position), values))  # the caller knows the part
            continue
        event_id = values[_AT[kind]["id"]]
        positions, ids = pieces[bucket_of(event_id, buckets) if buckets > 1 else 0]
        positions.append(position)
        ids.append(event_id)
    return pieces, rejected


def repeated_ids(pieces: list[tuple[list[int], list[str]]]) -> tuple[list[list[int]], int]:
    """On a worker: of one bucket's ids from every read part (in stream order), the
    positions in each part of the ids used more than once; and how many such ids."""
    seen: set[str] = set()
    repeated: set[str] = set()
    for _, ids in pieces:
        for event_id in ids:
            if event_id in seen:
                repeated.add(event_id)
            else:
                seen.add(event_id)
    del seen
    if not repeated:
        return [[] for _ in pieces], 0
    positions_of = [
        [where for where, event_id in zip(positions, ids, strict=True) if event_id in repeated]
        for positions, ids in pieces
    ]  # fmt: skip
    return positions_of, len(repeated)


def items_at(read: Sequence[Encoded], positions: list[int]) -> list[Encoded]:
    """On a worker: the items of one read part at ``positions``."""
    return [read[position] for position in positions]


def sort_out_ids(
    positions: list[list[int]], items: list[list[Encoded]]
) -> tuple[list[list[int]], int, list[Placed]]:
    """On a worker: one bucket's events whose ids are used more than once (every event of
    each such id, from each read part, in stream order), sorted out as a local run does.

    Returns, per read part, the positions of the events not applied; how many were identical
    re-deliveries; and the rejections of conflicting ids with their places.
    """
    found = [
        (part, position, event_from(item))
        for part, (part_positions, part_items) in enumerate(zip(positions, items, strict=True))
        for position, item in zip(part_positions, part_items, strict=True)
    ]
    place: list[Place] = [(0, 0)]
    conflicts: list[Placed] = []

    def in_order() -> Iterator[BaseEvent]:
        for part, position, event in found:
            place[0] = (part, position)
            yield cast(BaseEvent, event)

    def conflict(rejection: Rejection) -> None:
        conflicts.append((place[0], rejection_values(rejection)))

    # Every use of an id is here, so ``prepare`` decides each as it would over the stream.
    accepted, _, duplicates = prepare(in_order(), WorkingState(), None, conflict)
    kept = {id(event) for event in accepted}
    dropped: list[list[int]] = [[] for _ in positions]
    for part, position, event in found:
        if id(event) not in kept:
            dropped[part].append(position)
    return dropped, duplicates, conflicts


# 2. The partition ----------------------------------------------------------------------

#: A read part's share of the partition: the positions it drops; its invoice events by rep;
#: by invoice bucket, its bookings (invoice, rep, split reps) and the invoices it names.
Booked = tuple[
    set[int],
    Counter[str],
    list[tuple[list[tuple[str, str | None, tuple[str, ...]]], set[str]]],
]


def bookings(
    read: Sequence[Encoded], dropped: list[list[int]], through: int | None, buckets: int
) -> Booked:
    """On a worker: what the partition needs of one read part (``dropped``: its positions
    dropped, by id bucket; ``through``: the end date's day number)."""
    gone = {position for positions in dropped for position in positions}
    weights: Counter[str] = Counter()
    by_bucket: list[tuple[list[tuple[str, str | None, tuple[str, ...]]], set[str]]] = [
        ([], set()) for _ in range(buckets)
    ]
    at_rep, at_splits = _AT[_INVOICE]["rep"], _AT[_INVOICE]["splits"]
    for position, (kind, values) in enumerate(read):
        if kind in (_REJECTED, _ADJUSTMENT) or position in gone:
            continue
        if through is not None and values[_AT[kind]["date"]] > through:
            continue  # pending: neither booked nor routed
        invoice = values[_AT[kind]["invoice"]]
        booked, named = by_bucket[bucket_of(invoice, buckets) if buckets > 1 else 0]
        named.add(invoice)
        if kind != _INVOICE:
            continue
        rep, splits = values[at_rep], values[at_splits]
        reps = () if splits is None else tuple(split_rep for split_rep, _ in splits)
        # Weighed as :class:`~.by_rep.Partition` weighs: a rep, or each rep of a split.
        weights.update((rep,) if rep is not None else reps)
        booked.append((invoice, rep, reps))
    return gone, weights, by_bucket


def rep_owners(weights: list[Counter[str]], parts: int) -> RepOwners:
    """On a worker: each rep's part, from every read part's invoice events by rep."""
    total: Counter[str] = Counter()
    for part_weights in weights:
        total.update(part_weights)
    return RepOwners(total, [1.0] * parts)


def invoice_parts(
    owners: RepOwners,
    booked: list[list[tuple[str, str | None, tuple[str, ...]]]],
    named: list[set[str]],
) -> list[dict[str, int]]:
    """On a worker: one bucket's invoices' parts (bit masks) from their bookings in every
    read part; per read part, those of the invoices it names (an invoice nobody booked has
    none: its events go to the first part, which rejects them)."""
    bit = {rep: 1 << part for rep, part in owners.owner.items()}
    parts_of: dict[str, int] = {}
    for part_booked in booked:
        for invoice, rep, reps in part_booked:
            # Applied wherever a rep of any of its bookings is, as in :class:`.by_rep.Partition`.
            mask = bit[rep] if rep is not None else sum({bit[split] for split in reps})
            parts_of[invoice] = parts_of.get(invoice, 0) | mask
    return [
        {invoice: parts_of[invoice] for invoice in part_named if invoice in parts_of}
        for part_named in named
    ]


# 3. The pieces -------------------------------------------------------------------------


def route(
    read: Sequence[Encoded],
    dropped: set[int],
    through: int | None,
    owners: RepOwners,
    parts_of: list[dict[str, int]],
) -> tuple[int, list[list[Encoded]]]:
    """On a worker: one read part cut into each rep part's piece; and how many of its events
    wait after ``through`` (a day number; pending).

    ``dropped``: the positions not applied. An adjustment goes to its rep's part, an
    invoice's event to every part of the invoice's reps (``parts_of``: by invoice bucket,
    those of the invoices this part names), an event
    of an invoice nobody booked to the first part (which rejects it).
    """
    masks: dict[str, int] = {}
    for bucket in parts_of:
        masks.update(bucket)
    pieces: list[list[Encoded]] = [[] for _ in range(owners.parts)]
    owner_of = owners.owner_of
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
        mask = masks.get(values[fields["invoice"]], 1)
        for part, piece in enumerate(pieces):
            if mask >> part & 1:
                piece.append(item)
    return pending, pieces
