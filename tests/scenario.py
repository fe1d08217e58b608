"""A small vocabulary for readable golden scenarios: events in, statements out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from commission_engine import Plan, PlanBook, Result, Statement, compute


def book(level: int, rate: str | None = "0.10", **terms: Any) -> PlanBook:
    """A one-plan book in USD at ``level``."""
    fields: dict[str, Any] = {"id": f"L{level}", "currency": "USD", "level": level, **terms}
    if rate is not None and "tiers" not in terms:
        fields["rate"] = rate
    return PlanBook(plans=[Plan(**fields)])


class Stream:
    """Builds an event list with generated ids, in the order written."""

    def __init__(self, rep: str = "ana") -> None:
        self.rep = rep
        self.events: list[dict[str, Any]] = []

    def _add(self, kind: str, date: str, **fields: Any) -> Stream:
        self.events.append(
            {"type": kind, "id": f"e{len(self.events) + 1:03d}", "date": date, **fields}
        )
        return self

    def invoice(self, date: str, invoice: str, amount: str, **fields: Any) -> Stream:
        if "splits" not in fields:
            fields.setdefault("rep", self.rep)
        return self._add("invoice", date, invoice=invoice, amount=amount, **fields)

    def pay(self, date: str, invoice: str, amount: str) -> Stream:
        return self._add("payment", date, invoice=invoice, amount=amount)

    def credit(self, date: str, invoice: str, amount: str) -> Stream:
        return self._add("credit_note", date, invoice=invoice, amount=amount)

    def reverse(self, date: str, invoice: str, amount: str) -> Stream:
        return self._add("payment_reversal", date, invoice=invoice, amount=amount)

    def write_off(self, date: str, invoice: str, amount: str | None = None) -> Stream:
        extra = {} if amount is None else {"amount": amount}
        return self._add("write_off", date, invoice=invoice, **extra)

    def dispute(self, date: str, invoice: str) -> Stream:
        return self._add("dispute", date, invoice=invoice)

    def resolve(self, date: str, invoice: str) -> Stream:
        return self._add("dispute_resolved", date, invoice=invoice)

    def adjust(self, date: str, amount: str, reason: str = "manual") -> Stream:
        return self._add("adjustment", date, rep=self.rep, amount=amount, reason=reason)


def run(plans: PlanBook, stream: Stream, through: str | None = None, **kw: Any) -> Result:
    day = dt.date.fromisoformat(through) if through else None
    return compute(plans, stream.events, through=day, **kw)


def table(result: Result, rep: str = "ana") -> list[tuple[str, str, str, str, str]]:
    """(period, gross, recovered, payout, debt_balance) per statement of ``rep``."""
    return [
        (s.period, str(s.gross), str(s.recovered), str(s.payout), str(s.debt_balance))
        for s in result.statements
        if s.rep == rep
    ]


def payouts(result: Result, rep: str = "ana") -> dict[str, Decimal]:
    return {s.period: s.payout for s in result.statements if s.rep == rep}


def statement(result: Result, period: str, rep: str = "ana") -> Statement:
    return next(s for s in result.statements if s.rep == rep and s.period == period)


def line_amounts(result: Result, invoice: str | None = None) -> list[tuple[str, str]]:
    """(kind, amount) of every line, optionally of one invoice, in statement order."""
    return [
        (line.kind, str(line.amount))
        for line in result.lines
        if invoice is None or line.invoice == invoice
    ]
