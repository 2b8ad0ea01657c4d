"""Phase 5 of the build (build.py): making the outputs the plan (plan.py) names.

- `Writer`: a full build renders into a staging folder (in parallel), takes the
  files it keeps from the current output as hard links and swaps the folder in
  (output.py); a rebuild renders everything first, then replaces each changed file
  of the live folder atomically (the outputs a `Priority` names, open in the
  preview's tabs, go ahead of the rest when there are many);
- `RenderJob`: renders one output, a page through its template (templates.py) or a
  generated file (feeds.py: sitemap, feed, robots.txt), recording what it read
  (incremental/recording.py); in a full build it puts the file in the staging folder (output.py), in
  a rebuild it returns the bytes, written once every output rendered;
- `Outcome`: what was rendered and written, and each output's record for the cache.

The share cards the pages name are put in place by cards.py.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from site_builder.errors import BuildFailed, Diagnostic, SiteError, fail_on
from site_builder.incremental.codec import pack_trace
from site_builder.incremental.facts import Subject, Trace, World, sha256, subjects
from site_builder.incremental.recording import PagesView, Recorder
from site_builder.incremental.records import OutputRecord
from site_builder.incremental.state import BuildState
from site_builder.model import Page, Site
from site_builder.pipeline.cards import (
    card_font_warnings,
    cards_named_in,
    named_card,
    write_share_cards,
)
from site_builder.pipeline.output import (
    FileStamp,
    StagingFolder,
    check_output_folder,
    recover,
    remove_in_place,
    replace_folder,
    write_in_place,
)
from site_builder.pipeline.parallel import fork_map, usable_jobs
from site_builder.pipeline.plan import Plan
from site_builder.pipeline.timer import Timer
from site_builder.render import feeds
from site_builder.render.search import BUNDLE_DIR, IndexingStopped, build_search_index
from site_builder.render.share_card import CardText, card_name, render_card
from site_builder.render.templates import Templates

ENV_READ = ("SOURCE_DATE_EPOCH",)  # the environment variables outputs depend on (feeds.py)
# A rebuild puts its priority outputs in place ahead of the rest when at least this many
# others are to be rendered (a template edit); with fewer, the rest takes no longer than
# a second update would.
AHEAD_OF_AT_LEAST = 40


@dataclass(frozen=True)
class Priority:
    """Outputs a rebuild renders and writes first, and what to call once they are in
    place: the pages open in the preview's tabs, so that a writer sees a template edit
    without waiting for every other page of the site (Hugo's "fast render")."""

    outputs: frozenset[str]
    written: Callable[[list[str]], None]  # the priority outputs whose bytes changed


@dataclass
class Outcome:
    """What was made: the record of each output rendered or copied, and which were
    rendered and which written (their bytes had changed)."""

    records: dict[str, OutputRecord] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    staged: bool = False  # a new output folder (search index included) was swapped in
    search_stale: bool = False  # pages rewritten in place, the search index not
    warnings: list[Diagnostic] = field(default_factory=list)  # e.g. a card lacking its font

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
    card: CardText | None = None  # the share card the page's HTML names, if any


@dataclass(frozen=True)
class Replaced:
    """A live output as it was before a rebuild put a priority output in its place."""

    data: bytes | None  # None: there was no file
    record: OutputRecord | None


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
    cards_put: set[str] = field(default_factory=set)  # this process's, staging only

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
        section = self.world.sections.get(path)
        shown = self.world.pages[owner] if owner else section
        card = named_card(self.site, shown, text) if shown is not None else None
        found = subjects(recorder.facts)
        trace: Trace | bytes = pack_trace(recorder.facts) if self.pack else recorder.facts
        if self.staging is not None:
            record, written = self.stage(path, data, trace, found)
            if card is not None:
                self.put_card(card)
            return Rendered(path, record, written=written, card=card)
        digest = sha256(data)
        old = self.old.get(path)
        if old is not None and old.digest == digest:
            return Rendered(path, OutputRecord(digest, old.stamp, owner, trace, found), card=card)
        record = OutputRecord(digest, FileStamp(0, 0, 0), owner, trace, found)
        return Rendered(path, record, data=data, written=True, card=card)

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

    def put_card(self, card: CardText) -> None:
        """Put the share card a staged page names into the staging folder: the current
        output's when it is there (its name is a digest of what it shows), else drawn
        here, so the cards are drawn in the workers that render their pages. Two
        processes may both put one card (two pages showing the same text): the file is
        replaced whole, with the same bytes."""
        assert self.staging is not None
        name = card_name(card)
        if name in self.cards_put:
            return
        self.cards_put.add(name)
        if os.path.isfile(os.path.join(self.staging.output, name)):
            self.staging.reuse_whole(name)
        else:
            self.staging.write_whole(name, render_card(card))

    def render_page(self, page: Page, recorder: Recorder) -> str:
        return self.templates.render_page(self.site, page, recorder)

    def render_generated(self, path: str, recorder: Recorder) -> str:
        if path == ".nojekyll":
            return ""
        section = self.world.sections.get(path)
        if section is not None:
            return self.render_page(section, recorder)
        site = FeedSite(self.site, recorder)
        if path == "robots.txt":
            return feeds.robots(site)  # type: ignore[arg-type]
        for name in ENV_READ:
            recorder.read(("env", name, ""))
        if path == feeds.SITEMAP_FILE:
            return feeds.sitemap(site)  # type: ignore[arg-type]
        language = feeds.feed_language(site, path)  # type: ignore[arg-type]
        return feeds.atom_feed(site, language)  # type: ignore[arg-type]


class FeedSite:
    """What feeds.py reads of the site, with the pages recorded like a template's."""

    def __init__(self, site: Site, recorder: Recorder) -> None:
        self.config = site.config
        self.as_of = site.as_of
        self.pages = PagesView(recorder.world.all_pages, recorder, ("list", "all", ""))
        self.sections = PagesView(site.sections, recorder, ("list", "sections", ""))


@dataclass
class Writer:
    """Makes the outputs of a plan, in a staging folder or in the live folder."""

    output: Path
    project: Path
    jobs: int
    strict: bool
    search: bool  # the site has a search index (Pagefind)
    log: Callable[[str], None]
    # The preview: a full build keeps the live index, stale, for refresh_search_index to
    # bring up to date once serving (Pagefind takes seconds on a large site).
    search_later: bool = False

    def write(
        self,
        job: RenderJob,
        plan: Plan,
        state: BuildState,
        in_place: bool,
        timer: Timer,
        priority: Priority | None = None,
    ) -> Outcome:
        """Make the outputs, and note each one's record in `state`."""
        check_output_folder(self.output, self.project)
        recover(self.output)
        outcome = Outcome()
        index_missing = self.search and not (self.output / BUNDLE_DIR).is_dir()
        if in_place:
            self._update_in_place(job, plan, state, outcome, timer, priority)
        elif (index_missing and not self.search_later) or not plan.unchanged(state.outputs):
            self._stage(job, plan, outcome, timer)
        else:
            timer.step("render", timer.step("write", time.perf_counter()))
        # The preview indexes after each full build, once serving: the index it has may be
        # missing, or stale from a session that ended before its refresh did.
        outcome.search_stale |= self.search and self.search_later and not in_place
        for path in plan.remove:
            state.drop_output(path)
        for path, record in outcome.records.items():
            state.note_output(path, record)
        return outcome

    def _stage(self, job: RenderJob, plan: Plan, outcome: Outcome, timer: Timer) -> None:
        """Render into a staging folder (in parallel), take the rest from the current
        output, swap it in."""
        started = time.perf_counter()
        staging = StagingFolder(self.output)
        job.staging = staging
        try:
            results = self._render(job, plan.render)
            problems = [d for result in results for d in result.problems]
            if problems:
                raise BuildFailed(problems)
            for result in results:
                assert result.record is not None
                outcome.add(result.path, result.record, result.written, rendered=True)
            cards = {result.path: result.card for result in results}
            t = timer.step("render", started)
            for asset in plan.copy:
                record, written = job.stage(asset.output_name, asset.data, None, ())
                outcome.add(asset.output_name, record, written, rendered=False)
            for path in plan.keep:
                staging.reuse(path)
            kept_cards = cards_named_in(job.site, staging.path, plan.keep)
            cards.update(kept_cards)
            outcome.warnings = card_font_warnings(cards, job.site)
            fail_on(outcome.warnings, self.strict)
            # The rendered pages' cards were put there by the jobs (RenderJob.put_card).
            write_share_cards(kept_cards, staging.path, self.output)
            t = timer.step("write", t)
            if self.search and not self.search_later:
                # Pagefind reads the staged pages, so the index is swapped in with them.
                fail_on(build_search_index(staging.path, self.log), self.strict)
                t = timer.step("search", t)
            elif self.search:
                self._keep_search_index(staging)  # until the preview indexes again
            staging.commit()
            outcome.staged = True
        except BaseException:
            staging.discard()
            raise

    def _keep_search_index(self, staging: StagingFolder) -> None:
        """Take the live search index into the staging folder as it is (hard links)."""
        bundle = self.output / BUNDLE_DIR
        if bundle.is_dir():
            for file in sorted(bundle.rglob("*")):
                if file.is_file():
                    staging.reuse(file.relative_to(self.output).as_posix())

    def _render(self, job: RenderJob, paths: list[str]) -> list[Rendered]:
        """Render `paths`, over all cores where this process may fork (a full build; a
        rebuild in the preview's build process, preview/build_process.py)."""
        jobs = usable_jobs(self.jobs, len(paths))
        if jobs > 1:
            job.templates.compile_all()
        # Traces come back packed for the cache a full build writes; a rebuild in place
        # keeps them as they are, or the next rebuild's plan would decode them all.
        job.pack = jobs > 1 and job.staging is not None
        self.log(f"  rendering {len(paths)} outputs in {jobs} process(es)")
        return render_all(job, paths, jobs)

    def _update_in_place(
        self,
        job: RenderJob,
        plan: Plan,
        state: BuildState,
        outcome: Outcome,
        timer: Timer,
        priority: Priority | None,
    ) -> None:
        """Render everything first (a failure writes nothing), then replace each changed
        file of the live folder atomically and delete the files no longer made.

        With a priority and many outputs to render, the priority outputs are rendered
        and put in place first, then the rest; if the rest fails, the priority outputs
        are put back as they were, so a failure still leaves the folder as it was."""
        started = time.perf_counter()
        # Compared with the records before any is noted again (job.old is state.outputs).
        assets = changed_assets(plan, job)
        first, rest = split_priority(plan.render, priority)
        results = self._render(job, first) if first else []
        put_back: dict[str, Replaced] = {}
        if first and not any(result.problems for result in results):
            assert priority is not None
            # The assets first (a stylesheet's new name is in the pages), then the pages.
            put_back = self._put_first(assets, state)
            put_back |= self._put_first(results, state)
            priority.written(list(put_back))
        try:
            results += self._render(job, rest)
            problems = [d for result in results for d in result.problems]
            if problems:
                raise BuildFailed(problems)
        except BaseException:
            self._put_back(put_back, state)
            raise
        t = timer.step("render", started)
        for result in results:
            self._put_in_place(result, put_back, state, outcome)
        for asset in assets:
            self._put_in_place(asset, put_back, state, outcome, rendered=False)
        for path in plan.remove:
            remove_in_place(self.output, path)
        # Pages not rendered again are unchanged, and so are the cards they name.
        cards = {result.path: result.card for result in results}
        outcome.warnings = card_font_warnings(cards, job.site)
        write_share_cards(cards, self.output, self.output, in_place=True)
        timer.step("write", t)

    def _put_in_place(
        self,
        result: Rendered,
        put_back: dict[str, Replaced],
        state: BuildState,
        outcome: Outcome,
        rendered: bool = True,
    ) -> None:
        """Write one output if its bytes changed (unless it went ahead of the rest); a
        static file is not `rendered`."""
        assert result.record is not None
        record = result.record
        written = result.data is not None
        if result.path in put_back:
            record = state.outputs[result.path]  # written ahead of the rest
        elif result.data is not None:
            record = replace(record, stamp=write_in_place(self.output, result.path, result.data))
        outcome.search_stale |= written and self.search and result.path.endswith(".html")
        outcome.add(result.path, record, written, rendered=rendered)

    def _put_first(self, results: list[Rendered], state: BuildState) -> dict[str, Replaced]:
        """Write the priority outputs whose bytes changed, noting each one's record (the
        state describes the folder as it is). Returns what each replaced, to put back if
        the rest fails. Their share cards come with the rest's."""
        replaced: dict[str, Replaced] = {}
        for result in results:
            if result.data is None:
                continue
            assert result.record is not None
            target = self.output / result.path
            data = target.read_bytes() if target.is_file() else None
            replaced[result.path] = Replaced(data, state.outputs.get(result.path))
            stamp = write_in_place(self.output, result.path, result.data)
            state.note_output(result.path, replace(result.record, stamp=stamp))
        return replaced

    def _put_back(self, replaced: dict[str, Replaced], state: BuildState) -> None:
        """Undo `_put_first`: each priority output as it was, with its old record."""
        for path, was in replaced.items():
            if was.data is None or was.record is None:
                remove_in_place(self.output, path)
                state.drop_output(path)
            else:
                stamp = write_in_place(self.output, path, was.data)
                state.note_output(path, replace(was.record, stamp=stamp))


def changed_assets(plan: Plan, job: RenderJob) -> list[Rendered]:
    """The plan's static files whose bytes differ from the live folder's, as outputs to
    put in place (their records not yet stamped)."""
    changed = []
    for asset in plan.copy:
        digest = sha256(asset.data)
        old = job.old.get(asset.output_name)
        if old is None or old.digest != digest:
            record = OutputRecord(digest, FileStamp(0, 0, 0), "", None)
            changed.append(Rendered(asset.output_name, record, data=asset.data, written=True))
    return changed


def split_priority(paths: list[str], priority: Priority | None) -> tuple[list[str], list[str]]:
    """The priority outputs among `paths`, and the others (none first when they are few)."""
    if priority is None:
        return [], paths
    first = [path for path in paths if path in priority.outputs]
    if len(paths) - len(first) < AHEAD_OF_AT_LEAST:
        return [], paths
    return first, [path for path in paths if path not in priority.outputs]


def render_all(job: RenderJob, paths: list[str], jobs: int) -> list[Rendered]:
    """job.run(path) for each path, in `jobs` processes, in the order of `paths`.

    The generated outputs go first, one by one (the feed, the sitemap and section pages
    list every page, and a section page has a share card to draw): taken in the last
    runs, or all in one, they would keep one process busy while the others wait."""
    order = sorted(range(len(paths)), key=lambda i: job.owners[paths[i]] != "")
    generated = sum(1 for path in paths if job.owners[path] == "")
    results = fork_map(job.run, [paths[i] for i in order], jobs, heavy=generated)
    in_order: list[Rendered] = [None] * len(paths)  # type: ignore[list-item]
    for i, result in zip(order, results, strict=True):
        in_order[i] = result
    return in_order


def refresh_search_index(
    output: Path, log: Callable[[str], None], stop: Callable[[], bool] | None = None
) -> list[Diagnostic] | None:
    """Index the live output again: the new index is written beside the live one and
    swapped in whole, so the search page never loads half of each. None if `stop()`
    ended it first (the live index is left as it was)."""
    fresh = output / f".{BUNDLE_DIR}.tmp-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        problems = build_search_index(output, log, bundle=fresh, stop=stop)
    except IndexingStopped:
        shutil.rmtree(fresh, ignore_errors=True)
        return None
    if any(problem.is_error for problem in problems):
        shutil.rmtree(fresh, ignore_errors=True)
        return problems
    replace_folder(output / BUNDLE_DIR, fresh)
    return problems
