"""`site-builder serve`: the writer's preview, with live reload and errors in the browser.

One process, three kinds of thread:

- the main thread runs tornado (on asyncio): it serves the output folder under the
  site's base path and holds livereload's websocket connections;
- two watcher threads (watch.py) report bursts of saves;
- one rebuild thread runs the builds, one at a time, merging the saves that arrive
  meanwhile, and then asks the main thread to tell every open tab to reload.

A reload is sent only after `Builder.build()`/`rebuild()` has returned, i.e. after the
new output folder has been swapped in whole. We use livereload's websocket handler and
client script but not its watcher: livereload drops any change that comes within
3 s of the previous reload (`LiveReloadHandler._last_reload_time`), so we send the
reload messages to its `waiters` ourselves.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import html
import ipaddress
import json
import os
import re
import signal
import socket
import stat
import sys
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado.httpclient import HTTPRequest
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, HTTPError, RequestHandler
from tornado.websocket import WebSocketClosedError, websocket_connect

from site_builder.config import CONFIG_FILE, check_base_url, load_config, normalise_base_url
from site_builder.errors import BuildFailed, Diagnostic, SiteError, sorted_diagnostics
from site_builder.pipeline.build import Builder, BuildOptions
from site_builder.pipeline.output import UnsafeOutput
from site_builder.preview.watch import ProjectWatcher, Rebuilder

LIVERELOAD_PROTOCOL = "http://livereload.com/protocols/official-7"
PLUGIN_ID = "site-builder"
MAX_SHOWN_PROBLEMS = 50
# How long a request waits for an output folder that is being swapped or built.
WAIT_FOR_OUTPUT_S = 10.0

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".pdf": "application/pdf",
    ".wasm": "application/wasm",
    ".webmanifest": "application/manifest+json",
}


# -- the command ----------------------------------------------------------------------


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
    preview = Preview(
        project=project,
        output=(args.output if args.output is not None else project / "output").resolve(),
        origin=f"http://{browsable_host(args.host)}:{port}",
        host=args.host,
        base_url=args.base_url,
        drafts=not args.no_drafts,
        strict=args.strict,
        jobs=args.jobs,
        cache=not args.no_cache,
        quiet=args.quiet,
        verbose=args.verbose,
        debug=args.debug,
    )
    try:
        preview.watcher.start()
        preview.initial_build()
        asyncio.run(preview.serve(sockets))
    finally:
        preview.stop_background()
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


# -- the preview: builds on one side, requests on the other --------------------------


@dataclass(frozen=True)
class Failure:
    diagnostics: list[Diagnostic]
    overlay: str  # HTML, made when the build failed (it quotes the source as it was then)


@dataclass(frozen=True)
class Outcome:
    failure: Failure | None
    base_path: str
    seconds: float
    written: int


class Preview:
    """The state shared by the rebuild thread and the request handlers.

    `generation`, `failure`, `base_path` and `building` are only changed on the event
    loop (the rebuild thread posts its results there), so handlers read them freely."""

    def __init__(
        self,
        *,
        project: Path,
        output: Path,
        origin: str,
        host: str,
        base_url: str | None,
        drafts: bool,
        strict: bool,
        jobs: int,
        cache: bool,
        quiet: bool,
        verbose: bool,
        debug: bool,
    ) -> None:
        self.project = project
        self.output = output
        self.origin = origin
        self.host = host.strip("[]").lower()
        self.base_url_override = base_url
        self.drafts = drafts
        self.strict = strict
        self.jobs = jobs
        self.cache = cache
        self.quiet = quiet
        self.verbose = verbose
        self.debug = debug
        self.base_path = "/"
        self.generation = 0
        self.failure: Failure | None = None
        self.building = False
        self.loop: asyncio.AbstractEventLoop | None = None
        # The rebuild thread's own: the Builder, and the base path it builds for.
        self.builder: Builder | None = None
        self._built_base_path = "/"
        # Saves not yet in a successful build: an incremental rebuild after a failed one
        # must still see them.
        self._unbuilt: set[Path] = set()
        self._need_full_build = True
        self.rebuilder = Rebuilder(self._rebuild)
        self.watcher = ProjectWatcher(project, self.rebuilder.submit)

    @property
    def url(self) -> str:
        return self.origin + self.base_path

    # -- builds (rebuild thread; the first one on the main thread) --

    def initial_build(self) -> None:
        outcome = self._build(set())
        self.base_path = outcome.base_path
        self.failure = outcome.failure

    def _rebuild(self, changed: set[Path], first_seen: float) -> None:
        self._post(self._build_started)
        try:
            outcome = self._build(changed)
        except Exception as exc:  # noqa: BLE001 - the preview must outlive any bug
            outcome = Outcome(self._internal_failure(exc), self._built_base_path, 0.0, 0)
        self._post(self._build_finished, outcome, first_seen)
        if not self.rebuilder.has_pending():
            self._refresh_search()

    def _refresh_search(self) -> None:
        """Bring the search index up to date with the pages rebuilt in place, once the
        saves stop (after the reload went out: Pagefind takes longer than a rebuild)."""
        builder = self.builder
        if builder is None or not builder.search_stale:
            return
        try:
            problems = builder.refresh_search_index()
        except Exception as exc:  # noqa: BLE001 - the preview must outlive any bug
            problems = self._internal_failure(exc).diagnostics
        for problem in problems:
            print(f"search index: {problem}", file=sys.stderr, flush=True)

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
        written = 0
        failure: Failure | None = None
        try:
            if self._need_full_build:
                result = self.builder.build()
            else:
                result = self.builder.rebuild(sorted(pending))
            written = len(getattr(result, "rendered", ()))
            self._report_warnings(result.diagnostics)
        except BuildFailed as exc:
            failure = self._failure(exc.diagnostics)
        except SiteError as exc:
            failure = self._failure([exc.diagnostic])
        except UnsafeOutput as exc:
            failure = self._failure([Diagnostic(str(self.output), None, None, str(exc))])
        except Exception as exc:  # noqa: BLE001 - e.g. a file deleted mid-build
            failure = self._internal_failure(exc)
            self._need_full_build = True
        if failure is None:
            self._unbuilt = set()
            self._need_full_build = False
        else:
            self._unbuilt = pending
        seconds = time.perf_counter() - started
        self._report_build(changed, failure, seconds, written)
        return Outcome(failure, base_path, seconds, written)

    def _options(self, base_path: str) -> BuildOptions:
        def log(message: str) -> None:
            if self.verbose:
                print(message, file=sys.stderr, flush=True)

        return BuildOptions(
            project=self.project,
            output=self.output,
            # Page links are root-relative (base path included), so they work here; only
            # canonical and feed URLs carry the preview's origin.
            base_url=self.origin + base_path,
            drafts=self.drafts,
            strict=self.strict,
            log=log,
            notify=lambda message: print(message, file=sys.stderr, flush=True),
            jobs=self.jobs,
            cache=self.cache,
        )

    def _configured_base_path(self) -> str | None:
        """The base path the site will be published under, or None while site.yaml is
        broken (the build then reports why)."""
        if self.base_url_override:
            return urlsplit(normalise_base_url(self.base_url_override)).path
        try:
            return load_config(self.project).base_path
        except (BuildFailed, SiteError, OSError):
            return None

    def _failure(self, diagnostics: list[Diagnostic]) -> Failure:
        return Failure(sorted_diagnostics(diagnostics), error_overlay(diagnostics, self.project))

    def _internal_failure(self, exc: BaseException) -> Failure:
        if self.debug:
            traceback.print_exception(exc)
        where = getattr(exc, "filename", None) or "site_builder"
        message = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, FileNotFoundError):
            message = "vanished during the build (deleted or renamed mid-save)"
        elif not isinstance(exc, OSError):
            message = f"internal error: {message} (run with --debug)"
        return self._failure(
            [Diagnostic(_project_relative(where, self.project), None, None, message)]
        )

    def _report_warnings(self, diagnostics: list[Diagnostic]) -> None:
        for diagnostic in sorted_diagnostics(diagnostics):
            print(diagnostic.format(), file=sys.stderr, flush=True)

    def _report_build(
        self, changed: set[Path], failure: Failure | None, seconds: float, written: int
    ) -> None:
        what = _describe(changed, self.project)
        if failure is not None:
            for diagnostic in failure.diagnostics:
                print(diagnostic.format(), file=sys.stderr)
            errors = sum(1 for d in failure.diagnostics if d.is_error)
            print(
                f"build failed{what}: {errors} error(s); the browser shows them, "
                "and the last good build is still served",
                file=sys.stderr,
                flush=True,
            )
        elif not self.quiet:
            print(f"built{what} in {1000 * seconds:.0f} ms ({written} files)", flush=True)

    # -- on the event loop --

    def _post(self, callback: Callable[..., None], *args: object) -> None:
        if self.loop is not None:
            try:
                self.loop.call_soon_threadsafe(callback, *args)
            except RuntimeError:
                pass  # the loop closed while we were stopping

    def _build_started(self) -> None:
        self.building = True

    def _build_finished(self, outcome: Outcome, first_seen: float) -> None:
        self.building = False
        self.base_path = outcome.base_path
        self.failure = outcome.failure
        self.generation += 1
        tabs = send_reload()
        if self.verbose:
            waited = 1000 * (time.perf_counter() - first_seen)
            print(
                f"reload sent after {waited:.0f} ms (build {1000 * outcome.seconds:.0f} ms, "
                f"{tabs} tab(s))",
                file=sys.stderr,
                flush=True,
            )

    async def serve(self, sockets: list[socket.socket]) -> None:
        self.loop = asyncio.get_running_loop()
        app = Application(
            [
                (r"/livereload", PreviewSocket, {"preview": self}),
                (r"/livereload\.js", ClientScript, {"preview": self}),
                (r".*", SiteHandler, {"preview": self}),
            ],
            log_function=self._log_request,
        )
        server = HTTPServer(app)
        server.add_sockets(sockets)
        stopping = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            try:
                self.loop.add_signal_handler(signum, stopping.set)
            except NotImplementedError:  # Windows: the event loop takes no signal handlers
                signal.signal(signum, lambda *_: self.loop.call_soon_threadsafe(stopping.set))
        self.rebuilder.start()
        state = "" if self.failure is None else " (the build failed; the browser shows why)"
        drafts = "drafts shown" if self.drafts else "drafts hidden"
        print(f"Serving {self.url} ({drafts}){state} — press Ctrl-C to stop", flush=True)
        await stopping.wait()
        for signum in (signal.SIGINT, signal.SIGTERM):
            # A second Ctrl-C while we finish a build ends the process at once.
            try:
                self.loop.remove_signal_handler(signum)
            except NotImplementedError:
                signal.signal(signum, signal.SIG_DFL)
        server.stop()
        for waiter in list(LiveReloadHandler.waiters):
            waiter.close()
        try:
            await asyncio.wait_for(server.close_all_connections(), timeout=2)
        except TimeoutError:
            pass
        await asyncio.to_thread(self.stop_background)

    def stop_background(self) -> None:
        """Stop watching, and let a running build finish so no staging folder is left."""
        self.watcher.stop()
        self.rebuilder.stop()
        # Rebuilds leave the cache alone (writing it costs more than they do); keep what
        # this session learned for the next `serve` or `build`.
        if self.builder is not None:
            self.builder.save_cache()

    def _log_request(self, handler: RequestHandler) -> None:
        if self.verbose:
            request = handler.request
            millis = 1000 * request.request_time()
            status = handler.get_status()
            print(f"{request.method} {request.uri} {status} {millis:.0f} ms", file=sys.stderr)

    # -- requests --

    def host_allowed(self, host_header: str) -> bool:
        """Only names that mean this machine (or --host), so a web page cannot reach the
        preview through a DNS name it controls (DNS rebinding)."""
        try:
            hostname = urlsplit("//" + host_header).hostname
        except ValueError:
            return False
        if not hostname:
            return False
        if hostname in ("localhost", self.host) or hostname.endswith(".localhost"):
            return True
        try:
            ipaddress.ip_address(hostname)
        except ValueError:
            return False
        return True

    async def lookup(self, parts: tuple[str, ...], directory: bool) -> Found | str:
        """The output file for a request, waiting out an output folder being swapped."""
        deadline = time.monotonic() + WAIT_FOR_OUTPUT_S
        while True:
            found = read_output(self.output, parts, directory)
            if found == RETRY or (found == NO_OUTPUT and self.building):
                if time.monotonic() > deadline:
                    return NO_OUTPUT
                await asyncio.sleep(0.005 if found == RETRY else 0.05)
                continue
            return found


def _describe(changed: set[Path], project: Path) -> str:
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


# -- reload messages ------------------------------------------------------------------


def send_reload() -> int:
    """Tell every connected tab to reload; returns how many were told.

    Not `LiveReloadHandler.reload_waiters`: that needs livereload's own watcher and
    arms its 3-second throttle."""
    message = {"command": "reload", "path": "*", "liveCSS": False, "liveImg": False}
    sent = 0
    for waiter in list(LiveReloadHandler.waiters):
        try:
            waiter.write_message(message)
            sent += 1
        except WebSocketClosedError:
            LiveReloadHandler.waiters.discard(waiter)
    return sent


class PreviewSocket(LiveReloadHandler):
    """livereload's websocket endpoint, with the checks it leaves out."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def prepare(self) -> None:
        if not self.preview.host_allowed(self.request.host):
            raise HTTPError(400, "unknown Host")

    def check_origin(self, origin: str) -> bool:
        # Tornado has already accepted same-origin requests before calling this; livereload's
        # own version accepts every origin, which would let any web page drive the preview.
        return False

    def on_message(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            self.close(1003, "not JSON")
            return
        if not isinstance(data, dict):
            return
        super().on_message(message)  # livereload's handshake: hello → hello, info → waiter
        if data.get("command") == "hello":
            # Count the tab as listening from the handshake on, not only after its `info`
            # message: a save made right after the page loaded must reach it too.
            LiveReloadHandler.waiters.add(self)
        elif data.get("command") == "info":
            plugins = data.get("plugins")
            ours = plugins.get(PLUGIN_ID) if isinstance(plugins, dict) else None
            seen = ours.get("generation") if isinstance(ours, dict) else None
            if isinstance(seen, int) and seen != self.preview.generation:
                # The page was served before the last build finished, and its tab connected
                # after that build's reload went out: reload this tab now.
                self.write_message({"command": "reload", "path": "*", "liveCSS": False})


class ClientScript(LiveReloadJSHandler):
    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def prepare(self) -> None:
        if not self.preview.host_allowed(self.request.host):
            raise HTTPError(400, "unknown Host")
        self.set_header("Cache-Control", "no-store")


# -- serving files ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a request path asks for: `kind` is file, redirect, outside or bad."""

    kind: str
    parts: tuple[str, ...] = ()
    directory: bool = False  # the URL ends in `/`
    location: str = ""


def parse_target(raw_path: str, base_path: str) -> Target:
    """Map a raw (still percent-encoded) request path to path segments under base_path.

    Anything that could name a file outside the output folder is refused outright
    (400) rather than normalised: `..` and `.` segments in any encoding, encoded
    slashes and backslashes, NUL and other control characters, invalid UTF-8."""
    if not raw_path.startswith("/") or "\\" in raw_path:
        return Target("bad")
    lowered = raw_path.lower()
    if "%2f" in lowered or "%5c" in lowered:
        return Target("bad")
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return Target("bad")
    if "\\" in path or any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        return Target("bad")
    segments = path.split("/")
    if any(segment in (".", "..") for segment in segments):
        return Target("bad")
    base = unquote(base_path)
    if path != base and path in ("/", base.rstrip("/")):
        return Target("redirect", location=base_path)
    if not path.startswith(base):
        return Target("outside")
    rest = path[len(base) :]
    parts = tuple(segment for segment in rest.split("/") if segment)
    return Target("file", parts, directory=rest == "" or rest.endswith("/"))


@dataclass(frozen=True)
class Found:
    data: bytes
    name: str  # the file's name, for its content type


RETRY = "retry"  # the output folder was swapped while we looked: look again
NO_OUTPUT = "no output"
MISSING = "missing"
ADD_SLASH = "add slash"


def read_output(root: Path, parts: tuple[str, ...], directory: bool) -> Found | str:
    """Read `root/parts…` without ever following a symlink or leaving `root`.

    Each segment is opened relative to the folder opened before it (openat with
    O_NOFOLLOW), all from one open handle on the output folder: if a build swaps a
    new output folder in meanwhile, we still read the old one whole, never a mix."""
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return NO_OUTPUT
    opened: list[int] = []
    try:
        folder = root_fd
        for name in parts[:-1]:
            folder = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=folder)
            opened.append(folder)
        name = parts[-1] if parts else "."
        # O_NONBLOCK: opening a FIFO must not hang the server.
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
        opened.append(fd)
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            if not directory:
                return ADD_SLASH
            name = "index.html"
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
            opened.append(fd)
            info = os.fstat(fd)
        elif directory:
            return MISSING  # `file.html/`
        if not stat.S_ISREG(info.st_mode):
            return MISSING
        with os.fdopen(os.dup(fd), "rb") as file:
            return Found(file.read(), name)
    except OSError:
        return MISSING if _is_current(root, root_fd) else RETRY
    finally:
        for fd in reversed(opened):
            os.close(fd)
        os.close(root_fd)


def _is_current(root: Path, root_fd: int) -> bool:
    """Is the folder we opened still the output folder (not swapped out by a build)?"""
    try:
        now, then = os.stat(root), os.fstat(root_fd)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (then.st_dev, then.st_ino)


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


class SiteHandler(RequestHandler):
    """The built site under its base path; `/` redirects there, unknown paths get the
    site's own 404 page, like GitHub Pages."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def prepare(self) -> None:
        if not self.preview.host_allowed(self.request.host):
            raise HTTPError(400, "unknown Host")

    async def get(self) -> None:
        await self._respond()

    async def head(self) -> None:
        await self._respond()

    async def _respond(self) -> None:
        target = parse_target(self.request.path, self.preview.base_path)
        query = f"?{self.request.query}" if self.request.query else ""
        if target.kind == "bad":
            raise HTTPError(400, "bad path")
        if target.kind == "redirect":
            self.redirect(target.location + query)
            return
        if target.kind == "outside":
            await self._not_found()
            return
        found = await self.preview.lookup(target.parts, target.directory)
        if found == ADD_SLASH:
            self.redirect(self.request.path + "/" + query)
        elif found == NO_OUTPUT:
            self._send(503, "text/html; charset=utf-8", no_output_page().encode())
        elif isinstance(found, Found):
            self._send(200, content_type(found.name), found.data)
        else:
            await self._not_found()

    async def _not_found(self) -> None:
        page = await self.preview.lookup(("404.html",), False)
        if isinstance(page, Found):
            self._send(404, "text/html; charset=utf-8", page.data)
        else:
            self._send(404, "text/plain; charset=utf-8", b"404: not found\n")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        if kind.startswith("text/html"):
            body = inject(body, self._client_snippet(), self.preview.failure)
        self.set_status(status)
        self.set_header("Content-Type", kind)
        # Preview pages change with every save; never let the browser reuse an old one.
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Length", str(len(body)))
        if self.request.method != "HEAD":
            self.write(body)
        self.finish()

    def _client_snippet(self) -> str:
        port = urlsplit("//" + self.request.host).port or 80
        return client_snippet(self.preview.generation, port)

    def write_error(self, status_code: int, **kwargs: object) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code}: {self._reason}\n")


# -- what we add to served pages -------------------------------------------------------


def client_snippet(generation: int, port: int) -> str:
    """livereload's client, from this server, plus a livereload plugin that reports which
    build the page came from (livereload.js sends plugin data in its `info` message)."""
    return (
        "<script>(function(){"
        "function P(){}"
        f'P.identifier="{PLUGIN_ID}";P.version="1";'
        f"P.prototype.analyze=function(){{return {{generation:{generation:d}}};}};"
        "window.LiveReloadPluginSiteBuilder=P;"
        "})();</script>\n"
        f'<script src="/livereload.js?port={port:d}"></script>\n'
    )


_BODY_OPEN = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)


def inject(page: bytes, snippet: str, failure: Failure | None) -> bytes:
    """The page with the error overlay at the start of <body> and the live-reload client
    at its end."""
    if failure is not None:
        overlay = failure.overlay.encode()
        match = _BODY_OPEN.search(page)
        at = match.end() if match else 0
        page = page[:at] + overlay + page[at:]
    end = page.lower().rfind(b"</body>")
    at = end if end >= 0 else len(page)
    return page[:at] + snippet.encode() + page[at:]


OVERLAY_STYLE = """
#site-builder-errors{position:fixed;inset:0 0 auto 0;z-index:2147483647;max-height:80vh;
overflow:auto;margin:0;padding:1rem 1.5rem;background:#fff5f5;color:#1a1a1a;
border-bottom:4px solid #b00020;font:15px/1.5 system-ui,sans-serif;
box-shadow:0 4px 24px rgba(0,0,0,.35);text-align:left}
#site-builder-errors summary{cursor:pointer;font-weight:700;color:#8b0000}
#site-builder-errors code,#site-builder-errors pre{font:13px/1.45 ui-monospace,monospace}
#site-builder-errors pre{margin:.25rem 0 0;padding:.5rem;background:#fff;border:1px solid #e0b4b4;
overflow:auto;white-space:pre}
#site-builder-errors mark{background:#ffd6d6;color:inherit}
#site-builder-errors li{margin:.75rem 0}
"""


def error_overlay(diagnostics: list[Diagnostic], project: Path) -> str:
    """The build's problems as HTML: each `file:line: message` with the line it points at.
    Everything from the files is escaped; the overlay needs no JavaScript."""
    shown = sorted_diagnostics(diagnostics)[:MAX_SHOWN_PROBLEMS]
    errors = sum(1 for d in diagnostics if d.is_error)
    items = []
    for diagnostic in shown:
        excerpt = source_excerpt(project, diagnostic.path, diagnostic.line)
        block = f"<pre>{excerpt}</pre>" if excerpt else ""
        items.append(f"<li><code>{html.escape(diagnostic.format())}</code>{block}</li>")
    more = len(diagnostics) - len(shown)
    if more > 0:
        items.append(f"<li>… and {more} more (see the terminal)</li>")
    return (
        '<div id="site-builder-errors" role="alert" lang="en">'
        f"<style>{OVERLAY_STYLE}</style>"
        f"<details open><summary>The build failed: {errors} error(s). This is the last good "
        "build; fix the problem and save, and this tab reloads by itself.</summary>"
        f"<ol>{''.join(items)}</ol></details></div>"
    )


def source_excerpt(project: Path, path: str, line: int | None, around: int = 1) -> str:
    """The offending line and its neighbours, numbered and escaped; '' if unreadable."""
    if not line:
        return ""
    file = (project / path).resolve()
    if not file.is_relative_to(project) or not file.is_file():
        return ""
    try:
        lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    if line > len(lines):
        return ""
    width = len(str(min(line + around, len(lines))))
    rows = []
    for number in range(max(1, line - around), min(len(lines), line + around) + 1):
        text = html.escape(lines[number - 1][:300])
        row = f"{number:>{width}} | {text}"
        rows.append(f"<mark>&gt; {row}</mark>" if number == line else f"  {row}")
    return "\n".join(rows)


def no_output_page() -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>No preview yet · site_builder</title></head><body><main>"
        "<h1>No preview yet</h1><p>The site has not been built successfully yet. "
        "Fix the problems listed above and save; this tab reloads by itself.</p>"
        "</main></body></html>"
    )


# -- for the benchmark -------------------------------------------------------------------


def measure_reload_latency(url: str, change: Callable[[], object], timeout: float = 10.0) -> float:
    """Seconds from calling `change()` (e.g. writing a file) until the preview at `url`
    sends its next reload notification, measured as a browser tab sees it: connected to
    the websocket, handshake done. Call it while the server is idle."""
    # A thread of its own: the caller's thread may already run an event loop (async code,
    # Playwright's sync API), where asyncio.run() is not allowed.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _reload_latency(url, change, timeout)).result()


async def _reload_latency(url: str, change: Callable[[], object], timeout: float) -> float:
    netloc = urlsplit(url).netloc
    request = HTTPRequest(f"ws://{netloc}/livereload", headers={"Origin": f"http://{netloc}"})
    connection = await asyncio.wait_for(websocket_connect(request), timeout)
    try:
        hello = {"command": "hello", "protocols": [LIVERELOAD_PROTOCOL]}
        await connection.write_message(json.dumps(hello))
        reply = await asyncio.wait_for(connection.read_message(), timeout)
        if reply is None or json.loads(reply).get("command") != "hello":
            raise ConnectionError(f"no livereload handshake from {url}")
        started = time.perf_counter()
        change()
        deadline = started + timeout
        while True:
            remaining = deadline - time.perf_counter()
            message = await asyncio.wait_for(connection.read_message(), max(remaining, 0.001))
            if message is None:
                raise ConnectionError(f"{url} closed the connection")
            if json.loads(message).get("command") == "reload":
                return time.perf_counter() - started
    finally:
        connection.close()
