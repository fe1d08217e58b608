"""A run split by rep across the workers of a Dask cluster (the ``dask`` extra).

The same split as :mod:`.by_rep`, on other machines: this process sorts the run and makes its
:class:`~.by_rep.Partition` (reps to parts, each invoice to the parts of its reps), and each
worker folds one part's events with the domain's :class:`~..domain.engine.Engine`, keeping
the statements of the reps it owns. Events, statements and rejections travel as
:mod:`.wire`'s plain values, never as pickled models.

Each part's events are inside its task, not scattered: the scheduler can run a task again
on another worker when its worker dies, which data held only by that worker would not allow.
A part's fold stays in its worker's memory between the two steps of the run (the end date
is the latest date any part applied, known only once every part has folded); if that worker
dies in between, the scheduler folds the part again from its task.

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
    invoices, bookings = arrange(events)
    partition = Partition(invoices, [1.0] * parts)
    run = uuid.uuid4().hex
    folds = []
    for part in range(parts):
        numbered = list(partition.events_of(part, events))
        mine = bookings.keys() & {getattr(event, "invoice", None) for _, event in numbered}
        folds.append(
            client.submit(
                fold_part,
                plans,
                [(number, event_values(event)) for number, event in numbered],
                {invoice: bookings[invoice].toordinal() for invoice in mine},
                strict,
                key=f"commission-fold-{run}-{part}",
                pure=False,
            )
        )
    owners: list[set[str]] = [set() for _ in range(parts)]
    for rep, part in partition.owner.items():  # every rep of the run has an owner by now
        owners[part].add(rep)
    try:
        summaries = client.gather(
            [client.submit(summary, fold, key=f"commission-summary-{run}-{p}", pure=False)
             for p, fold in enumerate(folds)]
        )  # fmt: skip
        # An event of an invoice shared by two parts is rejected by both: once in the run.
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
                        statements_of, fold, day, owners[part],
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

    def __init__(self, engine: Engine, last: int | None, rejected: list[Plain]) -> None:
        self.engine = engine
        self.last = last
        self.rejected = rejected


def fold_part(
    plans: PlanBook, numbered: list[tuple[int, Any]], bookings: dict[str, int], strict: bool
) -> FoldedPart:
    """On a worker: apply one part's numbered events (in the spec's order already)."""
    engine = Engine(
        plans,
        WorkingState(),
        {invoice: dt.date.fromordinal(day) for invoice, day in bookings.items()},
    )
    rejected: list[Plain] = []

    def reject(number: int, rejection: Rejection) -> None:
        rejected.append((number, *rejection_values(rejection)))
        if strict:  # the run raises: nothing after the first rejection is needed
            raise RejectedEventError(rejection)

    events = ((number, event_from(values)) for number, values in numbered)
    last = None
    try:
        applied = engine.fold(events, reject)  # type: ignore[arg-type]
        last = None if applied is None else applied.toordinal()
    except RejectedEventError:
        pass
    return FoldedPart(engine, last, rejected)


def summary(folded: FoldedPart) -> tuple[int | None, list[Plain]]:
    """On a worker: the date of the last event the part applied, and what it rejected."""
    return folded.last, folded.rejected


def statements_of(folded: FoldedPart, through: int, reps: set[str]) -> list[Plain]:
    """On a worker: the statements through ``through`` of the reps this part owns."""
    day = dt.date.fromordinal(through)
    folded.engine.advance_to(day)
    return [statement_values(s) for s in folded.engine.statements(day, reps)]
