"""Phase 1 of the build (build.py): read what changed, each file once.

`Inputs` is everything a build reads — the configuration, data files, source
records, templates, static assets and pages — kept from one build to the next, so
a rebuild after a save reads only what its `Scope` names. Content files are read
in worker processes (markdown_phase.ReadJob), their front matter parsed and their
Markdown rendered at once; a file whose size, times and inode are those of the
last read is not read again, and a page unchanged since the cached build is made
from the cache's record.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.config import Config, load_config
from site_builder.content.assets import IMAGE_SUFFIXES, Asset, collect_assets
from site_builder.content.files import discover, load_data, read_text, relpath, split_front_matter
from site_builder.content.markdown import make_parser
from site_builder.content.sources import SourceRecord, load_sources
from site_builder.errors import Diagnostic, SiteError
from site_builder.incremental.facts import digest_text, fingerprint
from site_builder.incremental.records import PageInput
from site_builder.incremental.state import BuildState
from site_builder.model import Page
from site_builder.pipeline.load_phase import file_stat, make_page
from site_builder.pipeline.markdown_phase import MarkdownContext, ReadAgain, ReadJob
from site_builder.pipeline.parallel import fork_map, usable_jobs
from site_builder.project import CONTENT_DIR, SOURCES_DIR, Kind, classify
from site_builder.render.templates import Templates, read_templates


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
            scope._add(classify(rel), rel, full)
        return scope

    def _add(self, kind: Kind, rel: str, full: Path) -> None:
        if kind is Kind.CONFIG:
            self.everything = True
        elif kind is Kind.RECORD or rel == f"{CONTENT_DIR}/{SOURCES_DIR}":
            self.sources = True
        elif kind in (Kind.PAGE, Kind.CONTENT_FILE):
            gone = not full.exists() and "." not in rel.rsplit("/", 1)[-1]
            if full.is_symlink() or full.is_dir() or gone:
                self.rescan_content = True  # a folder (or a link) came or went
            elif kind is Kind.PAGE:
                self.pages.add(rel.removeprefix(CONTENT_DIR + "/"))
            elif rel.lower().endswith(IMAGE_SUFFIXES):
                self.static = True  # an image beside the pages (assets.py)
        elif kind is Kind.DATA:
            self.data = True
        elif kind is Kind.TEMPLATE:
            self.templates = True
        elif kind is Kind.STATIC:
            self.static = True


@dataclass
class Reading:
    """What one build's reading found new."""

    fresh: set[str] = field(default_factory=set)  # rels of pages that are new Page objects
    changed: set[str] = field(default_factory=set)  # rels read again (another text) or gone


@dataclass
class Inputs:
    """Everything the build reads, as last read."""

    project: Path
    drafts: bool
    base_url: str | None
    jobs: int
    config: Config | None = None
    config_fp: str = ""
    md: Any = None  # the Markdown parser for config.raw_html
    data: dict[str, Any] = field(default_factory=dict)
    data_fps: dict[str, str] = field(default_factory=dict)
    sources: dict[str, SourceRecord] = field(default_factory=dict)
    source_fps: dict[str, str] = field(default_factory=dict)
    templates: Templates | None = None
    assets: dict[str, Asset] = field(default_factory=dict)
    # Problems found while reading, by kind, kept until that kind is read again.
    problems: dict[str, list[Diagnostic]] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)  # rel -> page (drafts included)
    listed: set[str] = field(default_factory=set)  # content rels of the page files there are
    predicted: set[str] = field(default_factory=set)  # rendered with predicted link URLs

    def read(self, scope: Scope, state: BuildState) -> Reading:
        """Read what `scope` says (everything before the configuration is known)."""
        if scope.everything:
            self.read_config()
        project = self.project
        if scope.everything or scope.data:
            self.data, self.problems["data"] = load_data(project)
            self.data_fps = {name: fingerprint(value) for name, value in self.data.items()}
        if scope.everything or scope.sources:
            self.read_sources()
        if scope.everything or scope.templates:
            sources, self.problems["templates"] = read_templates(project)
            self.templates = Templates(project, sources)
        if scope.everything or scope.static:
            self.assets, self.problems["static"] = collect_assets(project)
        return self.read_pages(scope, state)  # last: rendering Markdown needs the sources

    def read_config(self) -> None:
        config = load_config(self.project)
        if self.base_url:
            config = config.with_base_url(self.base_url)
        self.config = config
        self.config_fp = fingerprint((config, self.drafts))
        self.md = make_parser(config.raw_html)

    def read_sources(self) -> None:
        loaded = load_sources(self.project / CONTENT_DIR / SOURCES_DIR, self.project)
        self.problems["sources"] = loaded.problems
        self.sources = loaded.records
        # A record that failed to load is known, without a record (markdown_phase.py).
        self.source_fps = {sid: fingerprint(record) for sid, record in self.sources.items()}
        self.source_fps |= {sid: "broken" for sid in loaded.broken}

    def markdown_context(self) -> MarkdownContext:
        assert self.config is not None
        return MarkdownContext(
            self.md, self.config.raw_html, self.sources, self.source_fps,
            assets={name: asset.output_name for name, asset in self.assets.items()},
            base_path=self.config.base_path,
        )  # fmt: skip

    # -- pages --

    def read_pages(self, scope: Scope, state: BuildState) -> Reading:
        """Read the content files in scope (each once); parse those that changed."""
        reading = Reading()
        fresh = reading.fresh
        to_read: list[tuple[str, str, str]] = []  # (rel, path, digest known so far)
        paths = self._paths_to_read(scope, state, reading)
        for rel in sorted(paths):
            known = state.inputs.get(rel)
            if known is not None and known.unchanged(file_stat(paths[rel])):
                if known.front is not None and rel not in self.pages:  # from the cache
                    self._page_from_cache(rel, known, state)
                    fresh.add(rel)
                continue
            to_read.append((rel, str(paths[rel]), known.digest if known else ""))
        job = self._read_job(state, render=bool(to_read))
        # While the other processes read, this one compiles the templates, which the
        # render phase would otherwise compile between the phases, the others waiting.
        compile_templates = self.templates.compile_all if self.templates is not None else None
        jobs = usable_jobs(self.jobs, len(to_read))
        results = fork_map(job.run, to_read, jobs, meanwhile=compile_templates)
        for (rel, _, _), (found, out) in zip(to_read, results, strict=True):
            if isinstance(found, ReadAgain):
                state.note_read_again(rel, found.stat, found.read_at)
                known = state.inputs[rel]
                if known.front is not None and rel not in self.pages:
                    self._page_from_cache(rel, known, state)
                    fresh.add(rel)
                continue
            state.note_input(rel, found)
            reading.changed.add(rel)
            if out is not None:
                state.note_markdown(rel, out)
                self.predicted.add(rel)
            if found.front is None:
                self.pages.pop(rel, None)
            else:
                self.pages[rel] = make_page(rel, found)
                fresh.add(rel)
        return reading

    def _paths_to_read(self, scope: Scope, state: BuildState, reading: Reading) -> dict[str, Path]:
        """The content files to look at (listing content/ again if the scope says so);
        pages gone are forgotten."""
        content = self.project / CONTENT_DIR
        paths: dict[str, Path] = {}
        if scope.everything or scope.rescan_content:
            # content/sources/ is load_sources' to walk (and report).
            files, self.problems["content"] = discover(self.project, CONTENT_DIR, skip=SOURCES_DIR)
            prefix = len(str(content)) + 1  # discover() lists paths under `content`
            listed: dict[str, Path] = {}
            for path in files:
                rel = unicodedata.normalize("NFC", str(path)[prefix:]).replace(os.sep, "/")
                if classify(f"{CONTENT_DIR}/{rel}") is Kind.PAGE:
                    listed[rel] = path
            self.listed = set(listed)
            for rel in set(state.inputs) - set(listed):
                self._forget(rel, state, reading)
            for rel, path in listed.items():
                if scope.everything or rel in scope.pages or rel not in state.inputs:
                    paths[rel] = path
            return paths
        for rel in scope.pages:
            path = content / rel
            if path.is_file():
                paths[rel] = path
                self.listed.add(rel)
            else:
                self.listed.discard(rel)
                self._forget(rel, state, reading)
        return paths

    def _forget(self, rel: str, state: BuildState, reading: Reading) -> None:
        state.forget_page(rel)
        self.pages.pop(rel, None)
        reading.changed.add(rel)

    def _read_job(self, state: BuildState, render: bool) -> ReadJob:
        assert self.config is not None
        context = self.markdown_context() if render else None
        summary = state.summary
        same_config = summary is not None and summary.config == self.config_fp
        known = {rel: place[0] for rel, place in summary.places.items()} if same_config else {}
        existing = frozenset(state.inputs) | frozenset(self.listed)
        return ReadJob(context, known, existing, self.config.base_path)

    def _page_from_cache(self, rel: str, known: PageInput, state: BuildState) -> None:
        """A page unchanged since the cached build: it keeps its place if the
        configuration is the same (a URL depends only on the path, slug and base URL)."""
        page = self.pages[rel] = make_page(rel, known)
        summary = state.summary
        if summary is not None and summary.config == self.config_fp and rel in summary.places:
            page.url, page.permalink, page.output_path = summary.places[rel][:3]

    def body(self, page: Page, state: BuildState) -> str:
        """A page's Markdown, for the rare later build that needs it again (a link
        target's URL changed) or a template that shows it: its Markdown is rendered as
        soon as it is read, and then the text let go of."""
        known = state.inputs[page.rel]
        text = read_text(self.project / CONTENT_DIR / page.rel, page.source_path)
        if digest_text(text) != known.digest:
            raise SiteError(page.source_path, None, None, "changed during the build; save again")
        return split_front_matter(text, page.source_path)[1]
