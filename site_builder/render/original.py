"""What a translated page tells its readers about the original it follows.

A translation records the version of its original it was made from (`translation_of`,
written by `site-builder translated`; content/translations.py). Its templates get that as
`original`: the original's title, URL and last update, its language named in the
translation's own language (from CLDR: "英语" on a Chinese page), the version followed, and
whether the original is still at that version. The theme's layout (base.html) turns it into
one line in the page's language, saying so when the original has changed since (the build
warns about the same translation, naming both files).

Every fact read goes through the page views, so a translation is rendered again when its
original changes: the original's `version` is a fact of the translation's output.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from site_builder.content.translations import VERSION_PREFIX, Language, split_language
from site_builder.incremental.recording import Recorder
from site_builder.model import Page
from site_builder.render.locale import language_name

SHOWN_DIGITS = 8  # of the version's hex digits, for readers (the build's warning has all)


@dataclass(frozen=True)
class Original:
    """`original` in a translated page's templates (None on every other page)."""

    title: str
    url: str
    language: str  # its BCP 47 code, for hreflang and lang
    language_name: str  # its language, named in the translation's language
    updated: dt.date | None
    version: str  # the version the translation follows, shortened ("" if not recorded)
    is_current: bool  # the original is still at that version


def original_of(recorder: Recorder, page: Page, languages: tuple[Language, ...]) -> Original | None:
    """The original `page` translates, as its templates see it; None when `page` is not a
    translation or its original is not built (a draft, or missing: the build warns)."""
    language, original_rel = split_language(page.rel, languages)
    if language.is_default or page.is_section:
        return None
    default = languages[0]
    recorder.read(("page", original_rel, "url"))
    target = recorder.world.pages.get(original_rel)
    if target is None:
        return None
    original = recorder.view(target)
    recorded = recorder.view(page).translation_of or ""
    return Original(
        title=original.title,
        url=original.url,
        language=default.code,
        language_name=language_name(default.code, language.locale),
        updated=original.updated,
        version=recorded.removeprefix(VERSION_PREFIX)[:SHOWN_DIGITS],
        is_current=recorded == original.version,
    )
