"""A rep's explained statements as one self-contained, printable HTML page.

Built from a Jinja2 template (``templates/statement.html.j2``), autoescaped, with the labels
translated through the gettext catalogues of :mod:`.translations` and money and dates written
for the locale (babel). The page loads nothing from outside: its style is in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import cache
from typing import Any

import jinja2
from babel import Locale
from babel.numbers import format_decimal, format_percent

from ..domain.currencies import format_money
from ..domain.explain import Attainment, Explained, LineBasis
from ..domain.money import round_ratio
from .explained import is_closed
from .translations import day, label, month, translations

#: The summary's rows: (figure, label, css class). Kinds of line first; then the netting.
_KIND_LABELS = {
    "advance": "Advanced at invoicing",
    "collection": "Earned on collection",
    "release": "Released from holdback",
    "reinstatement": "Reinstated",
    "credit_note": "Credit notes",
    "payment_reversal": "Payment reversals",
    "clawback": "Clawed back on write-off",
    "past_due": "Clawed back past due",
    "adjustment": "Adjustments",
    "prior_period_adjustment": "Prior-period adjustments",
    "cash_with_order": "Cash with order",
    "collection_bonus": "Collection bonus",
}


@cache
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader(__package__ or "commission_engine.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a misspelt name in the template is an error
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment


def page(
    explained: Sequence[Explained],
    *,
    rep: str,
    locale: str,
    through: str,
    closed_through: str | None = None,
    pending: int = 0,
    duplicates: int = 0,
) -> str:
    """The HTML page of ``rep``'s ``explained`` statements, in ``locale``."""
    environment = _environment()
    template = environment.get_template("statement.html.j2")
    gettext = translations(locale).gettext
    return template.render(
        _=gettext,
        language=Locale.parse(locale).language,
        rep=rep,
        through=through,
        pending=pending,
        duplicates=duplicates,
        statements=[_view(e, locale, closed_through) for e in explained],
    )


def file_name(rep: str, period: str | None) -> str:
    """A file name for ``rep``'s page: the name's letters, digits, ``.``, ``_`` and ``-``
    kept, anything else (a ``/``, a space) written as its code point, so that two reps never
    share a file and no name leaves the folder."""
    safe = re.sub(r"[^A-Za-z0-9_-]", lambda m: f"~{ord(m.group()):x}", rep)
    return f"{safe}-{period}.html" if period else f"{safe}.html"


def _view(e: Explained, locale: str, closed_through: str | None) -> dict[str, Any]:
    s, currency = e.statement, e.statement.currency

    def money(amount: Decimal) -> str:
        return format_money(amount, currency, locale)

    sums = dict(e.by_kind)
    summary = [
        _row(kind, label(_KIND_LABELS.get(kind, kind), locale), money(amount), amount)
        for kind, amount in e.by_kind
    ]
    summary += [
        _row("gross", label("Gross", locale), money(s.gross), s.gross, "total"),
        _row("debt_brought_forward", label("Debt brought forward", locale), money(e.debt_brought)),
        _row("recovered", label("Debt recovered", locale), money(-s.recovered)),
        *_draw_row(e, locale, money),
        _row("payout", label("Payout", locale), money(s.payout), s.payout, "total"),
        _row("debt_balance", label("Debt carried forward", locale), money(s.debt_balance)),
        _row("held_brought_forward", label("Held at the start", locale), money(e.held_brought)),
        _row("held_balance", label("Held at the end", locale), money(s.held_balance)),
        _row(
            "commission_booked",
            label("Commission booked in the period", locale),
            money(e.commission_booked),
        ),
    ]
    # The summary adds up, or no page: the kinds to the gross; the gross (nothing when
    # negative: it became debt) less what was recovered, plus the draw, to the payout.
    assert sum(sums.values(), Decimal(0)) == s.gross
    assert max(s.gross, Decimal(0)) - s.recovered + s.draw == s.payout
    return {
        "anchor": f"{s.period}-{currency}",
        "period": s.period,
        "month": month(s.period, locale),
        "currency": currency,
        "closed": is_closed(s, closed_through),
        "plans": [
            {
                "plan": p.plan,
                "level": p.level,
                "start": day(p.start, locale),
                "end": day(p.end, locale),
            }
            for p in e.plans
        ],
        "summary": summary,
        "attainment": [_attainment(a, currency, locale) for a in e.attainment],
        "lines": [_line(b, locale) for b in e.lines],
        "gross": money(s.gross),
        "drawn": bool(s.draw),
    }


def _draw_row(e: Explained, locale: str, money: Callable[[Decimal], str]) -> list[dict[str, str]]:
    """The draw that topped the payout up (11.5), and whether the rep owes it back; no row
    when there is none."""
    if not e.draw:
        return []
    text = "Draw top-up (recoverable)" if e.draw_recoverable else "Draw top-up (not recoverable)"
    return [_row("draw", label(text, locale), money(e.draw), e.draw)]


def _row(
    name: str, text: str, amount: str, value: Decimal | None = None, css: str = ""
) -> dict[str, str]:
    if value is not None and not value and not css:
        css = "zero"
    return {"name": name, "label": text, "amount": amount, "css": css}


def _percent(share: Decimal, locale: str) -> str:
    return format_percent(round_ratio(share), "#,##0.00%", locale=locale)


def _attainment(a: Attainment, currency: str, locale: str) -> dict[str, str]:
    if a.tier_from is None:
        tier = label("below the first tier", locale)
    else:
        tier = (
            f"{label('from', locale)} {_percent(a.tier_from, locale)}: "
            f"{_percent(a.tier_rate, locale)}"
        )
    return {
        "plan": a.plan,
        "quota_period": a.quota_period,
        "credited": format_money(a.credited, currency, locale),
        "quota": format_money(a.quota, currency, locale),
        "share": _percent(a.share, locale),
        "tier": tier,
    }


def _line(b: LineBasis, locale: str) -> dict[str, str]:
    line, currency = b.line, b.line.currency
    if b.tiers:
        rate = ", ".join(
            f"{_percent(t.rate, locale)} ({label('from', locale)} {_percent(t.from_, locale)})"
            for t in b.tiers
        )
    else:
        rate = "" if b.rate is None else _percent(b.rate, locale)
    reason = b.reason or ""
    if b.late_factor is not None and b.days_late is not None:  # 11.2: why a release is smaller
        late = label("paid %(days)s days late: factor %(factor)s", locale) % {
            "days": b.days_late,
            "factor": format_decimal(b.late_factor, locale=locale),
        }
        reason = f"{reason}; {late}" if reason else late
    event = line.event or ""
    if b.event_type:
        event = f"{event} ({label(b.event_type, locale)})"
    elif line.kind == "past_due":
        event = label("calendar", locale)
    elif line.kind == "collection_bonus":
        event = label("bonus period", locale)
    return {
        "date": day(line.date, locale),
        "kind": label(line.kind, locale),
        "invoice": line.invoice or "",
        "customer": b.customer or "",
        "event": event,
        "plan": b.plan or "",
        "share": "" if b.share is None else format_decimal(round_ratio(b.share), locale=locale),
        "base_credited": ""
        if b.base_credited is None
        else format_money(b.base_credited, currency, locale),
        "rate": rate,
        "due": "" if b.due is None else day(b.due, locale),
        "days_past_due": "" if b.days_past_due is None else str(b.days_past_due),
        "amount": format_money(line.amount, currency, locale),
        "reason": reason,
    }
