"""The JSON writer: FORMATS.md's layout, and exactly :func:`render.document`'s content."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import END, cases

from commission_engine import PlanBook, Result, compute
from commission_engine.domain.money import show_all
from commission_engine.report.render import _shown_amounts, document, write_json

PLANS = PlanBook(
    plans=[
        {"id": "p", "currency": "USD", "level": 1, "rate": "0.1",
         "clawback": {"after_days_past_due": 10}, "payment_terms_days": 30},
        {"id": "y", "currency": "JPY", "level": 0, "rate": "0.05"},
    ],
    assignments=[{"rep": "*", "plan": "p", "from": "2026-01-01"},
                 {"rep": "Zoë \"Z\"", "plan": "y", "from": "2026-01-01"}],
)  # fmt: skip
EVENTS: list[dict[str, Any]] = [
    {"type": "invoice", "id": "e1", "date": "2026-01-15", "invoice": "I-1", "rep": "ana",
     "amount": "1000.00"},
    {"type": "invoice", "id": "é\"2", "date": "2026-01-20", "invoice": "I \"2\"",
     "rep": "Zoë \"Z\"", "amount": "5000"},
    {"type": "adjustment", "id": "e3", "date": "2026-03-02", "rep": "ana", "amount": "-5.00",
     "reason": "spot"},
    {"type": "payment", "id": "e4", "date": "2026-03-03", "invoice": "I-1", "amount": "9000.00"},
    {"type": "payment", "id": "e5", "date": "2026-03-03", "invoice": "NOPE", "amount": "1.00"},
]  # fmt: skip


def _written(result: Result, **kw: Any) -> str:
    out = io.StringIO()
    write_json(result, out, **kw)
    return out.getvalue()


@pytest.mark.parametrize(
    "options", [{}, {"rep": "ana"}, {"rep": "nobody"}, {"closed_through": "2026-02"}]
)
def test_the_written_json_is_the_document(options: dict[str, Any]) -> None:
    result = compute(PLANS, EVENTS)
    text = _written(result, **options)
    assert json.loads(text) == document(result, options.get("rep"), options.get("closed_through"))
    assert text.endswith("}\n")


def test_the_layout_is_a_statement_a_line_and_a_ledger_line_a_line() -> None:
    text = _written(compute(PLANS, EVENTS[:1]))
    assert text == (
        "{\n"
        '  "through": "2026-01-15",\n'
        '  "statements": [\n'
        '    {"rep": "ana", "period": "2026-01", "currency": "USD", "gross": "100.00", '
        '"recovered": "0.00", "payout": "100.00", "debt_balance": "0.00", '
        '"held_balance": "0.00", "draw": "0.00", "lines": [\n'
        '      {"date": "2026-01-15", "event": "e1", "invoice": "I-1", "kind": "advance", '
        '"amount": "100.00"}\n'
        "    ]}\n"
        "  ],\n"
        '  "rejected": [],\n'
        '  "pending": 0\n'
        "}\n"
    )


def test_nothing_to_show_is_still_the_document() -> None:
    result = compute(PLANS, [])
    text = _written(result)
    assert json.loads(text) == document(result)
    assert '"statements": []' in text and '"through": null' in text


@settings(max_examples=60, deadline=None)
@given(cases())
def test_any_generated_run_writes_its_document(case: tuple[PlanBook, list[dict[str, Any]]]) -> None:
    book, events = case
    result = compute(book, events, through=END)
    assert json.loads(_written(result)) == document(result)


# A long statement's line amounts are shown by str(), checked at once (render._shown_amounts);
# the shortcut must give show_all's texts, or show_all's refusal, on any list of amounts.
_AMOUNT_TEXTS = st.one_of(
    st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False),
    st.decimals(min_value=-(10**6), max_value=10**6, places=0, allow_nan=False),
    st.decimals(min_value=-(10**6), max_value=10**6, places=3, allow_nan=False),
    st.sampled_from(
        ["0", "-0", "-0.00", "0.00", "0E+3", "1E+3", "1.5E-8", "12.345", "5", "-0.000"]
    ).map(Decimal),
)


@settings(max_examples=500)
@given(
    amounts=st.lists(_AMOUNT_TEXTS, min_size=1, max_size=40),
    currency=st.sampled_from(["USD", "JPY", "KWD", "CLF", "EUR"]),
)
def test_a_long_statements_amounts_are_shown_as_show_all_shows_them(
    amounts: list[Decimal], currency: str
) -> None:
    try:
        want: list[str] | str = show_all(amounts, currency)
    except ValueError as error:
        want = str(error)
    try:
        got: list[str] | str = _shown_amounts(amounts, currency)
    except ValueError as error:
        got = str(error)
    assert got == want
