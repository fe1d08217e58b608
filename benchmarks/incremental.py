"""Closed periods: does a monthly run cost the new events, not the whole history?

Closes a generated stream through its second-to-last month, then times the last month's run
three ways: a full batch over all events; resuming the closed state over the new events only
(the API's incremental path); and ``reopen_and_compute`` over the whole file as ``payouts
--ledger`` does it (which must also check every closed event for changes). Events are parsed
before any timing. Usage::

    .venv/bin/python benchmarks/generate.py 100k
    .venv/bin/python benchmarks/incremental.py 100k
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from commission_engine import compute
from commission_engine.books.closing import close, reopen_and_compute
from commission_engine.domain.events import BaseEvent
from commission_engine.domain.statements import last_day, period_of
from commission_engine.files import read_events, read_plans

DATA = Path(__file__).resolve().parent / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", default="100k", help="a folder under data/")
    folder = DATA / parser.parse_args().size
    plans = read_plans(folder / "plans.yaml")
    events = [e for e in read_events(folder / "events.jsonl") if isinstance(e, BaseEvent)]
    end = max(event.date for event in events)
    last_closed = period_of(end.replace(day=1) - dt.timedelta(days=1))
    new = [event for event in events if event.date > last_day(last_closed)]

    closed, _ = close(plans, events, last_closed)

    def timed(label: str, run: Callable[[], object]) -> float:
        start = time.process_time()
        run()
        seconds = time.process_time() - start
        print(f"| {label} | {seconds:.2f} s |")
        return seconds

    print(
        f"{len(events):,} events through {end}; closed through {last_closed}; "
        f"{len(new):,} new events ({len(new) / len(events):.1%})\n"
    )
    print("| run of the last month | CPU |\n|---|---|")
    batch = timed("batch, all events", lambda: compute(plans, events, through=end))
    resumed = timed(
        "resume the closed state, new events only",
        lambda: compute(plans, new, through=end, state=closed.state),
    )
    # Fresh events: those above remember the digests closing computed, which a run that
    # reads its file does not have (payouts --ledger digests them as it reads).
    fresh = [e for e in read_events(folder / "events.jsonl") if isinstance(e, BaseEvent)]
    timed(
        "reopen_and_compute, whole file (payouts --ledger)",
        lambda: reopen_and_compute(plans, fresh, closed, through=end),
    )
    print(
        f"\nresume / batch = {resumed / batch:.1%} of the time for "
        f"{len(new) / len(events):.1%} of the events"
    )


if __name__ == "__main__":
    main()
