"""Commission on a credited base: flat, or marginal tiers over quota attainment."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from functools import cache

from .money import (
    ZERO,
    Attained,
    Exact,
    SplitSum,
    attained_exact,
    decimal_product,
    decimal_sum,
    exact_product,
)
from .plans import Plan, QuotaPeriod


@cache
def quota_period_of(day: dt.date, period: QuotaPeriod) -> str:
    """The quota period containing ``day``: ``2026-02``, ``2026-Q1`` or ``2026``.

    A ``quarter_ytd`` quota accumulates over the calendar year (SEMANTICS.md 11.4).

    >>> quota_period_of(dt.date(2026, 5, 9), "quarter")
    '2026-Q2'
    >>> quota_period_of(dt.date(2026, 5, 9), "quarter_ytd")
    '2026'
    """
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year:04d}"


#: One marginal tier in base units: (from, up to or None for the top, rate).
Band = tuple[Decimal, Decimal | None, Decimal]
#: A plan's tiers, lowest first.
Bands = tuple[Band, ...]


def bands_of(plan: Plan, quarters: int = 1) -> Bands:
    """The plan's tiers as absolute bands of attainment; empty for a flat plan.

    With ``quarters`` ``k``, each tier starts at ``from * quota * k``: the thresholds of
    credit dated in quarter ``k`` of a ``quarter_ytd`` quota (SEMANTICS.md 11.4).
    """
    if plan.quota is None or plan.tiers is None:
        return ()
    starts = [tier.from_ * plan.quota * quarters for tier in plan.tiers]
    ends: list[Decimal | None] = [*starts[1:], None]
    return tuple(zip(starts, ends, (tier.rate for tier in plan.tiers), strict=True))


def commission_on(plan: Plan, attained: Attained, credit: Exact) -> Exact:
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
        return exact_product(plan.rate, credit)
    return commission_in_bands(bands_of(plan), attained, credit)


def quarter_of(day: dt.date) -> int:
    """The calendar quarter (1 to 4) containing ``day``."""
    return (day.month - 1) // 3 + 1


def commission_in_bands(bands: Bands, attained: Attained, credit: Exact) -> Exact:
    """:func:`commission_on` for a tiered plan whose bands are already computed.

    Exact: Decimals where attainment and credit are, else Fractions throughout.

    >>> bands = ((Decimal(0), Decimal(100), Decimal("0.1")), (Decimal(100), None, Decimal("0.2")))
    >>> commission_in_bands(bands, Decimal(90), Decimal(20))
    Decimal('3.0')
    >>> commission_in_bands(bands, Fraction(280, 3), Fraction(40, 3))  # 2/3 + 4/3
    Fraction(2, 1)
    """
    if type(credit) is not Decimal:
        return _commission_with_fractions(bands, attained, credit)
    if type(attained) is not Decimal:
        # Inside one tier (nearly always) the commission is ``rate * credit``, a product
        # that stays a Decimal; the bounds of a SplitSum settle that without its Fraction.
        # (Here rather than in _commission_with_fractions: a call fewer a booking.)
        if type(attained) is SplitSum:
            tier = _tier_of_bounds(bands, attained)
            if tier is not None:
                _, high, rate = tier
                if high is None or decimal_sum(attained.high, credit) <= high:
                    return decimal_product(rate, credit)
        return _commission_with_fractions(bands, attained, credit)
    start, end = attained, attained + credit
    total = ZERO
    # (max and min written out, as they choose: the builtins parse their arguments for
    # keywords, some 600 instructions a call more than a comparison; a tiered invoice
    # makes two a band.)
    for low, high, rate in bands:
        overlap_low = low if low > start else start  # max(start, low)
        if high is None or high >= end:  # min(end, high) is end
            # The band holding the credit's end: the bands above start where this one ends
            # or higher (bands_of's bands, ascending), at or above the end, and add nothing.
            if end > overlap_low:
                total += (end - overlap_low) * rate
            return total
        if high > overlap_low:
            total += (high - overlap_low) * rate
    return total


def _commission_with_fractions(bands: Bands, attained: Attained, credit: Exact) -> Exact:
    """:func:`commission_in_bands` where attainment or credit is a fraction (and the bounds
    of a SplitSum did not settle the tier): inside one tier (nearly always) the commission
    is ``rate * credit``, a product that stays a Decimal for a Decimal credit; only a credit
    cut by a tier boundary is rated in fractions."""
    # Which tier, decided in integers: attained = n/d, credit = c/e, a band edge p/q. (A
    # month's attainment can carry a denominator of hundreds of digits; Fraction's own
    # comparisons with a Decimal cost ten times these products.)
    n, d = attained.as_integer_ratio()
    c, e = credit.as_integer_ratio()
    for high, rate, low_p, low_q, high_p, high_q in _edges(bands):
        if n * low_q < low_p * d:
            break  # below this tier (below the first: rate zero): not inside one tier
        if high is None or n * high_q < high_p * d:
            # credit <= high - attained, that is (c*d + n*e) / (e*d) <= high_p / high_q
            if high is None or (c * d + n * e) * high_q <= high_p * e * d:
                return exact_product(rate, credit)
            break
    start = Fraction(attained_exact(attained))
    end = start + Fraction(credit)
    total = Fraction(0)
    for band_low, band_high, band_rate in _in_fractions(bands):
        overlap_low = max(start, band_low)
        overlap_high = end if band_high is None else min(end, band_high)
        if overlap_high > overlap_low:
            total += (overlap_high - overlap_low) * band_rate
    return total


def _tier_of_bounds(bands: Bands, attained: SplitSum) -> Band | None:
    """The band ``(low, high, rate)`` that holds both bounds of ``attained`` (so the exact
    attainment too), itself (no tuple made a booking); ``None`` where the bounds do not
    settle the tier (the exact way then decides)."""
    low_bound, high_bound = attained.low, attained.high
    for band in bands:
        low, high, _ = band
        if low_bound < low:
            return None
        if high is None or high_bound < high:
            return band
        if low_bound < high:
            return None  # (it may lie either side of this tier's top)
    return None


@cache
def _edges(
    bands: Bands,
) -> tuple[tuple[Decimal | None, Decimal, int, int, int, int], ...]:
    """Each band's high and rate, and its edges as integer ratios: (low's numerator,
    denominator, high's), with ``0, 1`` for the top band's missing high."""
    return tuple(
        (
            high,
            rate,
            *low.as_integer_ratio(),
            *(high.as_integer_ratio() if high is not None else (0, 1)),
        )
        for low, high, rate in bands
    )


@cache
def _in_fractions(bands: Bands) -> tuple[tuple[Fraction, Fraction | None, Fraction], ...]:
    return tuple(
        (Fraction(low), None if high is None else Fraction(high), Fraction(rate))
        for low, high, rate in bands
    )


def commission_times_amount(
    bands: Bands, attained: Attained, credit_times_amount: Decimal, amount: Decimal
) -> Exact:
    """``A`` times the commission on a payment's credit ``s*B*p/A`` (``credit_times_amount``
    is ``s*B*p``) added to ``attained``: exact, and a Decimal product where the credit falls
    inside one tier, which is decided without dividing (``s*B*p <= (high - attained) * A``).
    Called under the fold's context (:data:`~.money.EXACT`): its negations and the rate's
    product are exact there only, as the fold's own sums are.

    >>> bands = ((Decimal(0), Decimal(100), Decimal("0.1")), (Decimal(100), None, Decimal("0.2")))
    >>> commission_times_amount(bands, Decimal(0), Decimal(10), Decimal(3))  # inside a tier
    Decimal('1.0')
    >>> commission_times_amount(bands, Fraction(280, 3), Decimal(40), Decimal(3))  # across
    Fraction(6, 1)
    """
    if type(attained) is Decimal:
        for low, high, rate in bands:
            if attained < low:
                break  # below this tier (below the first: rate zero): not inside one tier
            if high is None or attained < high:
                room = None if high is None else decimal_sum(high, -attained)
                if room is None or credit_times_amount <= decimal_product(room, amount):
                    return rate * credit_times_amount
                break
    else:  # by the bounds where they settle it, else in integers (see _commission_with_fractions)
        if type(attained) is SplitSum:
            tier = _tier_of_bounds(bands, attained)
            if tier is not None:
                _, high, rate = tier
                if high is None or credit_times_amount <= decimal_product(
                    decimal_sum(high, -attained.high), amount
                ):
                    return rate * credit_times_amount
        n, d = attained.as_integer_ratio()
        t, u = credit_times_amount.as_integer_ratio()
        a, b = amount.as_integer_ratio()
        for high, rate, low_p, low_q, high_p, high_q in _edges(bands):
            if n * low_q < low_p * d:
                break
            if high is None or n * high_q < high_p * d:
                # t/u <= (high_p/high_q - n/d) * a/b
                if high is None or t * high_q * d * b <= (high_p * d - n * high_q) * a * u:
                    return rate * credit_times_amount
                break
    credit = Fraction(credit_times_amount) / Fraction(amount)
    return exact_product(commission_in_bands(bands, attained, credit), amount)
