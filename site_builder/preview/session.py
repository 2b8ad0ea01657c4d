"""The preview's build session: one Builder, rebuilt after each burst of saves, and
the state the request handlers read (the last outcome, published whole).

Builds run on the rebuild thread (the first one on the main thread, before serving).
A build and the publishing of its outcome happen inside `Gate.building()`; requests
read the output folder and the published state inside `Gate.reading()`, which never
overlaps a build. So no request ever gets the fixed page under the old error, or a
new error over a page from before it: the error is cleared in the same step that
puts the fixed site in place."""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from site_builder.config import load_config, normalise_base_url
from site_builder.errors import BuildFailed, Diagnostic, SiteError, sorted_diagnostics
from site_builder.model import BuildResult
from site_builder.pipeline.build import Builder, BuildOptions
from site_builder.pipeline.output import UnsafeOutput
from site_builder.preview import memory
from site_builder.preview.overlay import error_overlay, summary_lines
from site_builder.preview.watch import Rebuilder
from site_builder.project import CONFIG_FILE, Kind, classify

# A file that fails to parse right after it changed may be half-written (autosave,
# format-on-save): it is read again once no save has come for this long, and only
# then is the failure shown.
SETTLE_S = 0.15
# How long a build is held back for requests that are waiting for the one before.
READERS_FIRST_S = 0.1


@dataclass(frozen=True)
class Settings:
    project: Path
    output: Path
    origin: str  # e.g. http://127.0.0.1:8000
    base_url: str | None = None  # --base-url
    drafts: bool = True
    strict: bool = False
    jobs: int = 0
    cache: bool = True
    quiet: bool = False
    verbose: bool = False
    debug: bool = False
    navigate: bool = True  # after a save, open tabs go to the page being edited


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


@dataclass(frozen=True)
class Outcome:
    result: BuildResult | None
    failure: list[Diagnostic] | None
    base_path: str
    seconds: float
    changed: frozenset[Path] = field(default_factory=frozenset)


class Gate:
    """Builds and request reads take turns; readers that waited for a build go first."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._building = False
        self._waiting = 0

    @contextmanager
    def building(self) -> Iterator[None]:
        with self._turn:
            self._turn.wait_for(lambda: self._waiting == 0, timeout=READERS_FIRST_S)
            self._building = True
        try:
            yield
        finally:
            with self._turn:
                self._building = False
                self._turn.notify_all()

    def try_read(self, read: Callable[[], object], waited: bool) -> tuple[bool, object]:
        """Run `read` now unless a build is running: (True, its result) or (False, None).
        A reader that was turned away counts as waiting until it gets its turn."""
        with self._turn:
            if self._building:
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
    """The Builder and what it last published; `announce(update)` tells the tabs."""

    def __init__(self, settings: Settings, announce: Callable[[Update], None]) -> None:
        self.settings = settings
        self.project = settings.project
        self.announce = announce
        self.gate = Gate()
        self.published = Published()
        self.builder: Builder | None = None
        self._built_base_path = "/"
        # Saves not yet in a successful build: an incremental rebuild after a failed one
        # must still see them.
        self._unbuilt: set[Path] = set()
        self._need_full_build = True
        self._untidy = 0  # builds since memory.tidy()
        self.rebuilder = Rebuilder(self.rebuild)

    # -- builds --

    def initial_build(self) -> None:
        with self.gate.building():
            self._publish(self._build(set()))

    def rebuild(self, changed: set[Path], first_seen: float) -> None:
        """One burst of saves (on the rebuild thread)."""
        if self.settings.verbose:
            print(
                f"rebuilding{_describe(frozenset(changed), self.project)}",
                file=sys.stderr,
                flush=True,
            )
        with self.gate.building():
            outcome = self._guarded_build(changed)
            held = self._maybe_half_written(outcome, changed)
            if not held:
                update = self._publish(outcome)
        if held:
            if not self.rebuilder.wait_for_quiet(SETTLE_S):
                return  # more saves came: the next build reads them all again
            with self.gate.building():
                update = self._publish(self._guarded_build(set()))
        self.announce(update)
        self._log_latency(update, first_seen, outcome.seconds)
        if not self.rebuilder.has_pending():
            self._refresh_search()
        self._tidy()

    def _tidy(self) -> None:
        """Free each build's garbage once the saves pause (memory.py says why)."""
        self._untidy += 1
        if self._untidy >= memory.TIDY_EVERY or self.rebuilder.wait_for_quiet(
            memory.TIDY_AFTER_QUIET_S
        ):
            memory.tidy()
            self._untidy = 0

    def _guarded_build(self, changed: set[Path]) -> Outcome:
        try:
            return self._build(changed)
        except Exception as exc:  # noqa: BLE001 - the preview must outlive any bug
            failure = [self._internal_problem(exc)]
            return Outcome(None, failure, self._built_base_path, 0.0, frozenset(changed))

    def _maybe_half_written(self, outcome: Outcome, changed: set[Path]) -> bool:
        """Whether the build failed on a file saved in this very burst (not on one that
        was broken before: that failure is no surprise, and is shown at once)."""
        if outcome.failure is None or not changed:
            return False
        saved = {_project_relative(str(path), self.project) for path in changed}
        return any(d.is_error and d.path in saved for d in outcome.failure)

    def _build(self, changed: set[Path]) -> Outcome:
        started = time.perf_counter()
        base_path = self._built_base_path
        if self.builder is None or self.project / CONFIG_FILE in changed:
            base_path = self._configured_base_path() or base_path
            if self.builder is None or base_path != self._built_base_path:
                self.builder = Builder(self._options(base_path))
                self._built_base_path = base_path
                self._need_full_build = True
        pending = self._unbuilt | changed
        result: BuildResult | None = None
        problems: list[Diagnostic] | None = None
        try:
            if self._need_full_build:
                result = self.builder.build()
            else:
                result = self.builder.rebuild(sorted(pending))
        except BuildFailed as exc:
            problems = exc.diagnostics
        except SiteError as exc:
            problems = [exc.diagnostic]
        except UnsafeOutput as exc:
            problems = [Diagnostic(str(self.settings.output), None, None, str(exc))]
        except Exception as exc:  # noqa: BLE001 - e.g. a file deleted mid-build
            problems = [self._internal_problem(exc)]
            self._need_full_build = True
        if problems is None:
            self._unbuilt = set()
            self._need_full_build = False
        else:
            self._unbuilt = pending
        seconds = time.perf_counter() - started
        return Outcome(result, problems, base_path, seconds, frozenset(pending))

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
        return Update(
            generation=now.generation,
            pages=tuple(sorted({self._url_of(path) for path in touched if path.endswith(".html")})),
            styles=any(path.endswith(".css") for path in result.written),
            everyone=everyone,
            edited=self._edited_url(outcome.changed) if self.settings.navigate else None,
        )

    def _url_of(self, output_path: str) -> str:
        path = self.published.base_path + output_path
        return path.removesuffix("index.html") if path.endswith("/index.html") else path

    def _edited_url(self, changed: frozenset[Path]) -> str | None:
        """The URL of the one page saved in this burst that exists now, if there is one."""
        if self.builder is None:
            return None
        pages = self.builder.inputs.pages  # content rel -> page, as this build read them
        urls = set()
        for path in changed:
            relative = _project_relative(str(path), self.project)
            if classify(relative) is not Kind.PAGE or not path.is_file():
                continue
            page = pages.get(relative.partition("/")[2])
            if page is not None and page.url:
                urls.add(page.url)
        return urls.pop() if len(urls) == 1 else None

    def _refresh_search(self) -> None:
        """Bring the search index up to date with the pages rebuilt in place, once the
        saves stop (after the tabs were told: Pagefind takes longer than a rebuild)."""
        builder = self.builder
        if builder is None or not builder.search_stale:
            return
        try:
            problems = builder.refresh_search_index()
        except Exception as exc:  # noqa: BLE001 - the preview must outlive any bug
            problems = [self._internal_problem(exc)]
        for problem in problems:
            print(f"search index: {problem.format()}", file=sys.stderr, flush=True)

    def _options(self, base_path: str) -> BuildOptions:
        def log(message: str) -> None:
            if self.settings.verbose:
                print(message, file=sys.stderr, flush=True)

        return BuildOptions(
            project=self.project,
            output=self.settings.output,
            # Page links are root-relative (base path included), so they work here; only
            # canonical and feed URLs carry the preview's origin.
            base_url=self.settings.origin + base_path,
            drafts=self.settings.drafts,
            strict=self.settings.strict,
            log=log,
            notify=lambda message: print(message, file=sys.stderr, flush=True),
            jobs=self.settings.jobs,
            cache=self.settings.cache,
        )

    def _configured_base_path(self) -> str | None:
        """The base path the site will be published under, or None while site.yaml is
        broken (the build then reports why)."""
        if self.settings.base_url:
            return urlsplit(normalise_base_url(self.settings.base_url)).path
        try:
            return load_config(self.project).base_path
        except (BuildFailed, SiteError, OSError):
            return None

    def _internal_problem(self, exc: BaseException) -> Diagnostic:
        if self.settings.debug:
            traceback.print_exception(exc)
        where = getattr(exc, "filename", None) or "site_builder"
        message = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, FileNotFoundError):
            message = "vanished during the build (deleted or renamed mid-save)"
        elif not isinstance(exc, OSError):
            message = f"internal error: {message} (run with --debug)"
        return Diagnostic(_project_relative(str(where), self.project), None, None, message)

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
    names = sorted(_project_relative(str(path), project) for path in changed)
    if len(names) > 3:
        return f" ({len(names)} changes)"
    return " (" + ", ".join(names) + ")"


def _project_relative(path: str, project: Path) -> str:
    try:
        return Path(path).resolve().relative_to(project).as_posix()
    except ValueError:
        return path
