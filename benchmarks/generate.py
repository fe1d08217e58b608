"""Seeded generator of realistic commission event streams, for the benchmarks.

    python benchmarks/generate.py 10k 100k 1M [--seed 2026] [--check]
    python benchmarks/generate.py 1M --events-per-rep 2500 --into /tmp/streams

For each size it writes ``benchmarks/data/<size>/``: ``events.jsonl`` and ``events.csv`` (the
same events, per FORMATS.md) and ``plans.yaml`` (seven plans at levels 0-4, flat and tiered, in
USD, EUR and JPY, with dated assignments and a ``"*"`` default). The same size and seed always
give byte-identical files. ``--events-per-rep`` sets how many events a rep has (250; 2,500
gives a 1M stream the 100k stream's 400 reps, for benchmarks/scaling.py), and ``--into`` the
directory the sizes are written under (benchmarks/data).

What the stream looks like, over three years (2024-2026):
- one rep per 250 events (40 at 10k, 4,000 at 1M), so 10x the events is 10x the reps and the
  same history per rep; rep productivity is skewed (a few reps book many invoices);
- invoice amounts log-normal (median about 2,400 USD), tax by currency, a cost on most invoices
  (one plan pays on gross profit), an explicit due date on some, 5% split between 2-3 reps;
- days to payment follow the quantiles of a public accounts-receivable sample (median 0.87 of
  the terms, 36% after the due date), plus a slow tail of 8% paid weeks to months late, which
  makes level 1-2 past-due clawbacks fire and then reinstate;
- partial payments (28% of invoices paid in 2-4 instalments), credit notes (6%), bounced
  payments reversed and paid again (2.5% of payments), bad debts written off (3%, a quarter of
  them partly recovered later), short payments with the rest written off (2.5%), manual
  adjustments (about two a year per rep, some negative), and plan changes (15% of named reps).

Every event is valid: each invoice's events are simulated against its open balance, and an
invoice's events never share a date unless the engine's same-day order already applies them in
sequence. ``--check`` proves it: it computes the written stream in lenient mode and fails unless
nothing is rejected (and the CSV gives the same statements as the JSONL).
"""

from __future__ import annotations

import argparse
import bisect
import csv
import datetime as dt
import itertools
import json
import math
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent / "data"
SIZES = {"10k": 10_000, "100k": 100_000, "1M": 1_000_000}
START = dt.date(2024, 1, 1)
END = dt.date(2026, 12, 31)
EVENTS_PER_REP = 250
CSV_FIELDS = (
    "id",
    "type",
    "date",
    "invoice",
    "rep",
    "splits",
    "amount",
    "tax",
    "cost",
    "currency",
    "due",
    "customer",
    "reason",
)
#: The engine's same-day order of event types (SEMANTICS.md section 7).
ORDER = {"invoice": 0, "credit_note": 1, "payment": 2, "payment_reversal": 3, "write_off": 4}
ADJUSTMENT_ORDER = 5

PLANS: list[dict[str, Any]] = [
    {"id": "std-l0", "currency": "USD", "level": 0, "rate": "0.05"},
    {"id": "ae-l1", "currency": "USD", "level": 1, "rate": "0.08"},
    {
        "id": "ae-l2-tiered",
        "currency": "USD",
        "level": 2,
        "quota": "150000",
        "tiers": [
            {"from": "0", "rate": "0.06"},
            {"from": "1", "rate": "0.09"},
            {"from": "1.5", "rate": "0.12"},
        ],
        "clawback": {"after_days_past_due": 60, "max_recovery": "0.5"},
        "payment_terms_days": 45,
    },
    {"id": "ae-l3", "currency": "USD", "level": 3, "rate": "0.10"},
    {
        "id": "partner-l4",
        "currency": "USD",
        "level": 4,
        "base": "gross_profit",
        "quota": "40000",
        "quota_period": "month",
        "tiers": [{"from": "0", "rate": "0.15"}, {"from": "1", "rate": "0.20"}],
        "payment_terms_days": 60,
        "rounding": "half_even",
    },
    {
        "id": "eu-l2",
        "currency": "EUR",
        "level": 2,
        "rate": "0.07",
        "advance": "0.4",
        "payment_terms_days": 60,
    },
    {"id": "jp-l3", "currency": "JPY", "level": 3, "rate": "0.05"},
]
#: Plans a named rep may be on, by currency; USD reps never named get the "*" plan.
PLAN_CHOICES = {
    "USD": ["std-l0", "ae-l1", "ae-l2-tiered", "ae-l3", "partner-l4"],
    "EUR": ["eu-l2"],
    "JPY": ["jp-l3"],
}
DEFAULT_PLAN = "ae-l3"
TERMS = {plan["id"]: plan.get("payment_terms_days", 30) for plan in PLANS}
MINOR_DIGITS = {"USD": 2, "EUR": 2, "JPY": 0}
#: Median invoice amount (tax included) in minor units, and tax rates in basis points.
MEDIAN_AMOUNT = {"USD": 240_000, "EUR": 220_000, "JPY": 350_000}
TAX_BP = {"USD": (0, 0, 725, 888), "EUR": (2000, 1900), "JPY": (1000,)}
SPLIT_SHARES = (("0.5", "0.5"), ("0.6", "0.4"), ("0.7", "0.3"), ("0.34", "0.33", "0.33"))
#: Days to settle as a fraction of the payment terms: quantiles of DaysToSettle / 30 in the
#: public IBM accounts-receivable sample (2,466 invoices, 30-day terms); read, never copied.
SETTLE_QUANTILES = (
    (0.0, 0.0),
    (0.05, 0.2),
    (0.1, 0.37),
    (0.25, 0.6),
    (0.5, 0.87),
    (0.75, 1.17),
    (0.9, 1.43),
    (0.95, 1.6),
    (0.99, 1.87),
    (1.0, 2.5),
)
ADJUSTMENT_REASONS = ("SPIFF", "quarterly bonus", "correction", "draw recovery", "contest prize")


@dataclass(slots=True)
class Rep:
    name: str
    currency: str
    terms: int  # payment terms of the rep's first plan, which shape when customers pay
    named: bool  # named in the assignments (else covered by "*")
    plans: list[tuple[dt.date, str]] = field(default_factory=list)


@dataclass(slots=True)
class Raw:
    """A generated event before it gets its id: sorted by (day, order, seq) in the file."""

    day: int  # date ordinal
    order: int
    seq: int
    record: dict[str, Any]


def parse_size(text: str) -> int:
    """``10k`` -> 10000, ``1M`` -> 1000000, ``2500`` -> 2500."""
    if text in SIZES:
        return SIZES[text]
    multiplier = {"k": 1_000, "K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(text[:-1] if multiplier > 1 else text) * multiplier


def money(units: int, currency: str) -> str:
    """Minor units as decimal text with the currency's digits: 12345 USD -> ``123.45``."""
    digits = MINOR_DIGITS[currency]
    if digits == 0:
        return str(units)
    sign = "-" if units < 0 else ""
    whole, cents = divmod(abs(units), 10**digits)
    return f"{sign}{whole}.{cents:0{digits}d}"


class Generator:
    """Builds one stream; all randomness comes from one seeded ``random.Random``."""

    def __init__(self, size: int, seed: int, events_per_rep: int = EVENTS_PER_REP) -> None:
        self.size = size
        self.rng = random.Random(seed * 1_000_003 + size)
        self.raws: list[Raw] = []
        self.invoices = 0
        self.start, self.end = START.toordinal(), END.toordinal()
        self.reps = self._reps(max(20, size // events_per_rep))
        by_currency: dict[str, list[Rep]] = {}
        for rep in self.reps:
            by_currency.setdefault(rep.currency, []).append(rep)
        self.by_currency = by_currency
        weights = [self.rng.lognormvariate(0, 0.8) for _ in self.reps]
        self.cumulative = list(itertools.accumulate(weights))

    # Reps and plans ------------------------------------------------------------------------

    def _reps(self, count: int) -> list[Rep]:
        rng = self.rng
        reps = []
        for number in range(1, count + 1):
            draw = rng.random()
            currency = "USD" if draw < 0.8 else "EUR" if draw < 0.92 else "JPY"
            named = currency != "USD" or rng.random() < 0.7
            first = rng.choice(PLAN_CHOICES[currency]) if named else DEFAULT_PLAN
            rep = Rep(f"rep{number:05d}", currency, TERMS[first], named)
            if named:
                rep.plans.append((dt.date(2020, 1, 1), first))
                others = [p for p in PLAN_CHOICES[currency] if p != first]
                if others and rng.random() < 0.15:
                    month = rng.randrange(1, 36)
                    switch = dt.date(2024 + month // 12, month % 12 + 1, 1)
                    rep.plans.append((switch, rng.choice(others)))
            reps.append(rep)
        return reps

    def plan_file(self) -> dict[str, Any]:
        assignments: list[dict[str, Any]] = [
            {"rep": rep.name, "plan": plan, "from": since}
            for rep in self.reps
            for since, plan in rep.plans
        ]
        assignments.append({"rep": "*", "plan": DEFAULT_PLAN, "from": dt.date(1900, 1, 1)})
        return {"plans": PLANS, "assignments": assignments}

    # Events --------------------------------------------------------------------------------

    def events(self) -> list[dict[str, Any]]:
        """Exactly ``size`` records in the engine's order, ids assigned in that order."""
        target = math.ceil(self.size * 1.03)  # a little over, so the cut trims only the end
        self._adjustments()
        while len(self.raws) < target:
            self._invoice()
        self.raws.sort(key=lambda raw: (raw.day, raw.order, raw.seq))
        # A prefix in date order of a valid stream is valid: each invoice keeps a prefix of
        # its own life, and nothing depends on later events.
        records = []
        width = len(str(self.size))
        for number, raw in enumerate(self.raws[: self.size], start=1):
            records.append({"id": f"E{number:0{width}d}", **raw.record})
        return records

    def _add(self, day: int, kind: str, **fields: Any) -> None:
        if day > self.end:
            return  # after the stream ends: the invoice is still open on the last day
        record = {"type": kind, "date": _iso(day), **fields}
        order = ORDER.get(kind, ADJUSTMENT_ORDER)
        self.raws.append(Raw(day, order, len(self.raws), record))

    def _adjustments(self) -> None:
        rng = self.rng
        for rep in self.reps:
            for quarter in range(12):
                if rng.random() < 0.6:
                    first = dt.date(2024 + quarter // 4, quarter % 4 * 3 + 1, 1).toordinal()
                    day = first + rng.randrange(90)
                    scale = 150 if rep.currency == "JPY" else 1
                    major = rng.randint(25, 1500) if rng.random() < 0.75 else -rng.randint(25, 800)
                    units = major * scale * 10 ** MINOR_DIGITS[rep.currency]
                    fields: dict[str, Any] = {
                        "rep": rep.name,
                        "amount": money(units, rep.currency),
                        "reason": rng.choice(ADJUSTMENT_REASONS),
                    }
                    if rng.random() < 0.5:
                        fields["currency"] = rep.currency
                    self._add(day, "adjustment", **fields)

    def _invoice(self) -> None:
        rng = self.rng
        rep = self.reps[bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])]
        currency = rep.currency
        day = rng.randint(self.start, self.end)
        if dt.date.fromordinal(day).weekday() >= 5:
            day += 7 - dt.date.fromordinal(day).weekday()  # booked on the next Monday
        self.invoices += 1
        invoice = f"INV{self.invoices:07d}"
        amount = max(100, int(MEDIAN_AMOUNT[currency] * rng.lognormvariate(0, 1.1)))
        tax_bp = rng.choice(TAX_BP[currency])
        tax = amount * tax_bp // (10_000 + tax_bp)  # the tax included in the amount
        fields: dict[str, Any] = {"invoice": invoice}
        if rng.random() < 0.05 and len(self.by_currency[currency]) >= 3:
            shares = rng.choice(SPLIT_SHARES)
            others = rng.sample(self.by_currency[currency], len(shares))
            reps = [rep, *[r for r in others if r is not rep][: len(shares) - 1]]
            fields["splits"] = [
                {"rep": r.name, "share": share} for r, share in zip(reps, shares, strict=True)
            ]
        else:
            fields["rep"] = rep.name
        fields["amount"] = money(amount, currency)
        if tax:
            fields["tax"] = money(tax, currency)
        if rng.random() < 0.7:
            fields["cost"] = money((amount - tax) * rng.randint(30, 85) // 100, currency)
        if rng.random() < 0.5:
            fields["currency"] = currency
        terms = rep.terms
        if rng.random() < 0.1:
            terms = rng.choice((14, 30, 45, 60, 90))
            fields["due"] = _iso(day + terms)
        fields["customer"] = f"C{rng.randrange(self.size // 20 + 50):06d}"
        self._add(day, "invoice", **fields)
        self._life(Life(self, invoice, currency, day, amount), terms)

    def _life(self, life: Life, terms: int) -> None:
        """What happens to an invoice after it is booked."""
        rng = self.rng
        if rng.random() < 0.06:
            whole = rng.random() < 0.1  # a cancelled order
            life.credit_note(rng.randint(2, 20), life.open if whole else life.part(0.05, 0.3))
        if life.open == 0:
            return
        settle = life.booked + self._days_to_settle(terms)
        fate = rng.random()
        if fate < 0.03:  # a bad debt
            if rng.random() < 0.4:
                life.pay_at(settle, life.part(0.1, 0.6))
            life.write_off_at(life.booked + terms + rng.randint(120, 330), None)
            if life.written_off and rng.random() < 0.25:
                life.pay(rng.randint(30, 180), life.part_of(life.written_off, 0.2, 1.0))
        elif fate < 0.055:  # short-paid, the difference written off
            short = max(1, life.open * rng.randint(1, 5) // 100)
            life.pay_at(settle, life.open - short)
            life.write_off(rng.randint(20, 90), short)
        else:
            parts = rng.choices((1, 2, 3, 4), weights=(72, 16, 8, 4))[0]
            for index, amount in enumerate(_instalments(rng, life.open, parts)):
                if index == 0:
                    life.pay_at(settle, amount)
                else:
                    life.pay(rng.randint(10, 40), amount)

    def _days_to_settle(self, terms: int) -> int:
        rng = self.rng
        if rng.random() < 0.08:  # the slow tail: weeks to months past due
            return terms + int(rng.lognormvariate(math.log(45), 0.7))
        u = rng.random()
        index = bisect.bisect_right([p for p, _ in SETTLE_QUANTILES], u)
        (p0, r0), (p1, r1) = SETTLE_QUANTILES[index - 1], SETTLE_QUANTILES[min(index, 9)]
        ratio = r0 if p1 == p0 else r0 + (r1 - r0) * (u - p0) / (p1 - p0)
        return round(terms * ratio)


class Life:
    """One invoice's balance as its events are generated; refuses nothing, so keep it valid."""

    def __init__(self, gen: Generator, invoice: str, currency: str, day: int, amount: int) -> None:
        self.gen, self.invoice, self.currency = gen, invoice, currency
        self.booked = self.last = day
        self.last_order = ORDER["invoice"]
        self.open, self.paid, self.written_off = amount, 0, 0

    def part(self, low: float, high: float) -> int:
        return self.part_of(self.open, low, high)

    def part_of(self, units: int, low: float, high: float) -> int:
        return max(1, min(units, round(units * self.gen.rng.uniform(low, high))))

    def _at(self, day: int, kind: str, amount: int | None, **fields: Any) -> None:
        # Never before the previous event; the same day only if the engine applies it after.
        order = ORDER[kind]
        day = max(day, self.last if order > self.last_order else self.last + 1)
        self.last, self.last_order = day, order
        if amount is not None:
            fields["amount"] = money(amount, self.currency)
        self.gen._add(day, kind, invoice=self.invoice, **fields)

    def credit_note(self, after: int, amount: int) -> None:
        self._at(self.last + after, "credit_note", amount, reason="returned goods")
        self.open -= amount

    def pay(self, after: int, amount: int) -> None:
        self.pay_at(self.last + after, amount)

    def pay_at(self, day: int, amount: int) -> None:
        self._at(day, "payment", amount)
        recovered = max(0, amount - self.open)
        self.open -= amount - recovered
        self.written_off -= recovered
        self.paid += amount
        if self.gen.rng.random() < 0.025:  # the cheque bounces; the customer pays again
            rng = self.gen.rng
            self._at(self.last + rng.randint(3, 20), "payment_reversal", amount, reason="NSF")
            self.paid -= amount
            self.open += amount  # a reversal reopens the balance; nothing is re-written-off
            self.pay(rng.randint(5, 40), amount)

    def write_off(self, after: int, amount: int | None) -> None:
        self.write_off_at(self.last + after, amount)

    def write_off_at(self, day: int, amount: int | None) -> None:
        if self.open == 0:
            return
        self._at(day, "write_off", amount)  # without an amount: the whole open balance
        amount = self.open if amount is None else amount
        self.open -= amount
        self.written_off += amount


def _instalments(rng: random.Random, units: int, parts: int) -> list[int]:
    parts = min(parts, units)
    cuts = sorted(rng.sample(range(1, units), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, units]
    return [high - low for low, high in itertools.pairwise(bounds)]


_ISO: dict[int, str] = {}


def _iso(day: int) -> str:
    text = _ISO.get(day)
    if text is None:
        text = _ISO[day] = dt.date.fromordinal(day).isoformat()
    return text


# Files ---------------------------------------------------------------------------------------


def csv_row(record: dict[str, Any]) -> dict[str, str]:
    """A record as a CSV row: splits as ``alice=0.6;bob=0.4``, absent fields empty."""
    row = {key: value for key, value in record.items() if key != "splits"}
    if "splits" in record:
        row["splits"] = ";".join(f"{s['rep']}={s['share']}" for s in record["splits"])
    return row


def write(
    size: int, label: str, seed: int, events_per_rep: int = EVENTS_PER_REP, into: Path = DATA
) -> Path:
    """Generate one stream and write its three files; returns the directory."""
    generator = Generator(size, seed, events_per_rep)
    records = generator.events()
    folder = into / label
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "plans.yaml").open("w") as out:
        yaml.safe_dump(generator.plan_file(), out, sort_keys=False)
    with (folder / "events.jsonl").open("w") as out:
        for record in records:
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    with (folder / "events.csv").open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_row(record) for record in records)
    counts: dict[str, int] = {}
    for record in records:
        counts[record["type"]] = counts.get(record["type"], 0) + 1
    summary = {
        "events": len(records),
        "reps": len(generator.reps),
        "first": records[0]["date"],
        "last": records[-1]["date"],
        "types": counts,
        "split_invoices": sum(1 for r in records if "splits" in r),
    }
    (folder / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"{label}: {json.dumps(summary)}")
    return folder


# The validity check --------------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, record) per line, numbers read as Decimal."""
    with path.open() as lines:
        for number, line in enumerate(lines, start=1):
            yield number, json.loads(line, parse_float=Decimal)


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, record) per row, the header being line 1, empty cells dropped."""
    with path.open(newline="") as rows:
        for number, row in enumerate(csv.DictReader(rows), start=2):
            yield number, {key: value for key, value in row.items() if value != ""}


def check(folder: Path) -> bool:
    """Compute the stream leniently, from JSONL and from CSV; True when nothing is rejected."""
    from commission_engine import PlanBook, compute, parse_event

    plans = PlanBook.model_validate(yaml.safe_load((folder / "plans.yaml").read_text()))
    results = []
    for name, reader in (("events.jsonl", read_jsonl), ("events.csv", read_csv)):
        events = [parse_event(record, line) for line, record in reader(folder / name)]
        result = compute(plans, events)
        results.append(result)
        print(
            f"  {name}: {len(events)} events, {len(result.rejected)} rejected, "
            f"{result.duplicates} duplicates, {result.pending} pending, "
            f"{len(result.statements)} statements, {len(result.lines)} lines, "
            f"through {result.through}"
        )
        for rejection in result.rejected[:10]:
            print(f"    {rejection.message}")
    same = results[0].statements == results[1].statements
    print(f"  CSV and JSONL give the same statements: {same}")
    return same and not any(result.rejected for result in results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="*", default=list(SIZES), help="10k, 100k, 1M or a count")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--events-per-rep", type=int, default=EVENTS_PER_REP)
    parser.add_argument("--into", type=Path, default=DATA, help="where the sizes are written")
    parser.add_argument(
        "--check", action="store_true", help="compute the stream leniently; fail on rejections"
    )
    args = parser.parse_args(argv)
    ok = True
    for label in args.sizes:
        folder = write(parse_size(label), label, args.seed, args.events_per_rep, args.into)
        if args.check:
            ok = check(folder) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
