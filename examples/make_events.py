"""Write the example year of events: examples/events.csv and examples/events.jsonl.

    python3 examples/make_events.py [OUTPUT_DIR]

Deterministic (a fixed seed, no clock), so the files can be regenerated and
compared byte for byte. A year of invoices for five reps (plans in
examples/plans.yaml), paid promptly, slowly, late or in parts, plus scripted
stories every run contains: a late payer clawed back 60 days past due and
reinstated when it pays, a write-off after a partial payment, a credit note, a
split invoice, a bounced payment, a recovery after write-off and two
adjustments. Money is handled as whole cents (int), so nothing here rounds.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import sys
from pathlib import Path
from typing import Any

SEED = 20260101
YEAR_END = dt.date(2026, 12, 31)
COLUMNS = (
    "type", "id", "date", "invoice", "rep", "splits", "customer",
    "amount", "tax", "cost", "due", "reason",
)  # fmt: skip
ORDER = ("invoice", "credit_note", "payment", "payment_reversal", "write_off", "adjustment")

#: Customer -> how it pays: prompt (within terms), slow (after the due date, before any
#: clawback), late (months late), instalments (in two or three parts).
CUSTOMERS = {
    "Acme Corp": "prompt",
    "Hooli": "prompt",
    "Stark Industries": "prompt",
    "Wonka Industries": "prompt",
    "Initech": "slow",
    "Tyrell Corp": "slow",
    "Globex": "late",
    "Cyberdyne": "late",
    "Umbrella": "instalments",
    "Vandelay Imports": "instalments",
}
#: Rep -> invoices a month and typical size in dollars.
REPS = {"alice": (3, 9_000), "bob": (3, 7_000), "carol": (4, 16_000), "dave": (2, 6_000)}
TAXED = {"Acme Corp", "Initech", "Umbrella"}  # their invoices include 8.25% sales tax


def money(cents: int) -> str:
    """Whole cents as text: 123456 -> '1234.56'."""
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


class Year:
    """Collects the year's events as records of text, the way a CSV holds them."""

    def __init__(self) -> None:
        self.events: list[dict[str, str]] = []
        self.invoices = 0

    def add(self, kind: str, day: dt.date, **fields: Any) -> None:
        if day <= YEAR_END:
            given = {k: str(v) for k, v in fields.items() if v is not None}
            self.events.append({"type": kind, "date": day.isoformat(), **given})

    def invoice(self, day: dt.date, rep: str | None, customer: str, net: int, **more: Any) -> str:
        self.invoices += 1
        number = f"INV-{self.invoices:04d}"
        tax = net * 825 // 10_000 if customer in TAXED else 0
        self.add(
            "invoice", day, invoice=number, rep=rep, customer=customer,
            amount=money(net + tax), tax=money(tax) if tax else None, **more,
        )  # fmt: skip
        return number

    def pay(self, day: dt.date, invoice: str, cents: int) -> None:
        self.add("payment", day, invoice=invoice, amount=money(cents))


def background(year: Year, rng: random.Random) -> None:
    """Each rep's invoices month by month, each paid the way its customer pays."""
    customers = sorted(CUSTOMERS)
    for month in range(1, 13):
        for rep, (count, size) in REPS.items():
            for _ in range(count):
                day = dt.date(2026, month, rng.randint(1, 28))
                customer = rng.choice(customers)
                net = rng.randint(size // 2, size * 3 // 2) * 100 + rng.choice((0, 0, 50, 99))
                cost = {"cost": money(net * 55 // 100)} if rep == "dave" else {}
                number = year.invoice(day, rep, customer, net, **cost)
                tax = net * 825 // 10_000 if customer in TAXED else 0
                settle(year, rng, number, day, net + tax, CUSTOMERS[customer])


def settle(
    year: Year, rng: random.Random, invoice: str, day: dt.date, cents: int, habit: str
) -> None:
    after = {"prompt": (5, 30), "slow": (35, 80), "late": (95, 150), "instalments": (20, 45)}
    paid_on = day + dt.timedelta(days=rng.randint(*after[habit]))
    if habit != "instalments":
        year.pay(paid_on, invoice, cents)
        return
    parts = rng.choice((2, 3))
    first = cents // parts
    for part in range(parts):
        amount = first if part < parts - 1 else cents - first * (parts - 1)
        year.pay(paid_on + dt.timedelta(days=30 * part), invoice, amount)


def stories(year: Year) -> None:
    """The cases every run contains, so the example year shows each rule at work."""
    d = dt.date
    # A late payer: alice (level 1, clawback 60 days past due). Due 2026-03-12, clawed
    # back on 2026-05-11, paid 2026-06-15, which reinstates the commission.
    late = year.invoice(d(2026, 2, 10), "alice", "Globex", 2_400_000)
    year.pay(d(2026, 6, 15), late, 2_400_000)
    # Partly paid, then written off (before it went 60 days past due): the commission
    # advanced on the rest is taken back.
    lost = year.invoice(d(2026, 3, 5), "alice", "Soylent", 1_800_000)
    year.pay(d(2026, 4, 20), lost, 600_000)
    year.add("write_off", d(2026, 5, 29), invoice=lost)
    # The liquidator pays 1,500.00 more in November: a recovery after the write-off.
    year.pay(d(2026, 11, 16), lost, 150_000)
    # A credit note for damaged goods on bob's sale (level 2: half of the commission was
    # advanced, and a tenth of it is reversed); the rest is paid.
    credited = year.invoice(d(2026, 5, 12), "bob", "Initech", 3_000_000)
    year.add("credit_note", d(2026, 5, 20), invoice=credited, amount="3247.50",
             reason="damaged goods returned")  # fmt: skip
    year.pay(d(2026, 6, 25), credited, 3_247_500 - 324_750)
    # A split invoice: alice 60% (level 1), bob 40% (level 2), paid in two parts.
    split = year.invoice(d(2026, 4, 15), None, "Hooli", 5_000_000, splits="alice=0.6;bob=0.4")
    year.pay(d(2026, 5, 10), split, 2_000_000)
    year.pay(d(2026, 6, 10), split, 3_000_000)
    # A bounced cheque on bob's sale, paid again by wire.
    bounced = year.invoice(d(2026, 7, 20), "bob", "Vandelay Imports", 1_200_000)
    year.pay(d(2026, 8, 10), bounced, 1_200_000)
    year.add("payment_reversal", d(2026, 8, 14), invoice=bounced, amount="12000.00",
             reason="cheque returned unpaid")  # fmt: skip
    year.pay(d(2026, 9, 1), bounced, 1_200_000)
    # erin (level 0 through "*") books a few deals; collections have no bearing.
    for month, customer in ((3, "Acme Corp"), (6, "Cyberdyne"), (9, "Hooli"), (11, "Globex")):
        year.invoice(d(2026, month, 18), "erin", customer, 4_000_000)
    # Adjustments: a spot bonus, and a year-end correction.
    year.add("adjustment", d(2026, 4, 1), rep="erin", amount="250.00", reason="Q1 SPIFF")
    year.add("adjustment", d(2026, 12, 31), rep="bob", amount="-75.00",
             reason="duplicate expense refund")  # fmt: skip


def numbered(events: list[dict[str, str]]) -> list[dict[str, str]]:
    """The events in the engine's order, with ids E0001... in that order."""

    def key(event: dict[str, str]) -> tuple[str, int, str]:
        return (event["date"], ORDER.index(event["type"]), event.get("invoice", ""))

    return [{"id": f"E{n:04d}", **event} for n, event in enumerate(sorted(events, key=key), 1)]


def as_json(event: dict[str, str]) -> str:
    record: dict[str, Any] = dict(event)
    if "splits" in record:
        pairs = (part.split("=") for part in record["splits"].split(";"))
        record["splits"] = [{"rep": rep, "share": share} for rep, share in pairs]
    return json.dumps(record, ensure_ascii=False)


def main(folder: Path) -> None:
    rng = random.Random(SEED)
    year = Year()
    stories(year)
    background(year, rng)
    events = numbered(year.events)
    with (folder / "events.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(events)
    (folder / "events.jsonl").write_text(
        "".join(as_json(event) + "\n" for event in events), encoding="utf-8"
    )
    print(f"wrote {len(events)} events to {folder}/events.csv and events.jsonl")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
