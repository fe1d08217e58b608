"""An event's digest never changes: closed books keep them to spot changed events."""

from __future__ import annotations

import pytest

from commission_engine import parse_event

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
