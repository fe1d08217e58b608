"""Run the same events under several plans and set the outcomes side by side.

Each scenario is computed by :func:`~commission_engine.compute` exactly as a
payroll run would be; every figure here is read back from that run's statements,
lines and state, so a comparison can never disagree with the statements it sums.
The result types and their views are in :mod:`.comparison`; the definitions of the
figures are in ``docs/modeling.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ..api import EventInput, Result, compute
from ..domain.errors import PlanError, Rejection
from ..domain.events import BaseEvent, parse_event
from ..domain.money import ZERO, round_money, zero
from ..domain.plans import Plan, PlanBook
from ..domain.statements import LedgerLine, LineKind, Statement
from ..files.many_files import EventFiles
from .comparison import Comparison, PeriodFigures, PlanOutcome, ScenarioRun, TermFigures

#: Line kinds that take advanced commission back because of how the invoice was collected.
CLAWBACK_KINDS: frozenset[LineKind] = frozenset({"past_due", "clawback"})

#: What :func:`compare_plans` accepts: plans (each named by its id, every rep on it), or
#: names mapped to a plan or to a whole plan book (the current assignments, say).
Scenarios = Iterable[Plan] | Mapping[str, Plan | PlanBook]


def compare_plans(
    plans: Scenarios,
    events: Iterable[EventInput],
    *,
    through: dt.date | None = None,
    processes: int = 1,
    client: Any = None,
) -> Comparison:
    """Compute ``events`` once per scenario and sum up each run.

    A :class:`~commission_engine.Plan` is run with every rep on it; a
    :class:`~commission_engine.PlanBook` is run as it is. Runs are lenient: an
    event a scenario cannot apply is listed in that outcome's ``rejected``.
    Every scenario is computed through the same date: ``through``, or by default
    the date the first scenario's run ends on (its latest event applied).

    With ``processes`` above 1, up to that many scenarios are computed at once in
    processes forked from this one (on platforms that fork; from a process without
    threads of its own): the same outcomes, but their runs keep no engine state
    (``outcome.result.state()`` raises), which also keeps memory down.

    With ``client``, a ``dask.distributed.Client`` (the ``dask`` extra), each scenario is
    computed by a worker of its cluster instead: the same outcomes, keeping no engine state.

    >>> from commission_engine import Plan
    >>> events = [
    ...     {"type": "invoice", "id": "e1", "date": "2026-01-15", "invoice": "I1",
    ...      "rep": "ana", "amount": "1000.00"},
    ...     {"type": "payment", "id": "e2", "date": "2026-03-10", "invoice": "I1",
    ...      "amount": "1000.00"},
    ... ]
    >>> levels = [Plan(id=f"L{n}", currency="USD", level=n, rate="0.10") for n in (0, 3)]
    >>> comparison = compare_plans(levels, events)
    >>> [(o.name, str(o.payout), str(o.weighted_days)) for o in comparison.outcomes]
    [('L0', '100.00', '0'), ('L3', '100.00', '54')]
    """
    scenarios = _scenarios(plans)
    comparison = _compare(scenarios, events, through, processes, client)
    if not isinstance(events, EventFiles):
        return comparison
    # Several files: each rejection's line in its own file (compute does so for one run).
    return dataclasses.replace(
        comparison,
        outcomes=tuple(
            dataclasses.replace(
                outcome,
                result=outcome.result.model_copy(
                    update={"rejected": events.located(outcome.result.rejected)}
                ),
            )
            for outcome in comparison.outcomes
        ),
    )


def _compare(
    scenarios: list[tuple[str, PlanBook]],
    events: Iterable[EventInput],
    through: dt.date | None,
    processes: int,
    client: Any,
) -> Comparison:
    # Validate raw records once: every scenario then folds the very same events.
    given: list[BaseEvent | Rejection] = [
        parse_event(item) if isinstance(item, Mapping) else item for item in events
    ]
    if client is not None:
        from .side_by_side import outcomes_on_cluster

        outcomes = outcomes_on_cluster(client, scenarios, given, through, _run)
        return Comparison(through=outcomes[-1].result.through, outcomes=tuple(outcomes))
    run = _run(given)
    if processes > 1 and len(scenarios) > 1 and hasattr(os, "fork"):
        from .side_by_side import outcomes_in_parallel

        outcomes = outcomes_in_parallel(scenarios, given, through, processes, run)
        return Comparison(through=outcomes[-1].result.through, outcomes=tuple(outcomes))
    outcomes = []
    for name, book in scenarios:
        outcome = run(name, book, through)
        through = outcome.result.through  # the first run fixes the date for the others
        outcomes.append(outcome)
    return Comparison(through=through, outcomes=tuple(outcomes))


def _run(given: Sequence[BaseEvent | Rejection]) -> ScenarioRun:
    """One scenario's run over ``given`` and its outcome."""

    def run(name: str, book: PlanBook, through: dt.date | None) -> PlanOutcome:
        outcome = _outcome(name, _currency(name, book), compute(book, given, through=through))
        if any(plan.has_section_11_terms for plan in book.plans):
            outcome = dataclasses.replace(outcome, terms=term_figures(outcome))
        return outcome

    return run


def _scenarios(plans: Scenarios) -> list[tuple[str, PlanBook]]:
    if isinstance(plans, Mapping):
        named: Iterable[tuple[str, Plan | PlanBook]] = plans.items()
    else:
        named = [(plan.id, plan) for plan in plans]
    scenarios: list[tuple[str, PlanBook]] = []
    for name, plan in named:
        if any(name == seen for seen, _ in scenarios):
            raise PlanError(f"two scenarios are named {name}; give each a distinct name")
        book = plan if isinstance(plan, PlanBook) else PlanBook(plans=[plan])
        scenarios.append((name, book))
    if not scenarios:
        raise PlanError("give at least one plan to compare")
    return scenarios


def _currency(name: str, book: PlanBook) -> str:
    # Figures are sums of money; summing two currencies would mean nothing.
    currencies = sorted({plan.currency for plan in book.plans})
    if len(currencies) > 1:
        raise PlanError(
            f"scenario {name} pays in {', '.join(currencies)}; "
            "compare plans that pay in one currency"
        )
    return currencies[0]


def _outcome(name: str, currency: str, result: Result) -> PlanOutcome:
    nothing = zero(currency)
    periods = _periods(result.statements, nothing)
    lines = result.lines
    invoices = result.invoices()
    booked = {invoice.id: invoice.date for invoice in invoices}
    collected = sum((invoice.paid for invoice in invoices), nothing)
    payout = sum((p.payout for p in periods), nothing)
    peak = max(periods, key=lambda p: p.debt, default=None)  # the first period at the peak
    peak_debt = nothing if peak is None else peak.debt
    return PlanOutcome(
        name=name,
        currency=currency,
        payout=payout,
        gross=sum((p.gross for p in periods), nothing),
        clawed_back=sum((p.clawed_back for p in periods), nothing),
        reinstated=sum((x.amount for x in lines if x.kind == "reinstatement"), nothing),
        peak_debt=peak_debt,
        peak_debt_period=None if peak is None or peak_debt == ZERO else peak.period,
        final_debt=periods[-1].debt if periods else nothing,
        held=periods[-1].held if periods else nothing,
        collected=collected,
        cost_share=payout / collected if collected else None,
        weighted_days=_weighted_days(lines, booked),
        periods=tuple(periods),
        result=result,
    )


def term_figures(outcome: PlanOutcome) -> TermFigures:
    """What the terms of section 11 cost or paid in ``outcome`` (its run keeps its state)."""
    result, nothing = outcome.result, zero(outcome.currency)
    lines = result.lines
    forfeited_late = sum(
        (
            round_money(position.late_lost, outcome.currency)
            for invoice in result.invoices()
            for position in invoice.positions
            if position.late_lost
        ),
        nothing,
    )
    topped_up: dict[str, Decimal] = {}
    owed: dict[str, Decimal] = {}
    for statement in result.statements:  # sorted by rep, then period: the last is the latest
        if statement.draw_recoverable:
            topped_up[statement.rep] = topped_up.get(statement.rep, ZERO) + statement.draw
        owed[statement.rep] = statement.debt_balance
    recovered = sum(
        (drawn - min(drawn, owed.get(rep, ZERO)) for rep, drawn in topped_up.items()), nothing
    )
    return TermFigures(
        bonus_paid=sum((x.amount for x in lines if x.kind == "collection_bonus"), nothing),
        cash_with_order_paid=sum((x.amount for x in lines if x.kind == "cash_with_order"), nothing),
        forfeited_late=forfeited_late,
        draws_topped_up=sum((s.draw for s in result.statements), nothing),
        draws_recovered=recovered,
    )


def _periods(statements: Sequence[Statement], nothing: Decimal) -> list[PeriodFigures]:
    """Totals per period over every rep; a rep's balances count from their first statement."""
    by_period: dict[str, list[Statement]] = {}
    for statement in statements:
        by_period.setdefault(statement.period, []).append(statement)
    figures: list[PeriodFigures] = []
    cumulative = nothing
    for period in sorted(by_period):
        group = by_period[period]
        payout = sum((s.payout for s in group), nothing)
        cumulative += payout
        figures.append(
            PeriodFigures(
                period=period,
                gross=sum((s.gross for s in group), nothing),
                payout=payout,
                cumulative_payout=cumulative,
                clawed_back=_clawed_back(line for s in group for line in s.lines) + nothing,
                held=sum((s.held_balance for s in group), nothing),
                debt=sum((s.debt_balance for s in group), nothing),
            )
        )
    return figures


def _clawed_back(lines: Iterable[LedgerLine]) -> Decimal:
    """What clawback lines took back, as a positive amount."""
    return -sum(
        (line.amount for line in lines if line.kind in CLAWBACK_KINDS and line.amount < ZERO),
        ZERO,
    )


def _weighted_days(lines: Sequence[LedgerLine], booked: Mapping[str, dt.date]) -> Decimal | None:
    """Days from invoice date to the date commission became payable, weighted by amount.

    Only amounts that became payable (positive invoice lines) count; what is
    taken back is reported as ``clawed_back`` rather than subtracted here.
    """
    weighted = total = ZERO
    for line in lines:
        if line.invoice is not None and line.amount > ZERO:
            weighted += line.amount * (line.date - booked[line.invoice]).days
            total += line.amount
    if not total:
        return None
    return weighted / total
