"""A run split by rep across processes, so that a large run uses every core.

Reps are independent except through split invoices: an invoice's amounts (paid, credited,
written off, past due) follow from its own events alone, and a rep's commission from their own
invoices alone (attainment is per rep). So each part of a run applies every event of every
invoice that one of its reps has a share in, and its reps' adjustments, and keeps the
statements of its own reps only. An invoice shared by reps of two parts is applied in both,
with the same outcome in each; an event of an invoice no part knows goes to the first part,
which rejects it as a single run would. The statements, disjoint by rep, are the single run's.

The first part runs in this process; each other part in a child forked from it (the child
sees the events without copying them), which reports what it rejected and the date of the last
event it applied, and sends back its statements as plain values through a pipe, in chunks this
process rebuilds while the child writes the next (``marshal`` of strings and integers: a tenth
of what pickling Decimals and dates costs).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ..domain.engine import Engine, arrange
from ..domain.errors import RejectedEventError, Rejection
from ..domain.events import Adjustment, BaseEvent, Invoice
from ..domain.plans import PlanBook
from ..domain.statements import Statement
from ..domain.working import WorkingState
from .pipes import Child
from .wire import rejection_from, rejection_values, statements_bytes, statements_from_bytes

#: Below this many events per part, a child process costs more than it saves.
MIN_EVENTS_PER_PART = 10_000
#: Statements a child sends in one message, at most; and the ledger lines they hold, at least
#: (a message is decoded while the child encodes the next: few reps' statements hold
#: thousands of lines each).
CHUNK = 4_000
CHUNK_LINES = 2_000


def parts_for(events: int, processes: int) -> int:
    """Into how many parts to split a run of ``events``, given at most ``processes``.

    One where the platform cannot fork, or where a part would have too few events to pay
    for its process.
    """
    if not hasattr(os, "fork"):
        return 1
    return max(1, min(processes, events // MIN_EVENTS_PER_PART))


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class RepOwners:
    """Which part keeps which rep's statements.

    Reps are weighed by their invoices and given, heaviest first, each to the part furthest
    below its ``share`` of the work; the assignment depends only on the weights. A rep with
    adjustments but no invoice goes to a part chosen by a checksum of their name.
    """

    def __init__(self, weights: Mapping[str, int], shares: Sequence[float]) -> None:
        """Parts for reps of ``weights`` (rep -> their invoice events)."""
        self.parts = len(shares)
        load = [0.0] * self.parts
        self.owner: dict[str, int] = {}
        for rep, count in sorted(weights.items(), key=lambda item: (-item[1], item[0])):
            part = min(range(self.parts), key=lambda part: load[part] / shares[part])
            self.owner[rep] = part
            load[part] += count

    def owner_of(self, rep: str) -> int:
        """The part that keeps ``rep``'s statements."""
        part = self.owner.get(rep)
        if part is None:  # adjustments only
            part = self.owner[rep] = zlib.crc32(rep.encode()) % self.parts
        return part


class Partition(RepOwners):
    """Which part applies which events: reps go to parts (:class:`RepOwners`), invoices
    follow their reps."""

    def __init__(self, invoices: Sequence[Invoice], shares: Sequence[float]) -> None:
        """Parts for the run whose invoice events are ``invoices``."""
        # (Counting with Counter and building with comprehensions: this runs before the
        # parts start, on every invoice of the run.)
        weight = Counter(invoice.rep for invoice in invoices)  # rep -> their invoices
        split = [invoice for invoice in invoices if invoice.rep is None]
        weight.update(rep for invoice in split for rep, _ in invoice.shares())
        super().__init__({rep: count for rep, count in weight.items() if rep is not None}, shares)
        bit = {rep: 1 << part for rep, part in self.owner.items()}
        #: Invoice id -> its parts as a bit mask (part p is bit p).
        self.parts_of = {
            invoice.invoice: bit[single]
            for invoice in invoices
            if (single := invoice.rep) is not None
        }
        if len(self.parts_of) + len(split) < len(invoices):
            # An id booked twice (the second booking is rejected): the invoice is applied
            # wherever any rep of either booking is.
            self.parts_of = {}
            for invoice in invoices:
                if invoice.rep is not None:
                    self._add(invoice.invoice, bit[invoice.rep])
        for invoice in split:  # applied wherever any of its reps is
            self._add(invoice.invoice, sum({bit[rep] for rep, _ in invoice.shares()}))

    def _add(self, invoice: str, mask: int) -> None:
        self.parts_of[invoice] = self.parts_of.get(invoice, 0) | mask

    def events_of(self, part: int, events: Sequence[BaseEvent]) -> Iterator[tuple[int, BaseEvent]]:
        """The events ``part`` applies, numbered by their position in ``events``."""
        bit = 1 << part
        parts_of = self.parts_of
        for number, event in enumerate(events):
            if type(event) is Adjustment:
                if self.owner_of(event.rep) == part:
                    yield number, event
            elif parts_of.get(event.invoice, 1) & bit:  # type: ignore[attr-defined]
                yield number, event  # an unknown invoice's: the first part's


class _Part:
    """One part of a split run: its own book and engine over its events."""

    def __init__(
        self,
        plans: PlanBook,
        events: list[BaseEvent],
        bookings: dict[str, dt.date],
        partition: Partition,
        part: int,
        strict: bool,
    ) -> None:
        self.plans = plans
        self.events = events  # sorted, as the partition and the bookings were made from them
        self.bookings = bookings
        self.partition = partition
        self.part = part
        self.strict = strict
        self.rejected: list[tuple[int, Rejection]] = []  # (position in the whole run, why)
        self.last_applied: dt.date | None = None

    def fold(self) -> None:
        self.engine = Engine(self.plans, WorkingState(), self.bookings)

        def reject(number: int, rejection: Rejection) -> None:
            self.rejected.append((number, rejection))
            if self.strict:
                raise RejectedEventError(rejection)

        mine = self.partition.events_of(self.part, self.events)
        # Strict: the first rejection stops this part; the caller decides what to say.
        with contextlib.suppress(RejectedEventError):
            self.last_applied = self.engine.fold(mine, reject)

    def statements(self, through: dt.date) -> list[Statement]:
        owner_of, part = self.partition.owner_of, self.part
        reps = {rep for rep, _ in self.engine.book.ledgers if owner_of(rep) == part}
        self.engine.advance_to(through)
        return self.engine.statements(through, reps)


def compute_by_rep(
    plans: PlanBook,
    events: list[BaseEvent],
    through: dt.date | None,
    strict: bool,
    parts: int,
) -> tuple[dt.date | None, list[Statement], list[Rejection]]:
    """Fold ``events`` (distinct; sorted here, in place) in ``parts`` processes, as one run.

    Returns the end date (``through``, or the date of the last event applied), the
    statements sorted by rep, period and currency, and the rejections in the order the
    events were applied. In strict mode the first rejection in that order is raised.
    """
    # Sorted and partitioned once, here, before the children are forked: each sees the
    # order, the bookings and the partition without making them again (this process would
    # make them before its own part's fold in any case).
    invoices, bookings = arrange(events)
    partition = Partition(invoices, [1.0] * parts)
    del invoices
    children = [
        _Child(_Part(plans, events, bookings, partition, part, strict), through)
        for part in range(1, parts)
    ]
    try:
        own = _Part(plans, events, bookings, partition, 0, strict)
        own.fold()
        folded = [(own.last_applied, own.rejected)] + [child.folded() for child in children]
        rejected = sorted({number: r for _, found in folded for number, r in found}.items())
        if strict and rejected:
            raise RejectedEventError(rejected[0][1])
        if through is None:
            through = max((last for last, _ in folded if last is not None), default=None)
        statements = []
        if through is not None:
            statements = own.statements(through)
            del own  # its book is no longer needed: free it before the children's statements
            for child in children:
                statements.extend(child.statements(through))
            statements.sort(key=lambda s: (s.rep, s.period, s.currency))
        return through, statements, [rejection for _, rejection in rejected]
    finally:
        for child in children:
            child.stop()


class _Child:
    """A part of the run in a forked child."""

    def __init__(self, part: _Part, through: dt.date | None) -> None:
        self.child = Child.start(
            lambda reply, order: _serve(part, through, reply, order), "a part of the run"
        )
        self.guess: dt.date | None = None  # the end date the child first nets through

    def folded(self) -> tuple[dt.date | None, list[tuple[int, Rejection]]]:
        last, rejected, guess = self.child.receive()
        self.guess = None if guess is None else dt.date.fromordinal(guess)
        return (
            None if last is None else dt.date.fromordinal(last),
            [(number, rejection_from(values)) for number, *values in rejected],
        )

    def statements(self, through: dt.date) -> list[Statement]:
        """The child's statements through ``through``.

        The child nets at once where its guess is sure to be the end date; otherwise it
        sends none, and nets once it is told the end date.
        """
        if through != self.guess:
            self._chunks()  # (none: the child nets through a guess only where it is sure)
            self.child.send(through.toordinal())
        return self._chunks()

    def _chunks(self) -> list[Statement]:
        statements: list[Statement] = []
        while chunk := self.child.receive():
            statements.extend(statements_from_bytes(chunk))
        return statements

    def stop(self) -> None:
        self.child.stop()


def _serve(
    part: _Part,
    through: dt.date | None,
    reply: Callable[[Any], None],
    order: Callable[[], Any],
) -> None:
    """The child's work: fold, report, send statements through the end date.

    Without a given end date, the child nets at once only where its own last applied date
    is the day of the run's last event: the run's end is the latest of every part's last
    applied date, so it is that day then. Otherwise it waits to be told the run's end (which
    may be that day, or earlier where the run's last events are all rejected), and nets once,
    through it. Netting moves the engine to the date (the clawbacks due by then are posted),
    so a child must never net through a day after the run's end; and before issue 21's ninth
    pass it netted through its own last applied date at once, then again through the run's
    end, sending its statements twice (few reps: most runs). A part that applied nothing (no
    rep of its own, or every event of its reps rejected) waits in the same way.
    """
    part.fold()
    last = part.last_applied
    guess = through or (last if last is not None and last == part.events[-1].date else None)
    stopped = part.strict and part.rejected  # the run raises; no statements needed
    rejected = [(number, *rejection_values(r)) for number, r in part.rejected]
    reply((_ordinal(part.last_applied), rejected, _ordinal(guess)))
    while not stopped:
        statements = [] if guess is None else part.statements(guess)
        for chunk in _chunks(statements):
            reply(statements_bytes(chunk))
        reply(b"")
        guess = dt.date.fromordinal(order())


def _chunks(statements: list[Statement]) -> Iterator[list[Statement]]:
    """``statements`` in runs of at most ``CHUNK``, each cut once it holds ``CHUNK_LINES``
    ledger lines."""
    start, lines = 0, 0
    for end, statement in enumerate(statements, 1):
        lines += len(statement.lines)
        if lines >= CHUNK_LINES or end - start == CHUNK:
            yield statements[start:end]
            start, lines = end, 0
    if start < len(statements):
        yield statements[start:]


def _ordinal(day: dt.date | None) -> int | None:
    return None if day is None else day.toordinal()
