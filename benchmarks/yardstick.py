"""The yardstick: SEMANTICS.md sections 1-7 in the simplest Python, in one file.

    python benchmarks/yardstick.py PLANS.yaml EVENTS.jsonl > statements.json

What a careful engineer would write in an afternoon with json.loads, Decimal and dicts: no
validation beyond what the fold needs (the benchmark streams are valid), no saved state, no
processes, no closed periods. It computes the same statements as ``commission-engine payouts
--format json`` (the same document, statements only), and exists to say how fast the library
is against plain code (issue 21's targets), not to be used.

Arithmetic is Decimal at 60 digits, each target rounded from one quotient, as the obvious
code would do. The library is exact (issue 13): where a level-4 invoice's collection slices,
each a recurring decimal cut at 60 digits, add up to just under a half cent, this code rounds
down where the library rounds the exact half; on the 10k benchmark stream that is one line of
one statement in 1,393, every other statement is the library's to the byte.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import sys
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext

import yaml

ZERO, ONE = Decimal(0), Decimal(1)
PRESETS = {  # level -> earn_on, advance, on_write_off, after_days_past_due
    0: ("invoice", ONE, False, None),
    1: ("invoice", ONE, True, 90),
    2: ("invoice", Decimal("0.5"), True, 90),
    3: ("invoice", ZERO, False, None),
    4: ("collection", ZERO, False, None),
}
ORDER = {
    "invoice": 0,
    "credit_note": 1,
    "payment": 2,
    "payment_reversal": 3,
    "write_off": 4,
    "adjustment": 5,
}
DIGITS = {"USD": 2, "EUR": 2, "JPY": 0, "KWD": 3, "GBP": 2, "CHF": 2}
MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}


def load_plans(path: str) -> tuple[dict[str, dict], list[tuple[str, str, dt.date]]]:
    with open(path) as file:
        data = yaml.safe_load(file)
    plans = {}
    for p in data["plans"]:
        earn_on, advance, on_wo, days = PRESETS[p["level"]]
        claw = p.get("clawback", {})
        plans[p["id"]] = {
            "currency": p["currency"],
            "rate": Decimal(str(p["rate"])) if "rate" in p else None,
            "quota": Decimal(str(p["quota"])) if "quota" in p else None,
            "tiers": [
                (Decimal(str(t["from"])), Decimal(str(t["rate"]))) for t in p.get("tiers", [])
            ],
            "period": p.get("quota_period", "quarter"),
            "base": p.get("base", "revenue"),
            "earn_on": p.get("earn_on", earn_on),
            "advance": Decimal(str(p.get("advance", advance))),
            "on_write_off": claw.get("on_write_off", on_wo),
            "days": claw.get("after_days_past_due", days),
            "max_recovery": Decimal(str(claw.get("max_recovery", "1"))),
            "terms": p.get("payment_terms_days", 30),
            "mode": MODES[p.get("rounding", "half_up")],
        }
    assignments = [(a["rep"], a["plan"], a["from"]) for a in data.get("assignments", [])]
    if not assignments:
        assignments = [("*", next(iter(plans)), dt.date(1900, 1, 1))]
    return plans, sorted(assignments, key=lambda a: a[2])


def plan_of(assignments, named, rep, day):
    who = rep if rep in named else "*"
    found = None
    for name, plan, start in assignments:
        if name == who and start <= day:
            found = plan
    return found


def quota_period(day: dt.date, period: str) -> str:
    if period == "month":
        return f"{day.year}-{day.month}"
    if period == "year":
        return str(day.year)
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def commission(plan, attained: Decimal, credit: Decimal) -> Decimal:
    if plan["rate"] is not None:
        return plan["rate"] * credit
    total, tiers = ZERO, plan["tiers"]
    for i, (start, rate) in enumerate(tiers):
        low = start * plan["quota"]
        high = tiers[i + 1][0] * plan["quota"] if i + 1 < len(tiers) else None
        lo = max(attained, low)
        hi = attained + credit if high is None else min(attained + credit, high)
        if hi > lo:
            total += (hi - lo) * rate
    return total


def show(amount: Decimal, quantum: Decimal) -> str:
    return format(amount.quantize(quantum) + ZERO, "f")


def main(plans_path: str, events_path: str) -> None:
    plans, assignments = load_plans(plans_path)
    named = {a[0] for a in assignments}
    events, seen = [], {}
    with open(events_path, encoding="utf-8") as file:
        for line in file:
            if line.strip():
                e = json.loads(line)
                if e["id"] not in seen:
                    seen[e["id"]] = e
                    events.append(e)
    events.sort(key=lambda e: (e["date"], ORDER[e["type"]], e["id"]))
    invoices: dict[str, dict] = {}
    attainment: dict[tuple, Decimal] = {}
    periods: dict[tuple, dict[str, dict]] = {}  # (rep, currency) -> period -> totals
    first: dict[tuple, str] = {}
    due_heap: list = []

    def totals(rep, currency, day):
        key = (rep, currency)
        first.setdefault(key, day.isoformat()[:7])
        return periods.setdefault(key, {}).setdefault(
            day.isoformat()[:7], {"gross": ZERO, "held": ZERO, "lines": []}
        )

    def post(inv, pos, day, kind, event_id):
        plan = plans[pos["plan"]]
        q = Decimal(1).scaleb(-DIGITS[inv["currency"]])
        rnd = lambda x: x.quantize(q, rounding=plan["mode"])  # noqa: E731
        A = inv["amount"]
        if plan["earn_on"] == "collection":
            payable, forfeited, held = rnd(pos["realized"]), ZERO, ZERO
        else:
            C, a = pos["C"], plan["advance"]
            w = ONE if plan["on_write_off"] else ZERO
            net = A - inv["credited"]
            open_ = net - inv["paid"] - inv["written_off"]
            d = ONE if pos["past_due"] else ZERO
            payable = rnd(
                C * (a * (net - w * inv["written_off"] - d * open_) + (1 - a) * inv["paid"]) / A
            )
            forfeited = rnd(C * inv["written_off"] * (a * w + 1 - a) / A)
            held = rnd(C * net / A) - payable - forfeited
        amount = payable - pos["payable"]
        t = totals(pos["rep"], inv["currency"], day)
        t["held"] += held - pos["held"]
        pos["payable"], pos["held"] = payable, held
        if amount:
            t["gross"] += amount
            t["lines"].append(
                {
                    "date": day.isoformat(),
                    "event": event_id,
                    "invoice": inv["id"],
                    "kind": kind,
                    "amount": amount,
                }
            )

    def come_due(until: dt.date):
        while due_heap and due_heap[0][0] <= until:
            when, inv_id, i = heapq.heappop(due_heap)
            inv = invoices[inv_id]
            pos = inv["positions"][i]
            if not pos["past_due"]:
                pos["past_due"] = True
                post(inv, pos, when, "past_due", None)

    last = None
    for e in events:
        day = dt.date.fromisoformat(e["date"])
        if day != last:
            come_due(day - dt.timedelta(days=1))
            last = day
        kind = e["type"]
        if kind == "adjustment":
            plan = plans[plan_of(assignments, named, e["rep"], day)]
            t = totals(e["rep"], e.get("currency") or plan["currency"], day)
            amount = Decimal(e["amount"])
            t["gross"] += amount
            t["lines"].append(
                {
                    "date": e["date"],
                    "event": e["id"],
                    "invoice": None,
                    "kind": "adjustment",
                    "amount": amount,
                }
            )
            continue
        if kind == "invoice":
            A = Decimal(e["amount"])
            tax, cost = Decimal(e.get("tax") or 0), Decimal(e.get("cost") or 0)
            shares = (
                [(s["rep"], Decimal(s["share"])) for s in e["splits"]]
                if e.get("splits")
                else [(e["rep"], ONE)]
            )
            first_plan = plans[plan_of(assignments, named, shares[0][0], day)]
            due = (
                dt.date.fromisoformat(e["due"])
                if e.get("due")
                else day + dt.timedelta(days=first_plan["terms"])
            )
            inv = invoices[e["invoice"]] = {
                "id": e["invoice"],
                "amount": A,
                "currency": e.get("currency") or first_plan["currency"],
                "credited": ZERO,
                "paid": ZERO,
                "written_off": ZERO,
                "positions": [],
            }
            for rep, s in shares:
                pid = plan_of(assignments, named, rep, day)
                plan = plans[pid]
                B = A - tax if plan["base"] == "revenue" else max(ZERO, A - tax - cost)
                pos = {
                    "rep": rep,
                    "plan": pid,
                    "sB": s * B,
                    "C": ZERO,
                    "realized": ZERO,
                    "payable": ZERO,
                    "held": ZERO,
                    "past_due": False,
                    "claw": None,
                    "qp": quota_period(day, plan["period"]),
                }
                if plan["earn_on"] == "invoice":
                    key = (rep, pid, pos["qp"])
                    got = attainment.get(key, ZERO)
                    pos["C"] = commission(plan, got, s * B)
                    attainment[key] = got + s * B
                inv["positions"].append(pos)
                if (
                    plan["days"] is not None
                    and plan["advance"] > 0
                    and plan["earn_on"] == "invoice"
                ):
                    when = pos["claw"] = due + dt.timedelta(days=plan["days"])
                    if when > day:
                        heapq.heappush(due_heap, (when, inv["id"], len(inv["positions"]) - 1))
                    else:
                        pos["past_due"] = True
            for pos in inv["positions"]:
                post(inv, pos, day, "advance", e["id"])
            continue
        inv = invoices[e["invoice"]]
        for pos in inv["positions"]:  # its clawback due today is posted before the event
            if pos["claw"] is not None and not pos["past_due"] and pos["claw"] <= day:
                pos["past_due"] = True
                post(inv, pos, pos["claw"], "past_due", None)
        A = inv["amount"]
        open_ = A - inv["credited"] - inv["paid"] - inv["written_off"]
        if kind == "credit_note":
            x = Decimal(e["amount"])
            inv["credited"] += x
            for pos in inv["positions"]:
                plan = plans[pos["plan"]]
                if plan["earn_on"] == "invoice" and plan["tiers"]:
                    key = (pos["rep"], pos["plan"], pos["qp"])
                    attainment[key] = attainment.get(key, ZERO) - pos["sB"] * x / A
                post(inv, pos, day, "credit_note", e["id"])
        elif kind == "payment":
            p = Decimal(e["amount"])
            recovered = max(ZERO, p - open_)
            inv["paid"] += p
            inv["written_off"] -= recovered
            for pos in inv["positions"]:
                plan = plans[pos["plan"]]
                if plan["earn_on"] == "collection":
                    credit = pos["sB"] * p / A
                    key = (pos["rep"], pos["plan"], quota_period(day, plan["period"]))
                    got = attainment.get(key, ZERO)
                    pos["realized"] += commission(plan, got, credit)
                    attainment[key] = got + credit
                    line_kind = "collection"
                elif (pos["past_due"] and open_ > 0 and plan["advance"] > 0) or (
                    recovered > 0
                    and pos["C"]
                    and (plan["advance"] if plan["on_write_off"] else 0) + 1 - plan["advance"]
                ):
                    line_kind = "reinstatement"
                else:
                    line_kind = "release"
                post(inv, pos, day, line_kind, e["id"])
        elif kind == "payment_reversal":
            x = Decimal(e["amount"])
            for pos in inv["positions"]:
                plan = plans[pos["plan"]]
                if plan["earn_on"] == "collection":
                    pos["realized"] -= pos["realized"] * x / inv["paid"]
                    key = (pos["rep"], pos["plan"], quota_period(day, plan["period"]))
                    attainment[key] = max(ZERO, attainment.get(key, ZERO) - pos["sB"] * x / A)
            inv["paid"] -= x
            for pos in inv["positions"]:
                post(inv, pos, day, "payment_reversal", e["id"])
        elif kind == "write_off":
            inv["written_off"] += Decimal(e["amount"]) if e.get("amount") else open_
            for pos in inv["positions"]:
                post(inv, pos, day, "clawback", e["id"])
    through = dt.date.fromisoformat(events[-1]["date"])
    come_due(through)
    statements = []
    for (rep, currency), by_period in periods.items():
        q = Decimal(1).scaleb(-DIGITS[currency])
        debt = held = ZERO
        year, month = int(first[(rep, currency)][:4]), int(first[(rep, currency)][5:])
        while (period := f"{year:04d}-{month:02d}") <= through.isoformat()[:7]:
            t = by_period.get(period, {"gross": ZERO, "held": ZERO, "lines": []})
            gross = t["gross"]
            held += t["held"]
            if gross < 0:
                recovered, payout, debt = ZERO, ZERO, debt - gross
            else:
                recovered = ZERO
                if debt:
                    end = min(
                        dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1),
                        through,
                    )
                    plan = plans[plan_of(assignments, named, rep, end)]
                    recovered = min(
                        debt, (plan["max_recovery"] * gross).quantize(q, rounding=plan["mode"])
                    )
                payout, debt = gross - recovered, debt - recovered
            statements.append(
                {
                    "rep": rep,
                    "period": period,
                    "currency": currency,
                    "gross": show(gross, q),
                    "recovered": show(recovered, q),
                    "payout": show(payout, q),
                    "debt_balance": show(debt, q),
                    "held_balance": show(held, q),
                    "lines": [{**line, "amount": show(line["amount"], q)} for line in t["lines"]],
                }
            )
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    statements.sort(key=lambda s: (s["rep"], s["period"], s["currency"]))
    json.dump({"through": through.isoformat(), "statements": statements}, sys.stdout)


if __name__ == "__main__":
    with localcontext(Context(prec=60)):
        main(sys.argv[1], sys.argv[2])
