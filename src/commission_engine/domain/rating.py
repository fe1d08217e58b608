"""Commission on a credited base: flat, or marginal tiers over quota attainment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

from .money import ZERO
from .plans import Plan, QuotaPeriod


@cache
def quota_period_of(day: dt.date, period: QuotaPeriod) -> str:
    """The quota period containing ``day``: ``2026-02``, ``2026-Q1`` or ``2026``.

    >>> quota_period_of(dt.date(2026, 5, 9), "quarter")
    '2026-Q2'
    """
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


#: A plan's marginal tiers in base units: (from, up to or None, rate), lowest first.
Bands = tuple[tuple[Decimal, Decimal | None, Decimal], ...]


def bands_of(plan: Plan) -> Bands:
    """The plan's tiers as absolute bands of attainment; empty for a flat plan."""
    if plan.quota is None or plan.tiers is None:
        return ()
    starts = [tier.from_ * plan.quota for tier in plan.tiers]
    ends: list[Decimal | None] = [*starts[1:], None]
    return tuple(zip(starts, ends, (tier.rate for tier in plan.tiers), strict=True))


def commission_on(plan: Plan, attained: Decimal, credit: Decimal) -> Decimal:
    """Commission, unrounded, on ``credit`` of base added to ``attained`` so far.

    Flat plans ignore attainment. Tiered plans rate each slice of the credit at
    the tier its attainment falls in (marginal); below the first tier the rate
    is zero. Example 4 of EXAMPLES.md, quota 100,000, 10% then 12%:

    >>> plan = Plan(id="q", currency="USD", level=3, quota="100000",
    ...             tiers=[{"from": "0", "rate": "0.10"}, {"from": "1", "rate": "0.12"}])
    >>> commission_on(plan, Decimal("60000"), Decimal("60000"))
    Decimal('6400.00')
    """
    if plan.rate is not None:
        return plan.rate * credit
    return commission_in_bands(bands_of(plan), attained, credit)


def commission_in_bands(bands: Bands, attained: Decimal, credit: Decimal) -> Decimal:
    """:func:`commission_on` for a tiered plan whose bands are already computed."""
    start, end = attained, attained + credit
    total = ZERO
    for low, high, rate in bands:
        overlap_low = max(start, low)
        overlap_high = end if high is None else min(end, high)
        if overlap_high > overlap_low:
            total += (overlap_high - overlap_low) * rate
    return total
