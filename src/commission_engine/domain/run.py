"""The run in one process: which events to apply, the fold over them, the statements.

:func:`prepare` sorts out the events given (re-deliveries, conflicting ids, events already
behind a resumed state, events after the end date); :func:`fold` applies the rest to a
working state in the spec's order and nets the statements. :func:`~..api.compute` does the
same across processes (``parallel.by_rep``), part by part, with these same steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from .engine import Engine, arrange
from .errors import CommissionEngineError, Rejection, StateError
from .events import EVENT_CLASS_SET, FIRST_DAY, LAST_DAY, BaseEvent, parse_event
from .plans import PlanBook
from .statements import Statement
from .working import WorkingState

if TYPE_CHECKING:  # the saved state is imported where a run stops to save its invoices
    from .state import InvoiceRecord

#: What a run accepts as an event: a validated event, a raw record (parsed here, without a
#: line number), or a rejection already made by a reader.
EventInput = BaseEvent | Rejection | Mapping[str, Any]


def prepare(
    events: Iterable[EventInput],
    book: WorkingState,
    through: dt.date | None,
    reject: Callable[[Rejection], None],
) -> tuple[list[BaseEvent], int, int]:
    """The distinct events to apply through ``through``; how many wait after it (pending);
    how many were identical re-deliveries."""
    if through is not None and not FIRST_DAY <= through <= LAST_DAY:
        raise CommissionEngineError(
            f"cannot compute through {through}: dates go from {FIRST_DAY} to {LAST_DAY}"
        )
    accepted, duplicates = _distinct(events, book, reject)
    if book.through is not None and through is not None and through < book.through:
        raise StateError(
            f"cannot compute through {through}: the state is already at {book.through}"
        )
    computed_through = book.through
    if computed_through is None and through is None:
        return accepted, 0, duplicates  # nothing applied before, no end: every event applies
    to_apply: list[BaseEvent] = []
    pending = 0
    for event in accepted:
        if computed_through is not None and event.date <= computed_through:
            reject(_late(event, computed_through))
        elif through is not None and event.date > through:
            pending += 1
        else:
            to_apply.append(event)
    return to_apply, pending, duplicates


def fold(
    plans: PlanBook,
    book: WorkingState,
    to_apply: list[BaseEvent],
    bookings: dict[str, dt.date],
    through: dt.date | None,
    reject: Callable[[Rejection], None],
) -> tuple[dt.date | None, list[Statement]]:
    """Apply the sorted events to ``book`` in this process; the end date and statements."""
    engine = Engine(plans, book, bookings)
    last_applied = engine.fold(enumerate(to_apply), lambda _, rejection: reject(rejection))
    if through is None:
        through = book.through if last_applied is None else last_applied
    if through is None:
        return None, []
    engine.advance_to(through)
    book.through = through
    return through, engine.statements(through)


def fold_stopping_at(
    plans: PlanBook,
    book: WorkingState,
    to_apply: list[BaseEvent],
    ends: Sequence[dt.date],
    reject: Callable[[Rejection], None],
) -> tuple[list[tuple[InvoiceRecord, ...]], list[Statement]]:
    """:func:`fold` through the last of ``ends`` (ascending), stopping at each end: the
    invoices open at each (as :meth:`~..api.Result.invoices` gives them) and the statements."""
    from .state import OpenInvoices  # the saved state: only a run that saves its invoices

    if not ends or any(later <= earlier for earlier, later in pairwise(ends)):
        raise CommissionEngineError(f"give the days to stop at in ascending order, got {ends}")
    open_at: list[tuple[InvoiceRecord, ...]] = []
    still_open = OpenInvoices(book)
    _, bookings = arrange(to_apply)
    engine = Engine(plans, book, bookings)
    applied = 0
    for end in ends:
        first = applied
        while applied < len(to_apply) and to_apply[applied].date <= end:
            applied += 1
        batch = to_apply[first:applied]
        engine.fold(enumerate(batch, first), lambda _, rejected: reject(rejected))
        engine.advance_to(end)  # as a run through ``end`` ends
        book.through = end
        open_at.append(still_open.after(batch))
    return open_at, engine.statements(ends[-1])


def _distinct(
    events: Iterable[EventInput], book: WorkingState, reject: Any
) -> tuple[list[BaseEvent], int]:
    """Events with ids not seen before; identical re-deliveries dropped, conflicts rejected."""
    first: dict[str, BaseEvent] = {}
    seen = book.seen
    accepted: list[BaseEvent] = []
    duplicates = 0
    for item in events:
        # The event classes first, by a set lookup: isinstance against a Struct class looks up
        # its metaclass's __instancecheck__ each time, and against the Mapping ABC is slower.
        if type(item) in EVENT_CLASS_SET or isinstance(item, BaseEvent):
            event: BaseEvent = item  # type: ignore[assignment]
        elif isinstance(item, Rejection):
            reject(item)
            continue
        else:
            parsed = parse_event(item)
            if isinstance(parsed, Rejection):
                reject(parsed)
                continue
            event = parsed
        # A new id (tested with ``in``: most ids are new, and a call of ``get`` costs more);
        # on a resumed run, ids applied before count too.
        key = event.id
        if key not in first and not (seen and key in seen):
            first[key] = event
            accepted.append(event)  # (written so, Python 3.11 appends in one step: no call)
            continue
        earlier: BaseEvent | str = first[key] if key in first else seen[key]
        earlier_digest = earlier if isinstance(earlier, str) else earlier.digest()
        if earlier_digest == event.digest():
            duplicates += 1
            continue
        where = (
            f" on line {earlier.line}"
            if isinstance(earlier, BaseEvent) and earlier.line is not None
            else ""
        )
        reject(
            Rejection(
                event=event.id,
                line=event.line,
                field="id",
                reason=f"event id {event.id} was already used{where} for different content; "
                "give the correction a new id",
            )
        )
    return accepted, duplicates


def _late(event: BaseEvent, computed_through: dt.date) -> Rejection:
    return Rejection(
        event=event.id,
        line=event.line,
        field="date",
        reason=f"dated {event.date}, on or before {computed_through}, the date the saved "
        "state was already computed through",
    )


def rejection_order(rejection: Rejection) -> tuple[bool, int, str]:
    return (rejection.line is None, rejection.line or 0, rejection.event or "")
