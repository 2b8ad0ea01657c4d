"""Dates and numbers in each language's own way, from the Unicode CLDR through Babel.

"27 July 2025" in British English is "2025年7月27日" in Simplified Chinese: the order, the
month names and the characters around the numbers all come from the locale's CLDR data,
never from a format string of ours.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

from babel import Locale, UnknownLocaleError

# babel.dates and babel.numbers are imported by the functions that use them: every build
# checks the site's locales (config.py), few format a date or number with them.


@cache
def cldr_locale(tag: str) -> Locale:
    """The CLDR locale for a BCP 47 tag ("zh-Hans", "en-GB"); ValueError if CLDR has none."""
    try:
        return Locale.parse(tag.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"'{tag}' is not a locale Babel knows (e.g. en, en-GB, zh-Hans)") from exc


def format_date(value: dt.date | str | None, locale: str) -> str:
    """A day, in the locale's long form: "27 July 2025" (en-GB), "2025年7月27日" (zh-Hans)."""
    if value is None:
        return ""
    from babel.dates import format_date as babel_format_date

    return babel_format_date(_as_date(value), format="long", locale=cldr_locale(locale))


def format_month(value: dt.date | str, locale: str) -> str:
    """A month and year, for events known only to the month: "July 2025", "2025年7月"."""
    from babel.dates import format_skeleton

    return format_skeleton("yMMMM", _as_date(value), locale=cldr_locale(locale))


def format_number(value: float, locale: str) -> str:
    """A number with the locale's separators: 5,000 (en), 5,000 (zh-Hans), 5 000 (fr)."""
    from babel.numbers import format_decimal

    return format_decimal(value, locale=cldr_locale(locale))


def format_percentage(value: float, locale: str) -> str:
    """A share as a percentage: 0.2 → "20%"."""
    from babel.numbers import format_percent

    return format_percent(value, locale=cldr_locale(locale))


def language_name(code: str, locale: str) -> str:
    """A language named in the words of `locale`: "English" (en), "英语" (zh-Hans)."""
    return cldr_locale(code).get_language_name(cldr_locale(locale)) or code


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value
