"""The build, as a table of contents: read, assemble, Markdown, plan, write.

    Scope → read (read.py) → assemble (assemble.py) → Markdown (markdown_phase.py)
          → plan (plan.py) → write (write_phase.py, output.py) → cache (incremental/)

Nothing is written until every page has been read, checked and rendered: each
phase collects every problem of the build and raises BuildFailed with all of them,
leaving the previous output untouched.

A `Builder` remembers what it built (incremental/state.py), and the cache
(incremental/store.py) remembers it from one run to the next, so most builds are
incremental:
- each input file is read once per build and fingerprinted; a page whose text is
  unchanged keeps its parsed front matter, and its rendered Markdown unless a
  link target's URL or a cited source changed (recorded while rendering);
- each output keeps the trace of the facts it read (incremental/facts.py); after a
  change it is rendered again only if one of those facts now has another value;
- a full build (`build()`) stages the new site, taking unchanged files from the
  current output as hard links, and swaps it in; the preview server's
  `rebuild(changed)` re-reads only the changed files and replaces the affected
  files of the live folder one by one, each atomically;
- a full build with many pages to render spreads them over all cores
  (parallel.py); the output is the same as a serial build's, byte for byte.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from site_builder.errors import BuildFailed, Diagnostic, fail_on
from site_builder.incremental.changes import Summary
from site_builder.incremental.state import BuildState
from site_builder.incremental.store import cache_file, options_key
from site_builder.model import BuildResult
from site_builder.pipeline.assemble import Assembler, Assembly
from site_builder.pipeline.focus import Focus
from site_builder.pipeline.markdown_phase import MarkdownStep, markdown_phase
from site_builder.pipeline.output import folder_identity, output_lock
from site_builder.pipeline.plan import Plan, output_on_disk, plan_outputs
from site_builder.pipeline.read import Inputs, Scope
from site_builder.pipeline.timer import Timer, keep_for_the_build
from site_builder.pipeline.write_phase import (
    Outcome,
    Priority,
    RenderJob,
    Writer,
    refresh_search_index,
)

__all__ = ["BuildOptions", "Builder", "Scope", "build"]


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
    # The preview: full builds leave the search index to refresh_search_index (stale meanwhile).
    search_later: bool = False


class Builder:
    """A build that can be repeated: a full build first, then updates.

    The dev server keeps one Builder and calls `rebuild(changed_paths)` after a
    save; the CLI calls `build()` once."""

    def __init__(self, options: BuildOptions) -> None:
        self.options = options
        self._reset()

    def _reset(self) -> None:
        options = self.options
        self.state: BuildState | None = None  # loaded from the cache by the first build
        self.inputs = Inputs(options.project, options.drafts, options.base_url, options.jobs)
        self.assembler = Assembler(options.drafts)
        self._output_identity: tuple[int, int] | None = None  # of the folder we last wrote
        # Pages rewritten in place since the search index was made, or a full build that
        # left the index for later (options.search_later).
        self.search_stale = False

    # -- what callers use --

    def build(self) -> BuildResult:
        """Read every input and bring the output up to date (staged, then swapped in)."""
        return self._guarded(Scope(everything=True), in_place=False)

    def rebuild(self, changed: Iterable[Path], priority: Priority | None = None) -> BuildResult:
        """Bring the output up to date after `changed` files were saved.

        Only those files are read again (all of them after a site.yaml change), and
        the live output folder is updated one file at a time, each atomically; the
        outputs `priority` names first, when many others are to be rendered."""
        if (
            self.state is None
            or self.state.summary is None
            or folder_identity(self.options.output) != self._output_identity
        ):
            # Never built, or the output folder is gone or was replaced by another
            # build (`make build` while the preview runs): what it holds is unknown.
            return self.build()
        return self._guarded(Scope.of(self.options.project, changed), True, priority)

    def refresh_search_index(self, stop: Callable[[], bool] | None = None) -> list[Diagnostic]:
        """Index the live output again after in-place rebuilds changed its pages.

        Rebuilds leave this out (Pagefind takes longer than most rebuilds): the preview
        server calls it once the saves stop, with a `stop()` that says when a new save
        came, which ends Pagefind and leaves the index stale for the next refresh. The
        new index is written beside the live one and swapped in whole, so the search
        page never loads half of each."""
        if not self.search_stale:
            return []
        with output_lock(self.options.output, self.options.notify):
            if folder_identity(self.options.output) != self._output_identity:
                return []  # another build replaced the output, index and all
            problems = refresh_search_index(self.options.output, self.options.log, stop)
            if problems is None:
                return []  # stopped: still stale
            self.search_stale = any(problem.is_error for problem in problems)
            return problems

    def save_cache(self) -> str:
        """Write the cache now ("" or why not). Full builds do it themselves; rebuilds
        do not (it would cost more than the rebuild), so a server may call it on exit."""
        if self.state is None or not self.options.cache:
            return "caching is off"
        return self.state.save(*self._cache())

    # -- one build --

    def _guarded(
        self, scope: Scope, in_place: bool, priority: Priority | None = None
    ) -> BuildResult:
        collecting = gc.isenabled()
        try:
            with output_lock(self.options.output, self.options.notify):
                result = self._run(scope, in_place, priority)
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

    def _run(self, scope: Scope, in_place: bool, priority: Priority | None) -> BuildResult:
        started = time.perf_counter()
        timer = Timer(self.options.log)
        state = self._state()
        keep_for_the_build()
        state.dirty = False  # whether the state differs from the cache's
        if self.inputs.config is None:
            scope = Scope(everything=True)
        reading = self.inputs.read(scope, state)
        keep_for_the_build()
        t = timer.step("read", started)
        focus = Focus.of(scope, reading, self.assembler, state.summary, self.inputs.config_fp)
        assembly = self.assembler.assemble(self.inputs, state, focus.changed, focus.only_changed)
        if any(problem.is_error for problem in assembly.problems):  # Markdown cannot run
            fail_on(assembly.problems + assembly.reported_later, strict=False)
        focus.reordered = assembly.reordered
        t = timer.step("load", t)
        markdown = markdown_phase(self.inputs, state, scope, reading, assembly, focus, self.options)
        t = timer.step("markdown", t)
        plan = self._plan(assembly, markdown, focus, state, in_place)
        t = timer.step("plan", t)
        outcome = self._write(assembly, plan, state, in_place, timer, priority)
        self._remember(state, markdown.summary, outcome, plan, in_place, timer)
        return BuildResult(
            output=self.options.output,
            pages=len(assembly.site.pages),
            rendered=sorted(outcome.rendered),
            diagnostics=markdown.warnings + outcome.warnings,
            seconds=time.perf_counter() - started,
            timings=timer.timings,
            written=sorted(outcome.written),
            removed=list(plan.remove),
            reused=len(state.outputs) - len(outcome.records),
        )

    def _plan(
        self,
        assembly: Assembly,
        markdown: MarkdownStep,
        focus: Focus,
        state: BuildState,
        in_place: bool,
    ) -> Plan:
        on_disk = None if in_place else output_on_disk(self.options.output, state)
        looked_at = focus.changed | markdown.applied if focus.only_changed else None
        return plan_outputs(
            state, assembly.world, self.inputs.assets, markdown.changes, looked_at, on_disk
        )

    def _remember(
        self,
        state: BuildState,
        summary: Summary,
        outcome: Outcome,
        plan: Plan,
        in_place: bool,
        timer: Timer,
    ) -> None:
        """Keep what this build learned; a full build writes it to the cache."""
        started = time.perf_counter()
        state.dirty |= bool(outcome.records or plan.remove) or summary != state.summary
        state.summary = summary
        if not in_place and self.options.cache and state.dirty:
            why = self.save_cache()
            if why:
                self.options.log(f"  cache not saved: {why}")
            timer.step("cache", started)

    def _state(self) -> BuildState:
        """What the last build knows: this process's, or the cache's the first time."""
        if self.state is None:
            self.state = BuildState()
            if self.options.cache:
                self.state, why = BuildState.load(*self._cache())
                if why:
                    self.options.log(f"  cache: {why}; building everything")
        return self.state

    def _write(
        self,
        assembly: Assembly,
        plan: Plan,
        state: BuildState,
        in_place: bool,
        timer: Timer,
        priority: Priority | None,
    ) -> Outcome:
        inputs = self.inputs
        assert inputs.templates is not None and inputs.config is not None
        job = RenderJob(
            assembly.site, assembly.world, inputs.templates, plan.owners, state.outputs,
            plan.on_disk,
        )  # fmt: skip
        options = self.options
        writer = Writer(
            options.output, options.project, options.jobs, options.strict,
            inputs.config.search, options.log, options.search_later,
        )  # fmt: skip
        outcome = writer.write(job, plan, state, in_place, timer, priority)
        self.search_stale = (self.search_stale and not outcome.staged) or outcome.search_stale
        return outcome

    def _cache(self) -> tuple[Path, dict[str, Any]]:
        """The cache file of this output folder and these options, and its key."""
        options = self.options
        key = options_key(options.output, options.drafts, options.base_url)
        return cache_file(options.project, key), key


def build(options: BuildOptions) -> BuildResult:
    """Build the site in `options.project` into `options.output`."""
    return Builder(options).build()
