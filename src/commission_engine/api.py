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
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ConfigDict, PrivateAttr

from .domain.engine import arrange
from .domain.errors import RejectedEventError, Rejection, StateError
from .domain.plans import PlanBook
from .domain.run import EventInput, fold, fold_stopping_at, prepare, rejection_order
from .domain.statements import LedgerLine, Statement
from .domain.working import WorkingState
from .files.event_files import Read
from .files.event_files import read_events as read_file
from .files.many_files import EventFiles, Paths, is_one_file, read_files
from .parallel.by_rep import compute_by_rep, parts_for
from .parallel.collector import collector_paused
from .parallel.dask_read import ClusterEvents
from .parallel.read_in_parts import read_in_parts

if TYPE_CHECKING:  # the saved state is imported where one is resumed or saved
    from .domain.state import EngineState, InvoiceRecord

__all__ = ["EventInput", "Result", "compute", "open_invoices_at", "read_events"]


class Result(BaseModel):
    """Statements through ``through``, what was rejected, and the state to resume from."""

    # Never validated here (:meth:`of` makes it of values it knows), so built only if asked.
    model_config = ConfigDict(frozen=True, defer_build=True)

    through: dt.date | None
    statements: tuple[Statement, ...]
    rejected: tuple[Rejection, ...]
    pending: int
    duplicates: int
    _book: WorkingState | None = PrivateAttr()
    _plans: PlanBook = PrivateAttr()

    @property
    def lines(self) -> tuple[LedgerLine, ...]:
        """Every line of every statement, in statement order."""
        return tuple(line for statement in self.statements for line in statement.lines)

    @classmethod
    def of(
        cls,
        plans: PlanBook,
        book: WorkingState | None,
        through: dt.date | None,
        statements: Iterable[Statement],
        rejected: Iterable[Rejection],
        pending: int,
        duplicates: int,
    ) -> Result:
        """A run's result, rejections in file order; ``book`` is its working book, or
        ``None`` for a run computed across processes, which keeps no engine state."""
        result = cls.model_construct(  # the values are the run's own: nothing to validate
            through=through,
            statements=tuple(statements),
            rejected=tuple(sorted(rejected, key=rejection_order)),
            pending=pending,
            duplicates=duplicates,
        )
        result._book = book
        result._plans = plans
        return result

    def without_state(self) -> Result:
        """This result, keeping no engine state (its working book freed)."""
        if self._book is None:
            return self
        result = self.model_copy()
        result._book = None
        return result

    def state(self) -> EngineState:
        """The engine state after this run: pass it to :func:`compute` to resume.

        A run computed with ``processes`` above 1 (split by rep, or one of the scenarios of
        :func:`~.modeling.compare_plans` computed side by side) keeps no state.
        """
        from .domain.state import save  # (a run that saves no state does not import it)

        if self._book is None:
            raise StateError(
                "this run was split across processes, which keeps no engine state; "
                "compute it with processes=1 to save one"
            )
        with collector_paused():  # a record or more per invoice ever booked, and no cycles
            return save(self._book, self._plans)

    def invoices(self) -> tuple[InvoiceRecord, ...]:
        """Every invoice after this run, as :meth:`state` would hold them, and nothing else.

        For reading amounts collected or outstanding: it skips what saving a whole state costs
        most, the digest of every event applied (a million events, about 4 s).
        """
        from .domain.state import saved_invoices

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
    client: Any = None,
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

    With ``client``, a ``dask.distributed.Client`` (the ``dask`` extra), the run is split by
    rep across the cluster's workers instead (``processes`` is then not used; nor may
    ``state`` be given): the same statements and rejections, in the same order, and no state
    to resume from (docs/scaling.md).
    """
    if client is not None and state is not None:
        raise StateError(
            "a run on a cluster keeps no engine state, so it cannot resume one either; "
            "compute a resumed run without client"
        )
    if state is None:
        book = WorkingState()
    else:
        from .domain.state import resume  # (a run that resumes no state does not import it)

        with collector_paused():  # a book of every invoice ever booked, and no cycles
            book = resume(state, plans)
    rejected: list[Rejection] = []
    if isinstance(events, ClusterEvents) and events.client is client and events.whole():
        return _computed_on_workers(plans, events, through, strict)
    # Several files are one stream while the run is computed; their lines, each file's after.
    files = events if isinstance(events, EventFiles) else None

    def reject(rejection: Rejection) -> None:
        if strict:
            raise RejectedEventError(files.located([rejection])[0] if files else rejection)
        rejected.append(rejection)

    to_apply, pending, duplicates = prepare(events, book, through, reject)
    with collector_paused():
        parts = 1 if state is not None else parts_for(len(to_apply), processes)
        if client is not None:
            from .parallel.dask_run import compute_on_cluster  # dask only when asked for

            through, statements, rejections = compute_on_cluster(
                client, plans, to_apply, through, strict
            )
            for rejection in rejections:
                reject(rejection)
            kept_book = None
        elif parts > 1:
            through, statements, rejections = compute_by_rep(
                plans, to_apply, through, strict, parts
            )
            for rejection in rejections:
                reject(rejection)
            kept_book = None
        else:
            _, bookings = arrange(to_apply)
            through, statements = fold(plans, book, to_apply, bookings, through, reject)
            kept_book = book
    result = Result.of(plans, kept_book, through, statements, rejected, pending, duplicates)
    if files is not None:
        result = result.model_copy(update={"rejected": files.located(result.rejected)})
    return result


def _computed_on_workers(
    plans: PlanBook, events: ClusterEvents, through: dt.date | None, strict: bool
) -> Result:
    """:func:`compute` of the events a cluster's workers read, left on them."""
    from .parallel.dask_run import compute_from_workers  # dask only when asked for

    prepare([], WorkingState(), through, lambda _: None)  # raises for a ``through`` out of range
    with collector_paused():
        through, statements, rejected, pending, duplicates = compute_from_workers(
            events.client, plans, events, through, strict
        )
    if strict and rejected:
        raise RejectedEventError(events.located(rejected[:1])[0])
    result = Result.of(plans, None, through, statements, rejected, pending, duplicates)
    return result.model_copy(update={"rejected": events.located(result.rejected)})


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
    book = WorkingState()
    rejected: list[Rejection] = []
    to_apply, pending, duplicates = prepare(
        events, book, ends[-1] if ends else None, rejected.append
    )
    with collector_paused():
        open_at, statements = fold_stopping_at(plans, book, to_apply, ends, rejected.append)
    return open_at, Result.of(plans, book, ends[-1], statements, rejected, pending, duplicates)


def read_events(
    path: Paths,
    processes: int = 1,
    *,
    background: bool = False,
    digests: bool = False,
    client: Any = None,
) -> Read:
    """Stream the events of the JSON Lines or CSV file at ``path``
    (:func:`~.files.read_events`), read in parts on up to ``processes`` cores.

    ``path`` may also be several files, or a glob (``"events/*.jsonl"``), JSON Lines, CSV or
    Parquet (the ``parquet`` extra): they are read one after the other as one stream
    (:mod:`.files.many_files`), and :func:`compute` gives each rejection its line in its own
    file, the file named at the start of its reason. With ``client``, a
    ``dask.distributed.Client``, the files are read in parts by its workers
    (:mod:`.parallel.dask_read`), which must see them at the same paths.

    With ``processes`` above 1, a large file is read in that many parts at once, each in a
    process of its own (forked; :mod:`.parallel.read_in_parts`); the events, rejections and
    their lines are the same, in the same order. With ``background`` too, the caller has
    other work to do first (``payouts --ledger`` loads its closed book): ``processes - 1``
    children read most of the file meanwhile, and this process a small part once it
    iterates. With ``digests``, a file read in parts comes with every event's digest computed
    by the process that read it (:meth:`~.domain.events.BaseEvent.digest`, which the event
    remembers), for a caller that compares events with a closed book.
    """
    if client is not None:
        from .parallel.dask_read import read_on_cluster  # dask only when asked for

        return read_on_cluster(client, path)
    if not is_one_file(path):
        return read_files(path)
    path = cast("str | os.PathLike[str]", path)
    if processes > 1:
        parts = read_in_parts(Path(path), processes, background=background, digests=digests)
        if parts is not None:
            return parts
    return read_file(path)
