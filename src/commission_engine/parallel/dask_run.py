"""A run split by rep across the workers of a Dask cluster (the ``dask`` extra).

The same split as :mod:`.by_rep`, on other machines: the run is sorted out and its
:class:`~.by_rep.Partition` made (reps to parts, each invoice to the parts of its reps), and
each worker folds one part's events with the domain's :class:`~..domain.engine.Engine`, in
the spec's order, keeping the statements of the reps it owns. Events, statements and
rejections travel as :mod:`.wire`'s plain values, never as pickled models.

Events read by the workers stay there (:func:`compute_from_workers`, :mod:`.dask_route`):
the workers sort the run out between them, by hash of ids and of invoices, and send each
other the pieces of the rep parts; this process receives only the rejections, counts and
the statements. Events given to :func:`compute_on_cluster` are in this
process: each part's are inside its task, not scattered, so that the scheduler can run the
task again on another worker when its worker dies. Either way a part's fold stays in its
worker's memory between the two steps of the run (the end date is the latest date any part
applied, known only once every part has folded); if that worker dies in between, the
scheduler folds the part again from its inputs.

Nothing here imports Dask: whoever has a client has Dask, and the package works without it
(the command line imports it through :func:`~..files.extras.require` for ``--scheduler``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ..domain.engine import Engine, arrange
from ..domain.errors import RejectedEventError, Rejection
from ..domain.events import BaseEvent
from ..domain.plans import PlanBook
from ..domain.statements import Statement
from ..domain.working import WorkingState
from .by_rep import Partition, RepOwners
from .collector import paused_call
from .dask_read import ClusterEvents, task_key
from .dask_route import (
    at,
    bookings,
    ids_by_bucket,
    invoice_parts,
    items_at,
    rep_owners,
    repeated_ids,
    route,
    sort_out_ids,
)
from .wire import (
    event_from,
    event_values,
    rejection_from,
    rejection_values,
    statement_from,
    statement_values,
)

Plain = tuple[Any, ...]


def workers_of(client: Any) -> int:
    """How many workers ``client``'s cluster has now (at least one part is made)."""
    return max(1, len(client.scheduler_info().get("workers", {})))


def compute_on_cluster(
    client: Any,
    plans: PlanBook,
    events: list[BaseEvent],
    through: dt.date | None,
    strict: bool,
) -> tuple[dt.date | None, list[Statement], list[Rejection]]:
    """Fold ``events`` (distinct; sorted here, in place) on ``client``'s workers, as one run.

    Returns what :func:`.by_rep.compute_by_rep` does: the end date, the statements sorted by
    rep, period and currency, and the rejections in the order the events were applied; in
    strict mode the first rejection in that order is raised.
    """
    parts = workers_of(client)
    invoices, _ = arrange(events)
    partition = Partition(invoices, [1.0] * parts)
    pieces = [
        [[event_values(event) for _, event in partition.events_of(part, events)]]
        for part in range(parts)
    ]
    return _fold_parts(client, plans, partition, pieces, through, strict)


def compute_from_workers(
    client: Any,
    plans: PlanBook,
    events: ClusterEvents,
    through: dt.date | None,
    strict: bool,
) -> tuple[dt.date | None, list[Statement], list[Rejection], int, int]:
    """The run of the events ``client``'s workers read (:mod:`.dask_read`), left on them.

    Returns the end date, the statements sorted by rep, period and currency, the rejections
    (those of sorting out the stream in its order, then the fold's in the applied order;
    in strict mode only the first of them counts), how many events wait after ``through``
    (pending) and how many were identical re-deliveries. What needs the whole stream is done
    by hash on the workers (:mod:`.dask_route`); this process receives the exceptions.
    """
    reads = events.parts
    parts = workers_of(client)
    buckets = parts  # of ids, and of invoices: one a worker

    # Each task runs with the collector paused (paused_call), keyed by its step's name, as
    # Dask keys a task by its function's (its dashboard and logs then name the step).
    def task(function: Any, *args: Any) -> Any:
        return client.submit(paused_call, function, *args, key=task_key(function), pure=False)

    # A task on a read part runs where the part is, as long as that worker lives: Dask
    # would otherwise send a whole part (about 100 MB) to a worker idle for a moment.
    held = client.who_has(reads)

    def task_on(read: Any, function: Any, *args: Any) -> Any:
        where = held.get(read.key) or None  # none yet: wherever Dask puts it
        return client.submit(
            paused_call, function, read, *args, key=task_key(function),
            workers=where, allow_other_workers=bool(where), pure=False,
        )  # fmt: skip

    # A task's result stays on its worker while this process holds its future, or while a
    # task that needs it waits: each is let go here once the tasks that need it are given,
    # and the scheduler makes it again from its inputs if a worker dies before they ran.
    # 1. Re-deliveries and conflicting ids, each id's uses sorted out in its bucket.
    ids = [task_on(read, ids_by_bucket, buckets) for read in reads]
    repeated = [
        task(repeated_ids, [task(at, part_ids, 0, bucket) for part_ids in ids])
        for bucket in range(buckets)
    ]
    read_rejected = client.gather([task(at, part_ids, 1) for part_ids in ids])
    del ids
    placed = [
        ((part, position), values)
        for part, found in enumerate(read_rejected)
        for (_, position), values in found
    ]
    del read_rejected
    duplicates = 0
    dropped: list[list[Any]] = [[] for _ in reads]  # per read part, by id bucket
    if sum(client.gather([task(at, bucket_repeated, 1) for bucket_repeated in repeated])):
        # Every use of an id used more than once, whole, to the id's bucket.
        sorted_out = []
        for bucket_repeated in repeated:
            positions = [task(at, bucket_repeated, 0, part) for part in range(len(reads))]
            items = [
                task_on(read, items_at, part_positions)
                for read, part_positions in zip(reads, positions, strict=True)
            ]
            sorted_out.append(task(sort_out_ids, positions, items))
            for part, part_dropped in enumerate(dropped):
                part_dropped.append(task(at, sorted_out[-1], 0, part))
        found = client.gather([task(at, bucket, 1) for bucket in sorted_out])
        duplicates = sum(found)
        found = client.gather([task(at, bucket, 2) for bucket in sorted_out])
        placed.extend(conflict for conflicts in found for conflict in conflicts)
        del sorted_out, positions, items, found
    del repeated
    placed.sort(key=lambda place: place[0])
    rejected = [rejection_from(values) for _, values in placed]
    del placed
    if strict and rejected:  # the run stops at the first: nothing is folded
        return through, [], rejected, 0, duplicates
    # 2. The partition: reps to parts from their weights, invoices' parts by bucket.
    last = None if through is None else through.toordinal()
    booked = [
        task_on(read, bookings, part_dropped, last, buckets)
        for read, part_dropped in zip(reads, dropped, strict=True)
    ]
    del dropped
    owners = task(rep_owners, [task(at, part_booked, 1) for part_booked in booked], parts)
    invoices = [
        task(
            invoice_parts,
            owners,
            [task(at, part_booked, 2, bucket, 0) for part_booked in booked],
            [task(at, part_booked, 2, bucket, 1) for part_booked in booked],
        )
        for bucket in range(buckets)
    ]
    # 3. Each rep part's piece of each read part is cut where that was read; Dask moves it.
    routed = [
        task_on(
            read,
            route,
            task(at, part_booked, 0),
            last,
            owners,
            [task(at, bucket_invoices, part) for bucket_invoices in invoices],
        )
        for part, (read, part_booked) in enumerate(zip(reads, booked, strict=True))
    ]
    del booked, invoices
    pieces = [[task(at, routed_part, 1, part) for routed_part in routed] for part in range(parts)]
    pending = sum(client.gather([task(at, routed_part, 0) for routed_part in routed]))
    del routed
    through, statements, folded_rejected = _fold_parts(
        client, plans, owners, pieces, through, strict
    )
    return through, statements, rejected + folded_rejected, pending, duplicates


def _fold_parts(
    client: Any,
    plans: PlanBook,
    owners: Any,
    pieces: list[list[Any]],
    through: dt.date | None,
    strict: bool,
) -> tuple[dt.date | None, list[Statement], list[Rejection]]:
    """Fold each part from its pieces (plain values, or futures of them) on a worker; the
    end date, the statements in order, and the rejections in the applied order (in strict
    mode the first of them raised)."""
    run = uuid.uuid4().hex
    folds = [
        client.submit(
            paused_call, fold_part, plans, owners, part, part_pieces, strict,
            key=f"commission-fold-{run}-{part}", pure=False,
        )
        for part, part_pieces in enumerate(pieces)
    ]  # fmt: skip
    pieces.clear()  # the folds hold them now, until they have folded
    try:
        summaries = client.gather(
            [client.submit(summary, fold, key=f"commission-summary-{run}-{p}", pure=False)
             for p, fold in enumerate(folds)]
        )  # fmt: skip
        # An event of an invoice shared by two parts is rejected by both: once in the run.
        # (Events are numbered by their place in the spec's order: date, type, id.)
        rejected = sorted(
            {number: values for _, found in summaries for number, *values in found}.items()
        )
        if strict and rejected:
            raise RejectedEventError(rejection_from(rejected[0][1]))
        if through is None:
            through = max(
                (dt.date.fromordinal(last) for last, _ in summaries if last is not None),
                default=None,
            )
        statements: list[Statement] = []
        if through is not None:
            day = through.toordinal()
            sent = [
                client.submit(
                    paused_call, statements_of, fold, day,
                    key=f"commission-statements-{run}-{part}", pure=False,
                )
                for part, fold in enumerate(folds)
            ]  # fmt: skip
            for part_sent in sent:  # one part's plain values here at a time, rebuilt
                statements.extend(statement_from(values) for values in part_sent.result())
            statements.sort(key=lambda s: (s.rep, s.period, s.currency))
        return through, statements, [rejection_from(values) for _, values in rejected]
    finally:
        client.cancel(folds)


#: About what a fold holds for each event it applied (the engine's book; docs/scaling.md).
FOLD_BYTES_PER_EVENT = 1_000


class FoldedPart:
    """One part's fold, kept in its worker's memory until its statements are taken."""

    def __init__(
        self, engine: Engine, reps: set[str], last: int | None, rejected: list[Plain], events: int
    ) -> None:
        self.engine = engine
        self.reps = reps
        self.last = last
        self.rejected = rejected
        self.events = events

    def __sizeof__(self) -> int:
        # What Dask's scheduler takes for the cost of moving the fold to another worker
        # (``sys.getsizeof``): without it, a few bytes, and an idle worker would steal the
        # fold's next task and have the whole engine pickled over to it.
        return self.events * FOLD_BYTES_PER_EVENT


def fold_part(
    plans: PlanBook, owners: RepOwners, part: int, pieces: list[list[Any]], strict: bool
) -> FoldedPart:
    """On a worker: apply one part's events (its pieces, in any order), in the spec's order.

    Each event is numbered by its sort key, the same in every part: an invoice's events
    are all in each part that applies any, so the part's bookings are the run's.
    """
    events = [event_from(values) for piece in pieces for values in piece]
    count = len(events)
    _, bookings = arrange(events)  # type: ignore[arg-type]
    engine = Engine(plans, WorkingState(), bookings)
    rejected: list[Plain] = []

    def reject(number: Any, rejection: Rejection) -> None:
        rejected.append((number, *rejection_values(rejection)))
        if strict:  # the run raises: nothing after the first rejection is needed
            raise RejectedEventError(rejection)

    numbered = ((event.sort_key(), event) for event in events)  # type: ignore[union-attr]
    last = None
    try:
        applied = engine.fold(numbered, reject)  # type: ignore[arg-type]
        last = None if applied is None else applied.toordinal()
    except RejectedEventError:
        pass
    del events
    reps = {rep for rep, _ in engine.book.ledgers if owners.owner_of(rep) == part}
    return FoldedPart(engine, reps, last, rejected, count)


def summary(folded: FoldedPart) -> tuple[int | None, list[Plain]]:
    """On a worker: the date of the last event the part applied, and what it rejected."""
    return folded.last, folded.rejected


def statements_of(folded: FoldedPart, through: int) -> tuple[Plain, ...]:
    """On a worker: the statements through ``through`` of the reps this part owns (a tuple,
    sent in one piece: :func:`.dask_route.sent`)."""
    day = dt.date.fromordinal(through)
    folded.engine.advance_to(day)
    return tuple(statement_values(s) for s in folded.engine.statements(day, folded.reps))
