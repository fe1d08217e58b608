"""Everything this library takes from CLDR (babel) lives here, and only here."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies


@cache
def is_currency(code: str) -> bool:
    """True for an ISO 4217 code CLDR knows, such as ``"USD"``."""
    return code in list_currencies()


@cache
def is_locale(name: str) -> bool:
    """True for a locale CLDR has data for, such as ``"de_DE"``."""
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


@cache
def minor_units(code: str) -> int:
    """Digits after the decimal point for ``code``: USD 2, JPY 0, KWD 3."""
    return int(get_currency_precision(code))


def format_money(amount: Decimal, code: str, locale: str) -> str:
    """``amount`` as a person in ``locale`` reads it: ``1.234,56 €`` in de_DE."""
    return str(format_currency(amount, code, locale=locale, currency_digits=True))
