"""Explained statements (:mod:`~.domain.explain`) as JSON and CSV: everything the HTML
statement shows, for scripts and spreadsheets (docs/formats.md, "Explained statements").

The JSON document is version 2 of the statements document: it keeps version 1's fields, in
version 1's order, so a version 1 reader reads it; the fields it adds come after them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TextIO

from ..domain.explain import Explained, LineBasis
from ..domain.money import RATIO_PLACES, round_ratio, show
from ..domain.statements import Statement
from .render import MONEY, csv_writer, draw_fields

#: The version of the explained statements document (version 1: FORMATS.md's).
VERSION = 2


def is_closed(statement: Statement, closed_through: str | None) -> bool | None:
    """Whether ``statement`` is of a closed (paid) period; ``None`` without a ledger."""
    return None if closed_through is None else statement.period <= closed_through


def _ratio(value: Decimal | None) -> str | None:
    return None if value is None else str(round_ratio(value, RATIO_PLACES))


def _money(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else show(value, currency)


def summary_of(explained: Explained) -> dict[str, str]:
    """The summary's figures by name, as text: the kinds of line (adding up to ``gross``),
    then the netting from ``gross`` to ``payout`` and the balances carried."""
    statement, currency = explained.statement, explained.statement.currency
    return {
        **{kind: show(amount, currency) for kind, amount in explained.by_kind},
        "gross": show(statement.gross, currency),
        "debt_brought_forward": show(explained.debt_brought, currency),
        "recovered": show(statement.recovered, currency),
        "draw": show(statement.draw, currency),
        "payout": show(statement.payout, currency),
        "debt_balance": show(statement.debt_balance, currency),
        "held_brought_forward": show(explained.held_brought, currency),
        "held_balance": show(statement.held_balance, currency),
        "commission_booked": show(explained.commission_booked, currency),
    }


def line_of(basis: LineBasis) -> dict[str, Any]:
    """A line as JSON: version 1's five fields, then its basis."""
    line, currency = basis.line, basis.line.currency
    return {
        "date": line.date.isoformat(),
        "event": line.event,
        "invoice": line.invoice,
        "kind": line.kind,
        "amount": show(line.amount, currency),
        "event_type": basis.event_type,
        "event_amount": _money(basis.event_amount, currency),
        "customer": basis.customer,
        "plan": basis.plan,
        "share": _ratio(basis.share),
        "base_credited": _money(basis.base_credited, currency),
        "commission": _money(basis.commission, currency),
        "rate": None if basis.rate is None else str(basis.rate),
        "tiers": [{"from": str(t.from_), "rate": str(t.rate)} for t in basis.tiers],
        "due": None if basis.due is None else basis.due.isoformat(),
        "days_past_due": basis.days_past_due,
        "reason": basis.reason,
        "days_late": basis.days_late,
        "late_factor": None if basis.late_factor is None else str(basis.late_factor),
    }


def statement_of(explained: Explained, closed_through: str | None = None) -> dict[str, Any]:
    """One explained statement as JSON."""
    statement, currency = explained.statement, explained.statement.currency
    closed = is_closed(statement, closed_through)
    return {
        "rep": statement.rep,
        "period": statement.period,
        "currency": currency,
        **{name: show(getattr(statement, name), currency) for name in MONEY},
        **draw_fields(statement),
        "lines": [line_of(basis) for basis in explained.lines],
        **({} if closed is None else {"closed": closed}),
        "plans": [
            {"plan": p.plan, "level": p.level, "from": p.start.isoformat(), "to": p.end.isoformat()}
            for p in explained.plans
        ],
        "summary": summary_of(explained),
        "attainment": [
            {
                "plan": a.plan,
                "quota_period": a.quota_period,
                "as_of": a.as_of.isoformat(),
                "credited": show(a.credited, currency),
                "quota": str(a.quota),
                "share": str(a.share),
                "tier_from": None if a.tier_from is None else str(a.tier_from),
                "tier_rate": str(a.tier_rate),
            }
            for a in explained.attainment
        ],
    }


def document(
    explained: Sequence[Explained],
    *,
    through: str | None,
    rejected: Sequence[dict[str, Any]] = (),
    pending: int = 0,
    duplicates: int = 0,
    closed_through: str | None = None,
) -> dict[str, Any]:
    """The explained statements document (version 2; docs/formats.md)."""
    return {
        "through": through,
        "statements": [statement_of(e, closed_through) for e in explained],
        "rejected": list(rejected),
        "pending": pending,
        "duplicates": duplicates,
        "version": VERSION,
    }


def write_json(doc: dict[str, Any], out: TextIO) -> None:
    """``doc`` as indented JSON, ending with a newline."""
    json.dump(doc, out, indent=2, ensure_ascii=False)
    out.write("\n")


#: The CSV: a ``statement`` row (its summary) followed by its ``line`` rows, one header.
SUMMARY_COLUMNS = (
    "plans",
    "debt_brought_forward",
    "held_brought_forward",
    "commission_booked",
    "attainment",
    "draw_recoverable",
)
LINE_COLUMNS = (
    "date",
    "kind",
    "event",
    "event_type",
    "invoice",
    "customer",
    "plan",
    "share",
    "base_credited",
    "commission",
    "rate",
    "tiers",
    "due",
    "days_past_due",
    "event_amount",
    "amount",
    "reason",
    "days_late",
    "late_factor",
)


def write_csv(
    explained: Sequence[Explained], out: TextIO, closed_through: str | None = None
) -> None:
    """One ``statement`` row per statement (its figures and summary), then a ``line`` row for
    each of its lines; every row starts with rep, period and currency. The kinds of line
    are columns of their own (the statement row's sums by kind)."""
    kinds: list[str] = []
    for e in explained:
        kinds.extend(kind for kind, _ in e.by_kind if kind not in kinds)
    writer = csv_writer(out)
    header = ["record", "rep", "period", "currency", *MONEY, "draw", "closed", *kinds]
    writer.writerow([*header, *SUMMARY_COLUMNS, *LINE_COLUMNS])
    blank_lines = ("",) * len(LINE_COLUMNS)
    for e in explained:
        statement, currency = e.statement, e.statement.currency
        closed = is_closed(statement, closed_through)
        sums = dict(e.by_kind)
        plans = ";".join(f"{p.plan}@{p.level}:{p.start}..{p.end}" for p in e.plans)
        attained = ";".join(
            f"{a.plan}:{a.quota_period}:{show(a.credited, currency)}/{a.quota}={a.share}"
            for a in e.attainment
        )
        head = ("statement", statement.rep, statement.period, currency)
        writer.writerow(
            (
                *head,
                *(show(getattr(statement, name), currency) for name in MONEY),
                show(statement.draw, currency),
                "" if closed is None else str(closed).lower(),
                *(show(sums.get(kind, Decimal(0)), currency) for kind in kinds),
                plans,
                show(e.debt_brought, currency),
                show(e.held_brought, currency),
                show(e.commission_booked, currency),
                attained,
                str(statement.draw_recoverable).lower() if statement.draw else "",
                *blank_lines,
            )
        )
        blank_head = ("",) * (len(MONEY) + 2 + len(kinds) + len(SUMMARY_COLUMNS))
        for basis in e.lines:
            line = line_of(basis)
            tiers = ";".join(f"{t['from']}:{t['rate']}" for t in line["tiers"])
            cells = {**line, "tiers": tiers}
            writer.writerow(
                (
                    "line",
                    *head[1:],
                    *blank_head,
                    *("" if cells[c] is None else cells[c] for c in LINE_COLUMNS),
                )
            )
