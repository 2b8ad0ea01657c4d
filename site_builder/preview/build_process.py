"""The preview's builds in a process of their own, so that they can use every core.

A build spreads its work over the cores by forking (pipeline/parallel.py), which is
only safe in a process with one thread: a thread holding a lock at the fork would
leave it held in the child. The preview server has several (the event loop, the
watchers, the rebuild thread), so in its process every build runs serially: a
`base.html` edit re-renders every page of the site on one core.

So `serve` forks one build process first, before it starts any thread
(`start_builds`). That process owns the Builder (builds.py's SiteBuilds: the whole
build state lives there, not in the server), never starts a thread, and so forks its
workers for each build as `site-builder build` does: they inherit the state as it is
at that moment, the templates just edited included, none of it pickled, and only
each worker's rendered files come back. It is started once and serves every build of
the session. The server sends it requests over a socket pair (a method of SiteBuilds
and its arguments: a few paths) and gets plain data back (an Outcome, problems);
before a build's answer may come one "interim" message: what it has put in place ahead
of the rest, the pages open in tabs and the one being saved (SiteBuilds.first_written).

Stopping: Ctrl-C reaches every process of the terminal's group (and a service manager
sends SIGTERM to the whole group). The build process ignores both, and so do the
workers it forks: the server stops its rebuild thread (which lets a running build
finish), asks for the cache to be saved, then tells the build process to end and
waits for it (`close`). If the server was interrupted in the middle of a request
(Ctrl-C during the first build), it sends SIGUSR1 instead, which stops that build
where it is (a full build discards its staging folder). If the server dies, the
build process finds the socket closed and ends. If the build process dies, the
server says so and builds in its own process from then on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NoReturn

from site_builder.errors import Diagnostic
from site_builder.pipeline.parallel import available_cores, ctrl_c_held_back, start_method
from site_builder.preview import memory
from site_builder.preview.builds import Outcome, Settings, SiteBuilds

# How long `close` waits for the build process to end before it kills it.
STOP_TIMEOUT_S = 30.0
# What the server sends to stop a build it no longer waits for (the build process ignores
# SIGINT and SIGTERM, which reach the whole process group).
STOP_BUILD = signal.SIGUSR1


class BuildProcessGone(Exception):
    """The build process ended (killed, out of memory), or a request to it was cut off."""


class BuildProcess:
    """`builds` in a forked child process; `call(name, *args)` runs one of its methods
    there and returns what it returned."""

    def __init__(self, builds: SiteBuilds, close_in_child: Iterable[socket.socket] = ()) -> None:
        if threading.active_count() > 1:
            raise RuntimeError("the build process must be forked before any thread starts")
        self._lock = threading.Lock()  # one request at a time, from whichever thread
        self._gone = ""  # why requests can no longer be sent, once they cannot
        self._cut_off = False  # a request was interrupted before its answer came
        ours, theirs = multiprocessing.Pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        with ctrl_c_held_back():  # a Ctrl-C now reaches this process only, after the fork
            pid = os.fork()
            if pid == 0:
                ours.close()
                _serve(builds, theirs, close_in_child)
        theirs.close()
        self.pid: int | None = pid
        self._connection = ours

    def call(self, name: str, *args: object, interim: Callable[[Any], None] | None = None) -> Any:
        """Run `name(*args)` in the build process; `interim` is given what it says before
        it answers."""
        with self._lock:
            if self._gone:
                raise BuildProcessGone(self._gone)
            try:
                self._connection.send((name, args))
                kind, value = self._connection.recv()
                while kind == "interim":
                    if interim is not None:
                        interim(value)
                    kind, value = self._connection.recv()
            except (EOFError, OSError) as exc:
                self._gone = f"the build process ended ({self._exit_status()})"
                raise BuildProcessGone(self._gone) from exc
            except BaseException:  # Ctrl-C while waiting: its answer would come next
                self._gone = "a request to the build process was interrupted"
                self._cut_off = True
                raise
        if kind == "error":
            raise RuntimeError(f"in the build process:\n{value}")
        return value

    @property
    def alive(self) -> bool:
        return self.pid is not None and not self._gone

    def close(self) -> None:
        """End the build process and wait for it (and so for the workers it forked)."""
        pid, self.pid = self.pid, None
        if pid is None:
            return
        try:
            if self._cut_off:
                os.kill(pid, STOP_BUILD)  # stop the build it is running
            elif not self._gone:
                self._connection.send(None)
        except OSError:
            pass  # it has ended already
        self._connection.close()
        self._gone = self._gone or "the build process was closed"
        _wait_or_kill(pid, STOP_TIMEOUT_S)

    def _exit_status(self) -> str:
        pid, self.pid = self.pid, None
        if pid is None:
            return "already closed"
        code = os.waitstatus_to_exitcode(_wait_or_kill(pid, STOP_TIMEOUT_S))
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


def _serve(builds: SiteBuilds, connection: Connection, close: Iterable[socket.socket]) -> NoReturn:
    """The build process: answer requests until the server says stop or goes away."""
    status = 0
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):  # the server handles them
            signal.signal(signum, signal.SIG_IGN)
        signal.signal(STOP_BUILD, _stop_now)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        for sock in close:  # the server's listening sockets are the server's alone
            sock.close()
        builds.first_written = lambda paths, url: connection.send(("interim", (paths, url)))
        while (request := _next_request(connection)) is not None:
            name, args = request
            try:
                answer: tuple[str, Any] = ("ok", getattr(builds, name)(*args))
            except Exception:  # noqa: BLE001 - SiteBuilds answers problems as data; a bug
                answer = ("error", traceback.format_exc())
            connection.send(answer)
    except BaseException:  # noqa: BLE001 - STOP_BUILD, or the server gone mid-answer
        status = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(status)  # never the server's atexit handlers


def _next_request(connection: Connection) -> tuple[str, tuple[Any, ...]] | None:
    try:
        return connection.recv()
    except EOFError:  # the server has gone
        return None


def _stop_now(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _wait_or_kill(pid: int, timeout: float) -> int:
    """Wait for `pid` to end, killing it after `timeout` seconds; its wait status."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


class RemoteBuilds:
    """SiteBuilds' methods, run in the build process; in this process once that is gone."""

    def __init__(self, settings: Settings, close_in_child: Iterable[socket.socket]) -> None:
        self.settings = settings
        # Shared with the build process (forked with it): set here, read there.
        self.saves_waiting = multiprocessing.Event()
        self.process = BuildProcess(SiteBuilds(settings, self.saves_waiting), close_in_child)
        self.local: SiteBuilds | None = None
        self.first_written: Callable[[list[str], str | None], None] = lambda paths, url: None

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def build(self, changed: set[Path], shown: frozenset[str] = frozenset()) -> Outcome:
        if self.local is None:
            try:
                interim = self._first_written
                return self.process.call("build", changed, shown, interim=interim)
            except BuildProcessGone as exc:
                print(f"{exc}; building in this process from now on", file=sys.stderr, flush=True)
                self.process.close()
                self.local = SiteBuilds(self.settings, self.saves_waiting)
                self.local.first_written = self.first_written
        return self.local.build(changed, shown)

    def _first_written(self, value: tuple[list[str], str | None]) -> None:
        self.first_written(*value)  # as SiteBuilds' (the build process sent both)

    def refresh_search_index(self) -> list[Diagnostic]:
        return self._call("refresh_search_index", [])

    def save_cache(self) -> str:
        return self._call("save_cache", "the build process has ended")

    def tidy(self) -> None:
        """Free the builds' garbage where they run, and the server's own here."""
        self._call("tidy", None)
        memory.tidy()

    def close(self) -> None:
        self.process.close()

    def _call(self, name: str, otherwise: Any) -> Any:
        if self.local is not None:
            return getattr(self.local, name)()
        if not self.process.alive:
            return otherwise
        return self.process.call(name)


def start_builds(settings: Settings, close_in_child: Iterable[socket.socket] = ()) -> Builds:
    """Where the preview's builds run: in a build process when this process can fork one
    and builds may use more than one core; else in this process, serially."""
    cores = settings.jobs if settings.jobs > 0 else available_cores()
    if start_method() != "fork" or cores < 2:
        return SiteBuilds(settings)
    return RemoteBuilds(settings, close_in_child)


Builds = SiteBuilds | RemoteBuilds
