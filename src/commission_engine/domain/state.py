"""The engine's saved state: the frozen value kept between runs, made from the fold's working
state (:mod:`.working`) and resumed into it.

Before and after a run the state is an :class:`EngineState`: a frozen pydantic value, plain
data, that serializes to JSON and resumes into an identical working book. A run that neither
resumes nor saves a state does not import this module.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from fractions import Fraction
from itertools import islice
from operator import attrgetter
from typing import Annotated, Any, Protocol, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, PrivateAttr
from pydantic.dataclasses import dataclass as pydantic_dataclass

from .errors import StateError
from .events import BaseEvent
from .money import (
    ZERO,
    Attained,
    Exact,
    attained_exact,
    canonical,
    exact_product,
    exact_ratio,
    read_exact,
)
from .plans import Plan, PlanBook
from .statements import LedgerLine, PeriodTotals, StoredDecimal, period_of
from .targets import terms_by_plan
from .working import InvoiceState, Position, RepAccount, WorkingState, open_balance

#: Built when first used (``defer_build``), as are the records below: a run without a saved
#: state never validates one, and its command starts sooner.
_FROZEN = ConfigDict(frozen=True, extra="forbid", defer_build=True)

#: An exact amount saved as text: a Decimal's own, or ``numerator/denominator``.
StoredExact = Annotated[
    Decimal | Fraction,
    BeforeValidator(read_exact),
    PlainSerializer(str, return_type=str, when_used="json"),
]


# The saved value -----------------------------------------------------------------------

#: The records inside a saved state are frozen, slotted pydantic dataclasses, not models: a
#: state holds one per invoice, position and period ever booked, and a model costs several
#: times a slotted record's memory (its ``__dict__`` and the set of fields given).
_RECORD = ConfigDict(extra="forbid", defer_build=True)


@pydantic_dataclass(frozen=True, slots=True, kw_only=True, config=_RECORD)
class PositionRecord:
    rep: str
    plan: str
    share: StoredDecimal
    credited_base: StoredDecimal
    commission: StoredExact
    booking_quota_period: str
    clawback_date: dt.date | None
    past_due: bool
    realized: StoredExact  # exact: a Decimal, or "numerator/denominator"
    payable: StoredDecimal
    forfeited: StoredDecimal
    held: StoredDecimal
    # Section 11 (a state saved before them reads as zero): see Position.
    paid_factored: StoredExact = ZERO
    late_lost: StoredExact = ZERO  # what lateness cost, unrounded (not times A)
    cash_with_order: StoredExact = ZERO
    cash_with_order_paid: StoredDecimal = ZERO


@pydantic_dataclass(frozen=True, slots=True, kw_only=True, config=_RECORD)
class InvoiceRecord:
    id: str
    date: dt.date
    currency: str
    amount: StoredDecimal
    due: dt.date
    credited: StoredDecimal
    paid: StoredDecimal
    written_off: StoredDecimal
    positions: tuple[PositionRecord, ...]
    disputed_since: dt.date | None = None


@pydantic_dataclass(frozen=True, slots=True, kw_only=True, config=_RECORD)
class PeriodRecord:
    period: str
    gross: StoredDecimal
    held_change: StoredDecimal
    lines: tuple[LedgerLine, ...]


@pydantic_dataclass(frozen=True, slots=True, kw_only=True, config=_RECORD)
class LedgerRecord:
    rep: str
    currency: str
    first_period: str
    periods: tuple[PeriodRecord, ...]


@pydantic_dataclass(frozen=True, slots=True, kw_only=True, config=_RECORD)
class AttainmentRecord:
    rep: str
    plan: str
    quota_period: str
    base: StoredExact


class EngineState(BaseModel):
    """Everything needed to resume: computed through ``through``, from the plans in ``plans``.

    ``plans`` maps each plan id to a digest of its terms, so that resuming with
    changed plans is refused rather than silently mixing two sets of rules.
    ``events`` maps every applied event id to a digest of its content.
    """

    model_config = _FROZEN

    version: int = 1
    through: dt.date | None = None
    plans: dict[str, str] = {}
    events: dict[str, str] = {}
    invoices: tuple[InvoiceRecord, ...] = ()
    attainment: tuple[AttainmentRecord, ...] = ()
    ledgers: tuple[LedgerRecord, ...] = ()
    bonus_next: dt.date | None = None
    # Where the rest is kept when this state is a part of it (see :meth:`over`).
    _records: SavedRecords | None = PrivateAttr(default=None)
    _totals: SavedTotals | None = PrivateAttr(default=None)

    @property
    def records(self) -> SavedRecords | None:
        """The records this state is kept over, or ``None``: then ``events`` and ``invoices``
        hold every applied event and every invoice. Over records, they hold only what changed
        since those were kept: the events applied and the invoices touched or booked."""
        return self._records

    @property
    def totals(self) -> SavedTotals | None:
        """The ledgers' totals and attainment this state is kept over, or ``None``: then
        ``ledgers`` and ``attainment`` hold them all. Over totals, ``attainment`` holds what
        changed, and ``ledgers`` each ledger posted to since, with only those periods."""
        return self._totals

    def over(self, records: SavedRecords | None, totals: SavedTotals | None = None) -> EngineState:
        """This state, its ``events`` and ``invoices`` read as changes to ``records``, and its
        ``ledgers`` and ``attainment`` as changes to ``totals``."""
        state = self.model_copy()
        state._records = records
        state._totals = totals
        return state

    @property
    def applied(self) -> Mapping[str, str]:
        """Every applied event's id and digest (looked up in the records, when kept over)."""
        if self._records is None:
            return self.events
        return AppliedDigests(self.events, self._records)

    def all_invoices(self) -> Iterator[InvoiceRecord]:
        """Every invoice, in the order a whole state holds them."""
        if self._records is None:
            yield from self.invoices
            return
        changed = {record.id: record for record in self.invoices}
        kept: set[str] = set()
        for record in self._records.invoices():
            kept.add(record.id)
            yield changed.get(record.id, record)
        yield from (record for record in self.invoices if record.id not in kept)

    def all_ledgers(self) -> Iterator[LedgerRecord]:
        """Every ledger with every period, in the order a whole state holds them."""
        if self._totals is None:
            yield from self.ledgers
            return
        changed = {(ledger.rep, ledger.currency): ledger for ledger in self.ledgers}
        for kept in self._totals.ledgers():
            key = (kept.rep, kept.currency)
            now = changed.pop(key, None)
            if now is None:
                yield kept
            else:
                periods = {p.period: p for p in kept.periods} | {p.period: p for p in now.periods}
                yield dataclasses.replace(kept, periods=tuple(periods[p] for p in sorted(periods)))
        yield from changed.values()

    def all_attainment(self) -> Iterator[AttainmentRecord]:
        """Every attainment, in the order a whole state holds them."""
        if self._totals is None:
            yield from self.attainment
            return
        changed = {(a.rep, a.plan, a.quota_period): a for a in self.attainment}
        for kept in self._totals.attainments():
            yield changed.pop((kept.rep, kept.plan, kept.quota_period), kept)
        yield from changed.values()

    def whole(self) -> EngineState:
        """This state with everything in it (history-sized): no records behind it."""
        if self._records is None and self._totals is None:
            return self
        update: dict[str, Any] = {}
        if self._records is not None:
            update |= {
                "events": dict(AppliedDigests(self.events, self._records).every()),
                "invoices": tuple(self.all_invoices()),
            }
        if self._totals is not None:
            update |= {
                "ledgers": tuple(self.all_ledgers()),
                "attainment": tuple(self.all_attainment()),
            }
        return self.model_copy(update=update).over(None)


class SavedRecords(Protocol):
    """The history-sized part of a saved state, kept elsewhere and read on demand: every
    invoice by id, the digest of every applied event by id, the past-due clawbacks pending.
    ``books`` keeps them in the ledger file; the domain only reads them."""

    def invoice(self, invoice_id: str) -> InvoiceRecord | None: ...

    def digest(self, event_id: str) -> str | None: ...

    def clawbacks_due(self) -> Iterable[tuple[dt.date, str, int]]:
        """(clawback date, invoice id, position index) of each position not yet past due."""
        ...

    def invoices(self) -> Iterable[InvoiceRecord]:
        """Every invoice, in the order they were first saved."""
        ...

    def events(self) -> Iterable[tuple[str, str]]:
        """Every applied event's id and digest."""
        ...


class SavedTotals(Protocol):
    """The ledgers' period totals and the quota attainment of a saved state, kept elsewhere
    and read on demand (``books`` keeps them in the ledger file): a run reads a ledger's
    first period and an attainment by key; only a whole state reads them all."""

    def first_period(self, rep: str, currency: str) -> str | None:
        """The first period of the rep's ledger in ``currency``, or ``None`` (no ledger)."""
        ...

    def ledger_keys(self) -> Iterable[tuple[str, str]]:
        """(rep, currency) of every ledger kept."""
        ...

    def attained(self, rep: str, plan: str, quota_period: str) -> Exact | None: ...

    def ledgers(self) -> Iterable[LedgerRecord]:
        """Every ledger with its periods (no lines), in the order first saved."""
        ...

    def attainments(self) -> Iterable[AttainmentRecord]:
        """Every attainment, in the order first saved."""
        ...


class LedgersOver(dict[tuple[str, str], RepAccount]):
    """The ledgers of a book resumed over kept totals (the dict the fold writes to): a kept
    ledger is opened, empty, when first asked for (its periods are closed: a resumed run
    posts only after them), with its first period as kept."""

    __slots__ = ("totals",)

    def __init__(self, totals: SavedTotals) -> None:
        super().__init__()
        self.totals = totals

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        found = dict.get(self, key)
        if found is None:
            first = self.totals.first_period(*key)
            if first is None:
                return default
            found = self[key] = RepAccount(first_period=first)
        return found

    def __missing__(self, key: tuple[str, str]) -> RepAccount:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """Every ledger's key: those kept, then those opened since."""
        kept = list(self.totals.ledger_keys())
        yield from kept
        known = set(kept)
        yield from (key for key in dict.keys(self) if key not in known)


class AttainmentOver(dict[tuple[str, str, str], Attained]):
    """The attainment of a book resumed over kept totals (the dict the fold writes to):
    what this run set, over the kept attainment, read by key."""

    __slots__ = ("totals",)

    def __init__(self, totals: SavedTotals) -> None:
        super().__init__()
        self.totals = totals

    def get(self, key: tuple[str, str, str], default: Any = None) -> Any:
        found = dict.get(self, key)
        if found is None:
            found = self.totals.attained(*key)
        return default if found is None else found


class AppliedDigests(Mapping[str, str]):
    """The digests of a state kept over records: those it holds, then the records'."""

    def __init__(self, changed: Mapping[str, str], records: SavedRecords) -> None:
        self.changed = changed
        self.records = records

    def __getitem__(self, event_id: str) -> str:
        digest = self.changed.get(event_id)
        if digest is None:
            digest = self.records.digest(event_id)
        if digest is None:
            raise KeyError(event_id)
        return digest

    def __iter__(self) -> Iterator[str]:
        for event_id, _ in self.records.events():
            if event_id not in self.changed:
                yield event_id
        yield from self.changed

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def every(self) -> Iterator[tuple[str, str]]:
        """Every (id, digest), the records read in one pass rather than id by id."""
        for event_id, digest in self.records.events():
            if event_id not in self.changed:
                yield event_id, digest
        yield from self.changed.items()


class ResumedInvoices(Mapping[str, InvoiceRecord]):
    """The invoices of a state kept over records, by id: each read when first asked for."""

    def __init__(self, changed: dict[str, InvoiceRecord], records: SavedRecords) -> None:
        self.changed = changed
        self.records = records

    def __getitem__(self, invoice_id: str) -> InvoiceRecord:
        record = self.changed.get(invoice_id) or self.records.invoice(invoice_id)
        if record is None:
            raise KeyError(invoice_id)
        return record

    def __iter__(self) -> Iterator[str]:
        return (record.id for record in self.every())

    def __len__(self) -> int:
        return sum(1 for _ in self.every())

    def every(self) -> Iterator[InvoiceRecord]:
        """Every invoice, in the order of a whole state."""
        state = EngineState(invoices=tuple(self.changed.values())).over(self.records)
        return state.all_invoices()


class _SeenOver(dict[str, BaseEvent | str]):
    """The events applied since a state was resumed (the dict the fold writes to), over
    the digests of those applied before it, looked up in its records."""

    __slots__ = ("before",)

    def __init__(self, changed: Mapping[str, str], before: SavedRecords) -> None:
        super().__init__(changed)
        self.before = before

    def get(self, event_id: str, default: Any = None) -> Any:
        found = dict.get(self, event_id)
        if found is None:
            found = self.before.digest(event_id)
        return default if found is None else found

    def __contains__(self, event_id: object) -> bool:
        return dict.__contains__(self, event_id) or (
            isinstance(event_id, str) and self.before.digest(event_id) is not None
        )

    def __bool__(self) -> bool:
        return True  # there were events before, whatever this run applies


def plan_digests(book: PlanBook) -> dict[str, str]:
    """Plan id -> a digest of its terms."""

    return {plan.id: _plan_digest(plan) for plan in book.plans}


def _plan_digest(plan: Plan) -> str:
    # Terms a plan does not use are left out, so that a plan without the terms of section 11
    # keeps the digest it had before they existed (and its saved states and closed books).
    unused = {name for name in ("incentives", "draw") if getattr(plan, name) is None}
    text = plan.model_dump_json(exclude=unused)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


_R = TypeVar("_R")
#: Record class -> field name -> the slot's setter (records are frozen).
_SETTERS: dict[type, dict[str, Callable[[Any, Any], None]]] = {
    kind: {f.name: getattr(kind, f.name).__set__ for f in dataclasses.fields(kind)}
    for kind in (InvoiceRecord, PositionRecord, PeriodRecord, LedgerRecord, AttainmentRecord)
}


def _trusted(kind: type[_R], **values: Any) -> _R:
    """A ``kind`` record of ``values`` without validating them again: saving a state built
    every record through pydantic, and that was 40% of the time it took."""
    setters = _SETTERS[kind]
    if values.keys() != setters.keys():
        raise TypeError(f"{kind.__name__} takes {sorted(setters)}, got {sorted(values)}")
    record: _R = object.__new__(kind)
    for name, value in values.items():
        setters[name](record, value)
    return record


def save(book: WorkingState, plans: PlanBook) -> EngineState:
    """The working book as a frozen, serializable value.

    Its records are made with :func:`_trusted`: every value comes from the working book,
    already of its record's type (``tests/test_state.py`` holds a saved state equal to the
    same state validated from its JSON).

    The book keeps, from then on, the digest of each event it applied rather than the event
    (all it keeps of events applied before it was resumed): the events can then be freed
    before the records are made, a million of them 480 MB.
    """
    seen = book.seen
    for event_id, applied in seen.items():
        if not isinstance(applied, str):
            seen[event_id] = applied.digest()
    resumed = book.resumed
    return EngineState(
        through=book.through,
        bonus_next=book.bonus_next,
        plans=plan_digests(plans),
        # Digests only, since save(); over records, those applied since they were kept.
        events=dict(book.seen),
        invoices=(
            _changed_invoices(book, resumed)
            if isinstance(resumed, ResumedInvoices)
            else saved_invoices(book)
        ),
        attainment=tuple(
            _trusted(
                AttainmentRecord,
                rep=rep,
                plan=plan,
                quota_period=period,
                base=canonical(attained_exact(base)),
            )
            for (rep, plan, period), base in book.attainment.items()
        ),
        ledgers=tuple(
            _trusted(
                LedgerRecord,
                rep=rep,
                currency=currency,
                first_period=ledger.first_period,
                periods=tuple(
                    _trusted(
                        PeriodRecord,
                        period=period,
                        gross=totals.gross,
                        held_change=totals.held_change,
                        lines=tuple(totals.lines),
                    )
                    for period, totals in sorted(ledger.periods.items())
                ),
            )
            for (rep, currency), ledger in book.ledgers.items()
        ),
    ).over(
        resumed.records if isinstance(resumed, ResumedInvoices) else None,
        book.ledgers.totals if isinstance(book.ledgers, LedgersOver) else None,
    )


def _changed_invoices(book: WorkingState, resumed: ResumedInvoices) -> tuple[InvoiceRecord, ...]:
    """The invoices of a book resumed over records that differ from the records: those it
    was resumed with, then those made working since (the new ones in booking order)."""
    changed = resumed.changed
    return (
        *(
            record if (inv := book.invoices.get(invoice_id)) is None else _invoice_record(inv)
            for invoice_id, record in changed.items()
        ),
        *(
            _invoice_record(inv)
            for invoice_id, inv in book.invoices.items()
            if invoice_id not in changed
        ),
    )


def saved_invoices(book: WorkingState) -> tuple[InvoiceRecord, ...]:
    """Every invoice of the working book as :func:`save` saves it: resumed ones in the order
    they were saved (those not used since, as they were), then the ones booked since."""
    resumed = book.resumed
    if isinstance(resumed, ResumedInvoices):
        saved = EngineState(invoices=_changed_invoices(book, resumed)).over(resumed.records)
        return tuple(saved.all_invoices())
    return (
        *(
            record if (inv := book.invoices.get(invoice_id)) is None else _invoice_record(inv)
            for invoice_id, record in resumed.items()
        ),
        *(
            _invoice_record(inv)
            for invoice_id, inv in book.invoices.items()
            if invoice_id not in resumed
        ),
    )


class OpenInvoices:
    """The invoices of a book (never resumed) whose open balance is not zero, from one stop
    of a run to the next.

    Only an event that names an invoice moves its balance (a clawback moves what its reps
    are paid, not what the customer owes), so at each stop only the invoices open at the
    last one and those the events since named are looked at, not every invoice booked.
    """

    def __init__(self, book: WorkingState) -> None:
        self.book = book
        self.rank: dict[str, int] = {}  # invoice id -> its place in the book (booking order)
        self.open: list[str] = []

    def after(self, events: Iterable[BaseEvent]) -> tuple[InvoiceRecord, ...]:
        """Once ``events`` (all applied since the last stop) are: the open invoices, saved."""
        invoices, rank = self.book.invoices, self.rank
        booked = list(islice(reversed(invoices), len(invoices) - len(rank)))
        for invoice_id in reversed(booked):
            rank[invoice_id] = len(rank)
        # (Every event but an adjustment names its invoice.)
        named: set[str] = {getattr(event, "invoice", "") for event in events}
        self.open = sorted(
            (
                invoice_id
                for invoice_id in named.union(self.open)
                if (invoice := invoices.get(invoice_id)) is not None and invoice.open
            ),
            key=rank.__getitem__,
        )
        return tuple(_invoice_record(invoices[invoice_id]) for invoice_id in self.open)


#: What a position saves as it is, named once: the fields a saved position shares with a
#: working one. The others are converted: ``plan`` (its id; the working position has its
#: terms) and ``realized`` (saved as the commission itself; the working position keeps it
#: times the invoice amount).
_AS_IS = tuple(
    f.name
    for f in dataclasses.fields(PositionRecord)
    if f.name not in ("plan", "realized", "late_lost")
)
_as_is = attrgetter(*_AS_IS)


def _invoice_record(inv: InvoiceState) -> InvoiceRecord:
    return _trusted(
        InvoiceRecord,
        id=inv.id,
        date=inv.date,
        currency=inv.currency,
        amount=inv.amount,
        due=inv.due,
        credited=inv.credited,
        paid=inv.paid,
        written_off=inv.written_off,
        positions=tuple(
            _trusted(
                PositionRecord,
                **dict(zip(_AS_IS, _as_is(pos), strict=True)),
                plan=pos.plan.id,
                realized=exact_ratio(pos.realized_times_amount, inv.amount),
                late_lost=exact_ratio(pos.late_lost_times_amount, inv.amount),
            )
            for pos in inv.positions
        ),
        disputed_since=inv.disputed_since,
    )


def without_lines(state: EngineState) -> EngineState:
    """``state`` with every period's totals but none of its lines.

    What a closed book keeps: its statements hold the lines already. A state resumed from
    it computes the same totals, debt and held balances; only the statements of the periods
    it was saved through come out without their lines.
    """
    ledgers = tuple(
        _trusted(
            LedgerRecord,
            rep=ledger.rep,
            currency=ledger.currency,
            first_period=ledger.first_period,
            periods=tuple(
                _trusted(
                    PeriodRecord,
                    period=totals.period,
                    gross=totals.gross,
                    held_change=totals.held_change,
                    lines=(),
                )
                for totals in ledger.periods
            ),
        )
        for ledger in state.ledgers
    )
    return state.model_copy(update={"ledgers": ledgers})


def resume(state: EngineState, plans: PlanBook) -> WorkingState:
    """A working book equal to the one ``state`` was saved from; refuses changed plans."""
    now = plan_digests(plans)
    for plan_id, digest in state.plans.items():
        if plan_id not in now:
            raise StateError(f"plan {plan_id} was used by the saved state but is not given now")
        if now[plan_id] != digest:
            raise StateError(f"plan {plan_id} has changed since the state was saved")
    changed = {record.id: record for record in state.invoices}
    records = state.records
    book = WorkingState(
        through=state.through,
        bonus_next=state.bonus_next,
        known=dict(state.events) if records is None else _SeenOver(state.events, records),
        resumed=changed if records is None else ResumedInvoices(changed, records),
        reopen=_working,
        terms=terms_by_plan(plans),
    )
    if records is not None:  # the records' clawbacks, but for the invoices changed since
        book.clawbacks_due.extend(c for c in records.clawbacks_due() if c[1] not in changed)
    for record in state.invoices:
        book.clawbacks_due.extend(pending_clawbacks(record))
    totals = state.totals
    if totals is not None:  # the kept ledgers opened, and attainment read, as asked for
        book.ledgers = LedgersOver(totals)
        book.attainment = AttainmentOver(totals)
        if state.through is not None:
            book.opened = period_of(state.through + dt.timedelta(days=1))
    for att in state.attainment:
        book.attainment[(att.rep, att.plan, att.quota_period)] = att.base
    for ledger in state.ledgers:
        book.ledgers[(ledger.rep, ledger.currency)] = RepAccount(
            first_period=ledger.first_period,
            periods={
                p.period: PeriodTotals(
                    gross=p.gross, held_change=p.held_change, lines=list(p.lines)
                )
                for p in ledger.periods
            },
        )
    return book


def pending_clawbacks(record: InvoiceRecord) -> Iterator[tuple[dt.date, str, int]]:
    """(clawback date, invoice id, position index) of each of the invoice's positions whose
    past-due clawback is yet to fire."""
    for index, pos in enumerate(record.positions):
        if pos.clawback_date is not None and not pos.past_due:
            yield (pos.clawback_date, record.id, index)


def _working(record: InvoiceRecord, book: WorkingState) -> InvoiceState:
    """The working state of a saved invoice, its positions posting to ``book``'s ledgers."""
    positions = [
        Position(
            **dict(zip(_AS_IS, _as_is(pos), strict=True)),
            terms=book.terms[pos.plan],
            realized_times_amount=exact_product(pos.realized, record.amount),
            late_lost_times_amount=exact_product(pos.late_lost, record.amount),
            ledger=book.ledgers[(pos.rep, record.currency)],
        )
        for pos in record.positions
    ]
    return InvoiceState(
        id=record.id,
        date=record.date,
        currency=record.currency,
        amount=record.amount,
        due=record.due,
        positions=positions,
        open=open_balance(record.amount, record.credited, record.paid, record.written_off),
        credited=record.credited,
        paid=record.paid,
        written_off=record.written_off,
        disputed_since=record.disputed_since,
    )
