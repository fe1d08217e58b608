"""The labels of what people read, in their language: gettext catalogues read with babel.

The catalogues are ``locale/<locale>/LC_MESSAGES/messages.po`` beside this module, plain text
a translator edits; they are compiled in memory when first used (babel's ``read_po`` and
``write_mo``), so there is no build step and no compiled file to forget. A locale without a
catalogue falls back to its language's (``de_AT`` reads ``de_DE``), then to English.
"""

from __future__ import annotations

import datetime as dt
import gettext
from functools import cache
from io import BytesIO
from typing import TYPE_CHECKING

from babel import Locale

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

# babel's catalogues and dates are imported where they are used: a run in English writing
# JSON or CSV uses neither, and starts sooner without them.


@cache
def _catalogues() -> Traversable:
    """The catalogues' folder (found when first needed: a run in English reads none)."""
    from importlib.resources import files

    return files(__package__) / "locale"


def available() -> tuple[str, ...]:
    """The locales with a catalogue of their own (English needs none)."""
    return tuple(sorted(entry.name for entry in _catalogues().iterdir() if entry.is_dir()))


@cache
def translations(locale: str) -> gettext.NullTranslations:
    """The labels' translations for ``locale``; English (the labels as written) without one."""
    language = Locale.parse(locale).language
    ours = available()
    same_language = (name for name in ours if name.split("_")[0] == language)
    name = locale if locale in ours else next(same_language, None)
    if name is None:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with (_catalogues() / name / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalogue = read_po(po, locale=name)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled)


def label(text: str, locale: str) -> str:
    """``text`` in ``locale``'s language.

    >>> label("Payout", "de_DE"), label("Payout", "fr_FR"), label("Payout", "en_GB")
    ('Auszahlung', 'Versement', 'Payout')
    """
    return translations(locale).gettext(text)


def day(value: dt.date, locale: str) -> str:
    """A date as ``locale`` writes it (babel's medium format).

    >>> day(dt.date(2026, 5, 31), "de_DE"), day(dt.date(2026, 5, 31), "en_US")
    ('31.05.2026', 'May 31, 2026')
    """
    from babel.dates import format_date

    return format_date(value, "medium", locale=locale)


def month(period: str, locale: str) -> str:
    """A ``YYYY-MM`` pay period as ``locale`` names the month.

    >>> month("2026-05", "fr_FR"), month("2026-05", "en_US")
    ('mai 2026', 'May 2026')
    """
    from babel.dates import format_date

    first = dt.date(int(period[:4]), int(period[5:7]), 1)
    return format_date(first, "LLLL yyyy", locale=locale)
