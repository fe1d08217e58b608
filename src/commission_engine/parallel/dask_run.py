"""A run split by rep across the workers of a Dask cluster (the ``dask`` extra).

The same split as :mod:`.by_rep`, on other machines: the run is sorted out and its
:class:`~.by_rep.Partition` made (reps to parts, each invoice to the parts of its reps), and
each worker folds one part's events with the domain's :class:`~..domain.engine.Engine`, in
the spec's order, keeping the statements of the reps it owns. Events, statements and
rejections travel as :mod:`.wire`'s plain values, never as pickled models.

Events read by the workers stay there (:func:`compute_from_workers`, :mod:`.dask_route`):
this process sorts out the run from what it needs of each event, and the workers send each
other the pieces of the rep parts. Events given to :func:`compute_on_cluster` are in this
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
from ..domain.state import WorkingState
from ..domain.statements import Statement
from .by_rep import Partition
from .dask_read import ClusterEvents
from .dask_route import items_at, pending_of, piece_of, route, sort_out, survey
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
    (pending) and how many were identical re-deliveries.
    """
    reads = events.parts
    surveys = client.gather([client.submit(survey, read, pure=False) for read in reads])

    def fetch(wanted: list[list[int]]) -> list[list[Any]]:
        found = client.gather(
            [client.submit(items_at, read, positions, pure=False) if positions else []
             for read, positions in zip(reads, wanted, strict=True)]
        )  # fmt: skip
        return found  # type: ignore[no-any-return]

    parts = workers_of(client)
    decided = sort_out(surveys, fetch, through, parts)
    del surveys
    if strict and decided.rejected:  # the run stops at the first: nothing is folded
        return through, [], decided.rejected, 0, decided.duplicates
    partition = client.submit(_same, decided.partition, pure=False)
    last = None if through is None else through.toordinal()
    routed = [
        client.submit(route, read, dropped, last, partition, pure=False)
        for read, dropped in zip(reads, decided.dropped, strict=True)
    ]
    # Each rep part's piece of each read part is cut where that was read; Dask moves it.
    pieces = [
        [client.submit(piece_of, routed_part, part, pure=False) for routed_part in routed]
        for part in range(parts)
    ]
    try:
        pending = sum(client.gather([client.submit(pending_of, r, pure=False) for r in routed]))
        through, statements, rejected = _fold_parts(
            client, plans, partition, pieces, through, strict
        )
    finally:
        client.cancel([partition, *routed, *(piece for part in pieces for piece in part)])
    return through, statements, decided.rejected + rejected, pending, decided.duplicates


def _same(value: Any) -> Any:
    """On a worker: ``value``, made a task's result so that Dask can move it, and make it
    again after a worker dies."""
    return value


def _fold_parts(
    client: Any,
    plans: PlanBook,
    partition: Any,
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
            fold_part, plans, partition, part, part_pieces, strict,
            key=f"commission-fold-{run}-{part}", pure=False,
        )
        for part, part_pieces in enumerate(pieces)
    ]  # fmt: skip
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
            sent = client.gather(
                [
                    client.submit(
                        statements_of, fold, day,
                        key=f"commission-statements-{run}-{part}", pure=False,
                    )
                    for part, fold in enumerate(folds)
                ]
            )  # fmt: skip
            statements = [statement_from(values) for chunk in sent for values in chunk]
            statements.sort(key=lambda s: (s.rep, s.period, s.currency))
        return through, statements, [rejection_from(values) for _, values in rejected]
    finally:
        client.cancel(folds)


class FoldedPart:
    """One part's fold, kept in its worker's memory until its statements are taken."""

    def __init__(
        self, engine: Engine, reps: set[str], last: int | None, rejected: list[Plain]
    ) -> None:
        self.engine = engine
        self.reps = reps
        self.last = last
        self.rejected = rejected


def fold_part(
    plans: PlanBook, partition: Partition, part: int, pieces: list[list[Any]], strict: bool
) -> FoldedPart:
    """On a worker: apply one part's events (its pieces, in any order), in the spec's order.

    Each event is numbered by its sort key, the same in every part: an invoice's events
    are all in each part that applies any, so the part's bookings are the run's.
    """
    events = [event_from(values) for piece in pieces for values in piece]
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
    reps = {rep for rep, _ in engine.book.ledgers if partition.owner_of(rep) == part}
    return FoldedPart(engine, reps, last, rejected)


def summary(folded: FoldedPart) -> tuple[int | None, list[Plain]]:
    """On a worker: the date of the last event the part applied, and what it rejected."""
    return folded.last, folded.rejected


def statements_of(folded: FoldedPart, through: int) -> list[Plain]:
    """On a worker: the statements through ``through`` of the reps this part owns."""
    day = dt.date.fromordinal(through)
    folded.engine.advance_to(day)
    return [statement_values(s) for s in folded.engine.statements(day, folded.reps)]
