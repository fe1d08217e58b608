"""Decimal helpers: reading amounts from text, and the one place that rounds.

Money is :class:`~decimal.Decimal` end to end. Amounts are read from their
text (``"10.00"``), never through ``float``; :func:`round_money` (and
:func:`rounder`, the same rounding bound to a currency for hot loops) is the
only rounding of an amount to a currency's minor unit in the library.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    InvalidOperation,
    Overflow,
)
from fractions import Fraction
from functools import cache, lru_cache
from typing import Literal, TypeAlias

import msgspec

from .currencies import minor_units

RoundingMode = Literal["half_up", "half_even"]

ZERO = Decimal(0)
ONE = Decimal(1)

#: The context the fold computes in. Sums and products of amounts, shares and rates are
#: exact in it (200 digits is far beyond any product of validated inputs); a quotient is
#: never taken with ``/`` in it but through :func:`exact_ratio` (a Fraction where it does
#: not terminate) or :meth:`Rounding.ratio` (rounded once, exactly).
EXACT = Context(prec=200, rounding=ROUND_05UP)

#: An exact unrounded amount: a Decimal where it terminates, else a Fraction.
Exact: TypeAlias = Decimal | Fraction

#: A quotient on its way to a rounding is taken to 60 significant digits, rounded towards
#: zero except where the last digit would be 0 or 5 (``ROUND_05UP``): rounding that once
#: more to fewer digits gives the exact quotient's own rounding.
#: For telling whether a value is whole minor units (any rounding mode would do).
_WHOLE = Context(prec=100, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)
_QUOTIENT = Context(prec=60, rounding=ROUND_05UP, Emax=50, Emin=MIN_EMIN, traps=[Overflow])

_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}

# The contexts' operations, looked up once: a method looked up on a Context (a bound method
# made each time) costs more than the operation itself on amounts of a few digits, and the
# fold takes several an event.
#: ``first + second`` and ``first * second`` of two Decimals, exactly (:data:`EXACT`'s
#: own): :func:`exact_sum` and :func:`exact_product` where both are known to be Decimals,
#: without a call and two tests of kind more.
decimal_sum = EXACT.add
decimal_product = EXACT.multiply
_exact_scaleb = EXACT.scaleb
_divide_quotient = _QUOTIENT.divide
_quantize_whole = _WHOLE.quantize

#: Every number read (an amount, a share, a plan's rate or quota) is smaller than this in
#: size: at most 15 digits before the point, so that every product the fold makes stays
#: exact in :data:`EXACT`.
LIMIT = Decimal("1e15")
#: A number as text: ASCII digits, an optional sign, point and exponent. Not what
#: ``Decimal`` also takes: digits of other scripts, ``_`` separators, NaN, Infinity.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def to_decimal(value: object) -> Decimal:
    """Read a number from its text (or an int/Decimal); refuse floats, booleans, and any
    number of 10^15 or more in size (:data:`LIMIT`).

    >>> to_decimal("12.50")
    Decimal('12.50')
    >>> to_decimal(0.1)
    Traceback (most recent call last):
    ...
    ValueError: a float cannot carry money exactly; write the number as text: '0.1'
    >>> to_decimal("1_000")
    Traceback (most recent call last):
    ...
    ValueError: '1_000' is not a number (only the digits 0-9 are read, with no separators)
    >>> to_decimal("1e400")
    Traceback (most recent call last):
    ...
    ValueError: '1e400' is out of range: numbers must be below 10^15 in size
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {str(value).lower()}")
    if isinstance(value, float):
        raise ValueError(
            f"a float cannot carry money exactly; write the number as text: '{value!r}'"
        )
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            odd = "_" in text or not text.isascii()
            hint = " (only the digits 0-9 are read, with no separators)" if odd else ""
            raise ValueError(f"{shown(value)} is not a number{hint}")
        try:
            result = Decimal(text)
        except InvalidOperation:  # an exponent beyond what Decimal holds
            result = Decimal("Infinity")
    else:
        raise ValueError(f"expected a number written as text, got {type(value).__name__}")
    if result.is_nan():
        raise ValueError(f"{shown(value)} is not a finite number")
    if not -LIMIT < result < LIMIT:
        raise ValueError(f"{shown(value)} is out of range: numbers must be below 10^15 in size")
    return result


def shown(value: object, at_most: int = 40) -> str:
    """``value`` quoted for a message: control characters escaped, a long text cut short.

    >>> print(shown("9" * 50))
    '9999999999999999999999999999999999999...'
    >>> print(shown("a\x1b[8m"))
    'a\\x1b[8m'
    """
    text = str(value)
    if len(text) > at_most:
        text = text[: at_most - 3] + "..."
    return repr(text) if isinstance(value, str) else text


@cache
def _places(currency: str) -> int:
    return minor_units(currency)


@cache
def quantum(currency: str) -> Decimal:
    """The currency's smallest unit: ``Decimal('0.01')`` for USD, ``Decimal('1')`` for JPY."""
    return Decimal(1).scaleb(-minor_units(currency))


@cache
def zero(currency: str) -> Decimal:
    """Zero written with the currency's minor digits: ``Decimal('0.00')`` for USD."""
    return ZERO.scaleb(-minor_units(currency))


@lru_cache(maxsize=1 << 16)
def _decimal_of(text: str) -> Decimal:
    return Decimal(text)


def shared_decimal(value: object) -> object:
    """``value`` as a :class:`~decimal.Decimal` shared with every equal text read lately.

    For reading back a saved state or closed book, where most amounts repeat one read just
    before (``0.00`` in every invoice not credited, written off or held): one object per
    text among the last 65,536 texts, not one per amount, is 435 MB less for a closed book
    of a million events (docs/performance.md). Decimals are immutable, so sharing changes
    nothing; the text keeps its exponent. Anything else is returned as given, for the
    caller's own check.

    >>> shared_decimal("0.00") is shared_decimal("0.00")
    True
    >>> shared_decimal("0.00") is shared_decimal("0")  # equal, but written otherwise
    False
    >>> shared_decimal("ten")
    'ten'
    """
    if type(value) is str:
        try:
            return _decimal_of(value)
        except InvalidOperation:
            pass
    return value


def round_money(value: Exact, currency: str, mode: RoundingMode = "half_up") -> Decimal:
    """Round ``value`` to the minor unit of ``currency``: the library's only rounding.

    ``value`` is exact (a Decimal, or a Fraction where a quotient does not terminate) and
    is rounded once, in ``mode``.

    >>> round_money(Decimal("16.665"), "USD")
    Decimal('16.67')
    >>> round_money(Decimal("16.665"), "USD", "half_even")
    Decimal('16.66')
    >>> round_money(Decimal("1234.5"), "JPY")
    Decimal('1235')
    >>> round_money(Fraction(2, 3), "USD")
    Decimal('0.67')
    """
    return rounder(currency, mode)(value)


class Rounding:
    """:func:`round_money` fixed to one currency and mode, for the engine's per-event path.

    Calling it rounds an exact value; :meth:`ratio` rounds the exact quotient of two
    exact values without ever rounding the quotient first.

    >>> rounder("USD", "half_even")(Decimal("0.125"))
    Decimal('0.12')
    >>> rounder("USD").ratio(Decimal("708.435") * 3, Decimal(3))
    Decimal('708.44')
    """

    __slots__ = (
        "_context",
        "_exponent",
        "_mode",
        "quantize",
        "quantum",
        "zero",
    )

    def __init__(self, currency: str, mode: RoundingMode) -> None:
        #: The currency's smallest unit, and ``quantize(value, quantum)``: a Decimal ``value``
        #: rounded, what :meth:`round` does with one, for a caller that knows it has a
        #: Decimal (no Python call: a booking's).
        self.quantum = quantum(currency)
        self._exponent = -minor_units(currency)
        self._mode = mode
        # A context's own quantize costs a tenth of Decimal.quantize with keywords. A
        # result beyond 100 digits is refused (InvalidOperation), not built digit by digit.
        self._context = Context(prec=100, rounding=_MODES[mode], Emax=MAX_EMAX, Emin=MIN_EMIN)
        self.quantize = self._context.quantize  # (bound once: see decimal_sum)
        #: Zero rounded (``0.00`` for USD): what any value times zero rounds to.
        self.zero = self.quantize(ZERO, self.quantum)

    def round(self, value: Exact) -> Decimal:
        """``value`` rounded: what calling the Rounding does, by name for the per-event path
        (an instance called goes through its type's ``__call__``, about twice a method's cost).
        """
        # (isinstance of Decimal, never of Fraction: Fraction's ABC makes that five times slower.)
        if isinstance(value, Decimal):
            return self.quantize(value, self.quantum)
        return self._fraction(value)

    __call__ = round

    def ratio(self, numerator: Exact, denominator: Decimal) -> Decimal:
        """``numerator / denominator`` rounded once, exactly as the exact quotient would be.

        The quotient is first taken to 60 digits rounding ``05UP`` (towards zero unless the
        last digit is 0 or 5): a digit is kept that says "above" where the exact quotient
        is above a half, so rounding that to the minor unit is the exact quotient's rounding
        (the classic guard against double rounding). A quotient of more than 50 digits above
        the minor unit (it would leave too few below it), or a Fraction, is divided as
        fractions.
        """
        if not isinstance(numerator, Decimal):
            return self._fraction(numerator / Fraction(denominator))
        try:
            quotient = _divide_quotient(numerator, denominator)
        except Overflow:  # (the check costs nothing when there is none: _QUOTIENT's Emax)
            return self._fraction(Fraction(numerator) / Fraction(denominator))
        return self.quantize(quotient, self.quantum)

    def times_ratio(self, factor: Exact, times: Decimal, denominator: Decimal) -> Decimal:
        """``factor * times / denominator`` rounded once: :meth:`ratio` for ``u * x``
        (written out again: it is the engine's per-event rounding). Where ``times`` is the
        denominator (``u * A``: an invoice booked, or paid in full), ``factor`` itself rounded,
        without a product and a quotient.

        >>> rounder("USD").times_ratio(Decimal("12.345"), Decimal("80.00"), Decimal("80.00"))
        Decimal('12.35')
        """
        if times == denominator:
            return self.round(factor)
        if not isinstance(factor, Decimal):
            return self._fraction(factor * Fraction(times) / Fraction(denominator))
        numerator = factor * times
        try:
            quotient = _divide_quotient(numerator, denominator)
        except Overflow:
            return self._fraction(Fraction(numerator) / Fraction(denominator))
        return self.quantize(quotient, self.quantum)

    def _fraction(self, value: Fraction) -> Decimal:
        scaled = value / Fraction(self.quantum)
        whole, rest = divmod(scaled.numerator, scaled.denominator)  # whole = floor
        twice, denominator = 2 * rest, scaled.denominator
        if twice > denominator:
            whole += 1
        elif twice == denominator:
            if self._mode == "half_even":
                whole += whole % 2  # to the even neighbour
            elif whole >= 0:
                whole += 1  # half away from zero; below zero the floor already is
        return _exact_scaleb(Decimal(whole), self._exponent)


@cache
def rounder(currency: str, mode: RoundingMode = "half_up") -> Rounding:
    """The :class:`Rounding` of ``currency`` in ``mode`` (one per pair)."""
    return Rounding(currency, mode)


def exact_ratio(numerator: Exact, denominator: Exact) -> Exact:
    """``numerator / denominator`` exactly: a Decimal where it terminates, else a Fraction.

    >>> exact_ratio(Decimal("1"), Decimal("8"))
    Decimal('0.125')
    >>> exact_ratio(Decimal("1"), Decimal("3"))
    Fraction(1, 3)
    """
    if type(numerator) is Decimal and type(denominator) is Decimal:
        if not numerator:
            return ZERO
        quotient = _divide_quotient(numerator, denominator)
        if decimal_product(quotient, denominator) == numerator:
            return quotient
        # (n/d) / (p/q) as one Fraction made of integers, reduced once: made of Fractions of
        # each Decimal, then multiplied, it was five Fractions and their gcds.
        n, d = numerator.as_integer_ratio()
        p, q = denominator.as_integer_ratio()
        return canonical(Fraction(n * q, d * p))
    return canonical(exact_product(numerator, Fraction(1) / Fraction(denominator)))


def canonical(value: Exact) -> Exact:
    """``value`` written one way only: a Decimal where it terminates, else a Fraction.

    What a saved state keeps, so that equal values are saved as equal text.

    >>> canonical(Fraction(7, 2000))
    Decimal('0.0035')
    >>> canonical(Fraction(1, 3))
    Fraction(1, 3)
    """
    if isinstance(value, Decimal):
        return value
    fraction = value
    denominator = fraction.denominator
    twos = (denominator & -denominator).bit_length() - 1
    rest, fives = denominator >> twos, 0
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return fraction
    digits = max(twos, fives)
    return Decimal(fraction.numerator * (10**digits // denominator)).scaleb(-digits, EXACT)


def exact_sum(first: Exact, second: Exact) -> Exact:
    """``first + second`` exactly, whichever kinds they are."""
    if isinstance(first, Decimal):
        if isinstance(second, Decimal):
            return decimal_sum(first, second)
        return Fraction(first) + second
    if isinstance(second, Decimal):
        return first + Fraction(second)
    return first + second


def exact_product(first: Exact, second: Exact) -> Exact:
    """``first * second`` exactly, whichever kinds they are."""
    if isinstance(first, Decimal):
        if isinstance(second, Decimal):
            return decimal_product(first, second)
        return Fraction(first) * second
    if isinstance(second, Decimal):
        return first * Fraction(second)
    return first * second


class SplitSum(msgspec.Struct, frozen=True, eq=False, gc=False):
    """An exact sum kept in two parts, a Decimal and a Fraction, added up when read.

    A quota period's attainment adds Decimal credits (a booking, a payment of a whole
    invoice) and Fraction ones (a payment's part of its invoice, ``s*B*p/A``). Added to a
    Fraction whose denominator has run to hundreds of digits, each Decimal credit cost a gcd
    of that size; kept apart, it is a Decimal sum. Only :func:`attained_plus` makes one.

    ``low`` and ``high`` bound the whole sum (``low <= decimal + fraction <= high``): the
    Decimal part plus bounds of 40 digits of the Fraction part, moved with each credit as the
    parts are (in 200 digits, rounded outwards). A tier decision that the bounds settle (the
    whole credit inside one tier) needs no arithmetic on the Fraction, nor a sum when read:
    each booking reads them once and adds one credit.

    A frozen msgspec Struct (made in C: a tiered plan makes one a payment; no ``__init__``
    of its own, so :func:`attained_plus` works the bounds out first), compared by identity
    as a plain class is, and never tracked by the cycle collector (it holds only numbers).

    >>> attained_plus(Decimal("1.5"), Fraction(1, 3)).as_integer_ratio()
    (11, 6)
    """

    decimal: Decimal
    fraction: Fraction
    low: Decimal
    high: Decimal

    def as_integer_ratio(self) -> tuple[int, int]:
        """The sum as a numerator and a positive denominator, not necessarily reduced
        (what the tier decisions compare in integers)."""
        numerator, denominator = self.decimal.as_integer_ratio()
        fraction = self.fraction
        return (
            numerator * fraction.denominator + fraction.numerator * denominator,
            denominator * fraction.denominator,
        )

    def __repr__(self) -> str:
        return f"SplitSum({self.decimal!r}, {self.fraction!r})"


#: Division rounded down and up, for bounds of a fraction (:class:`SplitSum`), and sums of
#: bounds rounded the same way (exact in practice; a bound either way, whatever the digits).
_FLOOR = Context(prec=40, rounding=ROUND_FLOOR, Emax=MAX_EMAX, Emin=MIN_EMIN)
_CEILING = Context(prec=40, rounding=ROUND_CEILING, Emax=MAX_EMAX, Emin=MIN_EMIN)
_add_down = Context(prec=200, rounding=ROUND_FLOOR, Emax=MAX_EMAX, Emin=MIN_EMIN).add
_add_up = Context(prec=200, rounding=ROUND_CEILING, Emax=MAX_EMAX, Emin=MIN_EMIN).add


def _bounds(fraction: Fraction) -> tuple[Decimal, Decimal]:
    """Decimals ``low <= fraction <= high``, 40 digits each."""
    numerator, denominator = Decimal(fraction.numerator), Decimal(fraction.denominator)
    return _FLOOR.divide(numerator, denominator), _CEILING.divide(numerator, denominator)


#: A quota attainment: exact, its Decimal and Fraction credits perhaps kept apart.
Attained: TypeAlias = Decimal | Fraction | SplitSum


def attained_plus(attained: Attained, credit: Exact) -> Attained:
    """``attained + credit`` exactly: a Decimal while every credit is one, else the Decimal
    credits and the Fraction ones summed apart (:class:`SplitSum`).

    >>> attained_plus(Decimal("10.50"), Decimal("2"))
    Decimal('12.50')
    >>> attained_plus(attained_plus(Decimal(1), Fraction(1, 3)), Decimal(2))
    SplitSum(Decimal('3'), Fraction(1, 3))
    """
    if type(credit) is Decimal:
        if type(attained) is Decimal:
            return decimal_sum(attained, credit)
        if type(attained) is SplitSum:
            return SplitSum(
                decimal_sum(attained.decimal, credit),
                attained.fraction,
                _add_down(attained.low, credit),
                _add_up(attained.high, credit),
            )
        assert type(attained) is Fraction
        low, high = _bounds(attained)
        return SplitSum(credit, attained, _add_down(credit, low), _add_up(credit, high))
    assert type(credit) is Fraction
    if type(attained) is Decimal:
        low, high = _bounds(credit)
        return SplitSum(attained, credit, _add_down(attained, low), _add_up(attained, high))
    if type(attained) is SplitSum:
        low, high = _bounds(credit)
        return SplitSum(
            attained.decimal,
            attained.fraction + credit,
            _add_down(attained.low, low),
            _add_up(attained.high, high),
        )
    assert type(attained) is Fraction
    return attained + credit


def attained_exact(attained: Attained) -> Exact:
    """``attained`` as one exact value: a SplitSum's parts added up."""
    if type(attained) is SplitSum:
        return Fraction(attained.decimal) + attained.fraction
    assert type(attained) is Decimal or type(attained) is Fraction
    return attained


def at_least_zero(attained: Attained) -> Attained:
    """``max(ZERO, attained)``: ``attained`` if above zero, else ``ZERO`` itself."""
    if type(attained) is SplitSum:
        return attained if attained.as_integer_ratio()[0] > 0 else ZERO
    assert type(attained) is Decimal or type(attained) is Fraction
    return max(ZERO, attained)


def read_exact(value: object) -> object:
    """An exact value from its text: a Fraction from ``n/d``, a Decimal as
    :func:`shared_decimal` reads one; anything else is returned as given.

    >>> read_exact("1/3")
    Fraction(1, 3)
    >>> read_exact("0.50")
    Decimal('0.50')
    """
    if type(value) is str and "/" in value:
        try:
            return Fraction(value)
        except ValueError:
            return value
    return shared_decimal(value)


def is_whole_minor_units(value: Decimal, currency: str) -> bool:
    """True when ``value`` needs no digits beyond the currency's minor unit.

    >>> [is_whole_minor_units(Decimal(text), "USD") for text in ("1.50", "1.500", "1E+3", "1.505")]
    [True, True, True, False]
    """
    unit = quantum(currency)
    # (Most amounts are written with the currency's own digits: its exponent says so, a
    # test that costs a third of rounding the value and comparing.)
    return value.same_quantum(unit) or value == _quantize_whole(value, unit)


def show(value: Decimal, currency: str) -> str:
    """``value`` as text with exactly the currency's minor digits.

    ``value`` must already be whole minor units (it is a posted amount); this
    only fixes the number of digits shown, it never rounds.

    >>> show(Decimal("50"), "USD")
    '50.00'
    >>> show(Decimal("-0.00"), "USD")
    '0.00'
    """
    return show_all((value,), currency)[0]


def show_all(values: Iterable[Decimal], currency: str) -> list[str]:
    """:func:`show` of each of ``values``, the currency looked up once (the writers show a
    million amounts a run).

    >>> show_all([Decimal("1.50"), Decimal("2"), Decimal("-0.00"), Decimal("0E+3")], "USD")
    ['1.50', '2.00', '0.00', '0.00']
    """
    places = _places(currency)
    point = -places - 1
    shown_zero = format(zero(currency), "f")
    shown_values = []
    for value in values:
        if not value:  # every zero alike (0, -0.00, 0E+3); a third of a run's amounts
            shown_values.append(shown_zero)
            continue
        text = str(value)
        # A posted amount has exactly the currency's exponent, and str() then writes it
        # plainly with those digits; any other (50, 1E+3, -0.00) is written the careful way.
        if not (
            len(text) > places
            and "E" not in text
            and (text[point] == "." if places else "." not in text)
            and (text[0] != "-" or value)
        ):
            fixed = value.quantize(quantum(currency)) + ZERO  # + ZERO turns -0.00 into 0.00
            if fixed != value:
                raise ValueError(f"{value} is not a whole number of {currency} minor units")
            text = format(fixed, "f")
        shown_values.append(text)
    return shown_values


#: The places a ratio is shown with (a share of an invoice, attainment of a quota): enough
#: to tell 99.99 % from 100 %, and never the 28 digits of a quotient.
RATIO_PLACES = 4


def round_ratio(value: Exact, places: int = RATIO_PLACES) -> Decimal:
    """``value`` (not money: a share, a fraction of quota) rounded half up to ``places``.

    >>> round_ratio(Fraction(2, 3)), round_ratio(Decimal("0.6"))
    (Decimal('0.6667'), Decimal('0.6000'))
    """
    step = Decimal(1).scaleb(-places)
    if isinstance(value, Decimal):
        return value.quantize(step, ROUND_HALF_UP, EXACT)
    quotient = _divide_quotient(Decimal(value.numerator), Decimal(value.denominator))
    return quotient.quantize(step, ROUND_HALF_UP, EXACT)


def shown_measure(value: Exact, places: int = 2) -> str:
    """A measure (a DSO, a percentage) as text with ``places`` digits, half up: for reading
    only, never for money or for a decision (those compare the exact value).

    >>> shown_measure(Fraction(85, 3)), shown_measure(Decimal("12.5"), 0)
    ('28.33', '13')
    """
    return format(round_ratio(value, places), "f")
