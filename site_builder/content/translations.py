"""Translations: which page translates which, and whether it still follows its original.

A site names its languages in `site.yaml`; the first is the default, whose pages live
directly under `content/`. Every other language has a folder, `content/FOLDER/`, and a
page there translates the page at the same path under `content/`:
`content/zh/tariff-truce.md` translates `content/tariff-truce.md`.

A translation records the version of its original it was translated from, as
`translation_of: sha256:…` in its front matter: a digest of the original's text, written by
`site-builder translated content/zh/x.md` when the translator is done. When the original
changes afterwards, the digest no longer matches and the build warns, naming both files, so
the translator knows which pages to look at again.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from site_builder.errors import Diagnostic, SiteError
from site_builder.project import CONTENT_DIR

VERSION_KEY = "translation_of"
VERSION_PREFIX = "sha256:"
VERSION_DIGITS = 16  # enough to tell versions of one page apart, short enough to read
VERSION_RE = re.compile(rf"^{VERSION_PREFIX}[0-9a-f]{{{VERSION_DIGITS}}}$")
_FRONT_MATTER_END = re.compile(r"^---[ \t]*\r?$", re.M)
_VERSION_LINE = re.compile(rf"^{VERSION_KEY}:[^\r\n]*", re.M)


@dataclass(frozen=True)
class Language:
    """One language of a site. `code` is its BCP 47 tag (`<html lang>`, hreflang), `folder`
    the content folder and URL prefix of its pages ("" for the default language), `name`
    what the language switcher shows (in the language itself), and `locale` the CLDR
    locale its dates and numbers are written in (its code unless the site says otherwise,
    e.g. `en-GB` for "27 July 2025")."""

    code: str
    folder: str
    name: str
    locale: str
    # The site's own words in this language, where site.yaml gives them (else the
    # default language's): its title, description, status line and byline.
    title: str | None = None
    description: str | None = None
    status_line: str | None = None
    byline: str | None = None

    @property
    def is_default(self) -> bool:
        return self.folder == ""


def split_language(rel: str, languages: tuple[Language, ...]) -> tuple[Language, str]:
    """The language of the content file at `rel` (relative to `content/`) and the path of
    the page it translates (itself, for the default language)."""
    head, _, rest = rel.partition("/")
    for language in languages:
        if language.folder and rest and head == language.folder:
            return language, rest
    return languages[0], rel


def version_of(text: str) -> str:
    """The version of a page's text: a digest of it with line endings normalised, so a
    checkout with CRLF endings gives the same version."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n")
    return VERSION_PREFIX + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:VERSION_DIGITS]


def version_from_digest(digest: str) -> str:
    """The version of a page whose text (as read: BOM dropped, line endings normalised) has
    this SHA-256 hex digest: the build knows each page's digest, so it needs no second read."""
    return VERSION_PREFIX + digest[:VERSION_DIGITS]


def record_version(translation: str, version: str) -> str:
    """`translation` (a page's text, front matter included) with `translation_of` set to
    `version`: the key's line replaced if there is one, else added as the last line of the
    front matter. Everything else in the file is kept as written."""
    line = f"{VERSION_KEY}: {version}"
    start = translation.find("\n") + 1
    end = _FRONT_MATTER_END.search(translation, start) if translation.startswith("---") else None
    if end is None:
        raise ValueError("the file has no front matter (it starts with a line '---')")
    front = translation[start : end.start()]
    if _VERSION_LINE.search(front):
        front = _VERSION_LINE.sub(line, front, count=1)
    else:
        newline = "\r\n" if "\r\n" in translation[:start] else "\n"
        front = front + ("" if front.endswith("\n") or not front else newline) + line + newline
    return translation[:start] + front + translation[end.start() :]


@dataclass(frozen=True)
class TranslationState:
    """A translation and the version of its original it follows."""

    translation: str  # project-relative path, e.g. content/zh/x.md
    original: str  # project-relative path, e.g. content/x.md
    recorded: str | None  # the version written in the translation, if any
    current: str  # the original's version now
    line: int | None  # the line of `translation_of` in the translation

    @property
    def is_current(self) -> bool:
        return self.recorded == self.current


def freshness_warning(state: TranslationState) -> Diagnostic | None:
    """A warning for a translation that does not follow its original's current version."""
    if state.is_current:
        return None
    command = f"site-builder translated {state.translation}"
    if state.recorded is None:
        message = (
            f"no record of which version of {state.original} this translates; once it "
            f"follows the original, run `{command}`"
        )
    else:
        message = (
            f"{state.original} has changed since this translation was made (it follows "
            f"{state.recorded}, the original is now {state.current}); update the "
            f"translation, then run `{command}`"
        )
    return Diagnostic(state.translation, state.line, None, message, "warning")


def mark_translated(project: Path, path: str, languages: tuple[Language, ...]) -> str:
    """`site-builder translated PATH`: record in the translation at `path` (relative to the
    project, e.g. content/zh/x.md) the current version of its original. Returns the version;
    raises SiteError when `path` is not a translation or its original is missing."""
    rel = Path(path).as_posix().removeprefix("./")
    if not rel.startswith(CONTENT_DIR + "/") or not rel.endswith(".md"):
        raise SiteError(rel, None, None, f"not a page: give a path like {CONTENT_DIR}/zh/x.md")
    language, original_rel = split_language(rel.removeprefix(CONTENT_DIR + "/"), languages)
    if language.is_default:
        folders = ", ".join(f"{CONTENT_DIR}/{lang.folder}/" for lang in languages[1:])
        hint = f" (its translations live under {folders})" if folders else ""
        raise SiteError(rel, None, None, f"not a translation: it is a {language.code} page{hint}")
    translation = project / rel
    original = project / CONTENT_DIR / original_rel
    if not translation.is_file():
        raise SiteError(rel, None, None, "there is no such file")
    if not original.is_file():
        raise SiteError(
            rel, None, None, f"there is no original {CONTENT_DIR}/{original_rel} to follow"
        )
    version = version_of(original.read_text(encoding="utf-8-sig"))
    with translation.open(encoding="utf-8-sig", newline="") as file:  # line endings kept
        text = file.read()
    try:
        updated = record_version(text, version)
    except ValueError as exc:
        raise SiteError(rel, 1, None, str(exc)) from None
    if updated != text:
        translation.write_text(updated, encoding="utf-8", newline="")
    return version


def check_translations(
    translations: list[tuple[str, str | None, int | None]],
    languages: tuple[Language, ...],
    project: Path,
) -> list[Diagnostic]:
    """Warnings for the translations among the pages being built, given as (path relative
    to content/, the version recorded in it, that line): each must follow the current
    version of its original. The originals are read afresh on every build, so a save of
    an original shows its translations' warnings at once."""
    problems: list[Diagnostic] = []
    for rel, recorded, line in translations:
        language, original_rel = split_language(rel, languages)
        if language.is_default:
            continue
        translation = f"{CONTENT_DIR}/{rel}"
        original = project / CONTENT_DIR / original_rel
        if not original.is_file():
            message = f"there is no original {CONTENT_DIR}/{original_rel} for this translation"
            problems.append(Diagnostic(translation, None, None, message, "warning"))
            continue
        current = version_of(original.read_text(encoding="utf-8-sig"))
        state = TranslationState(
            translation, f"{CONTENT_DIR}/{original_rel}", recorded, current, line
        )
        if (warning := freshness_warning(state)) is not None:
            problems.append(warning)
    return problems
