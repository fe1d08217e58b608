"""Decimal helpers: reading amounts from text, and the one place that rounds.

Money is :class:`~decimal.Decimal` end to end. Amounts are read from their
text (``"10.00"``), never through ``float``; :func:`round_money` (and
:func:`rounder`, the same rounding bound to a currency for hot loops) is the
only rounding of an amount to a currency's minor unit in the library.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, InvalidOperation
from functools import cache, lru_cache, partial
from typing import Literal

from .currencies import minor_units

RoundingMode = Literal["half_up", "half_even"]

ZERO = Decimal(0)
ONE = Decimal(1)

#: Arithmetic on exact commission targets uses this many significant digits,
#: so that ``C * x / A`` keeps far more precision than any minor unit needs
#: and a true half-cent is never mistaken for its neighbour.
EXACT = Context(prec=60)

_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN}

#: Every number read (an amount, a share, a plan's rate or quota) is smaller than this in
#: size: at most 15 digits before the point. Sums of a lifetime of such amounts stay well
#: inside the 28 significant digits of the default decimal context, where output is written.
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


def round_money(value: Decimal, currency: str, mode: RoundingMode = "half_up") -> Decimal:
    """Round ``value`` to the minor unit of ``currency``: the library's only rounding.

    >>> round_money(Decimal("16.665"), "USD")
    Decimal('16.67')
    >>> round_money(Decimal("16.665"), "USD", "half_even")
    Decimal('16.66')
    >>> round_money(Decimal("1234.5"), "JPY")
    Decimal('1235')
    """
    return value.quantize(quantum(currency), rounding=_MODES[mode])


@cache
def rounder(currency: str, mode: RoundingMode = "half_up") -> Callable[[Decimal], Decimal]:
    """:func:`round_money` fixed to one currency and mode, for the engine's per-event path.

    >>> rounder("USD", "half_even")(Decimal("0.125"))
    Decimal('0.12')
    """
    return partial(Decimal.quantize, exp=quantum(currency), rounding=_MODES[mode])


def is_whole_minor_units(value: Decimal, currency: str) -> bool:
    """True when ``value`` needs no digits beyond the currency's minor unit."""
    return value == value.quantize(quantum(currency), rounding=ROUND_HALF_EVEN)


def show(value: Decimal, currency: str) -> str:
    """``value`` as text with exactly the currency's minor digits.

    ``value`` must already be whole minor units (it is a posted amount); this
    only fixes the number of digits shown, it never rounds.

    >>> show(Decimal("50"), "USD")
    '50.00'
    >>> show(Decimal("-0.00"), "USD")
    '0.00'
    """
    fixed = value.quantize(quantum(currency)) + ZERO  # + ZERO turns -0.00 into 0.00
    if fixed != value:
        raise ValueError(f"{value} is not a whole number of {currency} minor units")
    return format(fixed, "f")
