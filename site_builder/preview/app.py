"""The preview's web app: the built site under its base path, livereload's socket and
script, and our client plugin. Every HTML page gets the error overlay (when the last
build failed) and the live-update client."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from tornado.web import Application, HTTPError, RequestHandler

from site_builder.preview.files import (
    ADD_SLASH,
    MISSING,
    NO_OUTPUT,
    RETRY,
    Found,
    Target,
    content_type,
    parse_target,
    read_output,
)
from site_builder.preview.overlay import no_output_page
from site_builder.preview.reload import (
    CLIENT_JS,
    CLIENT_SCRIPT,
    ClientScript,
    PreviewSocket,
    client_snippet,
)
from site_builder.preview.session import Published, Session

# How long a request waits for a build to finish before it reads the output anyway.
WAIT_FOR_BUILD_S = 30.0
WAIT_STEP_S = 0.005


class Preview:
    """What the handlers share: the session, and which host names mean this machine."""

    def __init__(self, session: Session, host: str) -> None:
        self.session = session
        self.host = host.strip("[]").lower()

    @property
    def generation(self) -> int:
        return self.session.published.generation

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

    async def read(self, path: str) -> Answer:
        """The published state and what `path` finds in the output, read together while
        no build runs (a build swaps the output and publishes its outcome in one turn)."""
        waited = False
        deadline = time.monotonic() + WAIT_FOR_BUILD_S
        while True:
            done, answer = self.session.gate.try_read(lambda: self._answer(path), waited, path)
            waited = not done
            if done and answer.found != RETRY:  # RETRY: swapped by `site-builder build`
                return answer
            if waited and time.monotonic() > deadline:
                self.session.gate.give_up()
                return Answer(self.session.published, Target("file"), NO_OUTPUT)
            await asyncio.sleep(WAIT_STEP_S)

    def _answer(self, path: str) -> Answer:
        published = self.session.published
        output = self.session.settings.output
        target = parse_target(path, published.base_path)
        if target.kind not in ("file", "outside"):
            return Answer(published, target)
        found = MISSING
        if target.kind == "file":
            found = read_output(output, target.parts, target.directory)
        if found != MISSING:
            return Answer(published, target, found)
        return Answer(published, target, found, read_output(output, ("404.html",), False))


@dataclass(frozen=True)
class Answer:
    """What one request found, and the published state it was found under."""

    published: Published
    target: Target
    found: Found | str | None = None  # None: the target is not a file
    not_found_page: Found | str | None = None  # the site's 404.html, read when needed


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
        answer = await self.preview.read(self.request.path)
        query = f"?{self.request.query}" if self.request.query else ""
        target, found, published = answer.target, answer.found, answer.published
        if target.kind == "bad":
            raise HTTPError(400, "bad path")
        if target.kind == "redirect":
            self.redirect(target.location + query)
        elif found == ADD_SLASH:
            self.redirect(self.request.path + "/" + query)
        elif found == NO_OUTPUT:
            body = no_output_page().encode()
            self._send(published, 503, "text/html; charset=utf-8", body, self.request.path)
        elif isinstance(found, Found):
            self._send(published, 200, content_type(found.name), found.data, self.request.path)
        elif isinstance(answer.not_found_page, Found):
            body, page = answer.not_found_page.data, published.base_path + "404.html"
            self._send(published, 404, "text/html; charset=utf-8", body, page)
        else:
            self._send(published, 404, "text/plain; charset=utf-8", b"404: not found\n", "")

    def _send(self, published: Published, status: int, kind: str, body: bytes, page: str) -> None:
        if kind.startswith("text/html"):
            port = urlsplit("//" + self.request.host).port or 80
            navigate = self.preview.session.settings.navigate
            snippet = client_snippet(published.generation, port, page, navigate)
            overlay = published.failure.overlay if published.failure else None
            body = inject(body, snippet, overlay)
        self.set_status(status)
        self.set_header("Content-Type", kind)
        # Preview pages change with every save; never let the browser reuse an old one.
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Content-Length", str(len(body)))
        if self.request.method != "HEAD":
            self.write(body)
        self.finish()

    def write_error(self, status_code: int, **kwargs: object) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish(f"{status_code}: {self._reason}\n")


class PluginScript(RequestHandler):
    """Our livereload.js plugin (site_builder/preview/assets/client.js)."""

    def initialize(self, preview: Preview) -> None:
        self.preview = preview

    def prepare(self) -> None:
        if not self.preview.host_allowed(self.request.host):
            raise HTTPError(400, "unknown Host")

    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(CLIENT_JS)


_BODY_OPEN = re.compile(rb"<body\b[^>]*>", re.IGNORECASE)


def inject(page: bytes, snippet: str, overlay: str | None) -> bytes:
    """The page with the error overlay at the start of <body> and the live-update client
    at its end."""
    if overlay is not None:
        match = _BODY_OPEN.search(page)
        at = match.end() if match else 0
        page = page[:at] + overlay.encode() + page[at:]
    end = page.lower().rfind(b"</body>")
    at = end if end >= 0 else len(page)
    return page[:at] + snippet.encode() + page[at:]


def make_app(preview: Preview, verbose: bool) -> Application:
    def log_request(handler: RequestHandler) -> None:
        if verbose:
            request = handler.request
            millis = 1000 * request.request_time()
            status = handler.get_status()
            print(f"{request.method} {request.uri} {status} {millis:.0f} ms", file=sys.stderr)

    return Application(
        [
            (r"/livereload", PreviewSocket, {"preview": preview}),
            (r"/livereload\.js", ClientScript, {"preview": preview}),
            (re.escape(CLIENT_SCRIPT), PluginScript, {"preview": preview}),
            (r".*", SiteHandler, {"preview": preview}),
        ],
        log_function=log_request,
    )
