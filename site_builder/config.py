"""The site configuration: `site.yaml` in the project folder, every key checked."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from site_builder.content.schema import Fields
from site_builder.content.translations import Language
from site_builder.content.yamlsafe import load_yaml
from site_builder.errors import BuildFailed, Diagnostic, SiteError
from site_builder.project import CONFIG_FILE
from site_builder.render.locale import cldr_locale

CONFIG_KEYS = (
    "title",
    "description",
    "language",
    "base_url",
    "as_of",
    "publisher",
    "nav",
    "raw_html",
    "search",
    "byline",
    "corrections",
    "status_line",
    "languages",
    "strings",
)
LANGUAGE_KEYS = (
    "code",
    "folder",
    "name",
    "locale",
    "title",
    "description",
    "status_line",
    "byline",
)
FOLDER_RE = re.compile(r"[a-z][a-z0-9-]{0,15}")
AS_OF_MARK = "{as_of}"  # where status_line shows the as-of date (a plain replace, never a format)
RAW_HTML_MODES = ("escape", "sanitize")


@dataclass(frozen=True)
class Publisher:
    name: str
    url: str | None
    logo: str | None = None  # a file under static/, for structured data


@dataclass(frozen=True)
class Config:
    title: str
    description: str
    language: str
    base_url: str  # absolute, always ends with "/"
    as_of: dt.date | None
    publisher: Publisher
    nav: tuple[str, ...]  # content paths relative to content/, e.g. "delegations.md"
    nav_lines: tuple[int, ...]
    raw_html: str
    search: bool
    byline: str | None = None  # who wrote the pages, shown on every page
    corrections: str | None = None  # where to report an error: URL, mailto: or a content path
    status_line: str | None = None  # e.g. "Current to {as_of}; later events are not covered."
    # The site's languages, the default (this config's `language`) first; one unless
    # site.yaml lists `languages` (content/translations.py).
    languages: tuple[Language, ...] = ()
    # The theme's words replaced for this site: (key, text) pairs (theme/strings.py).
    strings: tuple[tuple[str, str], ...] = ()

    @property
    def base_path(self) -> str:
        """The path part of base_url, e.g. "/repo/" (or "/")."""
        return urlsplit(self.base_url).path

    @property
    def publisher_url(self) -> str:
        """The publisher's link: `publisher.url`, or else the site itself."""
        return self.publisher.url or self.base_url

    def with_base_url(self, base_url: str) -> Config:
        return replace(self, base_url=normalise_base_url(base_url))


def normalise_base_url(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def check_base_url(url: str) -> str | None:
    """An error message if `url` can't be a site's base URL, else None."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return (
            f"base_url {url!r} must be an absolute http(s) URL, e.g. https://user.github.io/repo/"
        )
    if parts.query or parts.fragment:
        return f"base_url {url!r} must not have a query or fragment"
    return None


def load_config(project: Path) -> Config:
    """Read and check `site.yaml`; raise BuildFailed listing every problem."""
    path = project / CONFIG_FILE
    if not path.is_file():
        raise BuildFailed(
            [
                Diagnostic(
                    CONFIG_FILE, None, None, "no site.yaml here; is --source the project folder?"
                )
            ]
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = load_yaml(text, CONFIG_FILE)
    except UnicodeDecodeError:
        raise BuildFailed([Diagnostic(CONFIG_FILE, None, None, "not valid UTF-8 text")]) from None
    except SiteError as exc:
        raise BuildFailed([exc.diagnostic]) from None
    diagnostics: list[Diagnostic] = []
    f = Fields(data, CONFIG_FILE, diagnostics, (1, 1))
    f.check_keys(CONFIG_KEYS, "site.yaml")
    title = f.text("title", required=True)
    description = f.text("description", required=True)
    language = f.text("language") or "en"
    base_url = f.text("base_url", required=True) or ""
    if base_url and (problem := check_base_url(base_url)):
        f.error(f.where("base_url"), problem)
    publisher = Publisher(name=title or "", url=None)
    if (p := f.mapping("publisher")) is not None:
        p.check_keys(("name", "url", "logo"), "publisher")
        publisher = Publisher(
            name=p.text("name", required=True) or "", url=p.text("url"), logo=p.text("logo")
        )
    nav = f.text_list("nav")
    nav_value = f.data.get("nav")
    nav_lines = tuple(line for line, _ in getattr(nav_value, "positions", [])) or tuple(
        f.where("nav")[0] for _ in nav
    )
    raw_html = f.text("raw_html") or "escape"
    if raw_html not in RAW_HTML_MODES:
        f.error(f.where("raw_html"), f"raw_html must be one of {', '.join(RAW_HTML_MODES)}")
    strings = read_strings(f)
    config = Config(
        title=title or "",
        description=description or "",
        language=language,
        base_url=normalise_base_url(base_url),
        as_of=f.date("as_of"),
        publisher=publisher,
        nav=nav,
        nav_lines=nav_lines,
        raw_html=raw_html,
        search=f.flag("search", True),
        byline=f.text("byline"),
        corrections=f.text("corrections"),
        status_line=f.text("status_line"),
        languages=_languages(f, language),
        strings=strings,
    )
    if any(d.is_error for d in diagnostics):
        raise BuildFailed(diagnostics)
    return config


def _languages(f: Fields, language: str) -> tuple[Language, ...]:
    """`languages:` — the default language first (no folder), then each translation's
    language with the content folder its pages live in:

        languages:
          - {code: en, name: English, locale: en-GB}
          - {code: zh-Hans, folder: zh, name: 中文}
    """
    entries = f.mappings("languages")
    if not entries:
        return (Language(code=language, folder="", name=language, locale=language),)
    languages: list[Language] = []
    for index, entry in enumerate(entries):
        entry.check_keys(LANGUAGE_KEYS, "a language")
        code = entry.text("code", required=True, max_len=35) or ""
        folder = entry.text("folder", max_len=16) or ""
        name = entry.text("name", max_len=60) or code
        locale = entry.text("locale", max_len=35) or code
        if index == 0:
            if folder:
                entry.error(
                    entry.where("folder"),
                    "the first language is the default: its pages are content/ itself, so it has no folder",
                )
            if "language" in f.data and code != language:
                f.error(
                    f.where("language"),
                    f"language '{language}' is not the first of languages ('{code}'); say it once, in languages",
                )
        elif not FOLDER_RE.fullmatch(folder):
            entry.error(
                entry.where("folder") if folder else entry.start,
                "a translation's language needs a folder under content/, e.g. folder: zh (lower-case letters, digits, '-')",
            )
        elif folder in {known.folder for known in languages}:
            entry.error(entry.where("folder"), f"two languages share the folder '{folder}'")
        try:
            cldr_locale(locale)
        except ValueError as exc:
            entry.error(entry.where("locale" if "locale" in entry.data else "code"), str(exc))
        words = {key: entry.text(key) for key in ("title", "description", "status_line", "byline")}
        languages.append(Language(code, folder, name, locale, **words))
    return tuple(languages)


def read_strings(f: Fields) -> tuple[tuple[str, str], ...]:
    """`strings:`, the theme's words this site replaces: every key must be one of the
    theme's (site_builder/theme/i18n/en.yaml), every value text."""
    from site_builder.theme.strings import known_keys

    strings = f.mapping("strings")
    if strings is None:
        return ()
    keys = known_keys()
    strings.check_keys(keys, "strings")
    return tuple(
        (key, text)
        for key in strings.data
        if key in keys and (text := strings.text(key, required=True)) is not None
    )
