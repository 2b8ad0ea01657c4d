"""Phases 3 and 4 of the build (build.py): which outputs to make, then making them.

- `Plan`: the outputs to render, to keep as they are, to copy (static assets) and to
  remove;
- `RenderJob`: renders one output, a page through its template (templates.py) or a
  generated file (feeds.py: sitemap, feed, robots.txt), recording what it read
  (incremental/recording.py); in a full build it puts the file in the staging folder (output.py), in
  a rebuild it returns the bytes, written once every output rendered;
- `Outcome`: what was rendered and written, and each output's record for the cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from site_builder.content.assets import Asset
from site_builder.errors import Diagnostic, SiteError
from site_builder.incremental.codec import pack_trace
from site_builder.incremental.facts import Subject, Trace, World, sha256, subjects
from site_builder.incremental.recording import PagesView, Recorder
from site_builder.incremental.records import OutputRecord
from site_builder.model import Page, Site
from site_builder.pipeline.output import FileStamp, StagingFolder
from site_builder.render import feeds
from site_builder.render.templates import Templates

ENV_READ = ("SOURCE_DATE_EPOCH",)  # the environment variables outputs depend on (feeds.py)


@dataclass
class Plan:
    """What this build does with each output, worked out before anything is rendered."""

    on_disk: dict[str, FileStamp] | None  # the output folder as found (full builds)
    owners: dict[str, str] = field(default_factory=dict)  # output path -> page rel or ""
    render: list[str] = field(default_factory=list)  # output paths to render
    keep: list[str] = field(default_factory=list)  # output paths still up to date
    copy: list[Asset] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # output paths no longer made

    def unchanged(self, records: dict[str, OutputRecord]) -> bool:
        """True if the output folder already is exactly what this build would write."""
        if self.render or self.remove or self.on_disk is None:
            return False
        if self.on_disk.keys() != self.owners.keys():
            return False
        for path in self.owners:
            record = records.get(path)
            if record is None or self.on_disk[path] != record.stamp:
                return False
        return all(records[a.output_name].digest == sha256(a.data) for a in self.copy)


@dataclass
class Outcome:
    """What was made: the record of each output rendered or copied, and which were
    rendered and which written (their bytes had changed)."""

    records: dict[str, OutputRecord] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)

    def add(self, path: str, record: OutputRecord, written: bool, rendered: bool) -> None:
        self.records[path] = record
        if written:
            self.written.append(path)
        if rendered:
            self.rendered.append(path)


@dataclass
class Rendered:
    """One output rendered by a RenderJob: its record, or the problems that stopped it."""

    path: str
    record: OutputRecord | None
    data: bytes | None = None  # in place: the bytes to write, once every render succeeded
    written: bool = False
    problems: list[Diagnostic] = field(default_factory=list)


@dataclass
class RenderJob:
    """Renders one output (in this process or a forked worker)."""

    site: Site
    world: World
    templates: Templates
    owners: dict[str, str]
    old: dict[str, OutputRecord]
    on_disk: dict[str, FileStamp] | None
    staging: StagingFolder | None = None
    pack: bool = False  # send traces packed (from worker processes)

    def run(self, path: str) -> Rendered:
        recorder = Recorder(self.world)
        owner = self.owners[path]
        try:
            if owner:
                text = self.render_page(self.world.pages[owner], recorder)
            else:
                text = self.render_generated(path, recorder)
        except SiteError as exc:
            return Rendered(path, None, problems=[exc.diagnostic])
        data = text.encode("utf-8")
        found = subjects(recorder.facts)
        trace: Trace | bytes = pack_trace(recorder.facts) if self.pack else recorder.facts
        if self.staging is not None:
            record, written = self.stage(path, data, trace, found)
            return Rendered(path, record, written=written)
        digest = sha256(data)
        old = self.old.get(path)
        if old is not None and old.digest == digest:
            return Rendered(path, OutputRecord(digest, old.stamp, owner, trace, found))
        record = OutputRecord(digest, FileStamp(0, 0, 0), owner, trace, found)
        return Rendered(path, record, data=data, written=True)

    def stage(
        self, path: str, data: bytes, trace: Trace | bytes | None, found: tuple[Subject, ...]
    ) -> tuple[OutputRecord, bool]:
        """Put one file in the staging folder: the current one (a hard link) if its bytes
        are the same, else these. Returns its record and whether bytes were written."""
        assert self.staging is not None
        digest = sha256(data)
        owner = self.owners.get(path, "")
        old = self.old.get(path)
        on_disk = self.on_disk or {}
        if old is not None and old.digest == digest and on_disk.get(path) == old.stamp:
            self.staging.reuse(path)
            return OutputRecord(digest, old.stamp, owner, trace, found), False
        stamp = FileStamp.of(self.staging.write(path, data))
        return OutputRecord(digest, stamp, owner, trace, found), True

    def render_page(self, page: Page, recorder: Recorder) -> str:
        return self.templates.render_page(self.site, page, recorder)

    def render_generated(self, path: str, recorder: Recorder) -> str:
        if path == ".nojekyll":
            return ""
        site = FeedSite(self.site, recorder)
        if path == "robots.txt":
            return feeds.robots(site)  # type: ignore[arg-type]
        for name in ENV_READ:
            recorder.read(("env", name, ""))
        if path == feeds.SITEMAP_FILE:
            return feeds.sitemap(site)  # type: ignore[arg-type]
        return feeds.atom_feed(site)  # type: ignore[arg-type]


class FeedSite:
    """What feeds.py reads of the site, with the pages recorded like a template's."""

    def __init__(self, site: Site, recorder: Recorder) -> None:
        self.config = site.config
        self.as_of = site.as_of
        self.pages = PagesView(recorder.world.all_pages, recorder, ("list", "all", ""))
