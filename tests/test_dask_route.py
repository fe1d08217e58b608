"""The workers' steps of a cluster run (``parallel.dask_route``), run here in one process.

Dask only moves what these functions return between workers; run in turn here, over a
stream cut into read parts and ids and invoices spread over buckets, they must decide what a
local run decides: the same re-deliveries dropped, the same conflicting ids rejected in the
same order, the same events pending, and each rep part the events the partition of the
sorted-out run gives it. No cluster is needed, so every bucket count is tried.
"""

from __future__ import annotations

import datetime as dt
from itertools import pairwise
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import cases

from commission_engine.domain.engine import arrange
from commission_engine.domain.errors import Rejection
from commission_engine.domain.events import BaseEvent, parse_event
from commission_engine.domain.run import prepare
from commission_engine.domain.working import WorkingState
from commission_engine.parallel.by_rep import Partition
from commission_engine.parallel.dask_route import (
    Encoded,
    bookings,
    ids_by_bucket,
    invoice_parts,
    items_at,
    rep_owners,
    repeated_ids,
    route,
    sort_out_ids,
)
from commission_engine.parallel.wire import event_from, event_values, rejection_from


@st.composite
def streams_used_again(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Generated streams with ids used again later: identical, or with other content (or a
    bad line), anywhere after their first use."""
    _, events = draw(cases())
    for _ in range(draw(st.integers(0, 6))):
        if not events:
            break
        at = draw(st.integers(0, len(events) - 1))
        again = dict(events[at])
        change = draw(st.sampled_from(["same", "date", "amount", "bad", "rep"]))
        if change == "rep" and again["type"] == "invoice":  # booked to another rep
            again.pop("splits", None)
            again["rep"] = "zed"
        elif change == "date":
            again["date"] = "2026-01-01"  # earlier than most: the first use still wins
        elif change == "amount":
            again["amount"] = "1"
        elif change == "bad":
            again["amount"] = "-1"
        events.insert(draw(st.integers(at + 1, len(events))), again)
    return events


def _steps(reads: list[list[Encoded]], buckets: int, parts: int, through: int | None) -> Any:
    """Each step of :func:`~commission_engine.parallel.dask_run.compute_from_workers`, in
    turn: what each task gives the next."""
    ids = [ids_by_bucket(read, buckets) for read in reads]
    repeated = [repeated_ids([found[0][bucket] for found in ids]) for bucket in range(buckets)]
    sorted_out = [
        sort_out_ids(
            positions, [items_at(read, p) for read, p in zip(reads, positions, strict=True)]
        )
        for positions, _ in repeated
    ]
    placed = [
        ((part, position), values)
        for part, found in enumerate(ids)
        for (_, position), values in found[1]
    ] + [conflict for bucket in sorted_out for conflict in bucket[2]]
    placed.sort(key=lambda place: place[0])
    dropped = [[bucket[0][part] for bucket in sorted_out] for part in range(len(reads))]
    booked = [bookings(read, d, through, buckets) for read, d in zip(reads, dropped, strict=True)]
    owners = rep_owners([b[1] for b in booked], parts)
    invoices = [
        invoice_parts(owners, [b[2][bucket][0] for b in booked], [b[2][bucket][1] for b in booked])
        for bucket in range(buckets)
    ]
    routed = [
        route(read, b[0], through, owners, [bucket[part] for bucket in invoices])
        for part, (read, b) in enumerate(zip(reads, booked, strict=True))
    ]
    return (
        [rejection_from(values) for _, values in placed],
        sum(bucket[1] for bucket in sorted_out),
        sum(pending for pending, _ in routed),
        owners,
        [sorted(_id(i) for _, pieces in routed for i in pieces[part]) for part in range(parts)],
    )


def _id(item: Encoded) -> str:
    event = event_from(item)
    assert isinstance(event, BaseEvent)
    return event.id


@settings(max_examples=150, deadline=None)
@given(
    streams_used_again(),
    st.lists(st.integers(0, 60), max_size=4),
    st.integers(1, 4),
    st.integers(1, 3),
    st.sampled_from([None, dt.date(2026, 3, 31)]),
)
def test_the_workers_steps_decide_what_a_local_run_decides(
    records: list[dict[str, Any]],
    cuts: list[int],
    buckets: int,
    parts: int,
    through: dt.date | None,
) -> None:
    items = [parse_event(record, line) for line, record in enumerate(records, 1)]
    encoded = [event_values(item) for item in items]
    bounds = [0, *sorted(min(cut, len(encoded)) for cut in cuts), len(encoded)]
    reads = [encoded[start:end] for start, end in pairwise(bounds)]
    rejected: list[Rejection] = []
    to_apply, pending, duplicates = prepare(items, WorkingState(), through, rejected.append)
    invoices, _ = arrange(to_apply)
    partition = Partition(invoices, [1.0] * parts)
    expected = [sorted(e.id for _, e in partition.events_of(p, to_apply)) for p in range(parts)]

    day = None if through is None else through.toordinal()
    found, found_duplicates, found_pending, owners, pieces = _steps(reads, buckets, parts, day)
    assert found == rejected
    assert (found_duplicates, found_pending) == (duplicates, pending)
    assert owners.owner == partition.owner
    assert pieces == expected


def test_a_stream_without_events_has_nothing_to_route() -> None:
    rejection = Rejection(event=None, line=1, field=None, reason="not JSON")
    found, duplicates, pending, _, pieces = _steps([[event_values(rejection)]], 2, 2, None)
    assert (found, duplicates, pending, pieces) == ([rejection], 0, 0, [[], []])
