"""Receivables behind the pay, per rep, as of a date: aging, DSO and commission at risk.

The invoice balances come from the engine itself: one run through ``as_of``
stops at each period end (:func:`~commission_engine.api.open_invoices_at`), and the
balances are read from its invoices as a run through that day leaves them (the records
of :class:`~commission_engine.EngineState`). Nothing here re-applies an event. The result
types and their views are in :mod:`.receivables`. The definitions are in ``docs/modeling.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal, localcontext
from typing import Any

from ..api import EventInput, compute, open_invoices_at
from ..domain.errors import Rejection
from ..domain.events import BaseEvent, parse_event
from ..domain.money import EXACT, ZERO, exact_product, round_money, zero
from ..domain.plans import Plan, PlanBook
from ..domain.state import InvoiceRecord, PositionRecord
from ..domain.statements import last_day, period_of, periods_between
from ..domain.targets import Terms, late_bases, payable_base
from ..files.many_files import EventFiles
from ..parallel.wire import event_from, event_values
from .receivables import Aging, OpenItem, PeriodDso, RepAging, bucket_of


def age_receivables(
    plans: PlanBook,
    events: Iterable[EventInput],
    as_of: dt.date,
    *,
    dso: bool = True,
    client: Any = None,
) -> Aging:
    """Age every rep's open receivables on ``as_of`` and price the commission at risk.

    ``plans`` give each invoice its due date, currency and commission terms, as
    in :func:`~commission_engine.compute`. Events dated after ``as_of`` are
    counted in ``pending``; rejected events are listed in ``rejected``.

    DSO needs the balances at every period end: one run stops at each to read the
    invoices then open (more than a run that does not stop, which takes no copy of
    them); with ``dso=False`` the run does not stop and ``Aging.dso`` is empty.

    >>> from commission_engine import Plan, PlanBook
    >>> plans = PlanBook(plans=[Plan(id="L2", currency="USD", level=2, rate="0.10")])
    >>> events = [
    ...     {"type": "invoice", "id": "e1", "date": "2026-01-15", "invoice": "I1",
    ...      "rep": "ana", "amount": "1000.00", "due": "2026-02-14"},
    ...     {"type": "payment", "id": "e2", "date": "2026-02-10", "invoice": "I1",
    ...      "amount": "400.00"},
    ... ]
    >>> ana = age_receivables(plans, events, dt.date(2026, 3, 31)).rep("ana")
    >>> ana.buckets()["31-60"], ana.held, ana.clawback_exposure, ana.at_risk
    (Decimal('600.00'), Decimal('30.00'), Decimal('30.00'), Decimal('60.00'))

    With ``client``, a ``dask.distributed.Client`` (the ``dask`` extra), the aging is computed
    by one worker of its cluster, the events sent as plain values: aging reads every
    invoice's balances, which a run split by rep does not keep (docs/scaling.md).
    """
    if not isinstance(events, EventFiles):
        return _aged(plans, events, as_of, dso, client)
    aging = _aged(plans, list(events), as_of, dso, client)
    # Several files: each rejection's line in its own file (compute does so for one run).
    return dataclasses.replace(aging, rejected=events.located(aging.rejected))


def _aged(
    plans: PlanBook, events: Iterable[EventInput], as_of: dt.date, dso: bool, client: Any
) -> Aging:
    if client is not None:
        plain = [event_values(e) for e in _events(events)]
        future = client.submit(_aged_on_worker, plans, plain, as_of, dso, pure=False)
        try:
            aging: Aging = future.result()
        finally:
            future.cancel()
        return aging
    if dso:
        given = [parse_event(item) if isinstance(item, Mapping) else item for item in events]
        days = [event.date for event in given if isinstance(event, BaseEvent)]
        first = period_of(min(min(days), as_of)) if days else period_of(as_of)
        ends = [min(last_day(p), as_of) for p in periods_between(first, period_of(as_of))]
        open_at, result = open_invoices_at(plans, given, ends)
        snapshots = [(period_of(end), end, open_) for end, open_ in zip(ends, open_at, strict=True)]
    else:
        result = compute(plans, events, through=as_of)
        snapshots = []
    invoices = result.invoices()
    terms = {plan.id: plan for plan in plans.plans}
    items = tuple(_open_items(invoices, terms, as_of))
    periods = (
        sorted(_dso(snapshots, invoices, terms), key=lambda d: (d.rep, d.currency)) if dso else []
    )
    return Aging(
        as_of=as_of,
        reps=_rep_rows(invoices, items),
        items=items,
        dso=tuple(periods),
        rejected=result.rejected,
        pending=result.pending,
    )


def _events(events: Iterable[EventInput]) -> list[BaseEvent | Rejection]:
    return [parse_event(item) if isinstance(item, Mapping) else item for item in events]


def _aged_on_worker(
    plans: PlanBook, plain: list[tuple[int, Any]], as_of: dt.date, dso: bool
) -> Aging:
    return age_receivables(plans, [event_from(values) for values in plain], as_of, dso=dso)


# Balances at each period end -----------------------------------------------------------

#: A period, its last day (or ``as_of``), and the invoices then open.
Snapshot = tuple[str, dt.date, tuple[InvoiceRecord, ...]]
#: Plan id -> plan, for reading the plan behind a saved position.
PlansById = Mapping[str, Plan]


def _parts(
    invoice: InvoiceRecord, total: Decimal, terms: PlansById
) -> Iterator[tuple[PositionRecord, Decimal]]:
    """Each rep's part of ``total`` by share; the parts sum to ``total`` exactly.

    Cumulative shares are rounded, as commission targets are (SEMANTICS.md 5),
    so no minor unit is lost or made up on a split invoice.
    """
    mode = terms[invoice.positions[0].plan].rounding
    share = ZERO
    before = zero(invoice.currency)
    with localcontext(EXACT):
        for position in invoice.positions:
            share += position.share
            after = round_money(total * share, invoice.currency, mode)
            yield position, after - before
            before = after


def _open(invoice: InvoiceRecord) -> Decimal:
    return invoice.amount - invoice.credited - invoice.paid - invoice.written_off


# Aging and commission at risk ----------------------------------------------------------


def _open_items(
    invoices: Sequence[InvoiceRecord], terms: PlansById, as_of: dt.date
) -> Iterator[OpenItem]:
    for invoice in invoices:
        balance = _open(invoice)
        if balance <= ZERO:
            continue
        days = (as_of - invoice.due).days
        for position, part in _parts(invoice, balance, terms):
            exposure = _clawback_exposure(invoice, position, terms)
            yield OpenItem(
                rep=position.rep,
                currency=invoice.currency,
                invoice=invoice.id,
                date=invoice.date,
                due=invoice.due,
                days_past_due=days,
                bucket=bucket_of(days),
                open=part,
                held=position.held,
                clawback_exposure=exposure,
                # While in dispute the clock is stopped: no date until it is resolved (11.6).
                clawback_date=position.clawback_date
                if exposure and invoice.disputed_since is None
                else None,
            )


def _clawback_exposure(
    invoice: InvoiceRecord, position: PositionRecord, terms: PlansById
) -> Decimal:
    """What the pending past-due clawback would take back if nothing more is paid.

    The engine's own payable target (SEMANTICS.md 3) with ``d = 1`` instead of
    ``d = 0``, rounded as the engine rounds it, less what is payable now. Under a
    late-payment schedule (11.2) the cash counts at its factor-weighted ``paid_f``, as the
    saved position keeps it and the engine posts it.
    """
    nothing = zero(invoice.currency)
    if position.clawback_date is None or position.past_due:
        return nothing
    plan_terms = Terms(terms[position.plan])
    with localcontext(EXACT):
        net = invoice.amount - invoice.credited
        paid, written_off = invoice.paid, invoice.written_off
        if plan_terms.late is None:
            base = payable_base(plan_terms, net, paid, written_off, past_due=True)
            if_due = plan_terms.round.times_ratio(position.commission, base, invoice.amount)
        else:  # as the engine's _post: exact base, one rounded quotient
            late_base, _ = late_bases(
                plan_terms, net, paid, written_off, True, position.paid_factored
            )
            if_due = plan_terms.round.ratio(
                exact_product(position.commission, late_base), invoice.amount
            )
    return position.payable - if_due + nothing


def _rep_rows(invoices: Sequence[InvoiceRecord], items: Sequence[OpenItem]) -> tuple[RepAging, ...]:
    held: dict[tuple[str, str], Decimal] = {}
    for invoice in invoices:
        for position in invoice.positions:
            key = (position.rep, invoice.currency)
            held[key] = held.get(key, zero(invoice.currency)) + position.held
    by_rep: dict[tuple[str, str], list[OpenItem]] = {}
    for item in items:
        by_rep.setdefault((item.rep, item.currency), []).append(item)
    rows = []
    for rep, currency in sorted(held):
        mine = by_rep.get((rep, currency), [])
        nothing = zero(currency)

        def in_bucket(
            name: str, mine: list[OpenItem] = mine, nothing: Decimal = nothing
        ) -> Decimal:
            return sum((item.open for item in mine if item.bucket == name), nothing)

        rows.append(
            RepAging(
                rep=rep,
                currency=currency,
                current=in_bucket("current"),
                days_1_30=in_bucket("1-30"),
                days_31_60=in_bucket("31-60"),
                days_61_90=in_bucket("61-90"),
                over_90=in_bucket("over 90"),
                held=held[(rep, currency)],
                clawback_exposure=sum((item.clawback_exposure for item in mine), nothing),
            )
        )
    return tuple(rows)


# Days sales outstanding ----------------------------------------------------------------


def _dso(
    snapshots: Sequence[Snapshot], final: Sequence[InvoiceRecord], terms: PlansById
) -> Iterator[PeriodDso]:
    sales: dict[tuple[str, str, str], Decimal] = {}
    first: dict[tuple[str, str], str] = {}
    for invoice in final:
        period = period_of(invoice.date)
        for position, part in _parts(invoice, invoice.amount, terms):
            key = (position.rep, invoice.currency)
            sales[(*key, period)] = sales.get((*key, period), ZERO) + part
            first[key] = min(first.get(key, period), period)
    for period, end, open_invoices in snapshots:
        receivables: dict[tuple[str, str], Decimal] = {}
        for invoice in open_invoices:
            balance = _open(invoice)
            if not balance:
                continue  # most invoices of a long history are closed: nothing to share
            for position, part in _parts(invoice, balance, terms):
                key = (position.rep, invoice.currency)
                receivables[key] = receivables.get(key, ZERO) + part
        for (rep, currency), since in sorted(first.items()):
            if period < since:
                continue
            nothing = zero(currency)
            owed = receivables.get((rep, currency), ZERO) + nothing
            sold = sales.get((rep, currency, period), ZERO) + nothing
            yield PeriodDso(
                rep=rep,
                currency=currency,
                period=period,
                receivables=owed,
                sales=sold,
                days=end.day,
                dso=owed * end.day / sold if sold else None,
            )
