"""Watching a project for saves, and turning bursts of them into one rebuild at a time.

Editors save in ways that defeat naive watchers: some write a temporary file
and rename it over the original (the original's inode, and any watch on it,
is gone), some truncate and write in two steps, and most leave swap, backup
and lock files around. So we watch *folders*, never single files, and drop
editor droppings by name. Only the folders a build reads are watched
(content/, templates/, static/, data/, recursively, and site.yaml through a
non-recursive watch of the project folder): the output folder, its staging
folders and caches live beside them and are never watched, so writing the
output can never trigger another build.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path

from watchfiles import Change, DefaultFilter, watch

from site_builder.project import CACHE_DIR, CONFIG_FILE, INPUT_DIRS, is_leftover

WATCHED_DIRS = INPUT_DIRS
WATCHED_FILES = (CONFIG_FILE,)

# Milliseconds of quiet that end a burst of events (watchfiles' `step`), and the longest a
# burst is held back while events keep coming (its `debounce`). watchfiles looks for quiet
# once per step, so a save waits one to two steps: 30 ms put the write-to-reload time at
# ~45 ms (50 ms: ~95 ms); an editor's save, even in several steps, takes a few ms.
QUIET_MS = 30
MAX_HOLD_MS = 1_600


class EditorFilter(DefaultFilter):
    """watchfiles' default filter (.git, __pycache__…) and the files no build reads:
    hidden files and editors' leftovers, as project.is_leftover names them."""

    ignore_dirs = (*DefaultFilter.ignore_dirs, CACHE_DIR, ".ruff_cache")

    def __call__(self, change: Change, path: str) -> bool:
        return not is_leftover(Path(path).name) and super().__call__(change, path)


class ProjectWatcher:
    """Calls `on_change(paths)` from a background thread after each burst of saves."""

    def __init__(self, project: Path, on_change: Callable[[set[Path]], None]) -> None:
        self.project = project.resolve()
        self.on_change = on_change
        self._filter = EditorFilter()
        self._stop = threading.Event()
        self._tree_restart = threading.Event()
        self._last_trouble = ""
        self._threads = [
            threading.Thread(target=self._watch_tree, name="watch-tree", daemon=True),
            threading.Thread(target=self._watch_root, name="watch-root", daemon=True),
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._tree_restart.set()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout=5)

    def _watch_tree(self) -> None:
        """content/, templates/, static/, data/: recursive; restarted when one of them
        appears or disappears (a watch cannot follow a folder that did not exist yet)."""
        while not self._stop.is_set():
            self._tree_restart.clear()
            folders = [self.project / name for name in WATCHED_DIRS]
            existing = [folder for folder in folders if folder.is_dir()]
            if not existing:
                self._tree_restart.wait()
                continue
            try:
                for changes in watch(
                    *existing,
                    watch_filter=self._filter,
                    debounce=MAX_HOLD_MS,
                    step=QUIET_MS,
                    stop_event=self._tree_restart,
                    raise_interrupt=False,
                ):
                    self._report(changes)
            except (RuntimeError, OSError) as exc:
                # Usually a watched folder removed under the watcher: the root watch sees
                # the removal too, and we restart with the folders that exist now.
                self._trouble(exc)

    def _watch_root(self) -> None:
        """The project folder itself, not recursively: site.yaml, and the watched folders
        being created, deleted or renamed."""
        watched = set(WATCHED_DIRS) | set(WATCHED_FILES)

        def relevant(change: object, path: str) -> bool:
            return Path(path).name in watched

        while not self._stop.is_set():
            try:
                for changes in watch(
                    self.project,
                    watch_filter=relevant,
                    debounce=MAX_HOLD_MS,
                    step=QUIET_MS,
                    stop_event=self._stop,
                    raise_interrupt=False,
                    recursive=False,
                ):
                    if any(Path(path).name in WATCHED_DIRS for _, path in changes):
                        self._tree_restart.set()
                    self._report(changes)
            except (RuntimeError, OSError) as exc:
                self._trouble(exc)

    def _trouble(self, exc: BaseException) -> None:
        """Say once why watching failed (e.g. the inotify watch limit), then retry."""
        message = f"warning: watching for changes: {exc} (retrying)"
        if message != self._last_trouble:
            self._last_trouble = message
            print(message, file=sys.stderr, flush=True)
        time.sleep(QUIET_MS / 1000)

    def _report(self, changes: Iterable[tuple[Change, str]]) -> None:
        changed = set()
        for change, path in changes:
            changed.add(Path(path))
            if change == Change.added:
                changed |= self._files_in(Path(path))
        if changed and not self._stop.is_set():
            self.on_change(changed)

    def _files_in(self, path: Path) -> set[Path]:
        """The files already in a folder that just appeared: the watch on a new folder
        starts a moment after the folder does, so files written into it at once (a
        `git checkout`, `mkdir x && cp … x/`) raise no event of their own."""
        if not path.is_dir() or path.is_symlink():
            return set()
        found = set()
        for folder, folders, names in os.walk(path):
            folders[:] = [name for name in folders if name not in self._filter.ignore_dirs]
            for name in names:
                file = Path(folder) / name
                if self._filter(Change.added, str(file)):
                    found.add(file)
        return found


class Rebuilder:
    """One worker thread that runs `run(changed, first_seen)` for batches of changes.

    Changes that arrive while a build runs are merged and built together once it
    finishes, so twenty files saved at once cost one or two builds, not twenty, and
    the last change is always built (nothing is dropped)."""

    def __init__(
        self, run: Callable[[set[Path], float], None], first: Callable[[], None] | None = None
    ) -> None:
        self._run = run
        self._first = first  # run on the thread once, before it waits for changes
        self._pending: set[Path] = set()
        self._first_seen: float | None = None
        self._stopping = False
        self._wake = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="rebuild", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, changed: set[Path]) -> None:
        with self._wake:
            self._pending |= changed
            if self._first_seen is None:
                self._first_seen = time.perf_counter()
            self._wake.notify_all()

    def has_pending(self) -> bool:
        """Whether changes are waiting for the next build."""
        with self._wake:
            return bool(self._pending)

    def wait_for_quiet(self, seconds: float) -> bool:
        """Wait `seconds` for no new change to arrive: True if none did."""
        deadline = time.monotonic() + seconds
        with self._wake:
            while not self._pending and not self._stopping:
                left = deadline - time.monotonic()
                if left <= 0:
                    return True
                self._wake.wait(left)
            return False

    def stop(self) -> None:
        """Drop pending changes and wait for a running build to finish, so it never leaves
        a half-written staging folder behind."""
        with self._wake:
            self._stopping = True
            self._pending.clear()
            self._wake.notify_all()
        if self._thread.is_alive():
            self._thread.join()

    def _loop(self) -> None:
        if self._first is not None:
            try:
                self._first()
            except Exception:  # noqa: BLE001 - the builds must go on
                traceback.print_exc()
        while True:
            with self._wake:
                while not self._pending and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                batch, first_seen = self._pending, self._first_seen or time.perf_counter()
                self._pending, self._first_seen = set(), None
            try:
                self._run(batch, first_seen)
            except Exception:  # noqa: BLE001 - one bad build must not end all later ones
                traceback.print_exc()
