"""Closed periods: paid statements never change; late events roll forward (SEMANTICS.md 10).

Closing month ``P`` records, per rep and currency, the statements of every period through
``P`` as paid, with the ids and digests of the events they came from and the engine state to
resume from: a :class:`ClosedBook`, plain data a payroll system can keep anywhere.

:func:`reopen_and_compute` computes the open periods against a closed book. Closed
statements are shown as recorded. When nothing behind the closed periods changed, the
engine resumes from the saved state over the new events only; otherwise it recomputes from
all events, and the difference in closed periods' gross is posted as one
``prior_period_adjustment`` line in the first open period, whose netting starts from the
closed debt.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Literal, overload

from pydantic import BaseModel, ConfigDict, PrivateAttr

from ..api import EventInput, Result, compute
from ..domain.errors import CommissionEngineError, Rejection
from ..domain.events import BaseEvent, parse_event
from ..domain.money import ZERO
from ..domain.plans import PlanBook
from ..domain.state import AppliedDigests, EngineState, without_lines
from ..domain.statements import (
    LedgerLine,
    PeriodTotals,
    Statement,
    last_day,
    net_periods,
    period_of,
)
from .concerned import Recomputed, recompute_concerned

_FROZEN = ConfigDict(frozen=True)


class ClosingError(CommissionEngineError):
    """A close that cannot be done: out of order, or a period already closed."""


def by_rep(statement: Statement) -> tuple[str, str, str]:
    """The order of a book's statements: by rep, period, currency."""
    return (statement.rep, statement.period, statement.currency)


class KeptStatements(Sequence[Statement]):
    """The closed statements of a book kept in a ledger (issue 19): each rep's last one (per
    currency) at hand, the others read from the ledger only when asked for.

    A close needs of the statements paid only each rep's debt when nothing behind the closed
    periods moved; the history's statements are then never read. ``read`` gives those the
    ledger keeps (valid while its connection is open), ``added`` those a close adds on top;
    ``source`` is the ledger's own note of where the kept ones are.
    """

    def __init__(
        self,
        last: Mapping[tuple[str, str], Statement],
        size: int,
        read: Callable[[], Iterable[Statement]],
        *,
        added: tuple[Statement, ...] = (),
        source: Any = None,
        texts: Any = None,
    ) -> None:
        self.last = last
        self.size = size
        self.read = read
        self.added = added
        self.source = source
        #: The ledger's printed texts of these statements (:class:`~.store.KeptTexts`), or
        #: ``None``: a run prints them by copying those, not by reading these (issue 19).
        self.texts = texts
        self._all: tuple[Statement, ...] | None = None

    def with_added(self, statements: Iterable[Statement]) -> KeptStatements:
        """These statements with ``statements`` closed on top of them."""
        added = tuple(statements)
        last = dict(self.last)
        for statement in sorted(added, key=lambda s: s.period):
            last[(statement.rep, statement.currency)] = statement
        return KeptStatements(
            last, self.size, self.read, added=self.added + added, source=self.source
        )

    def whole(self) -> tuple[Statement, ...]:
        """Every statement, sorted as a book holds them (history-sized: read once, kept)."""
        if self._all is None:
            self._all = tuple(sorted((*self.read(), *self.added), key=by_rep))
        return self._all

    def __len__(self) -> int:
        return self.size + len(self.added)

    def __iter__(self) -> Iterator[Statement]:
        return iter(self.whole())

    @overload
    def __getitem__(self, index: int) -> Statement: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Statement, ...]: ...

    def __getitem__(self, index: int | slice) -> Statement | tuple[Statement, ...]:
        return self.whole()[index]

    def __add__(self, other: tuple[Statement, ...]) -> tuple[Statement, ...]:
        return self.whole() + other

    def __eq__(self, other: object) -> bool:
        if isinstance(other, KeptStatements | tuple):
            return self.whole() == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class ClosedBook(BaseModel):
    """Everything paid through ``period``: the record a close produces, and the next one reads.

    ``statements`` are every closed statement of every close so far, as paid.
    ``state`` is the engine state computed through the last day of ``period``, its ledgers
    holding each period's totals but not its lines: those are in ``statements``, and a book
    holds the whole history, so it holds them once.
    ``rejected`` are the events dated in closed periods that were rejected (by id, with the
    digest of what was rejected), so that the same rejected event is not taken for a late one.

    Books written before December 2026 also stored ``events`` (the state's, again) and the
    state's lines; they still load, and resume the same.
    """

    model_config = _FROZEN

    period: str
    statements: tuple[Statement, ...]
    rejected: dict[str, str] = {}
    state: EngineState

    @property
    def events(self) -> Mapping[str, str]:
        """The id of every event applied through ``period``, with its digest (looked up in
        the ledger, for a book read from one without loading its state)."""
        return self.state.applied


class EventChange(BaseModel):
    """An event behind a closed period that is new, corrected or gone."""

    model_config = _FROZEN

    event: str
    change: Literal["late", "changed", "removed"]
    line: int | None = None


class ClosedRun(BaseModel):
    """Closed statements as recorded, then the open periods computed against them."""

    model_config = _FROZEN

    closed: tuple[Statement, ...]
    open: tuple[Statement, ...]
    changes: tuple[EventChange, ...]
    #: Events rejected at an earlier close and still rejected (not applied, not late).
    still_rejected: tuple[str, ...] = ()
    result: Result
    #: A run that recomputed only the reps concerned, for a close: the state it keeps.
    _recomputed: Recomputed | None = PrivateAttr(default=None)

    @property
    def statements(self) -> tuple[Statement, ...]:
        """Closed and open statements together, sorted by rep, period, currency."""
        return tuple(sorted(self.closed + self.open, key=lambda s: (s.rep, s.period, s.currency)))

    @property
    def recomputed(self) -> Recomputed | None:
        """What a run recomputing only the reps concerned recomputed (the state to keep
        included, for a close), or ``None`` for a run resumed or recomputed whole."""
        return self._recomputed

    def state(self) -> EngineState:
        """The engine state after this run, its ledgers without lines, as a closed book
        keeps it."""
        if self._recomputed is not None:
            return self._recomputed.state()
        return without_lines(self.result.state())


def reopen_and_compute(
    plans: PlanBook,
    events: Iterable[EventInput],
    closed: ClosedBook | None,
    *,
    through: dt.date | None = None,
    strict: bool = False,
    processes: int = 1,
) -> ClosedRun:
    """Compute the periods after ``closed`` from ``events`` (the whole history, as now known).

    ``processes`` is for a run over every event (with nothing closed yet, or events behind
    the closed periods that moved), which it may split by rep as :func:`~.api.compute` does:
    the same statements, but then ``run.result`` keeps no engine state. A run resumed from
    the closed book's state stays in one process.
    """
    if closed is None:
        result = compute(plans, events, through=through, strict=strict, processes=processes)
        return ClosedRun(closed=(), open=result.statements, changes=(), result=result)
    closed_end = last_day(closed.period)
    parsed = _parsed(events)
    changes, still_rejected = _changes(parsed, closed, closed_end)
    if changes or (through is not None and through <= closed_end):
        # Something behind a closed period moved, or only closed periods are asked for (the
        # saved state is past them): recompute from all events, as a batch.
        result = compute(plans, parsed, through=through, strict=strict, processes=processes)
    else:
        new = _new(parsed, closed, still_rejected)
        del parsed  # the history's events, not needed now (unless the caller holds them)
        result = compute(plans, new, through=through, state=closed.state, strict=strict)
    return _run(plans, closed, result, changes, still_rejected)


def reopen_since(
    plans: PlanBook,
    since: Iterable[EventInput],
    closed: ClosedBook | None,
    history: Callable[[], Iterable[EventInput]],
    *,
    through: dt.date | None = None,
    strict: bool = False,
    processes: int = 1,
    only_concerned: bool = False,
    earlier: Callable[[Mapping[str, str]], Sequence[BaseEvent]] | None = None,
    to_close: bool = False,
) -> ClosedRun:
    """:func:`reopen_and_compute` given only the events ``closed`` did not fold (``since``:
    delivered after it, or dated after it), ``history`` giving every event as now known.

    With none of ``since`` late or changed, the run resumes from the closed state over them
    and never calls ``history``: it costs what they do. Otherwise, or when only closed
    periods are asked for, it is :func:`reopen_and_compute` over ``history()``, as today.
    An event is never removed by being left out of ``since``: it is only not new.

    ``only_concerned``: when the events behind the closed periods that moved are late, or
    changed with ``earlier`` giving what they said before (by id and the digest ``closed``
    recorded), recompute from ``history()`` only the reps they concern (:mod:`.concerned`),
    the others resumed; the same statements, rejections and changes, but ``run.result``
    then keeps no engine state: with ``to_close``, ``run.state()`` gives it (when ``closed``
    keeps its state over records and totals, as a ledger does; otherwise everyone is
    recomputed).
    """
    if closed is None:
        return reopen_and_compute(
            plans, history(), None, through=through, strict=strict, processes=processes
        )
    closed_end = last_day(closed.period)
    parsed = _parsed(since)
    changes, still_rejected = _changes(parsed, closed, closed_end, complete=False)
    if changes or (through is not None and through <= closed_end):
        if only_concerned and (through is None or through > closed_end):
            events = _parsed(history())
            run = _reopen_concerned(
                plans, parsed, events, closed, still_rejected, through, strict, earlier, to_close
            )
            if run is not None:
                return run
            del parsed
            return reopen_and_compute(
                plans, _emptied(events), closed, through=through, strict=strict, processes=processes
            )
        del parsed
        return reopen_and_compute(
            plans, history(), closed, through=through, strict=strict, processes=processes
        )
    new = _new(parsed, closed, still_rejected)
    del parsed
    result = compute(plans, new, through=through, state=closed.state, strict=strict)
    return _run(plans, closed, result, changes, still_rejected)


def _reopen_concerned(
    plans: PlanBook,
    since: list[BaseEvent | Rejection],
    history: list[BaseEvent | Rejection],
    closed: ClosedBook,
    since_rejected: tuple[str, ...],
    through: dt.date | None,
    strict: bool,
    earlier: Callable[[Mapping[str, str]], Sequence[BaseEvent]] | None,
    to_close: bool = False,
) -> ClosedRun | None:
    """:func:`reopen_and_compute` over ``history``, recomputing only the reps that the late
    and changed events concern, or ``None`` where that is not known to give the same run.
    ``to_close``: the run keeps the state to close with (:meth:`ClosedRun.state`)."""
    if not isinstance(closed.statements, KeptStatements) or closed.state.totals is None:
        return None  # the per-rep roll forward below reads a resumed rep as a ledger keeps it
    if to_close and closed.state.records is None:
        return None  # the kept state is replaced rep by rep over records only
    closed_end = last_day(closed.period)
    # The changes and the events still rejected, as the run over the whole history finds them.
    changes, still_rejected = _changes(history, closed, closed_end)
    if any(change.change == "removed" for change in changes):
        return None  # (a ledger keeps every event: nothing is removed from its history)
    # A changed event concerns the reps of what it says now and of what it said when the
    # closed periods were folded: the store keeps that content, by the digest recorded.
    changed = {c.event: closed.events[c.event] for c in changes if c.change == "changed"}
    before: Sequence[BaseEvent] = ()
    if changed:
        if earlier is None:
            return None
        before = earlier(changed)
        if {event.id for event in before} != changed.keys():
            return None
    # An event rejected at an earlier close is rejected again by the whole run, and listed:
    # its invoice's reps are recomputed too, so that it is.
    named = {change.event for change in changes} | set(still_rejected)
    found = recompute_concerned(
        plans,
        history,
        _new(since, closed, since_rejected),
        closed.state,
        named,
        closed_end,
        through=through,
        strict=strict,
        earlier=before,
    )
    if found is None:
        return None
    run = _run(plans, closed, found.result, changes, still_rejected, found.reps)
    if to_close:
        run._recomputed = found
    return run


def _new(
    parsed: list[BaseEvent | Rejection], closed: ClosedBook, still_rejected: tuple[str, ...]
) -> list[BaseEvent | Rejection]:
    """The events of ``parsed`` ``closed`` did not apply (each looked up by id)."""
    applied, rejected = closed.events, set(still_rejected)
    return [
        e
        for e in parsed
        if isinstance(e, Rejection) or (e.id not in rejected and e.id not in applied)
    ]


def _run(
    plans: PlanBook,
    closed: ClosedBook,
    result: Result,
    changes: tuple[EventChange, ...],
    still_rejected: tuple[str, ...],
    recomputed: frozenset[str] | None = None,
) -> ClosedRun:
    open_statements = _roll_forward(plans, closed, result, changes, recomputed)
    kept = closed.statements
    all_closed = result.through is None or period_of(result.through) >= closed.period
    run = ClosedRun(
        closed=()
        if isinstance(kept, KeptStatements) and all_closed
        else tuple(s for s in kept if all_closed or s.period <= period_of(result.through)),
        open=open_statements,
        changes=changes,
        still_rejected=still_rejected,
        result=result,
    )
    if isinstance(kept, KeptStatements) and all_closed:  # read only if the caller asks
        return run.model_copy(update={"closed": kept})
    return run


def close(
    plans: PlanBook,
    events: Iterable[EventInput],
    period: str,
    closed: ClosedBook | None = None,
    *,
    strict: bool = False,
) -> tuple[ClosedBook, ClosedRun]:
    """Close every open period through ``period`` (``YYYY-MM``); return the new closed book.

    Periods close in month order: ``period`` must come after ``closed.period``. Closing is all
    or nothing: the new book is returned whole, and nothing is recorded until the caller keeps it.
    """
    if closed is not None and period <= closed.period:
        raise ClosingError(
            f"{period} cannot be closed: periods through {closed.period} are already closed"
        )
    end = last_day(period)
    parsed_events = _parsed(events)
    # What the new book records of the events rejected through ``period``: the digest of every
    # event dated through it that the run will not have applied. Kept as ids and digests, so
    # that the run can let go of the history's events once it knows which ones are new.
    dated_through = _dated_through(parsed_events, end)
    run = reopen_and_compute(plans, _emptied(parsed_events), closed, through=end, strict=strict)
    return _closed_book(period, closed, run, dated_through), run


def close_since(
    plans: PlanBook,
    since: Iterable[EventInput],
    period: str,
    closed: ClosedBook | None,
    history: Callable[[], Iterable[EventInput]],
    *,
    strict: bool = False,
    earlier: Callable[[Mapping[str, str]], Sequence[BaseEvent]] | None = None,
) -> tuple[ClosedBook, ClosedRun]:
    """:func:`close` given only the events ``closed`` did not fold, as :func:`reopen_since`
    takes them: the same book, at the cost of those events when none is late or changed.

    ``earlier``: what a changed event said before, as :func:`reopen_since` takes it. Given,
    a close with late or changed events recomputes only the reps they concern where that is
    exact (:mod:`.concerned`), the others' state resumed; the same book, but for the order
    of what the recomputation adds to its state (see :mod:`.concerned`)."""
    if closed is not None and period <= closed.period:
        raise ClosingError(
            f"{period} cannot be closed: periods through {closed.period} are already closed"
        )
    end = last_day(period)
    parsed_events = _parsed(since)
    # Resumed, the events behind ``closed`` that it rejected are still rejected (none of
    # them is given again), and what close() records of the others is in ``since``.
    dated_through = dict(closed.rejected) if closed is not None else {}
    dated_through.update(_dated_through(parsed_events, end))
    history_dated: list[dict[str, str]] = []  # the whole history's, once read

    def whole_history() -> list[BaseEvent | Rejection]:
        # Recomputed from every event, a close records what close() would of them all.
        events = _parsed(history())
        history_dated.append(_dated_through(events, end))
        return events

    run = reopen_since(
        plans,
        _emptied(parsed_events),
        closed,
        whole_history,
        through=end,
        strict=strict,
        only_concerned=earlier is not None,
        earlier=earlier,
        to_close=True,
    )
    if run.recomputed is not None:
        # The others resumed: of the history, only the events folded again can be rejected
        # where they were not (the rest was applied, or rejected and recorded, before).
        folded = run.recomputed.folded
        dated_through.update((i, d) for i, d in history_dated[0].items() if i in folded)
    elif history_dated:
        dated_through = history_dated[0]
    return _closed_book(period, closed, run, dated_through), run


def _dated_through(events: Iterable[BaseEvent | Rejection], end: dt.date) -> dict[str, str]:
    return {
        event.id: event.digest()
        for event in events
        if not isinstance(event, Rejection) and event.date <= end
    }


def _closed_book(
    period: str, closed: ClosedBook | None, run: ClosedRun, dated_through: Mapping[str, str]
) -> ClosedBook:
    """The book a close of ``period`` records from ``run``; ``dated_through`` are the ids
    and digests of the events dated through ``period`` that may not have been applied, those
    not applied being rejected."""
    state = run.state()
    applied = state.applied
    rejected = {
        event_id: digest for event_id, digest in dated_through.items() if event_id not in applied
    }
    kept = closed.statements if closed else ()
    if isinstance(kept, KeptStatements):  # what the ledger keeps, and the new ones on top
        return ClosedBook(period=period, statements=(), rejected=rejected, state=state).model_copy(
            update={"statements": kept.with_added(run.open)}
        )
    return ClosedBook(
        period=period,
        statements=tuple(sorted(kept + run.open, key=by_rep)),
        rejected=rejected,
        state=state,
    )


def _emptied(items: list[BaseEvent | Rejection]) -> Iterator[BaseEvent | Rejection]:
    """The items of ``items`` in order, taken out of it one by one: only the taker holds them."""
    items.reverse()
    while items:
        yield items.pop()


def _parsed(events: Iterable[EventInput]) -> list[BaseEvent | Rejection]:
    return [parse_event(item) if isinstance(item, Mapping) else item for item in events]


def _changes(
    events: Sequence[BaseEvent | Rejection],
    closed: ClosedBook,
    closed_end: dt.date,
    *,
    complete: bool = True,
) -> tuple[tuple[EventChange, ...], tuple[str, ...]]:
    """Late, changed and removed events behind the closed periods; ids still rejected.
    Events of ``closed`` not in ``events`` are removed only when ``events`` are ``complete``
    (the whole history)."""
    found: list[EventChange] = []
    still_rejected: list[str] = []
    present: set[str] = set()
    applied = closed.events
    if complete and isinstance(applied, AppliedDigests):  # every one asked for: read at once
        applied = dict(applied.every())
    for event in events:
        if isinstance(event, Rejection):
            continue
        present.add(event.id)
        recorded = applied.get(event.id)
        if recorded is None:
            if closed.rejected.get(event.id) == event.digest():
                still_rejected.append(event.id)
            elif event.date <= closed_end:
                found.append(EventChange(event=event.id, change="late", line=event.line))
        elif recorded != event.digest():
            found.append(EventChange(event=event.id, change="changed", line=event.line))
    if complete:
        found.extend(
            EventChange(event=event_id, change="removed")
            for event_id in sorted(applied.keys() - present)
        )
    return tuple(found), tuple(still_rejected)


def _roll_forward(
    plans: PlanBook,
    closed: ClosedBook,
    result: Result,
    changes: tuple[EventChange, ...],
    recomputed: frozenset[str] | None = None,
) -> tuple[Statement, ...]:
    """The open periods, netted from the closed debt, with the prior-period adjustment.

    ``recomputed``: the reps ``result`` recomputed from every event when the others were
    resumed from the closed state (:mod:`.concerned`); ``None`` when all were one or the other.
    """
    through = result.through
    if through is None or period_of(through) <= closed.period:
        return ()
    first_open = period_of(last_day(closed.period) + dt.timedelta(days=1))
    by_key_now: dict[tuple[str, str], list[Statement]] = defaultdict(list)
    for statement in result.statements:
        by_key_now[(statement.rep, statement.currency)].append(statement)
    by_key_closed: dict[tuple[str, str], list[Statement]] = defaultdict(list)
    kept = closed.statements
    # Resumed from the closed state (nothing behind it changed), no closed gross can have
    # moved: of a ledger's statements only each rep's last, for its debt, is read then.
    resumed_all = not changes and isinstance(kept, KeptStatements)
    if isinstance(kept, KeptStatements) and resumed_all:
        for key, statement in kept.last.items():
            by_key_closed[key].append(statement)
    else:
        for statement in kept:
            by_key_closed[(statement.rep, statement.currency)].append(statement)
    touched = {change.event for change in changes}
    first_day = last_day(closed.period) + dt.timedelta(days=1)

    rolled: list[Statement] = []
    for rep, currency in sorted(by_key_now.keys() | by_key_closed.keys()):
        now = by_key_now.get((rep, currency), [])
        paid = by_key_closed.get((rep, currency), [])
        resumed = resumed_all or (recomputed is not None and rep not in recomputed)
        gross_now = {s.period: s.gross for s in now if s.period <= closed.period and not resumed}
        gross_paid = {s.period: s.gross for s in paid if not resumed}
        moved = sorted(
            p
            for p in gross_now.keys() | gross_paid.keys()
            if gross_now.get(p, ZERO) != gross_paid.get(p, ZERO)
        )
        adjustment = sum((gross_now.get(p, ZERO) - gross_paid.get(p, ZERO) for p in moved), ZERO)
        held = held_at_close = next(
            (s.held_balance for s in reversed(now) if s.period <= closed.period), ZERO
        )
        if resumed and paid:
            # The balance held at the close is the last closed statement's: a run resumed
            # over kept totals has no closed periods in its ledgers (``held`` is then zero,
            # from which it measures the open periods' changes), and reps it did not touch
            # have no statements in it at all.
            held_at_close = paid[-1].held_balance
        periods: dict[str, PeriodTotals] = {}
        for statement in now:
            if statement.period > closed.period:
                periods[statement.period] = PeriodTotals(
                    gross=statement.gross,
                    held_change=statement.held_balance - held,
                    lines=list(statement.lines),
                )
                held = statement.held_balance
        if adjustment:
            events = sorted(
                {
                    line.event
                    for s in now
                    if s.period <= closed.period
                    for line in s.lines
                    if line.event in touched
                }
                | {c.event for c in changes if c.change == "removed"}
            )
            detail = f"closed periods {', '.join(moved)}"
            if events:
                detail += f"; events {', '.join(events)}"
            totals = periods.setdefault(first_open, PeriodTotals())
            totals.gross += adjustment
            totals.lines.insert(
                0,
                LedgerLine(
                    rep=rep,
                    currency=currency,
                    date=first_day,
                    kind="prior_period_adjustment",
                    amount=adjustment,
                    event=None,
                    invoice=None,
                    detail=detail,
                ),
            )
        debt = paid[-1].debt_balance if paid else ZERO
        rolled.extend(
            net_periods(
                rep,
                currency,
                periods,
                first_open,
                through,
                plans.schedule().recovery_terms,
                debt=debt,
                held=held_at_close,
                draws=plans.draw_terms(),
            )
        )
    return tuple(rolled)
