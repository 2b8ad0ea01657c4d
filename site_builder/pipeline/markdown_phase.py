"""Phase 2 of the build (build.py): each page's Markdown, rendered with what it depended on.

markdown.py turns Markdown into HTML; this module runs it for the build:
- `ReadJob` reads a content file (in a worker process), parses its front matter and
  renders its Markdown at once, predicting the URL of each page it links to;
- `MarkdownJob` renders again the Markdown of a page whose text is unchanged when
  something it depended on changed (a link target's URL, a cited source's record);
- `MarkdownContext` renders for both, recording those dependencies (deps.py) in the
  `MarkdownOut` the cache keeps (cache.py), the HTML compressed (`pack_text`);
- `page_citations` numbers a page's citations; `LinkSource` is what links.py checks
  of a rendered page (links to an #anchor).
"""

from __future__ import annotations

import pickle
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from markupsafe import Markup

from site_builder.content.files import CONTENT_DIR, parse_page, read_text
from site_builder.content.markdown import PageEnv, make_parser, render, render_inline
from site_builder.content.sources import SourceRecord, check_quote, unknown_source_message
from site_builder.content.urls import page_location
from site_builder.errors import Diagnostic, SiteError
from site_builder.incremental.cache import MarkdownOut, PageInput
from site_builder.incremental.deps import MISSING, Trace, World, digest_text, norm, sha256
from site_builder.model import Citation, Page
from site_builder.pipeline.load_phase import file_stat, make_page
from site_builder.render.templates import KeyFactView, make_citation


def pack_text(text: str) -> bytes:
    """Text kept for later, compressed (fast zlib: a third of the size or less)."""
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def unpack_text(packed: bytes) -> str:
    return zlib.decompress(packed).decode("utf-8", "surrogatepass")


class KnownSources:
    """`source_ids` for the Markdown renderer: each membership test is recorded."""

    def __init__(self, ids: Any, deps: Trace) -> None:
        self.ids = ids
        self.deps = deps

    def __contains__(self, source_id: object) -> bool:
        known = source_id in self.ids
        self.deps[("source", str(source_id), "known")] = known
        return known


@dataclass
class MarkdownContext:
    """Renders one page's Markdown, recording what it depended on besides the text:
    the URL of each page it links to, whether each source it cites exists, and the
    record of each source whose quotation it checks. A source whose record failed to load
    has a fingerprint but no record: it is known (its own error is reported once, by
    sources.py), and quotes of it are checked once it is fixed."""

    md: Any
    raw_html: str
    sources: dict[str, SourceRecord]
    source_fps: dict[str, str]

    def __getstate__(self) -> dict[str, Any]:
        # Pickled for a spawned worker process (parallel.py): the parser (which cannot
        # be pickled) is made again there, with the same configuration.
        return {**self.__dict__, "md": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.md = make_parser(self.raw_html)

    def render(
        self, page: Page, body: str, digest: str, url_of: Callable[[str], str | None]
    ) -> MarkdownOut:
        deps: Trace = {}

        def page_url(rel: str) -> str | None:
            url = url_of(rel)
            deps.setdefault(("page", rel, "url"), MISSING if url is None else norm(url))
            return url

        def quote_problem(text: str, speaker: str | None, source_id: str) -> str | None:
            deps[("source", source_id, "")] = self.source_fps.get(source_id)
            record = self.sources.get(source_id)
            return None if record is None else check_quote(text, speaker, record)

        def unknown_source(source_id: str, quote: str | None) -> str:
            deps[("source", "*", "")] = norm(sorted(self.source_fps.items()))
            return unknown_source_message(source_id, self.sources, quote)

        env = PageEnv(
            source_path=page.source_path,
            rel=page.rel,
            line_offset=page.body_line - 1,
            page_url=page_url,
            source_ids=KnownSources(self.source_fps, deps),  # type: ignore[arg-type]
            check_quote=quote_problem,
            unknown_source=unknown_source,
        )
        result = render(self.md, body, env)
        cited = list(result.citations)
        diagnostics = list(result.diagnostics)
        key_facts: list[KeyFactView] = []
        for fact in page.front.key_facts:
            fact_env = PageEnv(**{**env.__dict__, "line_offset": fact.line - 1})
            inline = render_inline(self.md, fact.text, fact_env)
            diagnostics += inline.diagnostics
            key_facts.append(KeyFactView(Markup(inline.html), fact.source))
            cited += inline.citations
        parts = pickle.dumps((result.toc, result.anchors, result.links, key_facts))
        return MarkdownOut(
            digest=digest,
            raw_html=self.raw_html,
            html=pack_text(result.html),
            html_digest=digest_text(result.html),
            parts=parts,
            parts_digest=sha256(parts),
            anchored=[link for link in result.links if link.anchor is not None],
            cited=cited,
            diagnostics=diagnostics,
            deps=deps,
        )


@dataclass
class MarkdownJob:
    """Renders again the Markdown of pages whose text is unchanged (a link target's URL
    changed, a cited source's record...): the whole site is known by now."""

    context: MarkdownContext
    world: World
    inputs: dict[str, PageInput]
    body: Callable[[Page], str]  # the world's lazy "body"

    def __getstate__(self) -> dict[str, Any]:
        # Pickled for a spawned worker process (parallel.py): `body` reads through the
        # build, which stays behind; the world carries every page's body instead.
        return {**self.__dict__, "body": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.body = self.world.lazy["body"]

    def run(self, page: Page) -> MarkdownOut:
        def url_of(rel: str) -> str | None:
            target = self.world.pages.get(rel)
            return target.url if target is not None else None

        return self.context.render(page, self.body(page), self.inputs[page.rel].digest, url_of)


@dataclass
class ReadJob:
    """Reads a content file (each once, in a worker), parses its front matter and, if
    it parsed, renders its Markdown at once: its text then never leaves the worker.

    A link's target URL is not known yet (the slugs of the pages not yet read decide
    it): it is predicted from the target's path, or taken from the last build, and
    recorded like any dependency. Once the site is assembled, a page whose prediction
    was wrong (its target has a slug, is a draft or failed) is rendered again."""

    context: MarkdownContext | None  # None: front matter only
    known_urls: dict[str, str]  # rel -> URL of the pages placed by the last build
    existing: frozenset[str]  # every content rel there is
    base_path: str

    def run(self, item: tuple[str, str, str]) -> tuple[PageInput | ReadAgain, MarkdownOut | None]:
        rel, path, known = item
        source_path = f"{CONTENT_DIR}/{rel}"
        stat = file_stat(Path(path))
        read_at = time.time_ns()
        try:
            text = read_text(Path(path), source_path)
        except SiteError as exc:
            return PageInput("", None, 0, [exc.diagnostic], stat, read_at), None
        digest = digest_text(text)
        if digest == known:
            return ReadAgain(stat, read_at), None
        problems: list[Diagnostic] = []
        front, body, body_line = parse_page(text, source_path, problems)
        found = PageInput(digest, front, body_line, problems, stat, read_at)
        if front is None or self.context is None:
            return found, None
        return found, self.context.render(make_page(rel, found), body, digest, self.predict)

    def predict(self, rel: str) -> str | None:
        if rel in self.known_urls:
            return self.known_urls[rel]
        if rel not in self.existing:
            return None
        stub = SimpleNamespace(
            rel=rel,
            is_404=rel == "404.md",
            front=SimpleNamespace(slug=None),
            source_path=f"{CONTENT_DIR}/{rel}",
        )
        location = page_location(stub)  # type: ignore[arg-type]
        return None if isinstance(location, Diagnostic) else self.base_path + location[0]


@dataclass(frozen=True)
class ReadAgain:
    """A file read again whose text is the same: only its stat and read time are new."""

    stat: tuple[int, int, int, int]
    read_at: int


def page_citations(
    page: Page, out: MarkdownOut, sources: dict[str, SourceRecord]
) -> list[Citation]:
    """The citations, numbered in order of first use: body, key facts, then front matter."""
    citations: list[Citation] = []
    seen: set[str] = set()
    for source_id in [*out.cited, *page.front.sources, *(f.source for f in page.front.key_facts)]:
        if source_id in sources and source_id not in seen:
            seen.add(source_id)
            citations.append(make_citation(len(citations) + 1, sources[source_id]))
    return citations


class LinkSource:
    """What links.check_links reads of a page: its links with an anchor, and (only for
    a page such a link points to) its anchors."""

    def __init__(
        self, page: Page, out: MarkdownOut, parts: Callable[[str], tuple[Any, ...]]
    ) -> None:
        self.rel = page.rel
        self.source_path = page.source_path
        self.links = out.anchored
        self._parts = parts

    @property
    def anchors(self) -> set[str]:
        return self._parts(self.rel)[1]
