"""render/locale.py: dates and numbers in each locale's CLDR form, through Babel."""

import datetime as dt

import pytest

from site_builder.render.locale import (
    cldr_locale,
    format_date,
    format_month,
    format_number,
    format_percentage,
)


@pytest.mark.parametrize(
    ("locale", "day", "month"),
    [
        ("en-GB", "27 July 2025", "July 2025"),
        ("en", "July 27, 2025", "July 2025"),
        ("zh-Hans", "2025年7月27日", "2025年7月"),
        ("zh-Hant", "2025年7月27日", "2025年7月"),
        ("fr", "27 juillet 2025", "juillet 2025"),
    ],
)
def test_dates_in_each_locales_long_form(locale: str, day: str, month: str) -> None:
    assert format_date(dt.date(2025, 7, 27), locale) == day
    assert format_date("2025-07-27", locale) == day
    assert format_month("2025-07-01", locale) == month


def test_no_date_is_an_empty_string() -> None:
    assert format_date(None, "zh-Hans") == ""


def test_numbers_with_the_locales_separators() -> None:
    assert format_number(5000, "en") == "5,000"
    assert format_number(5000, "zh-Hans") == "5,000"
    assert format_number(5000, "de") == "5.000"
    assert format_percentage(0.2, "zh-Hans") == "20%"
    assert format_percentage(0.2, "fr") == "20\u00a0%"


@pytest.mark.parametrize("tag", ["xx-Nope", "", "zh-"])
def test_an_unknown_locale_is_a_plain_error(tag: str) -> None:
    with pytest.raises(ValueError, match="not a locale Babel knows"):
        cldr_locale(tag)
