"""A floor under the fold's cost per event: what the least fold of the same records pays.

    python benchmarks/floor.py [--small 100k] [--large 1M] [--rounds 3]

Issue 21 asks the fold's cost per event at 1M to be at most 1.2x its cost at 100k. The fold
does no more work per event at 1M (fewer instructions), so what the large stream adds is
time spent waiting on memory: ten times the invoices in flight and ten times the reps. This
script measures how much of that any fold of the engine's records pays, by folding each
stream with four models that do less than the engine, each a part of what it must do:

- ``find``: each invoice put in a table by its id, and each later event finding its invoice
  there (the spec names invoices by id);
- ``state``: and each invoice's state made (an ``InvoiceState`` and one ``Position``, the
  engine's own records), each payment moving its open and paid balances and its position's
  payable;
- ``ledger``: and each booking posting one line to its rep's account for the period
  (``RepAccount``, ``PeriodTotals``, ``LedgerLine``): a line an invoice, fewer than the
  engine posts (0.39 an event against its 0.70, on either stream);
- ``log``: ``state``, with the same lines appended to one log of the run instead, in event
  order (the layout in which the ledger is summed by rep and period only for the
  statements; the summing is left out);

then with the engine's fold itself (``fold``, as ``scaling.py`` times it). Each model
folds each stream in a fresh process that read it, three times (the best is kept), the two
streams one after the other; with ``--rounds N`` it all runs N times and the medians are
given. The last column compares what each pays more an event at the large stream with what
the target allows the fold: a fifth of the fold's own cost at the small stream.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal, localcontext
from pathlib import Path

from scaling import DATA, distinct, per_event

from commission_engine import read_plans
from commission_engine.domain.events import Adjustment, BaseEvent, Invoice, Payment
from commission_engine.domain.money import EXACT, ZERO
from commission_engine.domain.statements import LedgerLine, PeriodTotals, period_of
from commission_engine.domain.working import InvoiceState, Position, RepAccount

_new_object = object.__new__
_new_tuple = tuple.__new__


def _rep(event: Invoice) -> str:
    """The invoice's rep, or the first of its split's."""
    if event.rep is not None:
        return event.rep
    assert event.splits is not None
    return event.splits[0].rep


def find(events: list[BaseEvent]) -> None:
    """Each invoice in a table by id; each later event finds its own."""
    invoices: dict[str, Invoice] = {}
    for event in events:
        kind = type(event)
        if kind is Invoice:
            invoices[event.invoice] = event  # type: ignore[attr-defined,assignment]
        elif kind is not Adjustment:
            invoices.get(event.invoice)  # type: ignore[attr-defined]


def state(events: list[BaseEvent]) -> None:
    """:func:`find`, with each invoice's state and position, moved by its payments."""
    invoices: dict[str, InvoiceState] = {}
    for event in events:
        kind = type(event)
        if kind is Invoice:
            invoice_event: Invoice = event  # type: ignore[assignment]
            position = _new_object(Position)
            position.rep, position.payable = _rep(invoice_event), ZERO
            amount, day = invoice_event.amount, invoice_event.date
            invoices[invoice_event.invoice] = InvoiceState(
                invoice_event.invoice, day, "USD", amount, day, [position], amount
            )
        elif kind is not Adjustment:
            invoice = invoices.get(event.invoice)  # type: ignore[attr-defined]
            if invoice is not None and kind is Payment:
                _pay(invoice, event.amount)  # type: ignore[attr-defined]


def ledger(events: list[BaseEvent]) -> None:
    """:func:`state`, with a line posted to the rep's account for the period at booking."""
    invoices: dict[str, InvoiceState] = {}
    accounts: dict[str, RepAccount] = {}
    for event in events:
        kind = type(event)
        if kind is Invoice:
            invoice_event: Invoice = event  # type: ignore[assignment]
            rep, amount, day = _rep(invoice_event), invoice_event.amount, invoice_event.date
            account = accounts.get(rep)
            if account is None:
                account = accounts[rep] = RepAccount(first_period=period_of(day))
            position = _new_object(Position)
            position.rep, position.payable, position.ledger = rep, ZERO, account
            invoices[invoice_event.invoice] = InvoiceState(
                invoice_event.invoice, day, "USD", amount, day, [position], amount
            )
            period = period_of(day)
            totals = account.periods.get(period)
            if totals is None:
                totals = account.periods[period] = PeriodTotals()
            totals.gross += amount
            line = (rep, "USD", day, "advance", amount, event.id, invoice_event.invoice, None)
            totals.lines.append(_new_tuple(LedgerLine, line))
        elif kind is not Adjustment:
            invoice = invoices.get(event.invoice)  # type: ignore[attr-defined]
            if invoice is not None and kind is Payment:
                _pay(invoice, event.amount)  # type: ignore[attr-defined]


def _pay(invoice: InvoiceState, amount: Decimal) -> None:
    """A payment's part of the state: the open and paid balances, the position's payable."""
    invoice.open = invoice.open - amount
    invoice.paid += amount
    for position in invoice.positions:
        position.payable = position.payable + ZERO


def log(events: list[BaseEvent]) -> None:
    """:func:`state`, with each booking's line appended to one log of the run, in event
    order: the ledger kept as one log, to be summed by rep and period for the statements
    (that summing is left out: this is what a fold would pay, laid out so)."""
    invoices: dict[str, InvoiceState] = {}
    lines: list[LedgerLine] = []
    for event in events:
        kind = type(event)
        if kind is Invoice:
            invoice_event: Invoice = event  # type: ignore[assignment]
            rep, amount, day = _rep(invoice_event), invoice_event.amount, invoice_event.date
            position = _new_object(Position)
            position.rep, position.payable = rep, ZERO
            invoices[invoice_event.invoice] = InvoiceState(
                invoice_event.invoice, day, "USD", amount, day, [position], amount
            )
            line = (rep, "USD", day, "advance", amount, event.id, invoice_event.invoice, None)
            lines.append(_new_tuple(LedgerLine, line))
        elif kind is not Adjustment:
            invoice = invoices.get(event.invoice)  # type: ignore[attr-defined]
            if invoice is not None and kind is Payment:
                _pay(invoice, event.amount)  # type: ignore[attr-defined]


MODELS: dict[str, Callable[[list[BaseEvent]], None]] = {
    "find": find,
    "state": state,
    "ledger": ledger,
    "log": log,
}


def best_of_three(model: Callable[[list[BaseEvent]], None], events: list[BaseEvent]) -> float:
    """Microseconds per event of ``model`` over ``events``, the best of three folds."""
    best = float("inf")
    for _ in range(3):
        with localcontext(EXACT):
            start = time.perf_counter()
            model(events)
            best = min(best, time.perf_counter() - start)
    return best / len(events) * 1e6


def child(name: str, folder: Path) -> None:
    """One model (or the fold) over one stream, in this (fresh) process: prints ``micros``."""
    gc.disable()
    events = distinct(folder)
    if name == "fold":
        print(per_event(read_plans(folder / "plans.yaml"), events))
    else:
        print(best_of_three(MODELS[name], events))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", default="100k")
    parser.add_argument("--large", default="1M")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    # figures[stream][model] -> one figure a round
    figures: dict[str, dict[str, list[float]]] = {args.small: {}, args.large: {}}
    for _ in range(args.rounds):
        for name in [*MODELS, "fold"]:
            for size, by_model in figures.items():
                folder = Path(size) if Path(size).is_dir() else DATA / size
                command = [sys.executable, __file__, "--child", name, str(folder)]
                out = subprocess.run(command, check=True, capture_output=True, text=True)
                by_model.setdefault(name, []).append(float(out.stdout))
    small = {name: statistics.median(cells) for name, cells in figures[args.small].items()}
    large = {name: statistics.median(cells) for name, cells in figures[args.large].items()}
    print(f"Microseconds per event, medians of {args.rounds} round(s):\n")
    allowed = 0.2 * small["fold"]  # what at most 1.2x leaves the fold, per event
    print(
        f"| model | {args.small} | {args.large} | more an event | ratio "
        f"| of the {allowed:.2f} us 1.2x allows |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name in small:
        gap = large[name] - small[name]
        print(
            f"| {name} | {small[name]:.2f} | {large[name]:.2f} | {gap:.2f} | "
            f"{large[name] / small[name]:.2f}x | {gap / allowed:.0%} |"
        )


if __name__ == "__main__":
    main()
