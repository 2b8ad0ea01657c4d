"""The theme's words: one table per language, looked up by key with `t()` in templates.

`site_builder/theme/i18n/en.yaml` holds every key; another language's table (e.g.
`zh.yaml`) may hold fewer, and a missing key falls back to English. A site replaces
any entry with `strings:` in `site.yaml`. An entry may hold named slots, `{name}`,
filled by the template's `t("key", name=value)`: the entry's text is escaped, each
value is escaped unless it is already markup (a link the template made). Slots are
filled by plain replacement, never by `str.format`: the text may be a writer's.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import NoReturn

from markupsafe import Markup, escape

from site_builder.content.yamlsafe import load_yaml
from site_builder.theme import I18N, LABEL

DEFAULT_LANGUAGE = "en"
SLOT_RE = re.compile(r"\{([a-z_]+)\}")


@cache
def table(language: str) -> dict[str, str]:
    """The package's table for `language` ({} when there is none)."""
    path = I18N / f"{language}.yaml"
    if not path.is_file():
        return {}
    data = load_yaml(path.read_text(encoding="utf-8"), f"{LABEL}/i18n/{path.name}")
    return {str(key): str(value) for key, value in data.items()}


def known_keys() -> tuple[str, ...]:
    return tuple(table(DEFAULT_LANGUAGE))


def tables_for(language: str) -> list[dict[str, str]]:
    """The tables to look in, most specific first: "pt-BR" → pt-br, pt, en."""
    tag = language.lower()
    names = [tag, tag.split("-")[0], DEFAULT_LANGUAGE]
    return [table(name) for name in dict.fromkeys(names)]


class Strings:
    """`t(key, **slots)` in templates: the site's words for `key`, as markup."""

    def __init__(self, language: str, overrides: Mapping[str, str]) -> None:
        self.layers = [dict(overrides), *tables_for(language)]

    def __call__(self, key: str, **slots: object) -> Markup:
        for layer in self.layers:
            if key in layer:
                return fill(layer[key], slots)
        self._missing(key)

    def text(self, key: str, **slots: object) -> str:
        """The entry as plain text (for attributes and dates; autoescape escapes it)."""
        for layer in self.layers:
            if key in layer:
                return fill_slots(layer[key], slots)
        self._missing(key)

    def format_date(self, value: dt.date | str | None) -> str:
        """A date in this language's words: "27 July 2025" (`date` and `month_N`)."""
        if value is None:
            return ""
        if isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        month = self.text(f"month_{value.month}")
        return self.text("date", day=value.day, month=month, year=value.year)

    @staticmethod
    def _missing(key: str) -> NoReturn:
        # Not a SiteError: the template's line is where the mistake is, and the
        # renderer finds it from the traceback.
        raise LookupError(
            f"t(): there is no string '{key}' (the keys are in {LABEL}/i18n/{DEFAULT_LANGUAGE}.yaml)"
        )


def fill(text: str, slots: Mapping[str, object]) -> Markup:
    """`text` escaped, with each `{name}` replaced by the escaped value of slot `name`
    (a `{name}` with no such slot is left as written)."""
    return Markup(fill_slots(text, slots, escape))


def fill_slots(
    text: str, slots: Mapping[str, object], convert: Callable[[object], str] = str
) -> str:
    """`text` with each `{name}` that names a slot replaced by its value; `convert` is
    applied to the text between slots and to each value. Plain replacement: a value is
    never read again for slots, and no attribute or index syntax exists."""
    if not slots:  # most entries a page shows: nothing to look for
        return convert(text)
    pieces: list[str] = []
    last = 0
    for match in SLOT_RE.finditer(text):
        name = match.group(1)
        if name not in slots:
            continue
        pieces.append(convert(text[last : match.start()]))
        pieces.append(convert(slots[name]))
        last = match.end()
    pieces.append(convert(text[last:]))
    return "".join(pieces)


def slot_names(text: str) -> list[tuple[str, int, int]]:
    """Every `{name}` in `text`: (name, line, column), for telling a writer which
    slots a file uses that no one fills."""
    found = []
    for match in SLOT_RE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        column = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
        found.append((match.group(1), line, column))
    return found
