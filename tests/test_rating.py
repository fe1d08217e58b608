"""Tiered rating against a reference in fractions: the slices of a credit across the bands.

The engine decides which tier a credit falls in without dividing (in integers where the
attainment is a fraction); these properties hold those decisions to the plain definition,
at and around the tier boundaries, where a wrong inequality would show.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from commission_engine.domain.money import EXACT, Exact, SplitSum, attained_plus
from commission_engine.domain.rating import Bands, commission_in_bands, commission_times_amount

BANDS: Bands = (
    (Decimal("0"), Decimal("1000"), Decimal("0.10")),
    (Decimal("1000"), Decimal("1500.50"), Decimal("0.12")),
    (Decimal("1500.50"), None, Decimal("0.15")),
)
#: Below the first band the rate is zero.
LATE_START: Bands = ((Decimal("200"), None, Decimal("0.05")),)


def reference(bands: Bands, attained: Fraction, credit: Fraction) -> Fraction:
    """SEMANTICS.md 5: each slice of [attained, attained + credit] at its band's rate."""
    total = Fraction(0)
    for low, high, rate in bands:
        top = attained + credit if high is None else min(attained + credit, Fraction(high))
        bottom = max(attained, Fraction(low))
        if top > bottom:
            total += (top - bottom) * Fraction(rate)
    return total


cents = st.integers(min_value=1, max_value=300_000).map(lambda n: Decimal(n).scaleb(-2))
#: Attainment near the edges: a whole amount, or one with a non-terminating part (what a
#: credit note or a collection leaves), within a few hundredths of 200, 1000 or 1500.50.
edges = st.sampled_from([Fraction(0), Fraction(200), Fraction(1000), Fraction(300_100, 200)])
offsets = st.fractions(min_value=-3, max_value=3, max_denominator=10_007)
attainments = st.one_of(
    cents.map(Fraction),
    st.builds(lambda edge, offset: max(Fraction(0), edge + offset), edges, offsets),
)


def as_given(value: Fraction) -> Exact:
    """The engine keeps a Decimal where the value terminates, else a Fraction."""
    if value.denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100):
        return Decimal(value.numerator) / Decimal(value.denominator)
    return value


@given(
    bands=st.sampled_from([BANDS, LATE_START]),
    attained=attainments,
    credit=st.one_of(cents.map(Fraction), st.fractions(min_value=0, max_value=2000)),
)
def test_commission_on_a_credit_is_its_slices_at_their_rates(
    bands: Bands, attained: Fraction, credit: Fraction
) -> None:
    got = commission_in_bands(bands, as_given(attained), as_given(credit))
    assert Fraction(got) == reference(bands, attained, credit)


@given(
    bands=st.sampled_from([BANDS, LATE_START]),
    attained=attainments,
    credit_times_amount=cents,
    amount=cents,
)
def test_a_payment_s_commission_times_the_amount_is_exact(
    bands: Bands, attained: Fraction, credit_times_amount: Decimal, amount: Decimal
) -> None:
    got = commission_times_amount(bands, as_given(attained), credit_times_amount, amount)
    credit = Fraction(credit_times_amount) / Fraction(amount)
    assert Fraction(got) == reference(bands, attained, credit) * Fraction(amount)


def every_band(bands: Bands, attained: Decimal, credit: Decimal) -> Decimal:
    """The slices summed over every band, in Decimals: what commission_in_bands' stop at
    the band holding the credit's end must give, to the exponent."""
    start, end = attained, attained + credit
    total = Decimal(0)
    for low, high, rate in bands:
        top = end if high is None else min(end, high)
        bottom = max(start, low)
        if top > bottom:
            total += (top - bottom) * rate
    return total


decimal_attainments = st.one_of(
    cents, st.builds(lambda edge, offset: max(Decimal(0), edge + offset), st.sampled_from(
        [Decimal(0), Decimal(200), Decimal(1000), Decimal("1500.50")]), st.sampled_from(
        [Decimal(0), Decimal("-0.01"), Decimal("0.001"), Decimal(-3), Decimal("2.5")]))
)  # fmt: skip


@given(
    bands=st.sampled_from([BANDS, LATE_START]),
    attained=decimal_attainments,
    credit=st.one_of(cents, st.sampled_from([Decimal(0), Decimal("0.000"), Decimal("499.5")])),
)
def test_a_decimal_credit_is_rated_as_over_every_band(
    bands: Bands, attained: Decimal, credit: Decimal
) -> None:
    assert repr(commission_in_bands(bands, attained, credit)) == repr(
        every_band(bands, attained, credit)
    )


def test_a_credit_ending_exactly_on_a_boundary_stays_in_its_tier() -> None:
    attained = Fraction(2999, 3)  # 999.666...
    credit = Fraction(1, 3)  # up to exactly 1000
    assert commission_in_bands(BANDS, attained, credit) == Fraction(1, 10) * credit
    # The same as a payment: credit s*B*p/A = 1/3 with s*B*p = 1.00 and A = 3.00.
    got = commission_times_amount(BANDS, attained, Decimal("1.00"), Decimal("3.00"))
    assert Fraction(got) == Fraction(1, 10) * Fraction(1, 3) * 3


#: An attainment kept in two parts (money.SplitSum), as the engine keeps one once a
#: payment's part of its invoice is credited: a Decimal part and a Fraction part.
split_sums = st.builds(
    lambda decimal, fraction, more: attained_plus(attained_plus(decimal, fraction), more),
    cents.map(lambda c: c - 1500),
    offsets.filter(lambda f: f.denominator > 1),
    st.one_of(cents, offsets.filter(lambda f: f.denominator > 1)),
).filter(lambda a: type(a) is SplitSum and a.as_integer_ratio()[0] >= 0)


@given(
    bands=st.sampled_from([BANDS, LATE_START]),
    attained=split_sums,
    credit=cents,
    amount=cents,
)
def test_an_attainment_in_two_parts_rates_as_its_sum(
    bands: Bands, attained: SplitSum, credit: Decimal, amount: Decimal
) -> None:
    # Whether the bounds of the parts settle the tier or the exact sum does, the commission
    # is the one on the sum as one Fraction, to the exponent.
    whole = Fraction(*attained.as_integer_ratio())
    assert repr(commission_in_bands(bands, attained, credit)) == repr(
        commission_in_bands(bands, whole, credit)
    )
    times = credit * amount
    assert repr(commission_times_amount(bands, attained, times, amount)) == repr(
        commission_times_amount(bands, whole, times, amount)
    )
    low, high = attained.low, attained.high
    assert Fraction(low) <= whole <= Fraction(high)


def test_a_credit_past_a_tier_by_less_than_the_bounds_width_is_cut() -> None:
    # 999 and 1/(3*10^44) above: the bounds (999 and 999 + 10^-39) hold it in the first tier,
    # and a credit of 1.00 (3.00 of an invoice of 3.00) ends at 1000 by the lower bound, past
    # it in fact: only the upper bound tells the tiers' test so. (In the fold's context, as
    # the engine calls them: commission_times_amount negates a bound with the context's
    # precision.)
    attained = attained_plus(Decimal("998.00"), 1 + Fraction(1, 3 * 10**44))
    assert type(attained) is SplitSum
    whole = Fraction(*attained.as_integer_ratio())
    with localcontext(EXACT):
        got = commission_in_bands(BANDS, attained, Decimal("1.00"))
        times = commission_times_amount(BANDS, attained, Decimal("3.00"), Decimal("3.00"))
    assert got == reference(BANDS, whole, Fraction(1)) != Fraction("0.1")
    assert times == reference(BANDS, whole, Fraction(1)) * 3 != Fraction("0.3")
