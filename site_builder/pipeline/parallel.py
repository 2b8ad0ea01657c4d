"""Work spread over the machine's cores, with the same results as one process.

`fork_map(work, items, jobs)` runs [work(item) for item in items] in `jobs`
processes and returns the results in the order of `items`, so a parallel build
writes exactly what a serial one does, whichever process made each. How the
processes start depends on the system (`start_method`):

- "fork" (Linux and the other Unixes, in a process with no other threads): forks
  `jobs - 1` children, and the parent works too. A child inherits the whole build
  state from the fork (pages, parsed templates, the Markdown parser) without
  pickling any of it, sends back only its results, pickled, and exits. The items
  are cut into runs, each a share of what is left (large first, a few items at the
  end); every process takes the next run until none is left, so a process that is
  slower than the others (a forked child pays for copying the memory it touches)
  takes fewer, and all finish within a few items of each other. The runs are
  handed out as tickets in a pipe: each holds the start and length of a run, and a
  read of one ticket is atomic, so no run is taken twice.
- "spawn" (Windows; macOS, where forking a process that has loaded the system's
  frameworks is unsafe; wherever os.fork is missing): a pool of fresh interpreters
  (multiprocessing), each handed `work` pickled once when it starts, then runs of
  items. The build state pickles for this (deps.World, templates.Templates and
  markdown_phase.MarkdownContext say how); a fresh interpreter costs a fraction of
  a second, so it takes more items to be worth one (`MIN_ITEMS_PER_SPAWN`).

A process with other threads (the preview server) does not fork (a thread holding
a lock at the fork would leave it held in the child) and does not spawn either (a
rebuild is too small to be worth the start-up): its builds run serially.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import pickle
import signal
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from site_builder.model import Page

T = TypeVar("T")
R = TypeVar("R")

# Below this many items a fork costs more than it saves.
MIN_ITEMS_PER_JOB = 16
# The same for a spawned process, which starts a fresh interpreter and unpickles
# the build state.
MIN_ITEMS_PER_SPAWN = 200
# Runs per process (spawned workers), and for forked ones each run's share of the
# items left (1 / (jobs × RUN_SHARE)), never fewer than MIN_RUN: the runs shrink as
# the work runs out, so the processes finish close together, and are few enough that
# taking a ticket costs nothing next to the work.
RUNS_PER_JOB = 16
RUN_SHARE = 4
MIN_RUN = 2
TICKET = struct.Struct("=II")  # the start and length of a run in `items`
MAX_TICKETS = 512  # 4 KiB: what any pipe holds, so they are written before any is read
Share = list[tuple[int, list[Any]]]  # what one process made: (start of a run, its results)


class WorkerFailed(Exception):
    """A child process died or raised; carries its traceback text."""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def start_method() -> str | None:
    """How worker processes start here: "fork", "spawn", or None (not at all: this
    process has other threads)."""
    if threading.active_count() > 1:
        return None
    if hasattr(os, "fork") and sys.platform != "darwin":
        return "fork"
    return "spawn"


def usable_jobs(requested: int, items: int) -> int:
    """How many processes to use for `items` items (1: stay in this process)."""
    method = start_method()
    if method is None:
        return 1
    jobs = requested if requested > 0 else available_cores()
    jobs = min(jobs, items // (MIN_ITEMS_PER_JOB if method == "fork" else MIN_ITEMS_PER_SPAWN))
    return max(jobs, 1)


def fork_map(
    work: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    meanwhile: Callable[[], object] | None = None,
    heavy: int = 0,
) -> list[R]:
    """[work(item) for item in items], in `jobs` processes. `meanwhile`: work of this
    process's own that the next phase needs, done once the children are forked (they
    take more runs in the meantime) instead of in a serial step between phases.
    `heavy`: how many of the first items each cost many times an ordinary one; each is
    a run of its own, so the processes share them instead of one taking them all."""
    if jobs <= 1:
        return [work(item) for item in items]
    if start_method() != "fork":
        return spawn_map(work, items, jobs)
    tickets = _tickets(runs_of(len(items), jobs, heavy))
    pending: list[tuple[int, int]] = []  # (pid, read end of its pipe), not yet collected
    try:
        for _ in range(1, jobs):
            read_end, write_end = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read_end)
                _child(work, items, tickets, write_end)
            os.close(write_end)
            pending.append((pid, read_end))
        if meanwhile is not None:
            meanwhile()
        shares = [_take_runs(work, items, tickets)]
        while pending:
            pid, read_end = pending.pop(0)
            shares.append(_collect(pid, read_end))
    finally:
        _take_all(tickets)  # when something failed: the children stop at their next run
        os.close(tickets)
        for pid, read_end in pending:  # only when something failed: stop waiting for them
            os.close(read_end)
            os.waitpid(pid, 0)
    results: list[Any] = [None] * len(items)
    for share in shares:
        for start, found in share:
            results[start : start + len(found)] = found
    return results


def runs_of(count: int, jobs: int, heavy: int = 0) -> list[tuple[int, int]]:
    """(start, length) of each run of `count` items for `jobs` processes: the first
    `heavy` items one by one, then each run a share of the items left, so the last ones
    are short and no process waits long for another's."""
    heavy = min(heavy, count, MAX_TICKETS // 2)
    runs: list[tuple[int, int]] = [(start, 1) for start in range(heavy)]
    start = heavy
    while start < count:
        left = count - start
        size = max(MIN_RUN, left // (jobs * RUN_SHARE), -(-left // (MAX_TICKETS - len(runs))))
        runs.append((start, min(size, left)))
        start += size
    return runs


def _tickets(runs: list[tuple[int, int]]) -> int:
    """A pipe holding one ticket per run, closed for writing: the read end."""
    read_end, write_end = os.pipe()
    os.write(write_end, b"".join(TICKET.pack(start, size) for start, size in runs))
    os.close(write_end)  # once the tickets are gone, a read finds the end of the pipe
    return read_end


def _take_runs(work: Callable[[Any], Any], items: Sequence[Any], tickets: int) -> Share:
    """Take runs until the tickets are gone; the results of each, with its start."""
    share: Share = []
    while ticket := os.read(tickets, TICKET.size):
        start, size = TICKET.unpack(ticket)
        share.append((start, [work(item) for item in items[start : start + size]]))
    return share


def _take_all(tickets: int) -> None:
    """Take every ticket left, so that no process starts another run."""
    while os.read(tickets, MAX_TICKETS * TICKET.size):
        pass


def _child(work: Callable[[Any], Any], items: Sequence[Any], tickets: int, write_end: int) -> None:
    # What the child inherited is long-lived: frozen, the cycle collector never walks it
    # (which would also copy every page of it the parent shares), only the child's own.
    gc.freeze()
    gc.enable()
    status = 0
    try:
        try:
            message: tuple[str, Any] = ("ok", _take_runs(work, items, tickets))
        except BaseException:  # noqa: BLE001 - the parent reports it
            message = ("error", traceback.format_exc())
            status = 1
        # Streamed into the pipe (and out of it, in the parent): no process ever holds
        # a share's results twice, as objects and as one big pickle.
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump(message, pipe, pickle.HIGHEST_PROTOCOL)
    finally:
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffers


def _collect(pid: int, read_end: int) -> Share:
    try:
        with os.fdopen(read_end, "rb") as pipe:
            kind, value = pickle.load(pipe)
    except (EOFError, pickle.UnpicklingError) as exc:
        _, status = os.waitpid(pid, 0)
        raise WorkerFailed(f"a build worker process died (status {status})") from exc
    except BaseException:
        os.waitpid(pid, 0)
        raise
    os.waitpid(pid, 0)
    if kind != "ok":
        raise WorkerFailed(value)
    return value


# -- spawned processes -----------------------------------------------------------------

# What a spawned worker process runs, unpickled once when it starts (`_load_work`).
_work: Callable[[Any], Any] | None = None


def spawn_map(work: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """[work(item) for item in items] in `jobs` fresh interpreters: `work` is pickled
    once and handed to each as it starts, then each takes runs of items."""
    # Imported here: forked builds (Linux) never need them, and they cost start-up time.
    import concurrent.futures.process
    import multiprocessing

    payload = dump_state(work)
    size = -(-len(items) // min(len(items), jobs * RUNS_PER_JOB))
    runs = [(start, items[start : start + size]) for start in range(0, len(items), size)]
    context = multiprocessing.get_context("spawn")
    results: list[Any] = [None] * len(items)
    with concurrent.futures.ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_load_work, initargs=(payload,)
    ) as pool:
        try:
            with ctrl_c_held_back():
                done = pool.map(_run, runs)  # submits every run: every worker starts here
            for start, (kind, value) in zip((start for start, _ in runs), done, strict=True):
                if kind != "ok":
                    raise WorkerFailed(value)
                results[start : start + len(value)] = value
        except concurrent.futures.process.BrokenProcessPool as exc:
            raise WorkerFailed(f"a build worker process died ({exc})") from exc
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return results


@contextlib.contextmanager
def ctrl_c_held_back() -> Iterator[None]:
    """Hold back SIGINT while worker processes start, where the system can (POSIX).

    Ctrl-C reaches every process of the terminal's group. A worker still starting up
    would die of it with a traceback of its own; one that has started ignores it
    (`_load_work`), and the parent stops the pool and reports it once. The signal mask
    goes to the workers, so one they get now stays pending there, unheard, and one the
    parent gets is delivered to it when this block ends."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _load_work(payload: bytes) -> None:
    global _work
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C (above)
    _work = load_state(payload)
    # Long-lived from here on: frozen, the cycle collector never walks it again.
    gc.freeze()


def _run(run: tuple[int, Sequence[Any]]) -> tuple[str, Any]:
    """One run of items in a spawned worker: ("ok", results) or ("error", traceback)."""
    assert _work is not None
    try:
        return ("ok", [_work(item) for item in run[1]])
    except BaseException:  # noqa: BLE001 - the parent reports it
        return ("error", traceback.format_exc())


# -- the build state, pickled --------------------------------------------------------
# Pages link their neighbours in reading order (prev/next). Pickled as they are, the
# first page would take pickle down the whole chain, one level deeper per page: a
# recursion as deep as the site is long, past Python's limit for a few hundred pages.
# So each page is pickled with its neighbours as numbers, and linked again once loaded.


@dataclass(frozen=True)
class Neighbour:
    """A page's prev or next, by the number the pickler gave that page."""

    number: int


class StatePickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, pickle.HIGHEST_PROTOCOL)
        self.numbers: dict[int, int] = {}  # id(page) -> its number
        self.pages: list[Page] = []  # by number (alive until the end, so ids stay theirs)
        self.pickled: set[int] = set()  # the numbers of the pages pickled so far

    def number(self, page: Page) -> int:
        found = self.numbers.get(id(page))
        if found is None:
            found = self.numbers[id(page)] = len(self.pages)
            self.pages.append(page)
        return found

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is not Page:
            return NotImplemented
        number = self.number(obj)
        self.pickled.add(number)
        state = dict(obj.__dict__)
        for side in ("prev", "next"):
            if state[side] is not None:
                state[side] = Neighbour(self.number(state[side]))
        return (_new_page, (number,), state)


_loaded_pages: dict[int, Page] = {}  # while `load_state` runs: every page, by number


def _new_page(number: int) -> Page:
    page = Page.__new__(Page)
    _loaded_pages[number] = page
    return page


def dump_state(obj: object) -> bytes:
    """`obj` pickled, pages with their neighbours by number (`load_state` links them)."""
    buffer = io.BytesIO()
    pickler = StatePickler(buffer)
    pickler.dump(obj)
    # Neighbours that `obj` holds no other way to: pickled after it (their own
    # neighbours by number too), until every page that is named has been pickled.
    while missing := [p for n, p in enumerate(pickler.pages) if n not in pickler.pickled]:
        pickler.dump(missing)
    pickler.dump(None)
    return buffer.getvalue()


def load_state(data: bytes) -> Any:
    _loaded_pages.clear()
    try:
        unpickler = pickle.Unpickler(io.BytesIO(data))
        obj = unpickler.load()
        while unpickler.load() is not None:
            pass
        for page in _loaded_pages.values():
            for side in ("prev", "next"):
                link = getattr(page, side)
                if isinstance(link, Neighbour):
                    setattr(page, side, _loaded_pages[link.number])
        return obj
    finally:
        _loaded_pages.clear()
