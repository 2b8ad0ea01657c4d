"""The plain data passed between build stages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from site_builder.config import Config
from site_builder.content.schema import FrontMatter
from site_builder.errors import Diagnostic


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    title: str


@dataclass(frozen=True)
class LinkRef:
    """A link in a page's Markdown to another page's source file."""

    target: str  # content-relative path of the target, e.g. "tariff-truce.md"
    anchor: str | None
    line: int
    col: int


@dataclass(frozen=True)
class Citation:
    number: int
    id: str
    outlet: str
    title: str
    published: str
    url: str
    author: str | None


@dataclass
class Page:
    """A page as the build keeps it. What rendering its Markdown gave (`content`, `toc`,
    `anchors`, `links`, `key_facts`) and its Markdown (`body`) are kept aside, encoded,
    and reach templates through the lazy attributes of incremental/facts.World."""

    source_path: str  # relative to the project, e.g. "content/tariff-truce.md"
    rel: str  # relative to content/, e.g. "tariff-truce.md"
    front: FrontMatter
    body_line: int  # the file line where the Markdown body starts
    url: str = ""  # root-relative, base path included: "/repo/tariff-truce/"
    permalink: str = ""  # absolute URL
    output_path: str = ""  # relative to the output folder: "tariff-truce/index.html"
    citations: list[Citation] = field(default_factory=list)
    prev: Page | None = None
    next: Page | None = None
    # Set by the assembly from site.yaml's languages (content/translations.py): the
    # page's language code, and the content path of the page it translates (its own).
    language: str = ""
    original: str = ""

    # Front matter, as templates read it (page.title, page.date, ...).
    @property
    def title(self) -> str:
        return self.front.title

    @property
    def summary(self) -> str:
        return self.front.summary

    @property
    def date(self) -> dt.date | None:
        return self.front.date

    @property
    def updated(self) -> dt.date | None:
        return self.front.updated or self.front.date

    @property
    def as_of(self) -> dt.date | None:
        """The page's own as-of date, if it has one (templates fall back to site.as_of)."""
        return self.front.as_of

    @property
    def draft(self) -> bool:
        return self.front.draft

    @property
    def order(self) -> int | None:
        return self.front.order

    @property
    def tags(self) -> tuple[str, ...]:
        return self.front.tags

    @property
    def nav_title(self) -> str:
        return self.front.nav_title or self.front.title

    @property
    def sources(self) -> tuple[str, ...]:
        return self.front.sources

    @property
    def translation_of(self) -> str | None:
        """In a translation: the version of its original it follows ("sha256:…"), if recorded."""
        return self.front.translation_of

    @property
    def is_home(self) -> bool:
        """The home page of its language (content/index.md, content/zh/index.md)."""
        return (self.original or self.rel) == "index.md"

    @property
    def data_prefix(self) -> str:
        """Where this page's language keeps its data files: "" or "zh/" (data/zh/x.yaml
        is `data["zh/x"]`), for templates that show data in the page's language."""
        return self.rel[: len(self.rel) - len(self.original)] if self.original else ""

    @property
    def is_404(self) -> bool:
        """The not-found page of its language (content/404.md, content/zh/404.md)."""
        return (self.original or self.rel) == "404.md"

    @property
    def is_section(self) -> bool:
        """A generated section page (pipeline/sections.py): its rel is its folder + "/"."""
        return self.rel.endswith("/")

    @property
    def folder(self) -> str:
        """The content folder the page is in ("" for the top); for a section page, its own."""
        return self.rel[:-1] if self.is_section else self.rel.rpartition("/")[0]

    @property
    def template(self) -> str:
        if self.front.template:
            return self.front.template
        if self.is_home:
            return "home.html"
        if self.is_404:
            return "404.html"
        return "page.html"

    def sort_key(self) -> tuple:
        return (self.front.order if self.front.order is not None else 10**6, self.title, self.rel)


@dataclass
class KeyFactView:
    """A key fact of a page, rendered: inline HTML, and the source it cites."""

    html: Markup
    source: str


@dataclass(frozen=True)
class NavItem:
    title: str
    url: str
    source_path: str


@dataclass
class Site:
    config: Config
    project: Any  # pathlib.Path of the project folder
    pages: list[Page]  # every page being built, sorted by sort_key()
    sources: dict[str, Any]  # source id -> sources.SourceRecord
    data: dict[str, Any]  # data file name -> parsed YAML
    nav: list[NavItem]
    as_of: dt.date | None
    sections: list[Page] = field(default_factory=list)  # generated section pages


@dataclass
class BuildResult:
    output: Any  # pathlib.Path
    pages: int
    rendered: list[str]  # output paths rendered by this build (pages, feeds, sitemap, ...)
    diagnostics: list[Diagnostic]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)  # output paths whose bytes were written
    removed: list[str] = field(default_factory=list)  # output paths deleted (pages gone)
    reused: int = 0  # outputs still up to date, neither rendered nor written
