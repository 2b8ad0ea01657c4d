"""The preview's build session: the builds after each burst of saves, and the state
the request handlers read (the last outcome, published whole).

Builds are asked for on the rebuild thread (the first one on the main thread, before
serving) and run where `builds` runs them: in the build process (build_process.py) or
in this one (builds.py).
A build and the publishing of its outcome happen inside `Gate.building()`; requests
read the output folder and the published state inside `Gate.try_read()`, which never
overlaps a build. So no request ever gets the fixed page under the old error, or a
new error over a page from before it: the error is cleared in the same step that
puts the fixed site in place.

One exception, for the writer's sake: a rebuild with many pages to render (a template
edit) puts the pages open in tabs in place first (Hugo's "fast render"). The session
publishes them at once, as a build of their own, and the gate lets requests for
those pages through while the rest renders; every other request still waits for the
whole build. It does so only while the preview shows no error, so no page can come
out from under an error before the build that fixes it ends."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from site_builder.errors import Diagnostic, sorted_diagnostics
from site_builder.preview import memory
from site_builder.preview.build_process import Builds
from site_builder.preview.builds import (
    Outcome,
    Settings,
    SiteBuilds,
    internal_problem,
    project_relative,
)
from site_builder.preview.overlay import error_overlay, summary_lines
from site_builder.preview.watch import Rebuilder

__all__ = ["Gate", "Outcome", "Published", "Session", "Settings", "Update"]

# A file that fails to parse right after it changed may be half-written (autosave,
# format-on-save): it is read again once no save has come for this long, and only
# then is the failure shown.
SETTLE_S = 0.15
# The longest a failure waits for its files to settle while they keep changing.
MAX_SETTLE_S = 2.0
# How long a build is held back for requests that are waiting for the one before.
READERS_FIRST_S = 0.1


@dataclass(frozen=True)
class Failure:
    diagnostics: list[Diagnostic]
    overlay: str  # HTML, made when the build failed (it quotes the source as it was then)


@dataclass(frozen=True)
class Published:
    """What requests see: the outcome of the last build, and which build that was."""

    generation: int = 0
    failure: Failure | None = None
    base_path: str = "/"
    had_good_build: bool = False


@dataclass(frozen=True)
class Update:
    """What one build changed, as the open tabs need to know it."""

    generation: int
    pages: tuple[str, ...] = ()  # URL paths of the HTML files written or removed
    styles: bool = False  # a stylesheet was written
    everyone: bool = False  # every tab: an error appeared, changed or went away
    edited: str | None = None  # the URL of the page the writer is editing

    def message(self) -> dict[str, object]:
        return {
            "generation": self.generation,
            "pages": list(self.pages),
            "styles": self.styles,
            "everyone": self.everyone,
            "edited": self.edited,
        }


class Gate:
    """Builds and request reads take turns; readers that waited for a build go first.
    During a build, reads of the paths `let_through` names go ahead."""

    def __init__(self, readers_first_s: float = READERS_FIRST_S) -> None:
        self._turn = threading.Condition()
        self._building = False
        self._waiting = 0
        self._readers_first_s = readers_first_s  # the longest a build holds back for them
        self._passes: Callable[[str], bool] | None = None  # this build's let_through

    @contextmanager
    def building(self) -> Iterator[None]:
        with self._turn:
            self._turn.wait_for(lambda: self._waiting == 0, timeout=self._readers_first_s)
            self._building = True
        try:
            yield
        finally:
            with self._turn:
                self._building = False
                self._passes = None
                self._turn.notify_all()

    def let_through(self, passes: Callable[[str], bool]) -> None:
        """Until the running build ends, reads of the request paths `passes` accepts need
        not wait for it (pages it has finished and published)."""
        with self._turn:
            self._passes = passes

    def try_read(
        self, read: Callable[[], object], waited: bool, path: str = ""
    ) -> tuple[bool, object]:
        """Run `read` (of request path `path`) now unless a build is running that has not
        let it through: (True, its result) or (False, None). A reader that was turned
        away counts as waiting until it gets its turn."""
        with self._turn:
            if self._building and not (self._passes is not None and self._passes(path)):
                if not waited:
                    self._waiting += 1
                return False, None
            if waited:
                self._waiting -= 1
                self._turn.notify_all()
            return True, read()

    def give_up(self) -> None:
        with self._turn:
            self._waiting -= 1
            self._turn.notify_all()


class Session:
    """The builds and what they last published; `announce(update)` tells the tabs.

    `builds` runs the builds: in the build process `serve` forked before its threads
    (build_process.py), or by default in this process (builds.py)."""

    def __init__(
        self,
        settings: Settings,
        announce: Callable[[Update], None],
        builds: Builds | None = None,
        shown: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        self.settings = settings
        self.project = settings.project
        self.announce = announce
        self.builds = builds if builds is not None else SiteBuilds(settings)
        self.builds.first_written = self._publish_first
        self.shown = shown  # the URL paths of the pages open in tabs
        self.gate = Gate()
        self.published = Published()
        self._untidy = 0  # builds since memory.tidy()
        self._ahead: frozenset[str] = frozenset()  # pages this build published first
        self._first_seen = 0.0  # when the saves this build reads were first seen
        # The first build leaves the search index out (Pagefind takes seconds on a large
        # site): the rebuild thread makes it as it starts, giving way to any save.
        self.rebuilder = Rebuilder(self.rebuild, first=self._refresh_search)

    # -- builds --

    def submit(self, changed: set[Path]) -> None:
        """Saves the watcher saw: built next, and a search index refresh running gives way."""
        self.builds.saves_waiting.set()
        self.rebuilder.submit(changed)

    def initial_build(self) -> None:
        with self.gate.building():
            self._publish(self._guarded_build(set()))

    def rebuild(self, changed: set[Path], first_seen: float) -> None:
        """One burst of saves (on the rebuild thread)."""
        self.builds.saves_waiting.clear()  # this build takes them
        if self.settings.verbose:
            print(
                f"rebuilding{_describe(frozenset(changed), self.project)}",
                file=sys.stderr,
                flush=True,
            )
        self._first_seen = first_seen
        with self.gate.building():
            outcome = self._guarded_build(changed)
            held = self._maybe_half_written(outcome, changed)
            if not held:
                update = self._publish(outcome)
        if held:
            if not self._settled(outcome):
                return  # more saves came: the next build reads them all again
            with self.gate.building():
                update = self._publish(self._guarded_build(set()))
        self.announce(update)
        self._log_latency(update, first_seen, outcome.seconds)
        if not self.rebuilder.has_pending():
            self._refresh_search()
        self._tidy()

    def stop(self) -> None:
        """Stop building: a running build finishes (it never leaves a staging folder
        behind), a running search index refresh is ended, pending saves are dropped."""
        self.builds.saves_waiting.set()
        self.rebuilder.stop()

    def close(self) -> None:
        """Once the rebuild thread has stopped: keep what this session learned for the
        next `serve` or `build` (rebuilds leave the cache alone, writing it costs more
        than they do), and end the build process if there is one."""
        try:
            self.builds.save_cache()
        finally:
            self.builds.close()

    def _tidy(self) -> None:
        """Free each build's garbage once the saves pause (memory.py says why), here and
        where the builds run."""
        self._untidy += 1
        if self._untidy >= memory.TIDY_EVERY or self.rebuilder.wait_for_quiet(
            memory.TIDY_AFTER_QUIET_S
        ):
            self.builds.tidy()
            self._untidy = 0

    def _guarded_build(self, changed: set[Path]) -> Outcome:
        started = time.perf_counter()
        # Pages go ahead of the rest only while no error is shown (the module says why).
        shown = self.shown() if self.published.failure is None else frozenset()
        self._ahead = frozenset()
        try:
            return self.builds.build(changed, shown)
        except Exception as exc:  # noqa: BLE001 - the preview must outlive any bug
            failure = [internal_problem(exc, self.project, self.settings.debug)]
            seconds = time.perf_counter() - started
            base_path = self.published.base_path
            return Outcome(None, failure, base_path, seconds, frozenset(changed))

    def _publish_first(self, output_paths: list[str], edited: str | None) -> None:
        """The build running put these pages (shown in tabs, or being edited: `edited` is
        its URL then) and the static files they name in place ahead of the rest: publish
        them as a build of their own, let requests for them through, and tell the tabs."""
        urls = frozenset(self._url_of(path) for path in output_paths)
        pages = tuple(sorted(self._url_of(path) for path in output_paths if path.endswith(".html")))
        if not pages:
            return
        before = self.published
        self.published = Published(
            generation=before.generation + 1,
            failure=None,
            base_path=before.base_path,
            had_good_build=True,
        )
        self._ahead = urls
        self.gate.let_through(lambda path: _page_url(path) in urls)
        styles = any(path.endswith(".css") for path in output_paths)
        update = Update(self.published.generation, pages=pages, styles=styles, edited=edited)
        self.announce(update)
        if self.settings.verbose:
            waited = 1000 * (time.perf_counter() - self._first_seen)
            print(
                f"update {update.generation} sent after {waited:.0f} ms "
                f"({len(pages)} page(s) shown in tabs, ahead of the rest)",
                file=sys.stderr,
                flush=True,
            )

    def _maybe_half_written(self, outcome: Outcome, changed: set[Path]) -> bool:
        """Whether the build failed on a file saved in this very burst (not on one that
        was broken before: that failure is no surprise, and is shown at once)."""
        if outcome.failure is None or not changed:
            return False
        saved = {project_relative(str(path), self.project) for path in changed}
        return any(d.is_error and d.path in saved for d in outcome.failure)

    def _settled(self, outcome: Outcome) -> bool:
        """Wait until no save has come for SETTLE_S: True then, False if new saves are
        waiting for the next build. Quiet is judged by the watcher *and* by the failing
        files' own modification times, since the watcher holds a burst of saves back
        while they keep coming (watch.MAX_HOLD_MS): an autosave every 10 ms would
        otherwise look quiet, and the file be read again between two of its writes."""
        failing = {self.project / d.path for d in outcome.failure or [] if d.is_error}
        deadline = time.monotonic() + MAX_SETTLE_S
        while True:
            if not self.rebuilder.wait_for_quiet(SETTLE_S):
                return False
            if time.monotonic() >= deadline or not _modified_within(failing, SETTLE_S):
                return True

    def _publish(self, outcome: Outcome) -> Update:
        """Make the outcome what requests see (inside the gate), and say it."""
        before = self.published
        failure = None
        if outcome.failure is not None:
            overlay = error_overlay(outcome.failure, self.project, before.had_good_build)
            failure = Failure(sorted_diagnostics(outcome.failure), overlay)
        self.published = Published(
            generation=before.generation + 1,
            failure=failure,
            base_path=outcome.base_path,
            had_good_build=before.had_good_build or failure is None,
        )
        self._report(outcome)
        return self._update(before, outcome)

    def _update(self, before: Published, outcome: Outcome) -> Update:
        now = self.published
        result = outcome.result
        everyone = (
            before.failure is not None
            or now.failure is not None
            or before.base_path != now.base_path
        )
        if result is None:
            return Update(now.generation, everyone=everyone)
        touched = [*result.written, *result.removed]
        pages = {self._url_of(path) for path in touched if path.endswith(".html")}
        styles = {self._url_of(path) for path in result.written if path.endswith(".css")}
        return Update(
            generation=now.generation,
            pages=tuple(sorted(pages - self._ahead)),  # the tabs have those already
            styles=bool(styles - self._ahead),
            everyone=everyone,
            edited=outcome.edited,
        )

    def _url_of(self, output_path: str) -> str:
        path = self.published.base_path + output_path
        return path.removesuffix("index.html") if path.endswith("/index.html") else path

    def _refresh_search(self) -> None:
        """Bring the search index up to date with the pages rebuilt in place, once the
        saves stop (after the tabs were told: Pagefind takes longer than a rebuild)."""
        try:
            problems = self.builds.refresh_search_index()
        except Exception as exc:  # noqa: BLE001 - the preview must outlive any bug
            problems = [internal_problem(exc, self.project, self.settings.debug)]
        for problem in problems:
            print(f"search index: {problem.format()}", file=sys.stderr, flush=True)

    # -- what the terminal says --

    def _report(self, outcome: Outcome) -> None:
        what = _describe(outcome.changed, self.project)
        if outcome.failure is not None:
            for line in summary_lines(outcome.failure):
                print(line, file=sys.stderr)
            errors = sum(1 for d in outcome.failure if d.is_error)
            still = (
                "the last good build is still served"
                if self.published.had_good_build
                else "there is no good build to serve yet"
            )
            print(
                f"build failed{what}: {errors} error(s); the browser shows them, and {still}",
                file=sys.stderr,
                flush=True,
            )
            return
        assert outcome.result is not None
        for diagnostic in sorted_diagnostics(outcome.result.diagnostics):
            print(diagnostic.format(), file=sys.stderr, flush=True)
        if not self.settings.quiet:
            millis = 1000 * outcome.seconds
            files = len(outcome.result.rendered)
            print(f"built{what} in {millis:.0f} ms ({files} files)", flush=True)

    def _log_latency(self, update: Update, first_seen: float, seconds: float) -> None:
        if self.settings.verbose:
            waited = 1000 * (time.perf_counter() - first_seen)
            print(
                f"update {update.generation} sent after {waited:.0f} ms "
                f"(build {1000 * seconds:.0f} ms)",
                file=sys.stderr,
                flush=True,
            )


def _describe(changed: frozenset[Path], project: Path) -> str:
    if not changed:
        return ""
    names = sorted(project_relative(str(path), project) for path in changed)
    if len(names) > 3:
        return f" ({len(names)} changes)"
    return " (" + ", ".join(names) + ")"


def _page_url(request_path: str) -> str:
    """A request path as `Session._url_of` names the page it asks for."""
    path = unquote(request_path)
    return path.removesuffix("index.html") if path.endswith("/index.html") else path


def _modified_within(paths: set[Path], seconds: float) -> bool:
    """Whether one of `paths` was written in the last `seconds` (a missing one was not)."""
    since = time.time() - seconds
    for path in paths:
        try:
            if path.stat().st_mtime > since:
                return True
        except OSError:
            continue
    return False
