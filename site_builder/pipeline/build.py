"""The build, as a list of steps: load and check everything, then render and write.

    config → pages, data, sources, templates, assets → URLs → Markdown → links
           → templates → sitemap/feed/robots → staging folder → swap

Nothing is written until every page has been loaded, checked and rendered:
each phase collects every problem of the build and raises BuildFailed with all
of them, leaving the previous output untouched.

A `Builder` remembers what it built, and the cache (cache.py) remembers it from
one run to the next, so most builds are incremental:
- each input file is read once per build and fingerprinted; a page whose text is
  unchanged keeps its parsed front matter, and its rendered Markdown unless a
  link target's URL or a cited source changed (recorded while rendering);
- each output keeps the trace of the facts it read (deps.py); after a change it
  is rendered again only if one of those facts now has another value;
- a full build (`build()`) stages the new site, taking unchanged files from the
  current output as hard links, and swaps it in; the preview server's
  `rebuild(changed)` re-reads only the changed files and replaces the affected
  files of the live folder one by one, each atomically;
- a full build with many pages to render spreads them over all cores
  (parallel.py); the output is the same as a serial build's, byte for byte.

This module is the orchestration: the `Builder` runs the phases in order, decides
what each must look at, and keeps what the next build reuses. Each phase's own
work lives in a module of its own:
- load_phase.py: pages as the build keeps them; URLs, navigation, neighbours;
- markdown_phase.py: reading content files and rendering their Markdown (markdown.py),
  recording what each rendering depended on; citations; what links.py checks;
- write_phase.py: which outputs to make; rendering them (templates.py, feeds.py) into
  the staging folder (output.py), or for a rebuild in place.
"""

from __future__ import annotations

import copy
import gc
import os
import pickle
import shutil
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from site_builder.config import CONFIG_FILE, Config, load_config
from site_builder.content.assets import STATIC_DIR, Asset, check_collisions, collect_assets
from site_builder.content.files import (
    CONTENT_DIR,
    SOURCES_DIR,
    discover,
    load_data,
    read_text,
    relpath,
    split_front_matter,
)
from site_builder.content.links import check_links
from site_builder.content.markdown import make_parser
from site_builder.content.sources import SourceRecord, load_sources
from site_builder.errors import BuildFailed, Diagnostic, SiteError
from site_builder.incremental import cache
from site_builder.incremental.cache import MarkdownOut, OutputRecord, PageInput, State
from site_builder.incremental.deps import (
    ALL,
    Index,
    Key,
    Subject,
    Summary,
    Trace,
    World,
    digest_text,
    fingerprint,
    keys_by_subject,
    pack,
    sha256,
    stale,
    subjects,
    summarize,
    touched,
    unpack,
)
from site_builder.model import BuildResult, Heading, LinkRef, Page, Site
from site_builder.pipeline.load_phase import (
    check_page_sources,
    file_stat,
    link_neighbours,
    make_nav,
    make_page,
    place_pages,
)
from site_builder.pipeline.markdown_phase import (
    LinkSource,
    MarkdownContext,
    MarkdownJob,
    ReadAgain,
    ReadJob,
    page_citations,
    unpack_text,
)
from site_builder.pipeline.output import (
    StagingFolder,
    check_output_folder,
    folder_identity,
    output_lock,
    recover,
    remove_in_place,
    replace_folder,
    scan_folder,
    write_in_place,
)
from site_builder.pipeline.parallel import fork_map, usable_jobs
from site_builder.pipeline.write_phase import ENV_READ, Outcome, Plan, RenderJob
from site_builder.render import feeds
from site_builder.render.search import BUNDLE_DIR, build_search_index
from site_builder.render.share_card import FOLDER as CARDS_DIR
from site_builder.render.share_card import card_name, render_card
from site_builder.render.templates import (
    TEMPLATES_DIR,
    Templates,
    read_templates,
    share_card_text,
)

DATA_DIR = "data"
GENERATED = (feeds.SITEMAP_FILE, feeds.FEED_FILE, "robots.txt", ".nojekyll")
SOURCES_PREFIX = SOURCES_DIR + "/"  # content/sources/ holds source records, not pages
SEARCH_PREFIX = BUNDLE_DIR + "/"  # output/pagefind/ is written by Pagefind, not planned
CARDS_PREFIX = CARDS_DIR + "/"  # output/share/: the share cards the pages name, not planned


@dataclass
class BuildOptions:
    project: Path
    output: Path
    base_url: str | None = None
    drafts: bool = False
    strict: bool = False
    log: Callable[[str], None] = lambda message: None  # details, shown with -v
    notify: Callable[[str], None] = lambda message: None  # shown unless -q (e.g. a wait)
    jobs: int = 0  # processes for full builds; 0: one per core
    cache: bool = True  # keep .site-builder-cache/ in the project for the next build


@dataclass
class Timer:
    log: Callable[[str], None]
    timings: dict[str, float] = field(default_factory=dict)

    def step(self, name: str, started: float) -> float:
        now = time.perf_counter()
        self.timings[name] = now - started
        self.log(f"  {name}: {1000 * (now - started):.0f} ms")
        return now


@dataclass
class Scope:
    """What a build must read again: everything, or what the saved files touch."""

    everything: bool = False
    pages: set[str] = field(default_factory=set)  # content rels
    rescan_content: bool = False  # a folder or an odd file changed: list content/ again
    data: bool = False
    sources: bool = False
    templates: bool = False
    static: bool = False

    @staticmethod
    def of(project: Path, changed: Iterable[Path | str]) -> Scope:
        scope = Scope()
        root = project.resolve()
        for path in changed:
            full = Path(path) if Path(path).is_absolute() else project / path
            try:
                rel = relpath(full.resolve(), root)
            except ValueError:
                continue  # outside the project
            top, _, rest = rel.partition("/")
            name = rel.rsplit("/", 1)[-1]
            if name.startswith(".") or name.endswith(("~", ".swp", ".swx", ".tmp")):
                continue  # hidden files and editor leftovers, as discover() skips them
            if rel == CONFIG_FILE:
                scope.everything = True
            elif top == CONTENT_DIR and rest.startswith(SOURCES_DIR + "/"):
                scope.sources = True
            elif top == CONTENT_DIR and rest:
                if full.is_symlink() or full.is_dir() or not full.exists() and "." not in name:
                    scope.rescan_content = True  # a folder (or a link) came or went
                elif rest.endswith(".md"):
                    scope.pages.add(rest)
            elif top == DATA_DIR:
                scope.data = True
            elif top == TEMPLATES_DIR:
                scope.templates = True
            elif top == STATIC_DIR:
                scope.static = True
        return scope


# -- the builder ----------------------------------------------------------------------


class Builder:
    """A build that can be repeated: a full build first, then updates.

    The dev server keeps one Builder and calls `rebuild(changed_paths)` after a
    save; the CLI calls `build()` once."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self._reset()

    def _reset(self) -> None:
        self.state: State | None = None
        self._output_identity: tuple[int, int] | None = None  # of the folder we last wrote
        # Pages rewritten in place since the search index was made (refresh_search_index).
        self.search_stale = False
        self.pages: dict[str, Page] = {}  # content rel -> loaded page (drafts included)
        self.config: Config | None = None
        self.config_fp = ""
        self.md: Any = None
        self.data: dict[str, Any] = {}
        self.data_fps: dict[str, str] = {}
        self.sources: dict[str, SourceRecord] = {}
        self.source_fps: dict[str, str] = {}
        self.templates: Templates | None = None
        self.assets: dict[str, Asset] = {}
        # Problems found while reading, by kind, kept until that kind is read again.
        self.problems: dict[str, list[Diagnostic]] = {}
        self._unpacked: tuple[str, Any, Any] = ("", None, None)  # the last page's parts
        self._listed: set[str] = set()  # content rels of the page files there are
        self.predicted: set[str] = set()  # pages rendered with predicted link URLs
        # What lets a rebuild after a few saves cost what those pages cost, not the site:
        self._order: list[str] | None = None  # rels of the pages built, in reading order
        self._keys: dict[str, tuple] = {}  # their sort keys
        self._chain: dict[str, int] = {}  # rel -> position among the listed pages
        self._changed: set[str] = set()  # rels read again or gone in this build
        self._troubled: set[str] = set()  # rels whose input has problems
        self._source_problems: dict[str, list[Diagnostic]] = {}  # unknown sources, by rel
        self._md_troubled: set[str] = set()  # rels whose Markdown has diagnostics
        self._anchored: set[str] = set()  # rels whose Markdown links to an #anchor
        self._trace_keys: dict[str, dict[Subject, list[Key]]] = {}  # output -> its keys
        self.md_index = Index()  # subject -> pages whose Markdown depends on it
        self.out_index = Index()  # subject -> outputs whose trace mentions it
        self.dirty = False

    # -- public API --

    def build(self) -> BuildResult:
        """Read every input and bring the output up to date (staged, then swapped in)."""
        return self._guarded(Scope(everything=True), in_place=False)

    def rebuild(self, changed: Iterable[Path]) -> BuildResult:
        """Bring the output up to date after `changed` files were saved.

        Only those files are read again (all of them after a site.yaml change), and
        the live output folder is updated one file at a time, each atomically."""
        if (
            self.state is None
            or self.state.summary is None
            or folder_identity(self.options.output) != self._output_identity
        ):
            # Never built, or the output folder is gone or was replaced by another
            # build (`make build` while the preview runs): what it holds is unknown.
            return self.build()
        return self._guarded(Scope.of(self.options.project, changed), in_place=True)

    def refresh_search_index(self) -> list[Diagnostic]:
        """Index the live output again after in-place rebuilds changed its pages.

        Rebuilds leave this out (Pagefind takes longer than most rebuilds): the preview
        server calls it once the saves stop. The new index is written beside the live one
        and swapped in whole, so the search page never loads half of each."""
        if not self.search_stale:
            return []
        output = self.options.output
        with output_lock(output, self.options.notify):
            if folder_identity(output) != self._output_identity:
                return []  # another build replaced the output, index and all
            fresh = output / f".{BUNDLE_DIR}.tmp-{os.getpid()}"
            shutil.rmtree(fresh, ignore_errors=True)
            problems = build_search_index(output, self.options.log, bundle=fresh)
            if any(problem.is_error for problem in problems):
                shutil.rmtree(fresh, ignore_errors=True)
                return problems
            replace_folder(output / BUNDLE_DIR, fresh)
            self.search_stale = False
            return problems

    def save_cache(self) -> str:
        """Write the cache now ("" or why not). Full builds do it themselves; rebuilds
        do not (it would cost more than the rebuild), so a server may call it on exit."""
        if self.state is None or not self.options.cache:
            return "caching is off"
        # Traces unpacked to be checked (or rendered here) are packed again: a packed
        # trace pickles as one bytes object, an unpacked one as hundreds.
        outputs = {
            path: record
            if not isinstance(record.trace, dict)
            else replace(record, trace=pack(record.trace))
            for path, record in self.state.outputs.items()
        }
        payload = replace(self.state, outputs=outputs)
        return cache.save(self._cache_file(), self._cache_key(), payload)

    # -- one build --

    def _guarded(self, scope: Scope, in_place: bool) -> BuildResult:
        collecting = gc.isenabled()
        try:
            with output_lock(self.options.output, self.options.notify):
                result = self._run(scope, in_place)
                self._output_identity = folder_identity(self.options.output)
                return result
        except BuildFailed:
            raise  # nothing was written; the state still describes the output
        except BaseException:
            # Whatever was half done (a file vanished mid-build, a write failed) must
            # not be trusted: the next build starts again from the cache.
            self._reset()
            raise
        finally:
            gc.unfreeze()
            if not collecting:  # as the caller had it
                gc.disable()

    def _run(self, scope: Scope, in_place: bool) -> BuildResult:
        started = time.perf_counter()
        timer = Timer(self.options.log)
        if self.state is None:
            self.state = self._load_cache() if self.options.cache else State()
        keep_for_the_build()
        state = self.state
        self.dirty = False  # whether the state differs from the cache's
        if scope.everything or self.config is None:
            scope = Scope(everything=True)
            self._read_config()
        self._changed = set()
        fresh = self._read_inputs(scope)
        keep_for_the_build()
        t = timer.step("read", started)

        before = state.summary
        # A rebuild after saves of pages, templates, data or assets keeps the site's
        # shape: only the pages read again are looked at (not every page of the site).
        quick = (
            not scope.everything
            and not scope.sources
            and self._order is not None
            and before is not None
            and before.config == self.config_fp
        )
        site, world, problems, reordered = self._assemble(quick)
        fail_on(problems, strict=False)
        t = timer.step("load", t)

        changed = self._changed
        narrow = quick and not reordered  # places may differ only for the changed pages
        digests = self._digests(world, before if narrow else None)
        early = summarize(world, self.config_fp, digests, before, changed if narrow else None)
        if before is not None:  # citations are known only after the Markdown
            early = replace(early, citations=before.citations, cites=before.cites)
        changes = touched(before, early, changed if narrow else None)
        applied, again = self._render_markdown(site, world, fresh, changes, quick)
        keep_for_the_build()
        self._cite(site, world, None if scope.everything or scope.sources else applied)
        warnings = problems + self._markdown_problems(world)
        fail_on(warnings + self.problems.get("static", []), self.options.strict)
        t = timer.step("markdown", t)

        pages = changed | applied if narrow else None
        summary = summarize(world, self.config_fp, digests, before, pages)
        changes = touched(before, summary, pages)
        # A page whose Markdown was rendered again though its text is the same (a link
        # target's URL changed) has new content: that is a change to it too.
        changes |= {("page", rel) for rel in again}
        plan = self._plan(site, changes, in_place, world, changed | applied if quick else None)
        t = timer.step("plan", t)
        outcome = self._make_outputs(site, world, plan, in_place, timer)
        t = time.perf_counter()

        self.dirty |= bool(outcome.records or plan.remove) or summary != before
        state.summary = summary
        if not in_place and self.options.cache and self.dirty:
            why = self.save_cache()
            if why:
                self.options.log(f"  cache not saved: {why}")
            timer.step("cache", t)
        return BuildResult(
            output=self.options.output,
            pages=len(site.pages),
            rendered=sorted(outcome.rendered),
            diagnostics=warnings,
            seconds=time.perf_counter() - started,
            timings=timer.timings,
            written=sorted(outcome.written),
            removed=list(plan.remove),
            reused=len(state.outputs) - len(outcome.records),
        )

    def _digests(self, world: World, before: Summary | None) -> dict[str, str]:
        """The digest of every page built; from `before`, only the changed ones redone."""
        assert self.state is not None
        inputs = self.state.inputs
        if before is None:
            return {rel: inputs[rel].digest for rel in world.pages}
        digests = dict(before.digests)
        for rel in self._changed:
            if rel in world.pages:
                digests[rel] = inputs[rel].digest
            else:
                digests.pop(rel, None)
        return digests

    def _markdown_problems(self, world: World) -> list[Diagnostic]:
        """The Markdown's diagnostics, and links to a missing #anchor (links.py)."""
        assert self.state is not None
        markdown = self.state.markdown
        problems = [
            d for rel in sorted(self._md_troubled) if rel in world.pages
            for d in markdown[rel].diagnostics
        ]  # fmt: skip
        linking = {rel for rel in self._anchored if rel in world.pages}
        targets = {link.target for rel in linking for link in markdown[rel].anchored}
        checked = sorted(linking | (targets & world.pages.keys()))
        sources = [LinkSource(world.pages[rel], markdown[rel], self._parts) for rel in checked]
        return problems + check_links(sources)  # type: ignore[arg-type]

    # -- cache --

    def _cache_key(self) -> dict[str, Any]:
        return {
            "output": str(self.options.output.resolve()),
            "drafts": self.options.drafts,
            "base_url": self.options.base_url,
        }

    def _cache_file(self) -> Path:
        return cache.cache_file(self.options.project, self._cache_key())

    def _load_cache(self) -> State:
        payload, why = cache.load(self._cache_file(), self._cache_key())
        if not isinstance(payload, State):
            self.options.log(f"  cache: {why or 'not a build state'}; building everything")
            return State()
        self.state = payload
        for rel, known in payload.inputs.items():
            if known.problems:
                self._troubled.add(rel)
        for rel, out in payload.markdown.items():
            self._note_markdown(rel, out)
        for path, record in payload.outputs.items():
            self.out_index.set(path, record.subjects)
        return payload

    # -- phase 1: read and load ---------------------------------------------------------

    def _read_config(self) -> None:
        config = load_config(self.options.project)
        if self.options.base_url:
            config = config.with_base_url(self.options.base_url)
        self.config = config
        self.config_fp = fingerprint((config, self.options.drafts))
        self.md = make_parser(config.raw_html)

    def _read_inputs(self, scope: Scope) -> set[str]:
        """Read what `scope` says; return the rels of pages that are new Page objects."""
        project = self.options.project
        if scope.everything or scope.data:
            self.data, self.problems["data"] = load_data(project)
            self.data_fps = {name: fingerprint(value) for name, value in self.data.items()}
        if scope.everything or scope.sources:
            loaded = load_sources(project / CONTENT_DIR / SOURCES_DIR, project)
            self.problems["sources"] = loaded.problems
            self.sources = loaded.records
            # A record that failed to load is known, without a record (markdown_phase.py).
            self.source_fps = {sid: fingerprint(record) for sid, record in self.sources.items()}
            self.source_fps |= {sid: "broken" for sid in loaded.broken}
        if scope.everything or scope.templates:
            sources, self.problems["templates"] = read_templates(project)
            self.templates = Templates(project, sources)
        if scope.everything or scope.static:
            self.assets, self.problems["static"] = collect_assets(project)
        return self._read_pages(scope)  # last: rendering the Markdown needs the sources

    def _read_pages(self, scope: Scope) -> set[str]:
        """Read the content files in scope (each once); parse those that changed."""
        project = self.options.project
        state = self.state
        assert state is not None
        content = project / CONTENT_DIR
        paths: dict[str, Path] = {}
        if scope.everything or scope.rescan_content:
            # content/sources/ is load_sources' to walk (and report).
            files, self.problems["content"] = discover(project, CONTENT_DIR, skip=SOURCES_DIR)
            prefix = len(str(content)) + 1  # discover() lists paths under `content`
            listed = {
                unicodedata.normalize("NFC", str(path)[prefix:]).replace(os.sep, "/"): path
                for path in files
                if path.suffix == ".md"
            }
            listed = {
                rel: path for rel, path in listed.items() if not rel.startswith(SOURCES_PREFIX)
            }
            self._listed = set(listed)
            for rel in set(state.inputs) - set(listed):
                self._forget_page(rel)
            for rel, path in listed.items():
                if scope.everything or rel in scope.pages or rel not in state.inputs:
                    paths[rel] = path
        else:
            for rel in scope.pages:
                path = content / rel
                if path.is_file():
                    paths[rel] = path
                    self._listed.add(rel)
                else:
                    self._listed.discard(rel)
                    self._forget_page(rel)
        fresh: set[str] = set()
        to_read: list[tuple[str, str, str]] = []  # (rel, path, digest known so far)
        for rel in sorted(paths):
            known = state.inputs.get(rel)
            if known is not None and known.unchanged(file_stat(paths[rel])):
                if known.front is not None and rel not in self.pages:  # from the cache
                    self._page_from_cache(rel, known)
                    fresh.add(rel)
                continue
            to_read.append((rel, str(paths[rel]), known.digest if known else ""))
        jobs = usable_jobs(self.options.jobs, len(to_read))
        job = self._read_job(render=bool(to_read))
        for (rel, _, _), (found, out) in zip(
            to_read, fork_map(job.run, to_read, jobs), strict=True
        ):
            self.dirty = True
            known = state.inputs.get(rel)
            if isinstance(found, ReadAgain):
                assert known is not None
                known.stat, known.read_at = found.stat, found.read_at
                if known.front is not None and rel not in self.pages:
                    self._page_from_cache(rel, known)
                    fresh.add(rel)
                continue
            state.inputs[rel] = found
            self._changed.add(rel)
            if found.problems:
                self._troubled.add(rel)
            else:
                self._troubled.discard(rel)
            if out is not None:
                self._note_markdown(rel, out)
                self.predicted.add(rel)
            if found.front is None:
                self.pages.pop(rel, None)
            else:
                self.pages[rel] = make_page(rel, found)
                fresh.add(rel)
        return fresh

    def _note_markdown(self, rel: str, out: MarkdownOut) -> None:
        assert self.state is not None
        self.state.markdown[rel] = out
        self.md_index.set(rel, subjects(out.deps))
        for found, has in ((self._md_troubled, out.diagnostics), (self._anchored, out.anchored)):
            if has:
                found.add(rel)
            else:
                found.discard(rel)

    def _read_job(self, render: bool) -> ReadJob:
        assert self.config is not None and self.state is not None
        context = None
        if render:
            context = MarkdownContext(self.md, self.config.raw_html, self.sources, self.source_fps)
        summary = self.state.summary
        same_config = summary is not None and summary.config == self.config_fp
        known = {rel: place[0] for rel, place in summary.places.items()} if same_config else {}
        existing = frozenset(self.state.inputs) | frozenset(self._listed)
        return ReadJob(context, known, existing, self.config.base_path)

    def _page_from_cache(self, rel: str, known: PageInput) -> None:
        """A page unchanged since the cached build: it keeps its place if the
        configuration is the same (a URL depends only on the path, slug and base URL)."""
        page = self.pages[rel] = make_page(rel, known)
        summary = self.state.summary if self.state else None
        if summary is not None and summary.config == self.config_fp and rel in summary.places:
            page.url, page.permalink, page.output_path = summary.places[rel][:3]

    def _forget_page(self, rel: str) -> None:
        assert self.state is not None
        self.dirty = True
        self._changed.add(rel)
        self._troubled.discard(rel)
        self._md_troubled.discard(rel)
        self._anchored.discard(rel)
        self.state.inputs.pop(rel, None)
        self.pages.pop(rel, None)
        if self.state.markdown.pop(rel, None) is not None:
            self.md_index.drop(rel)

    # -- phase 1b: the site as a whole ------------------------------------------------

    def _assemble(self, quick: bool) -> tuple[Site, World, list[Diagnostic], bool]:
        """The site as a whole: reading order, URLs, navigation, neighbours. Quick (a
        rebuild after saves): only the changed pages are looked at, unless the reading
        order changed. Also returns whether it did (the pages were sorted again)."""
        config = self.config
        state = self.state
        assert config is not None and state is not None and self.templates is not None
        problems = [d for rel in sorted(self._troubled) for d in state.inputs[rel].problems]
        for kind in ("content", "data", "sources", "templates"):
            problems += self.problems.get(kind, [])
        pages, reordered = self._ordered(quick)
        origin = feeds.absolute_origin(config.base_url)
        # Pages keep their place unless they are new objects (parsed again, or from a
        # cache of another configuration) or the configuration changed.
        same_config = state.summary is not None and state.summary.config == self.config_fp
        moved = {p.rel for p in pages if not p.output_path} if same_config else None
        problems += place_pages(pages, config.base_path, origin, moved)
        made = {p.output_path for p in pages} | set(GENERATED)
        problems += check_collisions(self.assets, made, (SEARCH_PREFIX,))
        if not quick:
            self._source_problems = {}
        for page in pages if not quick else [self.pages.get(rel) for rel in self._changed]:
            if page is not None:
                self._source_problems[page.rel] = check_page_sources(
                    [page], self.sources, self.source_fps
                )
        for rel in self._changed - self.pages.keys():
            self._source_problems.pop(rel, None)
        problems += [d for found in self._source_problems.values() for d in found]
        nav, nav_problems = make_nav(config, pages)
        problems += nav_problems
        if reordered:
            link_neighbours(pages)
            listed = [p for p in pages if not p.is_404]
            self._chain = {p.rel: index for index, p in enumerate(listed)}
        else:
            self._relink(pages)
        site = Site(
            config=config,
            project=self.options.project,
            pages=pages,
            sources=self.sources,
            data=self.data,
            nav=nav,
            as_of=config.as_of,
        )
        world = World(
            pages={p.rel: p for p in pages},
            listed=[p for p in pages if not p.is_404],
            all_pages=pages,
            nav=nav,
            data=self.data,
            data_fps=self.data_fps,
            sources=self.sources,
            source_fps=self.source_fps,
            cites={},
            template_fps=self.templates.fingerprints,
            assets={name: asset.output_name for name, asset in self.assets.items()},
            env={name: os.environ.get(name) for name in ENV_READ},
            lazy={
                "content": self._content,
                "body": self._body,
                **{
                    name: partial(self._part, index)
                    for index, name in enumerate(("toc", "anchors", "links", "key_facts"))
                },
            },
            lazy_fps={
                "content": lambda page: state.markdown[page.rel].html_digest,
                "body": lambda page: state.inputs[page.rel].digest,
                **{
                    name: lambda page: state.markdown[page.rel].parts_digest
                    for name in ("toc", "anchors", "links", "key_facts")
                },
            },
        )
        return site, world, problems, reordered

    def _ordered(self, quick: bool) -> tuple[list[Page], bool]:
        """The pages to build in reading order, and whether it had to be worked out
        again (always, unless quick and no changed page moved, came or went)."""
        drafts = self.options.drafts

        def key(rel: str) -> tuple | None:
            page = self.pages.get(rel)
            return page.sort_key() if page is not None and (drafts or not page.draft) else None

        if quick and self._order is not None:
            if all(self._keys.get(rel) == key(rel) for rel in self._changed):
                return [self.pages[rel] for rel in self._order], False
        keyed = sorted(
            (page.sort_key(), page) for page in self.pages.values() if drafts or not page.draft
        )
        self._order = [page.rel for _, page in keyed]
        self._keys = {page.rel: sort_key for sort_key, page in keyed}
        return [page for _, page in keyed], True

    def _relink(self, pages: list[Page]) -> None:
        """Previous/next links of the changed pages (new objects) and of their neighbours,
        the reading order being the same."""
        order = self._order
        assert order is not None
        listed = [rel for rel in order if rel != "404.md"] if "404.md" in self._keys else order
        for rel in self._changed:
            index = self._chain.get(rel)
            page = self.pages.get(rel)
            if index is None or page is None:
                continue
            page.prev = self.pages[listed[index - 1]] if index > 0 else None
            page.next = self.pages[listed[index + 1]] if index + 1 < len(listed) else None
            if page.prev is not None:
                page.prev.next = page
            if page.next is not None:
                page.next.prev = page

    def _content(self, page: Page) -> str:
        """A page's rendered Markdown (kept compressed)."""
        assert self.state is not None
        return unpack_text(self.state.markdown[page.rel].html)

    def _parts(self, rel: str) -> tuple[list[Heading], set[str], list[LinkRef], list[Any]]:
        assert self.state is not None
        out = self.state.markdown[rel]
        if self._unpacked[0] != rel or self._unpacked[1] is not out:
            # Pickled by this build or a worker, or read from a cache whose signature
            # was checked: the build's own data.
            self._unpacked = (rel, out, pickle.loads(out.parts))
        return self._unpacked[2]

    def _part(self, index: int, page: Page) -> Any:
        """toc, anchors, links or key_facts of a page (kept pickled; copied, as a template
        may change what it gets)."""
        return copy.copy(self._parts(page.rel)[index])

    def _body(self, page: Page) -> str:
        """A page's Markdown, for the rare later build that needs it again (a link
        target's URL changed) or a template that shows it: its Markdown is rendered as
        soon as it is read, and then the text let go of."""
        assert self.state is not None
        known = self.state.inputs[page.rel]
        text = read_text(self.options.project / CONTENT_DIR / page.rel, page.source_path)
        if digest_text(text) != known.digest:
            raise SiteError(page.source_path, None, None, "changed during the build; save again")
        return split_front_matter(text, page.source_path)[1]

    # -- phase 2: Markdown ---------------------------------------------------------

    def _render_markdown(
        self, site: Site, world: World, fresh: set[str], changes: set[Subject], quick: bool
    ) -> tuple[set[str], set[str]]:
        """Render the Markdown of the pages that need it. Returns the rels of the pages
        given their rendering (new page objects included) and of those rendered again
        though their text did not change (a link target's URL did). Quick: only the
        changed pages and those whose Markdown depends on something that changed."""
        state = self.state
        config = self.config
        assert state is not None and config is not None
        suspects = self.md_index.owners(changes)
        todo: list[Page] = []
        applied: set[str] = set()
        predicted, self.predicted = self.predicted, set()
        candidates = site.pages
        if quick:
            wanted = (fresh | predicted | suspects) & world.pages.keys()
            candidates = [world.pages[rel] for rel in sorted(wanted)]
        for page in candidates:
            out = state.markdown.get(page.rel)
            suspect = ALL in changes or page.rel in suspects or page.rel in predicted
            if (
                out is None
                or out.digest != state.inputs[page.rel].digest
                or out.raw_html != config.raw_html
                or (suspect and stale(out.deps, world, changes | {ALL}))
            ):
                todo.append(page)
            elif page.rel in fresh or page.rel in predicted:
                applied.add(page.rel)
        if todo:
            self.dirty = True
            self.options.log(f"  Markdown of {len(todo)} pages")
            context = MarkdownContext(self.md, config.raw_html, self.sources, self.source_fps)
            job = MarkdownJob(context, world, state.inputs, self._body)
            results = fork_map(job.run, todo, usable_jobs(self.options.jobs, len(todo)))
            for page, out in zip(todo, results, strict=True):
                self._note_markdown(page.rel, out)
                applied.add(page.rel)
        return applied, {page.rel for page in todo} - predicted

    def _cite(self, site: Site, world: World, only: set[str] | None) -> None:
        """Number each page's citations and list the pages citing each source.
        `only`: the pages whose citations may have changed (None: all)."""
        assert self.state is not None
        for page in site.pages:
            if only is None or page.rel in only:
                page.citations = page_citations(page, self.state.markdown[page.rel], self.sources)
        cites: dict[str, list[Page]] = {source_id: [] for source_id in self.sources}
        for page in site.pages:
            for citation in page.citations:
                cites[citation.id].append(page)
        world.cites = cites

    # -- phase 3: which outputs to make ---------------------------------------------

    def _plan(
        self,
        site: Site,
        changes: set[Subject],
        in_place: bool,
        world: World,
        pages: set[str] | None,
    ) -> Plan:
        """Which outputs to render, keep, copy and remove. `pages` (quick rebuilds): the
        only pages that changed; then only their outputs and the outputs whose traces
        mention a touched subject are looked at, not every output of the site."""
        state = self.state
        assert state is not None
        # A full build checks that the output folder still holds what was written
        # (size, time, inode of every file); the preview server owns its folder.
        on_disk = None if in_place or not state.outputs else scan_folder(self.options.output)
        if on_disk is not None:
            # The search index is made from the pages, not planned file by file.
            on_disk = {
                k: v for k, v in on_disk.items() if not k.startswith((SEARCH_PREFIX, CARDS_PREFIX))
            }
        plan = Plan(on_disk=on_disk)
        suspects = self.out_index.owners(changes)
        if pages is None:
            for page in site.pages:
                plan.owners[page.output_path] = page.rel
            for name in GENERATED:
                plan.owners[name] = ""
            looked_at = list(plan.owners)
        else:
            outputs = {world.pages[rel].output_path: rel for rel in pages if rel in world.pages}
            for path in suspects | outputs.keys():
                owner = outputs.get(
                    path, state.outputs[path].owner if path in state.outputs else ""
                )
                if (
                    path in GENERATED
                    or world.pages.get(owner) is not None
                    and (world.pages[owner].output_path == path)
                ):
                    plan.owners[path] = owner
            looked_at = sorted(plan.owners)
        for path in looked_at:
            owner = plan.owners[path]
            record = state.outputs.get(path)
            if (
                record is None
                or record.trace is None
                or record.owner != owner
                or ALL in changes
                or (on_disk is not None and on_disk.get(path) != record.stamp)
                or (path in suspects and self._stale(path, record, world, changes))
            ):
                plan.render.append(path)
            else:
                plan.keep.append(path)
        for asset in self.assets.values():
            plan.owners[asset.output_name] = ""
            plan.copy.append(asset)
        if pages is None:
            plan.remove = sorted(path for path in state.outputs if path not in plan.owners)
        else:
            plan.remove = self._removed(world, pages)
        return plan

    def _removed(self, world: World, pages: set[str]) -> list[str]:
        """Outputs no longer made, after a quick rebuild: those of pages gone (or become
        drafts, or moved to another URL), and assets renamed or deleted."""
        state = self.state
        assert state is not None and state.summary is not None
        made = {page.output_path for page in world.pages.values()} if pages else set()
        gone = set()
        for rel in pages:
            place = state.summary.places.get(rel)
            if place is not None and place[2] not in made:
                gone.add(place[2])
        assets = {asset.output_name for asset in self.assets.values()}
        for path, record in state.outputs.items():
            if record.trace is None and path not in assets and path not in made:
                gone.add(path)
        return sorted(gone)

    def _stale(self, path: str, record: OutputRecord, world: World, changes: set[Subject]) -> bool:
        trace = self._trace(record)

        def page_keys() -> dict[Subject, list[Key]]:
            keys = self._trace_keys.get(path)
            if keys is None:
                keys = self._trace_keys[path] = keys_by_subject(trace)
            return keys

        return stale(trace, world, changes, page_keys)

    @staticmethod
    def _trace(record: OutputRecord) -> Trace:
        """The trace of an output, unpacked (and kept unpacked) the first time it is read."""
        assert record.trace is not None
        if isinstance(record.trace, bytes):
            record.trace = unpack(record.trace)
        return record.trace

    # -- phase 4: render and write -----------------------------------------------------

    def _make_outputs(
        self, site: Site, world: World, plan: Plan, in_place: bool, timer: Timer
    ) -> Outcome:
        state = self.state
        assert state is not None and self.templates is not None
        output = self.options.output
        check_output_folder(output, self.options.project)
        recover(output)
        job = RenderJob(site, world, self.templates, plan.owners, state.outputs, plan.on_disk)
        outcome = Outcome()
        index_missing = self._wants_search() and not (output / BUNDLE_DIR).is_dir()
        if in_place:
            self._update_in_place(job, plan, outcome, timer)
        elif index_missing or not plan.unchanged(state.outputs):
            self._stage(job, plan, outcome, timer)
        else:
            timer.step("render", timer.step("write", time.perf_counter()))
        for path in plan.remove:
            state.outputs.pop(path, None)
            self.out_index.drop(path)
            self._trace_keys.pop(path, None)
        for path, record in outcome.records.items():
            state.outputs[path] = record
            self._trace_keys.pop(path, None)
            self.out_index.set(path, record.subjects)
        return outcome

    def _stage(self, job: RenderJob, plan: Plan, outcome: Outcome, timer: Timer) -> None:
        """Render into a staging folder (in parallel), take the rest from the current
        output, swap it in."""
        assert self.templates is not None
        started = time.perf_counter()
        staging = StagingFolder(self.options.output)
        job.staging = staging
        try:
            jobs = usable_jobs(self.options.jobs, len(plan.render))
            if jobs > 1:
                self.templates.compile_all()
            job.pack = jobs > 1
            results = fork_map(job.run, plan.render, jobs)
            problems = [d for result in results for d in result.problems]
            if problems:
                raise BuildFailed(problems)
            for result in results:
                assert result.record is not None
                outcome.add(result.path, result.record, result.written, rendered=True)
            # Rendered pages are already staged (each worker writes its own).
            t = timer.step("render", started)
            for asset in plan.copy:
                record, written = job.stage(asset.output_name, asset.data, None, ())
                outcome.add(asset.output_name, record, written, rendered=False)
            for path in plan.keep:
                staging.reuse(path)
            write_share_cards(job.site, staging.path, self.options.output)
            t = timer.step("write", t)
            if self._wants_search():
                # Pagefind reads the staged pages, so the index is swapped in with them.
                fail_on(build_search_index(staging.path, self.options.log), self.options.strict)
                t = timer.step("search", t)
            staging.commit()
            self.search_stale = False
        except BaseException:
            staging.discard()
            raise

    def _wants_search(self) -> bool:
        return self.config is not None and self.config.search

    def _update_in_place(self, job: RenderJob, plan: Plan, outcome: Outcome, timer: Timer) -> None:
        """Render everything first (a failure writes nothing), then replace each changed
        file of the live folder atomically and delete the files no longer made."""
        output = self.options.output
        started = time.perf_counter()
        results = [job.run(path) for path in plan.render]
        problems = [d for result in results for d in result.problems]
        if problems:
            raise BuildFailed(problems)
        t = timer.step("render", started)
        old = job.old
        for result in results:
            assert result.record is not None
            record = result.record
            written = result.data is not None
            if written:
                record = replace(record, stamp=write_in_place(output, result.path, result.data))
                self.search_stale |= self._wants_search() and result.path.endswith(".html")
            outcome.add(result.path, record, written, rendered=True)
        for asset in plan.copy:
            digest = sha256(asset.data)
            record = old.get(asset.output_name)
            if record is None or record.digest != digest:
                stamp = write_in_place(output, asset.output_name, asset.data)
                record = OutputRecord(digest, stamp, "", None)
                outcome.add(asset.output_name, record, True, False)
        for path in plan.remove:
            remove_in_place(output, path)
        write_share_cards(job.site, output, output, in_place=True)
        timer.step("write", t)


# -- share cards ------------------------------------------------------------------------


def write_share_cards(site: Site, folder: Path, previous: Path, *, in_place: bool = False) -> None:
    """Draw into `folder` the share card of every page whose HTML there names it.

    A card's file name is a digest of what it shows (render/share_card.py), so a card
    already in `previous` (the output folder) is reused as it is, and only new or changed
    text is drawn. Templates decide whether a site has cards: a page whose template does
    not name its card gets none."""
    for page in site.pages:
        html_file = folder / page.output_path
        if page.is_404 or not html_file.is_file():
            continue
        name = card_name(share_card_text(site.config, page.title, page.summary))
        if name not in html_file.read_text(encoding="utf-8"):
            continue
        target = folder / name
        if target.is_file():
            continue
        old = previous / name
        data = (
            old.read_bytes()
            if old.is_file()
            else render_card(share_card_text(site.config, page.title, page.summary))
        )
        if in_place:
            write_in_place(folder, name, data)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)


# -- between the phases ---------------------------------------------------------------


def keep_for_the_build() -> None:
    """Exempt every object made so far from the cycle collector until the build ends.

    A build makes many long-lived objects (pages, Markdown, the cache's state) and some
    short-lived cyclic garbage (Jinja's render contexts). Left alone, the collector would
    walk the long-lived ones again and again (a quarter of a warm build); turned off, the
    garbage would pile up. Frozen after each phase, it only looks at what is new."""
    gc.freeze()
    gc.enable()


def fail_on(diagnostics: list[Diagnostic], strict: bool) -> None:
    if any(d.is_error or strict for d in diagnostics):
        raise BuildFailed(diagnostics)


def build(options: BuildOptions) -> BuildResult:
    """Build the site in `options.project` into `options.output`."""
    return Builder(options).build()
