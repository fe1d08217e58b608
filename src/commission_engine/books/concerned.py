"""A run against closed periods that recomputes only the reps a late event concerns (issue 19).

Reps are independent except through split invoices (see :mod:`..parallel.by_rep`): an
invoice's amounts follow from its own events, a rep's commission from their own invoices
and adjustments. So when events late for the closed periods arrive, the reps they concern
are the reps of the invoices they name (or the rep of an adjustment), taken with every rep
linked to them by a shared invoice, so that no invoice is shared between a rep recomputed
and one that is not. Those reps are recomputed from their events in the whole history; the
others resume from the closed state over their new events only, as when nothing is late.
The two runs are disjoint by rep and by invoice, and each gives of its reps what one run
over every event gives.

A close keeps the state the two runs give together (:meth:`Recomputed.state`): the resumed
reps' changes over the kept records, and the concerned reps' and invoices' records
recomputed whole, in place of those kept (:class:`Replaced`). Its contents are those of the
state one run over every event saves; an invoice, ledger or attainment the recomputation
adds (booked late) comes after the kept ones rather than where that run would have put it.

:func:`recompute_concerned` answers ``None`` where that split is not known to be exact, and
the caller then recomputes everyone, as before: a plan paying collection bonuses (measured
at month ends over all of a rep's invoices, on a calendar the state shares), an event id
given twice in the history, an event the history could not read, a strict run that rejects
an event (the whole run says which one comes first), or a run that ends inside the closed
periods.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Sequence

from ..api import Result, compute
from ..domain.errors import RejectedEventError, Rejection
from ..domain.events import Adjustment, BaseEvent, Invoice
from ..domain.money import Exact
from ..domain.plans import PlanBook
from ..domain.state import (
    AttainmentRecord,
    EngineState,
    InvoiceRecord,
    LedgerRecord,
    SavedRecords,
    SavedTotals,
    without_lines,
)
from ..domain.statements import Statement
from ..domain.targets import terms_by_plan


class Concerned:
    """The reps and invoices a set of events concerns, closed over shared invoices."""

    def __init__(self, reps: frozenset[str], invoices: frozenset[str]) -> None:
        self.reps = reps
        self.invoices = invoices

    @classmethod
    def by(cls, events: Sequence[BaseEvent], named: Collection[str]) -> Concerned:
        """The reps and invoices concerned by the events of ``events`` whose id is in
        ``named``: the reps of the invoices they name (as every booking of that invoice id
        in ``events`` gives them) or of the adjustment, with every rep sharing an invoice
        with one of those, and every invoice of any of those reps."""
        reps_of: dict[str, set[str]] = {}
        for event in events:
            if type(event) is Invoice:
                reps_of.setdefault(event.invoice, set()).update(r for r, _ in event.shares())
        # Reps linked by a shared invoice: each set of linked reps under one root.
        parent: dict[str, str] = {}

        def root(rep: str) -> str:
            parent.setdefault(rep, rep)
            while parent[rep] != rep:
                parent[rep] = parent[parent[rep]]
                rep = parent[rep]
            return rep

        for reps in reps_of.values():
            first, *others = sorted(reps)
            for other in others:
                parent[root(other)] = root(first)
        seeds: set[str] = set()
        named_invoices: set[str] = set()
        for event in events:
            if event.id not in named:
                continue
            if type(event) is Adjustment:
                seeds.add(event.rep)
            else:
                invoice: str = event.invoice  # type: ignore[attr-defined]
                named_invoices.add(invoice)  # kept even when no booking names it
                seeds.update(reps_of.get(invoice, ()))
        roots = {root(rep) for rep in seeds}
        reps = {rep for rep in parent if root(rep) in roots} | seeds
        invoices = named_invoices | {
            invoice for invoice, its_reps in reps_of.items() if not its_reps.isdisjoint(reps)
        }
        return cls(frozenset(reps), frozenset(invoices))

    def concerns(self, event: BaseEvent) -> bool:
        """Whether ``event`` is applied in the run of the concerned reps."""
        if type(event) is Adjustment:
            return event.rep in self.reps
        return event.invoice in self.invoices  # type: ignore[attr-defined]


class Recomputed:
    """What :func:`recompute_concerned` gives: the run's ``result`` (keeping no engine
    state), what ``concerned`` it recomputed, and the ids of the history's events it
    ``folded`` again (those concerning them); :meth:`state` is the state to keep."""

    def __init__(
        self,
        result: Result,
        concerned: Concerned,
        folded: frozenset[str],
        recomputed: Result,
        resumed: Result,
    ) -> None:
        self.result = result
        self.concerned = concerned
        self.folded = folded
        self._recomputed = recomputed
        self._resumed = resumed

    @property
    def reps(self) -> frozenset[str]:
        """The reps recomputed from the history."""
        return self.concerned.reps

    def state(self) -> EngineState:
        """The state one run over the history saves, its ledgers without lines (as a closed
        book keeps them): kept over the closed state's records and totals, the resumed reps'
        changes on top, and the concerned reps' and invoices' records recomputed whole in
        place of the kept ones. Only for a closed state kept over records and totals."""
        resumed = without_lines(self._resumed.state())
        records, totals = resumed.records, resumed.totals
        # (The caller's part: only a closed state kept over records and totals takes this.)
        assert records is not None and totals is not None
        # The resumed run may have fired a concerned invoice's clawback from the kept
        # records: what it changed of the concerned reps is left out, replaced whole.
        whole = without_lines(self._recomputed.state())
        reps, invoices = self.concerned.reps, self.concerned.invoices
        replaced = Replaced(records, totals, reps, invoices, self.folded)
        return resumed.model_copy(
            update={
                "events": {**resumed.events, **whole.events},
                "invoices": (
                    *(r for r in resumed.invoices if r.id not in invoices),
                    *whole.invoices,
                ),
                "ledgers": (*(x for x in resumed.ledgers if x.rep not in reps), *whole.ledgers),
                "attainment": (
                    *(a for a in resumed.attainment if a.rep not in reps),
                    *whole.attainment,
                ),
            }
        ).over(replaced, replaced)


class Replaced:
    """Kept records and totals less those of ``reps``, ``invoices`` and ``events``, whose
    recomputed ones replace them (kept as ``reps``, ``invoice_ids`` and ``event_ids``): a
    :class:`~..domain.state.SavedRecords` and :class:`~..domain.state.SavedTotals` over
    others. Whoever writes a state kept over this removes what it leaves out first
    (``books.store``)."""

    def __init__(
        self,
        records: SavedRecords,
        totals: SavedTotals,
        reps: frozenset[str],
        invoices: frozenset[str],
        events: frozenset[str],
    ) -> None:
        self.records = records
        self.totals = totals
        self.reps = reps
        self.invoice_ids = invoices
        self.event_ids = events

    def invoice(self, invoice_id: str) -> InvoiceRecord | None:
        return None if invoice_id in self.invoice_ids else self.records.invoice(invoice_id)

    def digest(self, event_id: str) -> str | None:
        return None if event_id in self.event_ids else self.records.digest(event_id)

    def clawbacks_due(self) -> Iterator[tuple[dt.date, str, int]]:
        return (c for c in self.records.clawbacks_due() if c[1] not in self.invoice_ids)

    def invoices(self) -> Iterator[InvoiceRecord]:
        return (r for r in self.records.invoices() if r.id not in self.invoice_ids)

    def events(self) -> Iterator[tuple[str, str]]:
        return (e for e in self.records.events() if e[0] not in self.event_ids)

    def first_period(self, rep: str, currency: str) -> str | None:
        return None if rep in self.reps else self.totals.first_period(rep, currency)

    def ledger_keys(self) -> Iterator[tuple[str, str]]:
        return (key for key in self.totals.ledger_keys() if key[0] not in self.reps)

    def attained(self, rep: str, plan: str, quota_period: str) -> Exact | None:
        return None if rep in self.reps else self.totals.attained(rep, plan, quota_period)

    def ledgers(self) -> Iterator[LedgerRecord]:
        return (x for x in self.totals.ledgers() if x.rep not in self.reps)

    def attainments(self) -> Iterator[AttainmentRecord]:
        return (a for a in self.totals.attainments() if a.rep not in self.reps)


def recompute_concerned(
    plans: PlanBook,
    history: Sequence[BaseEvent | Rejection],
    new: Iterable[BaseEvent | Rejection],
    state: EngineState,
    named: Collection[str],
    closed_end: dt.date,
    *,
    through: dt.date | None,
    strict: bool,
    earlier: Sequence[BaseEvent] = (),
) -> Recomputed | None:
    """What one run over ``history`` gives (statements, rejections, end date), computed by
    recomputing from ``history`` only the reps the events ``named`` concern, the others
    resumed from ``state`` (closed through ``closed_end``) over ``new``: the events the
    closed periods did not fold. ``earlier``: what the changed events among ``named`` said
    when the closed periods were folded (their reps and invoices are concerned too). Returns
    that result, the reps recomputed and the state to keep, or ``None`` where the split is
    not known to be exact (see the module)."""
    if any(terms.bonus is not None for terms in terms_by_plan(plans).values()):
        return None
    events: list[BaseEvent] = []
    for event in history:
        if isinstance(event, Rejection):
            return None
        events.append(event)
    if len({event.id for event in events}) != len(events):
        return None
    # What changed events said before names reps and invoices too (``earlier``), though
    # only the history as now known is folded.
    concerned = Concerned.by([*events, *earlier] if earlier else events, named)
    mine = [event for event in events if concerned.concerns(event)]
    del events
    others: list[BaseEvent | Rejection] = []
    for event in new:
        if isinstance(event, Rejection):
            return None
        if not concerned.concerns(event):
            others.append(event)
    try:
        recomputed = compute(plans, list(mine), through=through, strict=strict)
        resumed = compute(plans, list(others), through=through, state=state, strict=strict)
        if through is None:
            # One run ends at its latest event applied: so must both halves.
            ends = [r.through for r in (recomputed, resumed) if r.through is not None]
            end = max(ends) if ends else None
            if end is None or end <= closed_end:
                return None
            # A half that ended earlier is run again through the end. Exact only when it has
            # no event after the end: the whole run folds those (each rejected, or it would
            # have ended later), where a run through the end leaves them pending.
            if recomputed.through != end:
                if _any_after(mine, end):
                    return None
                recomputed = compute(plans, list(mine), through=end, strict=strict)
            if resumed.through != end:
                if _any_after(others, end):
                    return None
                resumed = compute(plans, list(others), through=end, state=state, strict=strict)
    except RejectedEventError:
        return None
    reps = concerned.reps
    statements: list[Statement] = [s for s in recomputed.statements if s.rep in reps]
    statements.extend(s for s in resumed.statements if s.rep not in reps)
    statements.sort(key=lambda s: (s.rep, s.period, s.currency))
    result = Result.of(
        plans,
        None,
        resumed.through,
        statements,
        (*recomputed.rejected, *resumed.rejected),
        recomputed.pending + resumed.pending,
        recomputed.duplicates + resumed.duplicates,
    )
    folded = frozenset(event.id for event in mine)
    return Recomputed(result, concerned, folded, recomputed, resumed)


def _any_after(events: Iterable[BaseEvent | Rejection], end: dt.date) -> bool:
    return any(not isinstance(e, Rejection) and e.date > end for e in events)
