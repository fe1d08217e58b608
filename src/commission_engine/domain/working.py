"""The fold's working state: the slotted records it mutates from one event to the next.

While a run folds events it works on :class:`WorkingState`, plain slotted records
(mutating them is what keeps a million events inside seconds): dataclasses, and a msgspec
Struct for the invoice (made in C; writing a Struct's attribute costs more than a
dataclass's, so the records written at every posting stay dataclasses). Before and after a
run the state is a saved :class:`~.state.EngineState`, made and resumed by :mod:`.state`:
a run that neither resumes nor saves one never imports it (its pydantic records cost a
command's start-up 50M instructions).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import Any

import msgspec

from .events import BaseEvent
from .money import ZERO, Attained, Exact
from .plans import Plan
from .statements import PeriodTotals
from .targets import Terms


@dataclass(slots=True)
class RepAccount:
    """A rep's lines in one currency, grouped by pay period."""

    first_period: str
    periods: dict[str, PeriodTotals] = field(default_factory=dict)


@dataclass(slots=True)
class Position:
    """One rep's part of one invoice: what it earns and what has been posted for it."""

    rep: str
    terms: Terms
    share: Decimal
    credited_base: Decimal  # s * B
    commission: Exact  # C, exact; earn_on invoice only
    booking_quota_period: str  # where a credit note lowers attainment
    clawback_date: dt.date | None  # due + N days, when advanced commission is at stake
    # (The fields a booking sets come first, in order: the engine makes a booked position
    # with them positionally, each written once; the rest keep their defaults.)
    past_due: bool = False
    payable: Decimal = ZERO  # rounded targets as last posted
    forfeited: Decimal = ZERO
    held: Decimal = ZERO
    ledger: RepAccount | None = None  # where its lines go (derived; not saved)
    # The arguments the rounded targets were last computed at (derived; not saved, so a
    # resumed position recomputes all three once): net, written_off, payable's base; and
    # round(u*net) at that net, which the three targets sum to.
    at_net: Decimal | None = None
    at_written_off: Decimal | None = None
    at_base: Decimal | None = None
    total_at_net: Decimal = ZERO
    # Commission earned on cash (earn_on collection) times the invoice amount A, exact:
    # each payment adds rate*s*B*p, a product, where the commission itself is a quotient.
    realized_times_amount: Exact = ZERO
    # Section 11, kept only under a plan with the term: cash paid weighted by its late-payment
    # factor (``paid_f``); what lateness cost, times A (for modeling); the qualifying cash
    # with order ``q``, and its rounded target as last posted.
    paid_factored: Exact = ZERO
    late_lost_times_amount: Exact = ZERO
    cash_with_order: Exact = ZERO
    cash_with_order_paid: Decimal = ZERO

    @property
    def plan(self) -> Plan:
        return self.terms.plan


class InvoiceState(msgspec.Struct, gc=False):
    """An invoice's amounts so far, shared by its reps' positions.

    A msgspec Struct, made in C (one an invoice; a dataclass's ``__init__`` is Python),
    never tracked by the cycle collector: it holds its positions, and nothing it holds leads
    back to it.
    """

    id: str
    date: dt.date
    currency: str
    amount: Decimal
    due: dt.date
    positions: list[Position]
    # ``amount - credited - paid - written_off``, kept in step by every handler that moves
    # one of them (the fold reads it most events; derived, not saved: see open_balance).
    open: Decimal
    credited: Decimal = ZERO
    paid: Decimal = ZERO
    written_off: Decimal = ZERO
    disputed_since: dt.date | None = None  # the date of its open dispute (11.6)


def open_balance(
    amount: Decimal, credited: Decimal, paid: Decimal, written_off: Decimal
) -> Decimal:
    """``amount - credited - paid - written_off``: an invoice's open balance, as booked
    (``open_balance(amount, ZERO, ZERO, ZERO)``) or resumed.

    The handlers then move ``InvoiceState.open`` by each amount they add to or take from the
    other three: the same exact value, and the same exponent (a sum's is the least of its
    terms', and both ways take every amount that ever moved the balance, and ``paid``'s
    ``ZERO``). A credited or written-off still the booked ``ZERO`` is not subtracted: that
    changes nothing, not even the exponent; an equal zero of another exponent is.
    """
    open_ = amount
    if credited is not ZERO:
        open_ -= credited
    open_ -= paid
    if written_off is not ZERO:
        open_ -= written_off
    return open_


class ClawbackCalendar(dict[dt.date, list[tuple[str, int]]]):
    """Past-due clawbacks yet to fire: each position's (invoice id, index) by the day its
    clawback falls due.

    A heap of every (day, invoice id, index) sifted through the clawbacks in flight at each
    push and pop, comparing tuples; here a clawback is put in its day's list, and the heap
    holds only the days (a few hundred). The order of firing is the heap's: by day, then
    invoice id, then index.

    A dict of each day's list: ``calendar[day].append((invoice_id, index))`` is :meth:`add`
    written where a booking adds one (a dict's subscript, in C, rather than a method's
    Python call an invoice); a day not met yet gets its list from ``__missing__``, which
    puts the day on the heap. Read it only through :meth:`take_due`.
    """

    __slots__ = ("_days", "first_day")

    def __init__(self) -> None:
        super().__init__()
        self._days: list[dt.date] = []  # a heap of the days held
        #: The first day held (``date.max`` when none is): a caller tells by it, without a
        #: call, that nothing falls due by a day (most days of a run).
        self.first_day = dt.date.max

    def __missing__(self, day: dt.date) -> list[tuple[str, int]]:
        entries: list[tuple[str, int]] = []
        self[day] = entries
        heapq.heappush(self._days, day)
        self.first_day = self._days[0]
        return entries

    def add(self, day: dt.date, invoice_id: str, index: int) -> None:
        """The clawback of position ``index`` of invoice ``invoice_id`` falls due on ``day``."""
        self[day].append((invoice_id, index))

    def extend(self, clawbacks: Iterable[tuple[dt.date, str, int]]) -> None:
        """:meth:`add` each (day, invoice id, index)."""
        for day, invoice_id, index in clawbacks:
            self[day].append((invoice_id, index))

    def take_due(self, day: dt.date) -> tuple[dt.date, list[tuple[str, int]]] | None:
        """The first day on or before ``day`` with clawbacks due, and those (invoice id,
        index) in order, taken off the calendar; ``None`` if none falls due by ``day``."""
        days = self._days
        if not days or days[0] > day:
            return None
        when = heapq.heappop(days)
        self.first_day = days[0] if days else dt.date.max
        return when, sorted(self.pop(when))


#: An event's id (the key of :attr:`WorkingState.seen`).
_ID = attrgetter("id")


@dataclass(slots=True)
class WorkingState:
    """Everything the fold carries from one event to the next."""

    through: dt.date | None = None
    invoices: dict[str, InvoiceState] = field(default_factory=dict)
    attainment: dict[tuple[str, str, str], Attained] = field(default_factory=dict)
    # Event id -> the event applied this run, or the digest of one applied earlier, but for
    # the events applied since it was last read (:attr:`seen` adds those).
    known: dict[str, BaseEvent | str] = field(default_factory=dict)
    # The events the fold applied since ``known`` was last brought up to date, in order: the
    # fold appends each to a list, and the ids go into ``known`` only when someone reads
    # :attr:`seen` (a million entries put in a dict one event at a time, amid the fold's
    # own records, cost the run a few percent at a million events; a run that saves
    # nothing never needs them).
    applied: list[BaseEvent] = field(default_factory=list)
    ledgers: dict[tuple[str, str], RepAccount] = field(default_factory=dict)
    # The past-due clawbacks yet to fire, by the day each falls due.
    clawbacks_due: ClawbackCalendar = field(default_factory=ClawbackCalendar)
    # The invoices of a resumed state, by id, as saved (``state.InvoiceRecord``s). Each
    # becomes a working InvoiceState in ``invoices``, made by ``reopen``, when an event or a
    # clawback first needs it (a month touches a few of a history's invoices); the others are
    # saved again as they were. ``state.resume`` gives both. (A ``state.ResumedInvoices``
    # when the state was resumed from records kept elsewhere.)
    resumed: Mapping[str, Any] = field(default_factory=dict)
    reopen: Callable[[Any, WorkingState], InvoiceState] | None = None
    terms: dict[str, Terms] = field(default_factory=dict)  # plan id -> terms, to resume them
    # The next month end at which collection bonuses are measured (None: from the first event).
    bonus_next: dt.date | None = None
    # Resumed over kept totals (:class:`SavedTotals`): the first period after the state's
    # end. The ledgers then hold only the periods posted since, and statements start there.
    opened: str | None = None

    @property
    def seen(self) -> dict[str, BaseEvent | str]:
        """Event id -> the event applied this run, or the digest of one applied earlier."""
        applied = self.applied
        if applied:
            self.known.update(zip(map(_ID, applied), applied, strict=True))
            applied.clear()
        return self.known

    def resumed_invoice(self, invoice_id: str) -> InvoiceState | None:
        """The working state of a resumed invoice not used yet this run, or ``None``."""
        record = self.resumed.get(invoice_id)
        if record is None or invoice_id in self.invoices:
            return self.invoices.get(invoice_id)
        assert self.reopen is not None, "a book resumed with invoices is given how to reopen them"
        invoice = self.invoices[invoice_id] = self.reopen(record, self)
        return invoice
