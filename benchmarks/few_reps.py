"""A stream with few reps and many invoices in flight (issue 21's third target).

    python benchmarks/few_reps.py [--invoices 70000] [--seed 7]

Writes ``benchmarks/data/few-reps/``: ``plans.yaml`` (four plans at levels 1-4, three of them
tiered on a monthly quota, 15-day payment terms) and ``events.jsonl``: 5 reps, 70,000
invoices over two years (2025-2026), each paid in one to three parts, some late enough for
the clawback, with credit notes, reversals and write-offs. The same seed gives the same
bytes. Every event is valid.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent / "data" / "few-reps"
START, DAYS = dt.date(2025, 1, 1), 730
TIERS = [
    {"from": "0", "rate": "0.04"},
    {"from": "1", "rate": "0.06"},
    {"from": "1.5", "rate": "0.08"},
]
PLANS = {
    "plans": [
        {
            "id": "l1-tiered",
            "currency": "USD",
            "level": 1,
            "quota": "400000",
            "quota_period": "month",
            "tiers": TIERS,
            "payment_terms_days": 15,
            "clawback": {"after_days_past_due": 30},
        },
        {
            "id": "l2-tiered",
            "currency": "USD",
            "level": 2,
            "quota": "400000",
            "quota_period": "month",
            "tiers": TIERS,
            "payment_terms_days": 15,
            "clawback": {"after_days_past_due": 45, "max_recovery": "0.5"},
        },
        {"id": "l3-flat", "currency": "USD", "level": 3, "rate": "0.05", "payment_terms_days": 15},
        {
            "id": "l4-tiered",
            "currency": "USD",
            "level": 4,
            "quota": "400000",
            "quota_period": "month",
            "tiers": TIERS,
            "payment_terms_days": 15,
            "rounding": "half_even",
        },
    ],
    "assignments": [
        {"rep": "ana", "plan": "l1-tiered", "from": dt.date(2020, 1, 1)},
        {"rep": "bo", "plan": "l2-tiered", "from": dt.date(2020, 1, 1)},
        {"rep": "cy", "plan": "l3-flat", "from": dt.date(2020, 1, 1)},
        {"rep": "di", "plan": "l4-tiered", "from": dt.date(2020, 1, 1)},
        {"rep": "ed", "plan": "l2-tiered", "from": dt.date(2020, 1, 1)},
        {"rep": "ed", "plan": "l4-tiered", "from": dt.date(2026, 1, 1)},
    ],
}
REPS = ("ana", "bo", "cy", "di", "ed")


def cents(units: int) -> str:
    return f"{units // 100}.{units % 100:02d}"


def generate(invoices: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    raws: list[tuple[int, int, str, dict[str, object]]] = []
    order = {"invoice": 0, "credit_note": 1, "payment": 2, "payment_reversal": 3, "write_off": 4}
    for n in range(invoices):
        day = START + dt.timedelta(days=rng.randrange(DAYS - 120))
        amount = max(100, int(rng.lognormvariate(11.4, 0.9)))  # median about 900.00
        tax = amount * rng.choice((0, 0, 725)) // 10_725
        inv = f"I{n:06d}"
        rep = REPS[min(4, int(rng.paretovariate(1.2)) - 1)]
        events = [
            (
                "invoice",
                day,
                {
                    "invoice": inv,
                    "rep": rep,
                    "amount": cents(amount),
                    "tax": cents(tax),
                    "customer": f"C{rng.randrange(2000):04d}",
                },
            )
        ]
        left = amount
        if rng.random() < 0.05:  # a credit note before any payment
            credit = amount * rng.randrange(5, 40) // 100
            day += dt.timedelta(days=rng.randrange(1, 10))
            events.append(("credit_note", day, {"invoice": inv, "amount": cents(credit)}))
            left -= credit
        parts = rng.choice((1, 1, 1, 2, 3))
        late = rng.random() < 0.12
        for part in range(parts):
            if left <= 0:
                break
            day += dt.timedelta(days=rng.randrange(1, 80 if late else 20))
            pay = left if part == parts - 1 else max(1, left * rng.randrange(20, 70) // 100)
            if rng.random() < 0.03 and part == parts - 1:  # the rest is never paid
                events.append(("write_off", day, {"invoice": inv}))
                left = 0
                break
            events.append(("payment", day, {"invoice": inv, "amount": cents(pay)}))
            if rng.random() < 0.02:  # bounced, and paid again later
                day += dt.timedelta(days=rng.randrange(1, 10))
                events.append(("payment_reversal", day, {"invoice": inv, "amount": cents(pay)}))
                day += dt.timedelta(days=rng.randrange(1, 10))
                events.append(("payment", day, {"invoice": inv, "amount": cents(pay)}))
            left -= pay
        for kind, when, fields in events:
            raws.append(
                (
                    when.toordinal(),
                    order[kind],
                    inv,
                    {"type": kind, "date": when.isoformat(), **fields},
                )
            )
    raws.sort(key=lambda raw: raw[:3])
    return [{"id": f"E{i:07d}", **record} for i, (*_, record) in enumerate(raws)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=70_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "plans.yaml").write_text(yaml.safe_dump(PLANS, sort_keys=False))
    with (OUT / "events.jsonl").open("w") as out:
        for event in generate(args.invoices, args.seed):
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
