"""The entry point: :func:`compute` turns plans and events into statements.

>>> from commission_engine import PlanBook, Plan, compute
>>> plans = PlanBook(plans=[Plan(id="std", currency="USD", level=3, rate="0.10")])
>>> result = compute(plans, [
...     {"type": "invoice", "id": "e1", "date": "2026-01-10", "invoice": "I1",
...      "rep": "ana", "amount": "110.00", "tax": "10.00"},
...     {"type": "payment", "id": "e2", "date": "2026-01-20", "invoice": "I1",
...      "amount": "55.00"},
... ])
>>> [(s.period, str(s.payout), str(s.held_balance)) for s in result.statements]
[('2026-01', '5.00', '5.00')]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import localcontext
from itertools import pairwise
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr

from .domain.engine import Engine, arrange
from .domain.errors import CommissionEngineError, RejectedEventError, Rejection, StateError
from .domain.events import FIRST_DAY, LAST_DAY, BaseEvent, parse_event
from .domain.money import EXACT
from .domain.plans import PlanBook
from .domain.state import (
    EngineState,
    InvoiceBook,
    InvoiceRecord,
    OpenInvoices,
    resume,
    save,
    saved_invoices,
)
from .domain.statements import LedgerLine, Statement
from .parallel.by_rep import compute_split, parts_for
from .parallel.collector import collector_paused

#: What :func:`compute` accepts as an event: a validated event, a raw record
#: (parsed here, without a line number), or a rejection already made by a reader.
EventInput = BaseEvent | Rejection | Mapping[str, Any]


class Result(BaseModel):
    """Statements through ``through``, what was rejected, and the state to resume from."""

    model_config = ConfigDict(frozen=True)

    through: dt.date | None
    statements: tuple[Statement, ...]
    rejected: tuple[Rejection, ...]
    pending: int
    duplicates: int
    _book: InvoiceBook | None = PrivateAttr()
    _plans: PlanBook = PrivateAttr()

    @property
    def lines(self) -> tuple[LedgerLine, ...]:
        """Every line of every statement, in statement order."""
        return tuple(line for statement in self.statements for line in statement.lines)

    def state(self) -> EngineState:
        """The engine state after this run: pass it to :func:`compute` to resume.

        A run computed with ``processes`` above 1 (split by rep, or one of the scenarios of
        :func:`~.modeling.compare_plans` computed side by side) keeps no state.
        """
        if self._book is None:
            raise StateError(
                "this run was split across processes, which keeps no engine state; "
                "compute it with processes=1 to save one"
            )
        return save(self._book, self._plans)

    def invoices(self) -> tuple[InvoiceRecord, ...]:
        """Every invoice after this run, as :meth:`state` would hold them, and nothing else.

        For reading amounts collected or outstanding: it skips what saving a whole state costs
        most, the digest of every event applied (a million events, about 4 s).
        """
        if self._book is None:
            raise StateError(
                "this run was split across processes, which keeps no engine state; "
                "compute it with processes=1 to read its invoices"
            )
        with collector_paused():  # a record or more per invoice ever booked, and no cycles
            return saved_invoices(self._book)


def compute(
    plans: PlanBook,
    events: Iterable[EventInput],
    *,
    through: dt.date | None = None,
    state: EngineState | None = None,
    strict: bool = False,
    processes: int = 1,
) -> Result:
    """Apply ``events`` under ``plans`` and net them into statements.

    Events may come in any order; they are applied by date, then type, then id.
    Events dated after ``through`` are not applied but counted as ``pending``;
    by default ``through`` is the date of the latest event applied (a rejected
    event does not extend it). With ``state``, the run resumes where
    that state left off: the statements equal those of one run over all events.
    An identical re-delivery of an event (same id, same content) is ignored and
    counted in ``duplicates``.

    In lenient mode (the default) every rejected event is listed in
    ``Result.rejected`` and the rest are applied; with ``strict=True`` the first
    rejection raises :class:`~.errors.RejectedEventError`.

    With ``processes`` above 1 (and no ``state``), a run of many events is split by rep
    across up to that many processes, forked from this one (on platforms that fork): the
    statements and rejections are the same, but the result keeps no state to resume from.
    Fork only from a process without threads of its own (a command, a script).
    """
    if state is None:
        book = InvoiceBook()
    else:
        with collector_paused():  # a book of every invoice ever booked, and no cycles
            book = resume(state, plans)
    rejected: list[Rejection] = []

    def reject(rejection: Rejection) -> None:
        if strict:
            raise RejectedEventError(rejection)
        rejected.append(rejection)

    to_apply, pending, duplicates = _to_apply(events, book, through, reject)
    with collector_paused():
        parts = 1 if state is not None else parts_for(len(to_apply), processes)
        if parts > 1:
            through, statements, rejections = compute_split(plans, to_apply, through, strict, parts)
            for rejection in rejections:
                reject(rejection)
            kept_book = None
        else:
            _, bookings = arrange(to_apply)
            through, statements = _fold(plans, book, to_apply, bookings, through, reject)
            kept_book = book

    return _result(plans, kept_book, through, statements, rejected, pending, duplicates)


def open_invoices_at(
    plans: PlanBook, events: Iterable[EventInput], ends: Sequence[dt.date]
) -> tuple[list[tuple[InvoiceRecord, ...]], Result]:
    """One lenient run through the last of ``ends`` (ascending), stopping at each end.

    At each end, the invoices with an open balance (amount less credited, paid and written
    off, not zero) as ``compute(plans, events, through=end)`` would leave them, as
    :meth:`Result.invoices` gives them; and the result of the run through the last end,
    which equals ``compute(plans, events, through=ends[-1])``. One fold, where computing
    through each end in turn would resume and save a whole state at every one.
    """
    if not ends or any(later <= earlier for earlier, later in pairwise(ends)):
        raise CommissionEngineError(f"give the days to stop at in ascending order, got {ends}")
    book = InvoiceBook()
    rejected: list[Rejection] = []
    reject = rejected.append
    to_apply, pending, duplicates = _to_apply(events, book, ends[-1], reject)
    open_at: list[tuple[InvoiceRecord, ...]] = []
    still_open = OpenInvoices(book)
    with collector_paused():
        _, bookings = arrange(to_apply)
        engine = Engine(plans, book, bookings)
        applied = 0
        with localcontext(EXACT):
            for end in ends:
                first = applied
                while applied < len(to_apply) and to_apply[applied].date <= end:
                    applied += 1
                batch = to_apply[first:applied]
                engine.fold(enumerate(batch, first), lambda _, rejected_: reject(rejected_))
                engine.advance_to(end)  # as a run through ``end`` ends
                book.through = end
                open_at.append(still_open.after(batch))
            statements = engine.statements(ends[-1])
    return open_at, _result(plans, book, ends[-1], statements, rejected, pending, duplicates)


def _result(
    plans: PlanBook,
    book: InvoiceBook | None,
    through: dt.date | None,
    statements: Iterable[Statement],
    rejected: Iterable[Rejection],
    pending: int,
    duplicates: int,
) -> Result:
    """A run's result, rejections in file order; ``book`` is its working book, or ``None``
    for a run computed elsewhere, which keeps no engine state."""
    result = Result(
        through=through,
        statements=tuple(statements),
        rejected=tuple(sorted(rejected, key=_rejection_order)),
        pending=pending,
        duplicates=duplicates,
    )
    result._book = book
    result._plans = plans
    return result


def _to_apply(
    events: Iterable[EventInput],
    book: InvoiceBook,
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
    to_apply: list[BaseEvent] = []
    pending = 0
    for event in accepted:
        if book.through is not None and event.date <= book.through:
            reject(_late(event, book.through))
        elif through is not None and event.date > through:
            pending += 1
        else:
            to_apply.append(event)
    return to_apply, pending, duplicates


def _fold(
    plans: PlanBook,
    book: InvoiceBook,
    to_apply: list[BaseEvent],
    bookings: dict[str, dt.date],
    through: dt.date | None,
    reject: Callable[[Rejection], None],
) -> tuple[dt.date | None, list[Statement]]:
    """Apply the sorted events to ``book`` in this process; the end date and statements."""
    engine = Engine(plans, book, bookings)
    with localcontext(EXACT):
        last_applied = engine.fold(enumerate(to_apply), lambda _, rejection: reject(rejection))
        if through is None:
            through = book.through if last_applied is None else last_applied
        if through is None:
            return None, []
        engine.advance_to(through)
        book.through = through
        return through, engine.statements(through)


def _distinct(
    events: Iterable[EventInput], book: InvoiceBook, reject: Any
) -> tuple[list[BaseEvent], int]:
    """Events with ids not seen before; identical re-deliveries dropped, conflicts rejected."""
    first: dict[str, BaseEvent] = {}
    seen = book.seen
    accepted: list[BaseEvent] = []
    duplicates = 0
    for item in events:
        # The concrete class first: isinstance against the Mapping ABC is slow.
        if isinstance(item, BaseEvent):
            event = item
        elif isinstance(item, Rejection):
            reject(item)
            continue
        else:
            parsed = parse_event(item)
            if isinstance(parsed, Rejection):
                reject(parsed)
                continue
            event = parsed
        earlier: BaseEvent | str | None = first.get(event.id)
        if earlier is None and seen:  # a resumed run: ids applied before count too
            earlier = seen.get(event.id)
        if earlier is None:
            first[event.id] = event
            accepted.append(event)
            continue
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


def _rejection_order(rejection: Rejection) -> tuple[bool, int, str]:
    return (rejection.line is None, rejection.line or 0, rejection.event or "")
