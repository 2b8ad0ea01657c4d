"""Phase 3 of the build (build.py): each page's Markdown, rendered with what it depended on.

markdown.py turns Markdown into HTML; this module runs it for the build:
- `ReadJob` reads a content file (in a worker process), parses its front matter and
  renders its Markdown at once, predicting the URL of each page it links to;
- `MarkdownJob` renders again the Markdown of a page whose text is unchanged when
  something it depended on changed (a link target's URL, a cited source's record);
- `MarkdownContext` renders for both, recording those dependencies (incremental/facts.py) in the
  `MarkdownOut` the cache keeps (incremental/records.py), the HTML compressed (`pack_text`);
- `render_markdown` renders again what the assembled site shows to be out of date;
  `cite` numbers the citations; `markdown_problems` gathers the Markdown's
  diagnostics and checks links to #anchors (links.py, through `LinkSource`:
  of a rendered page (links to an #anchor).
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from site_builder.content.citations import page_citations
from site_builder.content.files import parse_page, read_text
from site_builder.content.links import check_links
from site_builder.content.markdown import PageEnv, make_parser, render, render_inline
from site_builder.content.sources import SourceRecord, check_quote, unknown_source_message
from site_builder.content.urls import page_location
from site_builder.errors import Diagnostic, SiteError, fail_on
from site_builder.incremental.changes import Summary, summarize, touched
from site_builder.incremental.codec import pack_parts, pack_trace
from site_builder.incremental.facts import (
    ALL,
    MISSING,
    Subject,
    Trace,
    World,
    digest_text,
    norm,
    sha256,
    subjects,
)
from site_builder.incremental.records import MarkdownOut, PageInput
from site_builder.incremental.state import BuildState
from site_builder.model import KeyFactView, Page
from site_builder.pipeline.load_phase import file_stat, make_page
from site_builder.pipeline.parallel import fork_map, usable_jobs
from site_builder.pipeline.timer import keep_for_the_build
from site_builder.project import CONTENT_DIR

if TYPE_CHECKING:  # the phases before this one, which make what it reads
    from site_builder.pipeline.assemble import Assembly
    from site_builder.pipeline.build import BuildOptions
    from site_builder.pipeline.focus import Focus
    from site_builder.pipeline.read import Inputs, Reading, Scope


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
    assets: dict[str, str] | None = None  # site-relative name -> output name (images)
    base_path: str = "/"

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

        assets = self.assets or {}

        def asset_url(name: str) -> str | None:
            output_name = assets.get(name)
            deps[("asset", name, "")] = MISSING if output_name is None else output_name
            return None if output_name is None else self.base_path + output_name

        env = PageEnv(
            source_path=page.source_path,
            rel=page.rel,
            line_offset=page.body_line - 1,
            page_url=page_url,
            source_ids=KnownSources(self.source_fps, deps),  # type: ignore[arg-type]
            check_quote=quote_problem,
            asset_url=asset_url,
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
        parts = pack_parts(result.toc, result.anchors, result.links, key_facts)
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
            deps=pack_trace(deps),
            dep_subjects=subjects(deps),
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
    predicted: dict[str, str | None] = field(default_factory=dict)  # by this process

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
        if rel in self.predicted:
            return self.predicted[rel]
        if rel not in self.existing:
            return None
        stub = SimpleNamespace(
            rel=rel,
            is_404=rel == "404.md",
            front=SimpleNamespace(slug=None),
            source_path=f"{CONTENT_DIR}/{rel}",
        )
        location = page_location(stub)  # type: ignore[arg-type]
        url = None if isinstance(location, Diagnostic) else self.base_path + location[0]
        self.predicted[rel] = url
        return url


@dataclass(frozen=True)
class ReadAgain:
    """A file read again whose text is the same: only its stat and read time are new."""

    stat: tuple[int, int, int, int]
    read_at: int


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


# -- the phase ---------------------------------------------------------------------------


@dataclass
class MarkdownStep:
    """What the Markdown phase found: the pages given their rendering, the subjects
    that changed since the last build, its summary and the build's warnings."""

    applied: set[str]
    changes: set[Subject]
    summary: Summary
    warnings: list[Diagnostic]


def markdown_phase(
    inputs: Inputs,
    state: BuildState,
    scope: Scope,
    reading: Reading,
    assembly: Assembly,
    focus: Focus,
    options: BuildOptions,
) -> MarkdownStep:
    """Render the Markdown that is out of date, number the citations, check links."""
    world, before = assembly.world, state.summary
    moved = focus.moved()
    known = before if moved is not None else None
    digests = state.page_digests(world.pages, focus.changed, known)
    early = summarize(world, inputs.config_fp, digests, before, moved)
    if before is not None:  # citations are known only after the Markdown
        early = replace(early, citations=before.citations, cites=before.cites)
    predicted, inputs.predicted = inputs.predicted, set()
    body = partial(inputs.body, state=state)
    job = MarkdownJob(inputs.markdown_context(), world, state.inputs, body)
    applied, again = render_markdown(
        state, world, reading.fresh, predicted, touched(before, early, moved),
        focus.only_changed, job, options.jobs, options.log,
    )  # fmt: skip
    keep_for_the_build()
    cite(world, state, inputs.sources, None if scope.everything or scope.sources else applied)
    warnings = assembly.problems + assembly.reported_later + markdown_problems(state, world)
    fail_on(warnings + inputs.problems.get("static", []), options.strict)
    pages = focus.changed | applied if moved is not None else None
    summary = summarize(world, inputs.config_fp, digests, before, pages)
    # A page whose Markdown was rendered again though its text is the same (a link
    # target's URL changed) has new content: that is a change to it too.
    changes = touched(before, summary, pages) | {("page", rel) for rel in again}
    return MarkdownStep(applied, changes, summary, warnings)


def render_markdown(
    state: BuildState,
    world: World,
    fresh: set[str],
    predicted: set[str],
    changes: set[Subject],
    only_changed: bool,
    job: MarkdownJob,
    jobs: int,
    log: Callable[[str], None],
) -> tuple[set[str], set[str]]:
    """Render the Markdown of the pages that need it. Returns the rels of the pages
    given their rendering (new page objects included) and of those rendered again
    though their text did not change (a link target's URL did). `only_changed`: look
    only at the pages read again (`fresh`), rendered with predicted link URLs, and
    those whose Markdown depends on something that changed."""
    # A page whose Markdown had a problem is looked at again too: what it lacked (an
    # image saved since, say) may be there now, though no successful build between
    # recorded its absence.
    suspects = state.md_index.owners(changes) | state.md_troubled
    candidates = world.all_pages
    if only_changed:
        wanted = (fresh | predicted | suspects) & world.pages.keys()
        candidates = [world.pages[rel] for rel in sorted(wanted)]
    todo: list[Page] = []
    applied: set[str] = set()
    for page in candidates:
        out = state.markdown.get(page.rel)
        suspect = ALL in changes or page.rel in suspects or page.rel in predicted
        if (
            out is None
            or out.digest != state.inputs[page.rel].digest
            or out.raw_html != job.context.raw_html
            or (suspect and state.markdown_stale(page.rel, world, changes | {ALL}))
        ):
            todo.append(page)
        elif page.rel in fresh or page.rel in predicted:
            applied.add(page.rel)
    if todo:
        state.dirty = True
        log(f"  Markdown of {len(todo)} pages")
        results = fork_map(job.run, todo, usable_jobs(jobs, len(todo)))
        for page, out in zip(todo, results, strict=True):
            state.note_markdown(page.rel, out)
            applied.add(page.rel)
    return applied, {page.rel for page in todo} - predicted


def cite(
    world: World, state: BuildState, sources: dict[str, SourceRecord], only: set[str] | None
) -> None:
    """Number each page's citations and list the pages citing each source.
    `only`: the pages whose citations may have changed (None: all)."""
    for page in world.all_pages:
        if only is None or page.rel in only:
            page.citations = page_citations(page, state.markdown[page.rel].cited, sources)
    cites: dict[str, list[Page]] = {source_id: [] for source_id in sources}
    for page in world.all_pages:
        for citation in page.citations:
            cites[citation.id].append(page)
    world.cites = cites


def markdown_problems(state: BuildState, world: World) -> list[Diagnostic]:
    """The Markdown's diagnostics, and links to a missing #anchor (links.py)."""
    problems = state.markdown_problems(world.pages)
    markdown = state.markdown
    linking = {rel for rel in state.anchored if rel in world.pages}
    targets = {link.target for rel in linking for link in markdown[rel].anchored}
    checked = sorted(linking | (targets & world.pages.keys()))
    sources = [LinkSource(world.pages[rel], markdown[rel], state.parts) for rel in checked]
    return problems + check_links(sources)  # type: ignore[arg-type]
