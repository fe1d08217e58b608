"""The scenarios of a comparison computed side by side, in children forked from this process.

Each scenario is a whole run, independent of the others, so the scenarios are dealt out:
the first few to this process (its share, rounded up), the others in turn to children,
each of which computes its scenarios exactly as :func:`~.compare.compare_plans` does in one
process and sends back every figure and its run's statements as plain values (``pipes``;
the statements as :mod:`..split` writes them). The runs keep no engine state, wherever
they were computed.

Every scenario is computed through one date: the caller's, or else the date the first
scenario's run ends on, which the children cannot wait for. They compute through the latest
date of the events given; when the first run ends earlier (it rejected the latest events),
the children are stopped and the other scenarios computed here, one after the other, as in
one process. The outcomes are the same in every case (``tests/test_modeling_compare.py``).

On a Dask cluster (:func:`outcomes_on_cluster`), each scenario is a task of its own, run by
a worker exactly as here, on the events sent once as plain values (a task of their own too,
which the scheduler can run again if its worker dies).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import astuple
from decimal import Decimal
from typing import Any

from ..api import Result
from ..domain.errors import Rejection
from ..domain.events import BaseEvent
from ..domain.plans import PlanBook
from ..parallel.collector import collector_paused
from ..parallel.pipes import Child
from ..parallel.wire import (
    event_from,
    event_values,
    rejection_from,
    rejection_values,
    statement_from,
    statement_values,
)
from .comparison import PeriodFigures, PlanOutcome, ScenarioRun, TermFigures

_MONEY = ("payout", "gross", "clawed_back", "reinstated", "peak_debt", "final_debt", "held",
          "collected")  # fmt: skip


def outcomes_in_parallel(
    scenarios: Sequence[tuple[str, PlanBook]],
    given: Sequence[BaseEvent | Rejection],
    through: dt.date | None,
    processes: int,
    run: ScenarioRun,
) -> list[PlanOutcome]:
    """Each scenario's outcome, in order, ``run`` in up to ``processes`` processes at once."""
    workers = min(processes, len(scenarios))
    # This process takes the first scenarios, its share rounded up (a child also has to send
    # its outcomes, which costs it more than rebuilding them costs here), and deals out the rest.
    own = -(-len(scenarios) // workers)
    dealt = [list(range(own + child, len(scenarios), workers - 1)) for child in range(workers - 1)]
    guess = through or max((e.date for e in given if isinstance(e, BaseEvent)), default=None)
    with collector_paused():  # nothing for a child to copy by walking the parent's heap
        children = [
            Child.start(_work(scenarios, indices, guess, run), "a scenario of the comparison")
            for indices in dealt
        ]

    def here(name: str, book: PlanBook, through: dt.date | None) -> PlanOutcome:
        return _without_state(run(name, book, through))  # its working book freed at once

    try:
        outcomes = {0: here(*scenarios[0], through)}
        if outcomes[0].result.through != guess:
            # The first run ends before the latest event: the others run here, as in one process.
            for child in children:
                child.stop()
            through = outcomes[0].result.through
            for index, (name, book) in enumerate(scenarios[1:], start=1):
                outcomes[index] = here(name, book, through)
                through = outcomes[index].result.through
        else:
            for index in range(1, own):
                outcomes[index] = here(*scenarios[index], guess)
            for indices, child in zip(dealt, children, strict=True):
                for index in indices:
                    sent = child.receive()
                    with collector_paused():  # a run's statements: many objects, no cycles
                        outcomes[index] = _outcome(sent, scenarios[index][1])
        return [outcomes[index] for index in range(len(scenarios))]
    finally:
        for child in children:
            child.stop()


def outcomes_on_cluster(
    client: Any,
    scenarios: Sequence[tuple[str, PlanBook]],
    given: Sequence[BaseEvent | Rejection],
    through: dt.date | None,
    runner: Callable[[Sequence[BaseEvent | Rejection]], ScenarioRun],
) -> list[PlanOutcome]:
    """Each scenario's outcome, in order, each computed by a worker of ``client``'s cluster
    with ``runner(events)`` (a module-level function, sent by reference)."""
    events = client.submit(_plain_events, [event_values(e) for e in given], pure=False)
    guess = through or max((e.date for e in given if isinstance(e, BaseEvent)), default=None)

    def submit(index: int, until: dt.date | None) -> Any:
        name, book = scenarios[index]
        return client.submit(_on_worker, events, runner, name, book, until, pure=False)

    futures = [submit(index, guess) for index in range(len(scenarios))]
    try:
        first = _outcome(futures[0].result(), scenarios[0][1])
        if first.result.through != guess:
            # The first run ends before the latest event: it fixes the date for the others.
            client.cancel(futures[1:])
            futures[1:] = [submit(index, first.result.through) for index in range(1, len(futures))]
        sent = client.gather(futures[1:])
        return [first] + [
            _outcome(values, book) for values, (_, book) in zip(sent, scenarios[1:], strict=True)
        ]
    finally:
        client.cancel([events, *futures])


def _plain_events(plain: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    return plain  # a task, so that the events are run again rather than lost with a worker


def _on_worker(
    plain: list[tuple[int, Any]],
    runner: Callable[[Sequence[BaseEvent | Rejection]], ScenarioRun],
    name: str,
    book: PlanBook,
    through: dt.date | None,
) -> tuple[Any, ...]:
    with collector_paused():
        given = [event_from(values) for values in plain]
    return _sent(runner(given)(name, book, through))


def _work(
    scenarios: Sequence[tuple[str, PlanBook]],
    indices: Sequence[int],
    guess: dt.date | None,
    run: ScenarioRun,
) -> Callable[[Callable[[Any], None], Callable[[], Any]], None]:
    def work(reply: Callable[[Any], None], _: Callable[[], Any]) -> None:
        # All computed before any is sent: a reply waits in the pipe until this process is
        # done with its own scenarios, and the next scenario would wait behind it.
        for sent in [_sent(run(*scenarios[index], guess)) for index in indices]:
            reply(sent)

    return work


def _without_state(outcome: PlanOutcome) -> PlanOutcome:
    """``outcome``, its run keeping no engine state wherever it was computed (and its working
    book freed: a run's book is about as large as its events)."""
    return dataclasses.replace(outcome, result=outcome.result.without_state())


def _sent(outcome: PlanOutcome) -> tuple[Any, ...]:
    """``outcome`` as plain values (``str`` of a Decimal keeps its every digit)."""
    result = outcome.result
    return (
        outcome.name,
        outcome.currency,
        *(str(getattr(outcome, name)) for name in _MONEY),
        outcome.peak_debt_period,
        _text(outcome.cost_share),
        _text(outcome.weighted_days),
        [(p.period, str(p.gross), str(p.payout), str(p.cumulative_payout), str(p.clawed_back),
          str(p.held), str(p.debt)) for p in outcome.periods],
        None if result.through is None else result.through.toordinal(),
        [statement_values(statement) for statement in result.statements],
        [rejection_values(r) for r in result.rejected],
        result.pending,
        result.duplicates,
        None if outcome.terms is None else [str(v) for v in astuple(outcome.terms)],
    )  # fmt: skip


def _outcome(sent: tuple[Any, ...], book: PlanBook) -> PlanOutcome:
    """The outcome :func:`_sent` wrote; its run keeps no engine state."""
    name, currency, *money = sent[:10]
    period, cost_share, weighted_days, periods, through, statements, rejected = sent[10:17]
    pending, duplicates, terms = sent[17:]
    result = Result.of(
        book,
        None,
        None if through is None else dt.date.fromordinal(through),
        (statement_from(values) for values in statements),
        (rejection_from(values) for values in rejected),
        pending,
        duplicates,
    )
    return PlanOutcome(
        name=name,
        currency=currency,
        **{key: Decimal(value) for key, value in zip(_MONEY, money, strict=True)},
        peak_debt_period=period,
        cost_share=_decimal(cost_share),
        weighted_days=_decimal(weighted_days),
        periods=tuple(
            PeriodFigures(period, *(Decimal(value) for value in values))
            for period, *values in periods
        ),
        result=result,
        terms=None if terms is None else TermFigures(*(Decimal(value) for value in terms)),
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)
