"""Reading one built file: the URLs, ids and problems in an HTML page or a stylesheet.

The HTML is parsed with the stdlib html.parser, so each problem keeps its line and
column; check/site.py resolves what is found here against the whole site.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)
# <link rel=...> values that make the browser fetch the target as part of the page.
ASSET_RELS = frozenset(
    "stylesheet icon apple-touch-icon mask-icon manifest preload modulepreload prefetch".split()
)
# (tag, attribute) pairs holding a URL the browser loads with the page.
ASSET_ATTRS = frozenset(
    {
        ("img", "src"),
        ("script", "src"),
        ("iframe", "src"),
        ("embed", "src"),
        ("video", "src"),
        ("video", "poster"),
        ("audio", "src"),
        ("source", "src"),
        ("track", "src"),
        ("input", "src"),
        ("object", "data"),
    }
)
SRCSET_TAGS = frozenset({"img", "source"})
META_LINKS = frozenset({"og:url", "twitter:url"})
META_ASSETS = frozenset({"og:image", "og:image:url", "og:image:secure_url", "twitter:image"})
NO_CHECK_SCHEMES = frozenset({"mailto", "tel", "sms", "data", "blob", "about"})
UNSAFE_SCHEMES = frozenset({"javascript", "vbscript"})
CSS_URL = re.compile(r"""url\(\s*(["']?)([^"')]*)\1\s*\)|@import\s+(["'])([^"']*)\3""")


@dataclass(frozen=True)
class Ref:
    """A URL in a file: where it is, what it is, and whether the page loads it (asset)."""

    url: str
    line: int
    col: int
    asset: bool


@dataclass
class FileScan:
    """What one built file contains, as far as the checks are concerned."""

    rel: str  # relative to the output folder, e.g. "tariff-truce/index.html"
    refs: list[Ref] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    problems: list[tuple[int, int, str]] = field(default_factory=list)
    has_citation: bool = False
    main_at: tuple[int, int] | None = None


# -- reading one HTML file ----------------------------------------------------------------


@dataclass
class _OpenLink:
    line: int
    col: int
    named: bool
    inside: list[tuple[str, bool]] = field(default_factory=list)  # (tag, aria-hidden)

    def hidden(self) -> bool:
        return any(hidden for _, hidden in self.inside)


class _PageScanner(HTMLParser):
    def __init__(self, scan: FileScan) -> None:
        super().__init__(convert_charrefs=True)
        self.scan = scan
        self.first_id_line: dict[str, int] = {}
        self.link: _OpenLink | None = None
        self.sups: list[bool] = []  # one entry per open <sup>: is it a citation mark?
        self.head_at = (1, 1)
        self.in_body = False  # an inline SVG's <title> is not the page's
        self.title: list[str] | None = None
        self.title_at: tuple[int, int] | None = None
        self.description: str | None = None
        self.json_ld: tuple[int, int, list[str]] | None = None

    def where(self) -> tuple[int, int]:
        line, offset = self.getpos()
        return line, offset + 1

    def problem(self, message: str, at: tuple[int, int] | None = None) -> None:
        line, col = at or self.where()
        self.scan.problems.append((line, col, message))

    def ref(self, url: str, asset: bool) -> None:
        line, col = self.where()
        self.scan.refs.append(Ref(url, line, col, asset))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self._ids(values)
        self._urls(tag, values)
        self._alt(tag, values)
        self._link_text_start(tag, values)
        if tag == "head":
            self.head_at = self.where()
        elif tag == "body":
            self.in_body = True
        elif tag == "main" and self.scan.main_at is None:
            self.scan.main_at = self.where()
        elif tag == "title" and self.title is None and not self.in_body:
            self.title, self.title_at = [], self.where()
        elif tag == "meta" and values.get("name", "").lower() == "description":
            self.description = values.get("content", "")
        elif tag == "sup":
            self.sups.append("cite" in values.get("class", "").split())
        elif tag == "script" and values.get("type", "").lower() == "application/ld+json":
            self.json_ld = (*self.where(), [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.link is not None:
            if not self.link.named:
                self.problem(
                    "link has no text: give it words, an image with alt text, or aria-label",
                    (self.link.line, self.link.col),
                )
            self.link = None
        elif self.link is not None and tag not in VOID_TAGS:
            while self.link.inside and self.link.inside.pop()[0] != tag:
                pass
        if tag == "sup" and self.sups:
            self.sups.pop()
        elif tag == "title" and self.title is not None and self.title_at is not None:
            if not "".join(self.title).strip():
                self.problem("the <title> is empty", self.title_at)
            self.title_at = None
        elif tag == "script" and self.json_ld is not None:
            self._check_json_ld(*self.json_ld)
            self.json_ld = None

    def handle_data(self, data: str) -> None:
        if self.link is not None and data.strip() and not self.link.hidden():
            self.link.named = True
        if self.title_at is not None and self.title is not None:
            self.title.append(data)
        if self.json_ld is not None:
            self.json_ld[2].append(data)

    def close(self) -> None:
        super().close()
        if self.title is None:
            self.problem("page has no <title>", self.head_at)
        if self.description is None:
            self.problem('page has no <meta name="description">', self.head_at)
        elif not self.description.strip():
            self.problem("the meta description is empty", self.head_at)

    # -- the checks, one element at a time --

    def _ids(self, values: dict[str, str]) -> None:
        ident = values.get("id")
        if not ident:
            return
        if ident in self.first_id_line:
            first = self.first_id_line[ident]
            self.problem(f"duplicate id '{ident}' (first used on line {first})")
        else:
            self.first_id_line[ident] = self.where()[0]
            self.scan.ids.add(ident)

    def _urls(self, tag: str, values: dict[str, str]) -> None:
        if tag in ("a", "area") and "href" in values:
            self.ref(values["href"], asset=False)
            if tag == "a" and any(self.sups):
                self.scan.has_citation = True
        elif tag == "link" and values.get("href"):
            rels = set(values.get("rel", "").lower().split())
            self.ref(values["href"], asset=bool(rels & ASSET_RELS))
        elif tag == "form" and values.get("action"):
            self.ref(values["action"], asset=False)
        elif tag == "meta" and values.get("content"):
            prop = (values.get("property") or values.get("name") or "").lower()
            if prop in META_LINKS | META_ASSETS:
                self.ref(values["content"], asset=prop in META_ASSETS)
        self._asset_urls(tag, values)
        if tag == "a" and "name" in values and values["name"]:
            self.scan.ids.add(values["name"])  # an old-style anchor target

    def _asset_urls(self, tag: str, values: dict[str, str]) -> None:
        """The URLs a tag loads with the page: src, data, poster... and srcset."""
        for name, value in values.items():
            if (tag, name) in ASSET_ATTRS and value:
                self.ref(value, asset=True)
        if tag in SRCSET_TAGS:
            for candidate in values.get("srcset", "").split(","):
                if candidate.strip():
                    self.ref(candidate.split()[0], asset=True)

    def _alt(self, tag: str, values: dict[str, str]) -> None:
        needs_alt = (
            tag == "img"
            or (tag == "area" and "href" in values)
            or (tag == "input" and values.get("type", "").lower() == "image")
        )
        if needs_alt and "alt" not in values:
            self.problem(f'<{tag}> has no alt attribute (use alt="" if it is decorative)')

    def _link_text_start(self, tag: str, values: dict[str, str]) -> None:
        labelled = bool(values.get("aria-label", "").strip() or values.get("aria-labelledby"))
        if tag == "a" and "href" in values:
            line, col = self.where()
            self.link = _OpenLink(line, col, named=labelled)
            return
        if self.link is None:
            return
        hidden = values.get("aria-hidden", "").lower() == "true"
        if not hidden and not self.link.hidden():
            if labelled or (tag == "img" and values.get("alt", "").strip()):
                self.link.named = True
        if tag not in VOID_TAGS:
            self.link.inside.append((tag, hidden))

    def _check_json_ld(self, line: int, col: int, parts: list[str]) -> None:
        try:
            data = json.loads("".join(parts))
        except json.JSONDecodeError as exc:
            self.problem(f"JSON-LD does not parse: {exc.msg} at line {exc.lineno}", (line, col))
            return
        for url in _json_urls(data):
            self.scan.refs.append(Ref(url, line, col, asset=False))


def _json_urls(data: object) -> list[str]:
    """The absolute URLs among the string values of a JSON-LD document."""
    if isinstance(data, dict):
        # "@context" names the vocabulary (https://schema.org), it is not a link.
        values = [value for key, value in data.items() if key != "@context"]
        return [url for value in values for url in _json_urls(value)]
    if isinstance(data, list):
        return [url for value in data for url in _json_urls(value)]
    if isinstance(data, str) and data.startswith(("http://", "https://")):
        return [data]
    return []


def scan_html(rel: str, text: str) -> FileScan:
    scan = FileScan(rel)
    scanner = _PageScanner(scan)
    scanner.feed(text)
    scanner.close()
    return scan


def scan_css(rel: str, text: str) -> FileScan:
    scan = FileScan(rel)
    for match in CSS_URL.finditer(text):
        url = match.group(2) if match.group(2) is not None else match.group(4)
        if url and not url.startswith("#"):  # url(#id) points into an SVG, not a file
            line = text.count("\n", 0, match.start()) + 1
            col = match.start() - (text.rfind("\n", 0, match.start()) + 1) + 1
            scan.refs.append(Ref(url.strip(), line, col, asset=True))
    return scan
