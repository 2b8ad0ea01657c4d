"""`site-builder serve`: the writer's preview, with live updates and errors in the browser.

Two processes (one where forking is unsafe or there is one core): the build process,
forked first, before any thread starts, which runs the builds on all cores
(build_process.py, builds.py), and this one, with three kinds of thread:

- the main thread runs tornado (on asyncio): it serves the preview's output folder under
  the site's base path (app.py) and holds livereload's websocket connections (reload.py);
- two watcher threads (watch.py) report bursts of saves;
- one rebuild thread asks for the builds (session.py), one at a time, merging the saves
  that arrive meanwhile, and then asks the main thread to tell the open tabs.

The modules: server (this command: sockets, signals, start and stop), session (the
builds and what they publish), build_process and builds (where the builds run), app
(requests), files (reading the output safely), reload (messages to tabs), overlay (the
error overlay), watch (saves), memory.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import ipaddress
import signal
import socket
import sys
from collections.abc import Callable

from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from site_builder.config import check_base_url
from site_builder.preview.app import Preview, make_app
from site_builder.preview.build_process import Builds, RemoteBuilds, start_builds
from site_builder.preview.reload import close_all, send_update, shown_pages
from site_builder.preview.session import Session, Settings, Update
from site_builder.preview.watch import ProjectWatcher
from site_builder.project import PREVIEW_DIR


def run_serve(args: argparse.Namespace) -> int:
    if args.base_url and (problem := check_base_url(args.base_url)):
        print(f"error: --base-url: {problem}", file=sys.stderr)
        return 1
    try:
        # Bind before building, so a busy port fails at once and port 0 can pick a port.
        sockets = bind_sockets(args.port, address=args.host)
    except socket.gaierror as exc:  # before OSError, of which it is a kind
        print(f"error: --host {args.host}: {exc.strerror}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {port_problem(args.host, args.port, exc)}", file=sys.stderr)
        return 1
    port = sockets[0].getsockname()[1]
    if not is_loopback(args.host):
        print(
            f"WARNING: serving on {args.host} makes this preview, drafts included, reachable "
            "by other machines on your network. Use the default --host 127.0.0.1 unless you "
            "mean to share it.",
            file=sys.stderr,
            flush=True,
        )
    project = args.source.resolve()
    output = args.output if args.output is not None else project / PREVIEW_DIR
    settings = Settings(
        project=project,
        output=output.resolve(),
        origin=f"http://{browsable_host(args.host)}:{port}",
        base_url=args.base_url,
        drafts=not args.no_drafts,
        strict=args.strict,
        jobs=args.jobs,
        cache=not args.no_cache,
        quiet=args.quiet,
        verbose=args.verbose,
        debug=args.debug,
        navigate=not getattr(args, "no_navigate", False),
    )
    # Before any thread starts: the build process is forked here.
    builds = start_builds(settings, close_in_child=sockets)
    if settings.verbose and isinstance(builds, RemoteBuilds):
        print(f"builds run in process {builds.pid}", file=sys.stderr, flush=True)
    runner = Runner(settings, args.host, builds)
    try:
        runner.watcher.start()
        runner.session.initial_build()
        asyncio.run(runner.serve(sockets))
    except KeyboardInterrupt:
        pass  # Ctrl-C during the first build, or where signals reach us as an exception
    finally:
        runner.stop_background()
        for sock in sockets:
            sock.close()
    print("stopped", flush=True)
    return 0


def port_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (is another preview running?); "
            f"stop it or choose another port, e.g. --port {port + 1}"
        )
    if exc.errno == errno.EACCES:
        return f"not allowed to listen on port {port}; choose one above 1023, e.g. --port 8000"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"--host {host} is not an address of this machine"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def browsable_host(host: str) -> str:
    """The host to put in URLs: the wildcard addresses are not something to browse to."""
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


class Runner:
    """The session, its watcher and the web app, started and stopped together."""

    def __init__(self, settings: Settings, host: str, builds: Builds) -> None:
        self.settings = settings
        self.loop: asyncio.AbstractEventLoop | None = None
        self.session = Session(settings, self._announce, builds, shown_pages)
        self.preview = Preview(self.session, host)
        self.watcher = ProjectWatcher(settings.project, self.session.submit)

    @property
    def url(self) -> str:
        return self.settings.origin + self.session.published.base_path

    def _announce(self, update: Update) -> None:
        """From the rebuild thread: tell the tabs, on the event loop."""
        if self.loop is not None:
            try:
                self.loop.call_soon_threadsafe(send_update, update.message())
            except RuntimeError:
                pass  # the loop closed while we were stopping

    async def serve(self, sockets: list[socket.socket]) -> None:
        self.loop = asyncio.get_running_loop()
        server = HTTPServer(make_app(self.preview, self.settings.verbose))
        server.add_sockets(sockets)
        stopping = asyncio.Event()
        undo = on_stop_signals(self.loop, stopping.set)
        self.session.rebuilder.start()
        failed = self.session.published.failure is not None
        state = " (the build failed; the browser shows why)" if failed else ""
        drafts = "drafts shown" if self.settings.drafts else "drafts hidden"
        print(f"Serving {self.url} ({drafts}){state} — press Ctrl-C to stop", flush=True)
        try:
            await stopping.wait()
        finally:
            undo()  # a second Ctrl-C while we finish a build ends the process at once
            server.stop()
            close_all()
            try:
                await asyncio.wait_for(server.close_all_connections(), timeout=2)
            except TimeoutError:
                pass
            await asyncio.to_thread(self.stop_background)

    def stop_background(self) -> None:
        """Stop watching, let a running build finish so no staging folder is left (and end
        a search index refresh), save the cache and end the build process."""
        self.watcher.stop()
        self.session.stop()
        self.session.close()


def on_stop_signals(
    loop: asyncio.AbstractEventLoop, stop: Callable[[], None]
) -> Callable[[], None]:
    """Call `stop` on the loop at Ctrl-C (and SIGTERM where there is one); returns how
    to undo that. Windows' event loops have no add_signal_handler: there the plain
    signal module's handler posts to the loop instead."""
    names = [name for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)]
    signums = [getattr(signal, name) for name in names]
    try:
        for signum in signums:
            loop.add_signal_handler(signum, stop)
    except (NotImplementedError, RuntimeError):
        previous = {}
        for signum in signums:
            previous[signum] = signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stop))

        def restore() -> None:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

        return restore

    def remove() -> None:
        for signum in signums:
            loop.remove_signal_handler(signum)

    return remove
