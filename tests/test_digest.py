"""An event's digest never changes: closed books keep them to spot changed events."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from commission_engine import parse_event
from commission_engine.domain.events import BaseEvent

# Digests as the first closed books recorded them; a change here breaks every saved ledger.
KNOWN = [
    ({"type": "invoice", "id": "e1", "date": "2026-01-10", "invoice": "I1",
      "splits": "ana=0.60;bo=0.4", "amount": "110.0", "tax": "10", "due": "2026-02-01",
      "customer": "Ünï"}, "c093b0c09eeb45bbaa9e10e428a42058"),
    ({"type": "payment", "id": "p1", "date": "2026-01-10", "invoice": "I1", "amount": "55.00"},
     "f5dc2d446147e77a461442594340239d"),
    ({"type": "write_off", "id": "w1", "date": "2026-03-10", "invoice": "I1"},
     "241866ff3d7e642efacb70b82d180f8c"),
    ({"type": "adjustment", "id": "a1", "date": "2026-03-10", "rep": "ana", "amount": "-5",
      "reason": 'x"y', "currency": "USD"}, "2ea6d07c7ce3088a852ed25fc55f3cc1"),
]  # fmt: skip


@pytest.mark.parametrize(("record", "digest"), KNOWN)
def test_digests_are_what_closed_books_recorded(record: dict[str, str], digest: str) -> None:
    event = parse_event(record, line=9)
    assert event.digest() == digest  # type: ignore[union-attr]


def test_a_digest_ignores_the_line_and_trailing_zeros() -> None:
    one = parse_event(KNOWN[1][0] | {"amount": "55"}, line=1)
    assert one.digest() == KNOWN[1][1]  # type: ignore[union-attr]


def _as_first_written(record: dict[str, Any]) -> str:
    """The digest as the first closed books computed it: a dict through ``json.dumps``."""
    event = parse_event(record)
    assert isinstance(event, BaseEvent)
    content: dict[str, Any] = {}
    for name in event.FIELDS:
        value = getattr(event, name)
        if isinstance(value, Decimal):
            value = format(value.normalize(), "f")
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = [(split.rep, format(split.share.normalize(), "f")) for split in value]
        elif value is None:
            continue
        content[name] = value
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


_TEXT = st.text(min_size=1, max_size=12)  # any characters: quotes, controls, non-ASCII
_AMOUNT = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    event_id=_TEXT,
    rep=_TEXT,
    other=_TEXT,
    text=st.none() | _TEXT,
    amount=_AMOUNT.filter(lambda a: a > 0),
    signed=_AMOUNT.filter(lambda a: a != 0),
    share=st.integers(min_value=1, max_value=99),
)
def test_digests_are_the_json_of_what_the_event_says(
    event_id: str,
    rep: str,
    other: str,
    text: str | None,
    amount: Decimal,
    signed: Decimal,
    share: int,
) -> None:
    assume(rep.strip() != other.strip())
    split = f"{rep}={share / 100};{other}={(100 - share) / 100}"
    optional = {} if text is None else {"customer": text}
    records: list[dict[str, Any]] = [
        {"type": "invoice", "id": event_id, "date": "2026-01-10", "invoice": other,
         "splits": split, "amount": str(amount * 10), "tax": str(amount), "due": "2026-02-01",
         **optional},
        {"type": "adjustment", "id": event_id, "date": "2026-03-10", "rep": rep,
         "amount": str(signed), "currency": "USD", **({} if text is None else {"reason": text})},
        {"type": "write_off", "id": event_id, "date": "2026-03-10", "invoice": rep},
    ]  # fmt: skip
    for record in records:
        event = parse_event(record)
        assume(isinstance(event, BaseEvent))  # a rep of only spaces, say, is rejected
        assert isinstance(event, BaseEvent)
        assert event.digest() == _as_first_written(record)
