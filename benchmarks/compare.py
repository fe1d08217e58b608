"""Plan modeling at scale: the same history under five plan variants (``compare_plans``).

    python benchmarks/compare.py [--sizes 100k,1M] [--processes 1,2]

What an analyst runs in a notebook: three years of a generated stream (``generate.py``)
replayed under the five involvement levels of one plan (the same rate; level 1 clawing back
60 days past due). The stream is kept to what one USD plan can apply (invoices in USD or
without a currency, their payments and the like, adjustments not in another currency), so
nothing is rejected for its currency. Events are read and validated before the timing.
For each ``--processes`` value it prints the wall seconds of ``compare_plans`` and a digest
of every outcome's figures and statements, which must be the same whatever the processes.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

from commission_engine import Plan, read_events
from commission_engine.domain.events import Adjustment, BaseEvent, Invoice
from commission_engine.modeling import compare_plans

DATA = Path(__file__).resolve().parent / "data"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}


def usd_events(size: str) -> list[BaseEvent]:
    """The stream's events that a USD plan can apply."""
    events = [e for e in read_events(DATA / size / "events.jsonl", processes=2)
              if isinstance(e, BaseEvent)]  # fmt: skip
    foreign = {e.invoice for e in events if type(e) is Invoice and e.currency not in (None, "USD")}
    return [
        e for e in events
        if (e.currency in (None, "USD") if type(e) is Adjustment
            else getattr(e, "invoice", None) not in foreign)
    ]  # fmt: skip


def levels() -> list[Plan]:
    clawback = {"after_days_past_due": 60}
    return [
        Plan(id=f"L{n}", currency="USD", level=n, rate="0.08",
             **({"clawback": clawback} if n == 1 else {}))
        for n in range(5)
    ]  # fmt: skip


def digest(comparison: object) -> str:
    text = "".join(
        f"{o.name} {o.payout} {o.gross} {o.clawed_back} {o.reinstated} {o.peak_debt} "
        f"{o.final_debt} {o.held} {o.collected} {o.weighted_days} {o.result.statements}"
        for o in comparison.outcomes  # type: ignore[attr-defined]
    )
    return hashlib.md5(text.encode()).hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100k,1M")
    parser.add_argument("--processes", default="1,2")
    args = parser.parse_args()
    print("| events | scenarios | processes | wall s | digest |\n|---:|---:|---:|---:|---|")
    for size in args.sizes.split(","):
        events = usd_events(size)
        for processes in (int(p) for p in args.processes.split(",")):
            kwargs = {} if processes == 1 else {"processes": processes}
            started = time.perf_counter()
            comparison = compare_plans(levels(), events, **kwargs)
            wall = time.perf_counter() - started
            print(f"| {len(events):,} | 5 | {processes} | {wall:.2f} | {digest(comparison)} |",
                  flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
