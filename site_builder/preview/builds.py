"""The preview's Builder and everything the session asks of it, as plain data.

`SiteBuilds` runs where the builds run: in the build process `serve` forks before it
starts any thread (build_process.py), or in the server's own process where it cannot
fork (session.py uses it directly then). Either way the session gets the same answers:
an `Outcome` per build (the result, or the problems that stopped it), never an
exception, so nothing but plain data crosses from one process to the other.

A build is told which pages the tabs show; when it has many pages to render (a
template edit), it puts those, and the page being edited (where the tabs go after
the save), in place first and says so through `first_written` (their output paths,
and the edited page's URL if it was among them), before it renders the rest.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from site_builder.config import load_config, normalise_base_url
from site_builder.errors import BuildFailed, Diagnostic, SiteError
from site_builder.model import BuildResult, Page
from site_builder.pipeline.build import Builder, BuildOptions
from site_builder.pipeline.output import UnsafeOutput
from site_builder.pipeline.write_phase import Priority
from site_builder.preview import memory
from site_builder.preview.files import parse_target
from site_builder.project import CONFIG_FILE, Kind, classify


class SavesWaiting(Protocol):
    """A threading.Event, or a multiprocessing one shared with the build process."""

    def set(self) -> None: ...
    def clear(self) -> None: ...
    def is_set(self) -> bool: ...


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
class Outcome:
    """One build: its result, or the problems that stopped it."""

    result: BuildResult | None
    failure: list[Diagnostic] | None
    base_path: str
    seconds: float
    changed: frozenset[Path] = field(default_factory=frozenset)
    edited: str | None = None  # the URL of the one page saved in this burst, if one was


class SiteBuilds:
    """One Builder (a new one when the base path changes) and the saves it has not built.

    `saves_waiting` is set by the session when a save comes and cleared when a build
    takes it: a search index refresh running then gives way (Pagefind takes seconds on
    a large site; the save must not wait for it)."""

    def __init__(self, settings: Settings, saves_waiting: SavesWaiting | None = None) -> None:
        self.settings = settings
        self.saves_waiting = saves_waiting if saves_waiting is not None else threading.Event()
        self.project = settings.project
        self.builder: Builder | None = None
        self.base_path = "/"
        # Saves not yet in a successful build: an incremental rebuild after a failed one
        # must still see them.
        self._unbuilt: set[Path] = set()
        self._need_full_build = True
        # Told what a rebuild put in place ahead of the rest: output paths, edited page's URL.
        self.first_written: Callable[[list[str], str | None], None] = lambda paths, url: None

    def build(self, changed: set[Path], shown: frozenset[str] = frozenset()) -> Outcome:
        """Build after `changed` were saved (a full build the first time, and after a
        failure that leaves the output unknown); `shown` are the URL paths of the pages
        open in tabs."""
        started = time.perf_counter()
        base_path = self.base_path
        if self.builder is None or self.project / CONFIG_FILE in changed:
            base_path = self._configured_base_path() or base_path
            if self.builder is None or base_path != self.base_path:
                self.builder = Builder(self._options(base_path))
                self.base_path = base_path
                self._need_full_build = True
        pending = self._unbuilt | changed
        result, problems = self._run(self.builder, pending, self._priority(shown, pending))
        if problems is None:
            self._unbuilt = set()
            self._need_full_build = False
        else:
            self._unbuilt = pending
        seconds = time.perf_counter() - started
        edited = self._edited_url(pending) if result is not None else None
        return Outcome(result, problems, base_path, seconds, frozenset(pending), edited)

    def _run(
        self, builder: Builder, pending: set[Path], priority: Priority | None
    ) -> tuple[BuildResult | None, list[Diagnostic] | None]:
        try:
            if self._need_full_build:
                return builder.build(), None
            return builder.rebuild(sorted(pending), priority), None
        except BuildFailed as exc:
            return None, exc.diagnostics
        except SiteError as exc:
            return None, [exc.diagnostic]
        except UnsafeOutput as exc:
            return None, [Diagnostic(str(self.settings.output), None, None, str(exc))]
        except Exception as exc:  # noqa: BLE001 - e.g. a file deleted mid-build
            self._need_full_build = True
            return None, [internal_problem(exc, self.project, self.settings.debug)]

    def _output_paths(self, urls: frozenset[str]) -> frozenset[str]:
        """The output files that URL paths of this site's pages are served from."""
        paths = set()
        for url in urls:
            target = parse_target(url, self.base_path)
            if target.kind == "file":
                parts = (*target.parts, "index.html") if target.directory else target.parts
                paths.add("/".join(parts))
        return frozenset(paths)

    def _priority(self, shown: frozenset[str], pending: set[Path]) -> Priority | None:
        """What a rebuild puts in place first: the pages open in tabs, and the page being
        edited as the last build knew it (the tabs go there after the save)."""
        outputs = set(self._output_paths(shown))
        edited = self._edited_pages(pending)
        editing = edited[0] if len(edited) == 1 else None
        if editing is not None:
            outputs.add(editing.output_path)
        if not outputs:
            return None

        def written(paths: list[str]) -> None:
            url = editing.url if editing is not None and editing.output_path in paths else None
            self.first_written(paths, url)

        return Priority(frozenset(outputs), written)

    def _edited_url(self, changed: set[Path]) -> str | None:
        """The URL of the one page saved in this burst that exists now, if there is one."""
        urls = {page.url for page in self._edited_pages(changed)}
        return urls.pop() if len(urls) == 1 else None

    def _edited_pages(self, changed: set[Path]) -> list[Page]:
        """The pages saved in this burst that exist, as the last build read them (none
        when the tabs are not to follow the writer)."""
        if self.builder is None or not self.settings.navigate:
            return []
        pages = self.builder.inputs.pages  # content rel -> page
        found = []
        for path in changed:
            relative = project_relative(str(path), self.project)
            if classify(relative) is not Kind.PAGE or not path.is_file():
                continue
            page = pages.get(relative.partition("/")[2])
            if page is not None and page.url:
                found.append(page)
        return found

    def refresh_search_index(self) -> list[Diagnostic]:
        """Bring the search index up to date with the pages rebuilt in place (Pagefind)."""
        builder = self.builder
        if builder is None or not builder.search_stale:
            return []
        try:
            return builder.refresh_search_index(stop=self.saves_waiting.is_set)
        except Exception as exc:  # noqa: BLE001 - the preview must outlive any bug
            return [internal_problem(exc, self.project, self.settings.debug)]

    def save_cache(self) -> str:
        """Write the build cache ("" or why not): rebuilds leave it alone, so a session
        keeps what it learned for the next `serve` or `build` when it ends."""
        return self.builder.save_cache() if self.builder is not None else "nothing built"

    def tidy(self) -> None:
        memory.tidy()

    def close(self) -> None:
        """Nothing to stop: the builds ran in this process."""

    def _options(self, base_path: str) -> BuildOptions:
        settings = self.settings

        def log(message: str) -> None:
            if settings.verbose:
                print(message, file=sys.stderr, flush=True)

        return BuildOptions(
            project=self.project,
            output=settings.output,
            # Page links are root-relative (base path included), so they work here; only
            # canonical and feed URLs carry the preview's origin.
            base_url=settings.origin + base_path,
            drafts=settings.drafts,
            strict=settings.strict,
            log=log,
            notify=lambda message: print(message, file=sys.stderr, flush=True),
            jobs=settings.jobs,
            cache=settings.cache,
            search_later=True,  # indexed once serving, giving way to saves (session.py)
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


def internal_problem(exc: BaseException, project: Path, debug: bool) -> Diagnostic:
    """A bug or an unexpected OS error, as a problem the preview shows (the traceback
    with --debug)."""
    if debug:
        traceback.print_exception(exc)
    where = getattr(exc, "filename", None) or "site_builder"
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, FileNotFoundError):
        message = "vanished during the build (deleted or renamed mid-save)"
    elif not isinstance(exc, OSError):
        message = f"internal error: {message} (run with --debug)"
    return Diagnostic(project_relative(str(where), project), None, None, message)


def project_relative(path: str, project: Path) -> str:
    try:
        return Path(path).resolve().relative_to(project).as_posix()
    except ValueError:
        return path
