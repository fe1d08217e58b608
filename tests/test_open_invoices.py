"""One run that stops at several days gives, at each, the invoices a run through it leaves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scenario import book
from strategies import PROPERTY, cases

from commission_engine import CommissionEngineError, PlanBook, compute
from commission_engine.api import open_invoices_at


@PROPERTY
@given(cases(), st.sets(st.dates(dt.date(2025, 12, 1), dt.date(2027, 1, 31)), min_size=1))
def test_stopping_at_each_day_is_a_run_through_each_day(
    case: tuple[PlanBook, list[dict[str, Any]]], days: set[dt.date]
) -> None:
    plans, events = case
    ends = sorted(days)
    open_at, result = open_invoices_at(plans, events, ends)
    for end, invoices in zip(ends, open_at, strict=True):
        through_end = compute(plans, events, through=end)
        still_open = tuple(
            i for i in through_end.invoices() if i.amount - i.credited - i.paid - i.written_off
        )
        assert invoices == still_open, end
    direct = compute(plans, events, through=ends[-1])
    assert result.statements == direct.statements
    assert (result.rejected, result.pending, result.duplicates, result.through) == (
        direct.rejected, direct.pending, direct.duplicates, direct.through,
    )  # fmt: skip
    assert result.state() == direct.state()


@pytest.mark.parametrize("ends", [[], [dt.date(2026, 2, 1), dt.date(2026, 1, 1)]])
def test_the_days_to_stop_at_are_given_in_order(ends: list[dt.date]) -> None:
    with pytest.raises(CommissionEngineError, match="in ascending order"):
        open_invoices_at(book(0), [], ends)
