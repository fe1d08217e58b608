"""What the engine's records do not keep, read from the events it applied: each invoice's
customer, tax and cost, and the dates of its payments.

The amounts come from the engine (:meth:`~commission_engine.api.Result.invoices`); these are
the facts around them. An event counts when the run applied it: the first of its id in the
input (a later line with the same id is a re-delivery or a rejected conflict), not rejected,
and dated on or before the end of the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from ..api import EventInput
from ..domain.disputes import Span
from ..domain.errors import Rejection
from ..domain.events import (
    BaseEvent,
    Dispute,
    DisputeResolved,
    Invoice,
    Payment,
    PaymentReversal,
    parse_event,
)

#: Where an invoice without a ``customer`` goes: a name no customer is likely to carry, and
#: one that says what it is.
NO_CUSTOMER = "(no customer)"


def parsed(events: Iterable[EventInput]) -> list[BaseEvent | Rejection]:
    """``events`` read once (raw records parsed), so that two runs can share them."""
    return [parse_event(item) if isinstance(item, Mapping) else item for item in events]


@dataclass(frozen=True, slots=True)
class InvoiceFacts:
    """An invoice as its event says it: customer (or :data:`NO_CUSTOMER`), tax and cost;
    its cash events as ``(date, amount)``, reversals negative, in the order applied; and its
    disputes as ``(date, resolved)`` (SEMANTICS.md 11.6; ``None`` while open)."""

    customer: str
    tax: Decimal
    cost: Decimal
    cash: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    disputes: list[Span] = field(default_factory=list)


def applied_events(
    events: Sequence[BaseEvent | Rejection],
    rejected: Sequence[Rejection],
    through: dt.date | None,
) -> list[BaseEvent]:
    """The events a run through ``through`` applied, in the order it applied them
    (``rejected`` is the run's list)."""
    # A rejection of a conflicting id names the id of the event that was kept: not that one.
    refused = {(r.event, r.line) for r in rejected if r.field != "id"}
    first: dict[str, BaseEvent] = {}
    for event in events:
        if isinstance(event, BaseEvent) and event.id not in first:
            first[event.id] = event
    return sorted(
        (
            event
            for event in first.values()
            if (event.id, event.line) not in refused and (through is None or event.date <= through)
        ),
        key=BaseEvent.sort_key,
    )


def invoice_facts(applied: Iterable[BaseEvent]) -> dict[str, InvoiceFacts]:
    """Invoice id -> :class:`InvoiceFacts`, from the events applied (:func:`applied_events`)."""
    facts: dict[str, InvoiceFacts] = {}
    for event in applied:
        if isinstance(event, Invoice):
            facts[event.invoice] = InvoiceFacts(
                customer=event.customer or NO_CUSTOMER, tax=event.tax, cost=event.cost
            )
        elif isinstance(event, Payment | PaymentReversal) and event.invoice in facts:
            sign = -1 if isinstance(event, PaymentReversal) else 1
            facts[event.invoice].cash.append((event.date, sign * event.amount))
        elif isinstance(event, Dispute) and event.invoice in facts:
            facts[event.invoice].disputes.append((event.date, None))
        elif isinstance(event, DisputeResolved) and event.invoice in facts:
            # (Applied, so it resolves the invoice's one open dispute: the last.)
            disputes = facts[event.invoice].disputes
            disputes[-1] = (disputes[-1][0], event.date)
    return facts
