"""Work spread over the machine's cores, with the same results as one process.

`fork_map(work, items, jobs)` forks `jobs - 1` children; the parent takes one share
of the items and each child another (every `jobs`-th item, so long and short pages
mix). A child inherits the whole build state from the fork (pages, parsed
templates, the Markdown parser) without pickling any of it, sends back only its
results, pickled, and exits. The results come back in the order of `items`,
so a parallel build writes exactly what a serial one does.

Forking is used only where it is safe: on systems that have it, and in a process
with no other threads (the preview server has several; its builds run serially).
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items a fork costs more than it saves.
MIN_ITEMS_PER_JOB = 16


class WorkerFailed(Exception):
    """A child process died or raised; carries its traceback text."""


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def usable_jobs(requested: int, items: int) -> int:
    """How many processes to use for `items` items (1: stay in this process)."""
    jobs = requested if requested > 0 else available_cores()
    jobs = min(jobs, items // MIN_ITEMS_PER_JOB)
    if jobs <= 1 or not hasattr(os, "fork") or threading.active_count() > 1:
        return 1
    return jobs


def fork_map(work: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """[work(item) for item in items], in `jobs` processes."""
    if jobs <= 1:
        return [work(item) for item in items]
    pending: list[tuple[int, int]] = []  # (pid, read end of its pipe), not yet collected
    try:
        for share in range(1, jobs):
            read_end, write_end = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # the child: never returns
                os.close(read_end)
                _child(work, items[share::jobs], write_end)
            os.close(write_end)
            pending.append((pid, read_end))
        shares = [[work(item) for item in items[0::jobs]]]
        while pending:
            pid, read_end = pending.pop(0)
            shares.append(_collect(pid, read_end))
    finally:
        for pid, read_end in pending:  # only when something failed: stop waiting for them
            os.close(read_end)
            os.waitpid(pid, 0)
    results: list[Any] = [None] * len(items)
    for share, found in enumerate(shares):
        results[share::jobs] = found
    return results


def _child(work: Callable[[Any], Any], items: Sequence[Any], write_end: int) -> None:
    # What the child inherited is long-lived: frozen, the cycle collector never walks it
    # (which would also copy every page of it the parent shares), only the child's own.
    gc.freeze()
    gc.enable()
    status = 0
    try:
        try:
            message: tuple[str, Any] = ("ok", [work(item) for item in items])
        except BaseException:  # noqa: BLE001 - the parent reports it
            message = ("error", traceback.format_exc())
            status = 1
        # Streamed into the pipe (and out of it, in the parent): no process ever holds
        # a share's results twice, as objects and as one big pickle.
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump(message, pipe, pickle.HIGHEST_PROTOCOL)
    finally:
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffers


def _collect(pid: int, read_end: int) -> list[Any]:
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
