"""A close run in a child process, so that a test can kill it at any point."""

from __future__ import annotations

import sys
import time

from commission_engine import Plan, PlanBook
from commission_engine.books.closing import close
from commission_engine.books.monthly import close_with_ledger
from commission_engine.books.store import Ledger
from commission_engine.cli.close import TEXTS
from commission_engine.domain.events import parse_event


def events(invoices: int) -> list[dict[str, str]]:
    stream = []
    for n in range(invoices):
        day = f"2026-{1 + n % 2:02d}-{1 + n % 28:02d}"
        stream.append(
            {
                "type": "invoice",
                "id": f"i{n}",
                "date": day,
                "invoice": f"I{n}",
                "rep": f"r{n % 7}",
                "amount": f"{100 + n}.00",
            }
        )
        stream.append(
            {"type": "payment", "id": f"p{n}", "date": day, "invoice": f"I{n}", "amount": "50.00"}
        )
    return stream


PLANS = PlanBook(plans=[Plan(id="p", currency="USD", level=2, rate="0.1")])

if __name__ == "__main__":
    ledger, period, invoices = Ledger(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    hold = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0  # seconds to keep the ledger held
    # ``ingest`` keeps the events (period is then their month), ``ingest-late`` those of
    # the months before too (late for them, but those delivered already); ``store`` closes
    # from them, ``store-rows`` too, keeping its state in rows (a late event then recomputes
    # only the reps it concerns).
    way = sys.argv[5] if len(sys.argv) > 5 else "close"
    if way in ("ingest", "ingest-late"):
        given = [
            parse_event(e)
            for e in events(invoices)
            if e["date"].startswith(period) or (way == "ingest-late" and e["date"][:7] < period)
        ]
        with ledger.held(load=False, keep=True) as held:
            print("started", flush=True)
            time.sleep(hold)
            held.deliver(given)
        print("ingested", flush=True)
        sys.exit(0)
    # ``texts``: the close keeps the closed statements' printed texts, as the command does.
    texts = TEXTS if sys.argv[6:] == ["texts"] else None
    with ledger.held(lazy=texts is not None or way == "store-rows", texts=texts) as held:
        print("started", flush=True)
        time.sleep(hold)
        if way in ("store", "store-rows"):
            held.record(close_with_ledger(PLANS, [], period, held)[0])
        else:
            held.record(close(PLANS, events(invoices), period, held.previous)[0])
    print("closed", flush=True)
