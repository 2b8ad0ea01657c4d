"""The build, as a list of steps: load and check everything, then render and write.

    config → pages, data, sources, assets → URLs → Markdown → links
           → templates → sitemap/feed/robots → staging folder → swap

Nothing is written until every page has been loaded, checked and rendered:
the first phase collects every problem of the build and raises BuildFailed
with all of them, leaving the previous output untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from . import feeds
from .assets import Asset, collect_assets
from .config import CONFIG_FILE, Config, load_config
from .content import CONTENT_DIR, SOURCES_DIR, load_data, load_pages
from .errors import BuildFailed, Diagnostic, SiteError
from .links import check_links
from .markdown import PageEnv, citation_html, make_parser, render, render_inline
from .model import BuildResult, Citation, NavItem, Page, Site
from .output import StagingFolder, check_output_folder, recover
from .sources import SourceRecord, check_quote, load_sources
from .templates import Templates, format_date
from .timeline import timeline_events, timeline_svg
from .urls import assign_locations


@dataclass
class BuildOptions:
    project: Path
    output: Path
    base_url: str | None = None
    drafts: bool = False
    strict: bool = False
    log: Callable[[str], None] = lambda message: None


@dataclass
class KeyFactView:
    html: Markup
    source: str


@dataclass
class Timer:
    log: Callable[[str], None]
    timings: dict[str, float] = field(default_factory=dict)

    def step(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.timings[name] = now - started
        self.log(f"  {name}: {1000 * (now - started):.0f} ms")
        return now


class Builder:
    """A build that can be repeated: a full build first, then updates.

    The dev server keeps one Builder and calls `rebuild(changed_paths)` after a
    save; the CLI calls `build()` once."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options

    def build(self) -> BuildResult:
        return build(self.options)

    def rebuild(self, changed: Iterable[Path]) -> BuildResult:
        """Bring the output up to date after `changed` files were saved."""
        return build(self.options)


def build(options: BuildOptions) -> BuildResult:
    """Build the site in `options.project` into `options.output`."""
    started = time.perf_counter()
    timer = Timer(options.log)
    project = options.project
    site, warnings = load_site(options)
    t = timer.step("load", started)
    md = make_parser(site.config.raw_html)
    diagnostics = render_markdown(site, md) + check_links(site.pages)
    warnings += diagnostics
    fail_on(warnings, options.strict)
    t = timer.step("markdown", t)
    assets, asset_problems = collect_assets(project)
    fail_on(asset_problems, options.strict)
    files = render_templates(site, Templates(project), assets)
    files[feeds.SITEMAP_FILE] = feeds.sitemap(site)
    files[feeds.FEED_FILE] = feeds.atom_feed(site)
    files["robots.txt"] = feeds.robots(site)
    files[".nojekyll"] = ""
    t = timer.step("render", t)
    write_output(options, files, assets)
    timer.step("write", t)
    return BuildResult(
        output=options.output,
        pages=len(site.pages),
        rendered=sorted(files),
        diagnostics=warnings,
        seconds=time.perf_counter() - started,
        timings=timer.timings,
    )


def fail_on(diagnostics: list[Diagnostic], strict: bool) -> None:
    if any(d.is_error or strict for d in diagnostics):
        raise BuildFailed(diagnostics)


# -- phase 1: load and check --------------------------------------------------


def load_site(options: BuildOptions) -> tuple[Site, list[Diagnostic]]:
    project = options.project
    config = load_config(project)
    if options.base_url:
        config = config.with_base_url(options.base_url)
    pages, diagnostics = load_pages(project)
    data, data_problems = load_data(project)
    diagnostics += data_problems
    try:
        sources = load_sources(project / CONTENT_DIR / SOURCES_DIR, project)
    except BuildFailed as exc:
        diagnostics += exc.diagnostics
        sources = {}
    if not options.drafts:
        pages = [p for p in pages if not p.draft]
    pages.sort(key=Page.sort_key)
    origin = feeds.absolute_origin(config.base_url)
    diagnostics += assign_locations(pages, config.base_path, origin)
    diagnostics += check_page_sources(pages, sources)
    nav, nav_problems = make_nav(config, pages)
    diagnostics += nav_problems
    link_neighbours(pages)
    site = Site(
        config=config,
        project=project,
        pages=pages,
        sources=sources,
        data=data,
        nav=nav,
        as_of=config.as_of,
    )
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise BuildFailed(diagnostics)
    return site, diagnostics


def check_page_sources(pages: list[Page], sources: dict[str, SourceRecord]) -> list[Diagnostic]:
    problems = []
    for page in pages:
        for source_id, line in page.front.source_lines.items():
            if source_id not in sources:
                problems.append(
                    Diagnostic(
                        page.source_path,
                        line,
                        None,
                        f"unknown source '{source_id}': no content/sources/{source_id}.yaml "
                        "(run site-builder ingest FEED to make one)",
                    )
                )
    return problems


def make_nav(config: Config, pages: list[Page]) -> tuple[list[NavItem], list[Diagnostic]]:
    by_rel = {page.rel: page for page in pages}
    nav: list[NavItem] = []
    problems: list[Diagnostic] = []
    for rel, line in zip(config.nav, config.nav_lines, strict=False):
        page = by_rel.get(rel)
        if page is None:
            problems.append(
                Diagnostic(CONFIG_FILE, line, None, f"nav: there is no page content/{rel}")
            )
            continue
        nav.append(NavItem(page.nav_title, page.url, page.source_path))
    return nav, problems


def link_neighbours(pages: list[Page]) -> None:
    """Previous/next links follow the reading order (front matter `order`)."""
    chain = [p for p in pages if not p.is_404]
    for before, after in zip(chain, chain[1:], strict=False):
        before.next = after
        after.prev = before


# -- phase 2: Markdown ------------------------------------------------------------


def render_markdown(site: Site, md: Any) -> list[Diagnostic]:
    urls = {page.rel: page.url for page in site.pages}
    source_ids = frozenset(site.sources)

    def quote_problem(text: str, speaker: str | None, source_id: str) -> str | None:
        return check_quote(text, speaker, site.sources[source_id])

    diagnostics: list[Diagnostic] = []
    for page in site.pages:
        env = PageEnv(
            source_path=page.source_path,
            rel=page.rel,
            line_offset=page.body_line - 1,
            page_url=urls.get,
            source_ids=source_ids,
            check_quote=quote_problem,
        )
        result = render(md, page.body, env)
        page.content = result.html
        page.toc = result.toc
        page.anchors = result.anchors
        page.links = result.links
        cited = list(result.citations)
        diagnostics += result.diagnostics
        for fact in page.front.key_facts:
            fact_env = PageEnv(**{**env.__dict__, "line_offset": fact.line - 1})
            inline = render_inline(md, fact.text, fact_env)
            diagnostics += inline.diagnostics
            page.key_facts.append(KeyFactView(Markup(inline.html), fact.source))
            cited += inline.citations
        for source_id in [*cited, *page.front.sources, *(f.source for f in page.front.key_facts)]:
            if source_id in site.sources and source_id not in [c.id for c in page.citations]:
                page.citations.append(
                    make_citation(len(page.citations) + 1, site.sources[source_id])
                )
    return diagnostics


def make_citation(number: int, record: SourceRecord) -> Citation:
    return Citation(
        number=number,
        id=record.id,
        outlet=record.outlet,
        title=record.title,
        published=record.published,
        url=record.url,
        author=record.author,
    )


# -- phase 3: templates -------------------------------------------------------------


def render_templates(site: Site, templates: Templates, assets: dict[str, Asset]) -> dict[str, str]:
    base_path = site.config.base_path
    urls = {page.rel: page.url for page in site.pages}
    source_pages: dict[str, list[Page]] = {source_id: [] for source_id in site.sources}
    for page in site.pages:
        for citation in page.citations:
            source_pages[citation.id].append(page)

    def url(path: str = "") -> str:
        return base_path + path.lstrip("/")

    def asset(name: str) -> str:
        if name not in assets:
            raise SiteError("static/" + name, None, None, "asset not found in static/")
        return url(assets[name].output_name)

    def page_url(rel: str) -> str:
        if rel not in urls:
            raise SiteError("content/" + rel, None, None, "page_url(): there is no such page")
        return urls[rel]

    shared = {
        "site": SiteView(site),
        "pages": [p for p in site.pages if not p.is_404],
        "data": site.data,
        "sources": site.sources,
        "source_pages": source_pages,
        "url": url,
        "abs_url": lambda path="": site.config.base_url + path.lstrip("/"),
        "asset": asset,
        "page_url": page_url,
        "format_date": format_date,
        "timeline_events": timeline_events,
        "timeline_svg": timeline_svg,
    }
    files: dict[str, str] = {}
    diagnostics: list[Diagnostic] = []
    for page in site.pages:
        context = {**shared, "page": page, "cite": _citer(page, site.sources)}
        try:
            files[page.output_path] = templates.render(page.template, context, page.source_path)
        except SiteError as exc:
            diagnostics.append(exc.diagnostic)
    if diagnostics:
        raise BuildFailed(diagnostics)
    return files


def _citer(page: Page, sources: dict[str, SourceRecord]) -> Callable[[str], Markup]:
    """cite(id) for templates: the citation mark, numbered on this page."""

    def cite(source_id: str) -> Markup:
        for citation in page.citations:
            if citation.id == source_id:
                return Markup(citation_html(citation.number))
        if source_id not in sources:
            raise SiteError(page.source_path, None, None, f"cite(): unknown source '{source_id}'")
        citation = make_citation(len(page.citations) + 1, sources[source_id])
        page.citations.append(citation)
        return Markup(citation_html(citation.number))

    return cite


class SiteView:
    """`site` in templates: the configuration plus navigation."""

    def __init__(self, site: Site) -> None:
        config = site.config
        self.title = config.title
        self.description = config.description
        self.language = config.language
        self.base_url = config.base_url
        self.base_path = config.base_path
        self.as_of = config.as_of
        self.publisher = config.publisher
        self.nav = site.nav
        self.search = config.search


# -- phase 4: write -----------------------------------------------------------------


def write_output(options: BuildOptions, files: dict[str, str], assets: dict[str, Asset]) -> None:
    check_output_folder(options.output, options.project)
    recover(options.output)
    staging = StagingFolder(options.output)
    try:
        for asset in assets.values():
            staging.write(asset.output_name, asset.data)
        for relative in sorted(files):
            staging.write(relative, files[relative])
        staging.commit()
    except BaseException:
        staging.discard()
        raise
