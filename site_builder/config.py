"""The site configuration: `site.yaml` in the project folder, every key checked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from site_builder.content.schema import Fields
from site_builder.content.yamlsafe import load_yaml
from site_builder.errors import BuildFailed, Diagnostic, SiteError
from site_builder.project import CONFIG_FILE

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
    "strings",
)
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
        strings=strings,
    )
    if any(d.is_error for d in diagnostics):
        raise BuildFailed(diagnostics)
    return config


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
