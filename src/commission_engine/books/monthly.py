"""The monthly run on a ledger that keeps its events: the event file given adds to them.

``payouts --ledger`` and ``close`` are given an event file: a month's new events (after an
``ingest`` of them, or instead of one), or the whole history as before. Either way the file's
events that the ledger already holds (same id, same digest) are known and not folded again;
the run folds, from the latest close's state, only the events that close did not fold
(:func:`.closing.reopen_since`). A ledger written before it kept events is run as before,
over the whole file, and its next close keeps the file's events from then on. When some of
them are late for the closed periods, or corrections of events they folded,
``payouts --ledger`` and ``close`` recompute from the history only the reps they concern
(:mod:`.concerned`; a correction concerns the reps of what it said before too, which the
store keeps); a close then keeps their recomputed state in place of what it kept of them.
"""

from __future__ import annotations

import datetime as dt
from collections import ChainMap
from collections.abc import Iterable, Mapping

from ..api import EventInput
from ..domain.errors import Rejection
from ..domain.events import BaseEvent
from ..domain.plans import PlanBook
from .closing import ClosedBook, ClosedRun, close, close_since, reopen_and_compute, reopen_since
from .store import Held, Stored


def reopen_with_ledger(
    plans: PlanBook,
    events: Iterable[BaseEvent | Rejection],
    closed: ClosedBook | None,
    stored: Stored | None,
    *,
    through: dt.date | None = None,
    strict: bool = False,
    processes: int = 1,
) -> ClosedRun:
    """The open periods against ``closed``, with the events of a file (``events``) on top
    of those ``stored`` (nothing is written: a reader's run)."""
    if stored is None or not stored.complete:
        return reopen_and_compute(
            plans, events, closed, through=through, strict=strict, processes=processes
        )
    since = stored.since()
    known = _known(closed, since)
    given: list[BaseEvent | Rejection] = []
    corrected: set[str] = set()
    for event in events:
        if not isinstance(event, Rejection):
            current = known.get(event.id)
            if current == event.digest():
                continue  # in the ledger already
            if current is not None:
                corrected.add(event.id)
        given.append(event)

    def history() -> list[BaseEvent | Rejection]:
        return [e for e in stored.history() if e.id not in corrected] + given

    new: list[EventInput] = [e for e in since if e.id not in corrected]
    new.extend(given)
    return reopen_since(
        plans,
        new,
        closed,
        history,
        through=through,
        strict=strict,
        processes=processes,
        only_concerned=True,  # a reader's run: no state to save, so no need to recompute all
        earlier=stored.versions,  # what a corrected event said before: the store keeps it
    )


def close_with_ledger(
    plans: PlanBook,
    events: Iterable[BaseEvent | Rejection],
    period: str,
    held: Held,
    *,
    strict: bool = False,
) -> tuple[ClosedBook, ClosedRun]:
    """Keep the new and corrected events of a file in the ledger ``held``, then close
    ``period`` from the latest close's state over the events it did not fold."""
    closed = held.previous
    stored = held.stored()
    if stored is None or not stored.complete:
        # A ledger from before it kept events: closed over the whole file as before, and
        # every event of the file kept from now on.
        given = list(events)
        held.deliver(given)
        return close(plans, given, period, closed, strict=strict)
    delivery = held.deliver(events, _known(closed, stored.since()))
    since: list[EventInput] = [*delivery.rejected, *stored.since()]
    return close_since(
        plans, since, period, closed, stored.history, strict=strict, earlier=stored.versions
    )


def _known(closed: ClosedBook | None, since: list[BaseEvent]) -> Mapping[str, str]:
    """Id -> the digest of its current event, for the events of ``closed`` and ``since``
    (those of ``closed`` looked up one by one, as the file's events ask for them)."""
    given = {event.id: event.digest() for event in since}
    return given if closed is None else ChainMap(given, closed.events)  # type: ignore[arg-type]
