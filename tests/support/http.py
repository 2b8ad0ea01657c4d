"""Serve a built site on 127.0.0.1 from a background thread, optionally under a sub-path.

GitHub Pages serves a project site under `/<repo>/`, and the generator prefixes every URL with
that path, so the tests must serve the output folder under the same prefix for links to resolve.
Like GitHub Pages, a missing path gets the site's own `404.html` (with status 404).
"""

from __future__ import annotations

import functools
import posixpath
import threading
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import BinaryIO
from urllib.parse import unquote, urlsplit


class _PrefixedHandler(SimpleHTTPRequestHandler):
    """Maps `<prefix>/a/b` to `<directory>/a/b`; everything outside the prefix is a 404."""

    prefix = "/"
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".webmanifest": "application/manifest+json",
        ".xml": "application/xml",
        ".wasm": "application/wasm",
    }

    def send_head(self) -> BinaryIO | None:
        if self._site_path() is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        site_path = self._site_path(path)
        return super().translate_path(site_path if site_path is not None else "/")

    def _site_path(self, path: str | None = None) -> str | None:
        """The request's path inside the site (`/a/b`), or None when it is outside the prefix."""
        url_path = unquote(urlsplit(self.path if path is None else path).path)
        if url_path + "/" == self.prefix:
            return "/"  # the bare `/repo`: the base class redirects it to `/repo/`
        if not url_path.startswith(self.prefix):
            return None
        return "/" + url_path[len(self.prefix) :]

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(code)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean; failures report the URLs themselves


class StaticServer:
    """`with StaticServer(folder, "/stockholm-explainer/") as server: server.url` → base URL."""

    def __init__(self, directory: Path, prefix: str = "/") -> None:
        self.directory = Path(directory).resolve()
        self.prefix = _normalise_prefix(prefix)
        handler = type("Handler", (_PrefixedHandler,), {"prefix": self.prefix})
        factory = functools.partial(handler, directory=str(self.directory))
        # Port 0: the OS picks a free port, so parallel test workers never collide.
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), factory)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The site's base URL, ending in `/`."""
        return self.origin + self.prefix

    def start(self) -> StaticServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> StaticServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _normalise_prefix(prefix: str) -> str:
    """`stockholm-explainer` / `/stockholm-explainer` → `/stockholm-explainer/`."""
    cleaned = posixpath.normpath("/" + prefix.strip("/"))
    return cleaned if cleaned.endswith("/") else cleaned + "/"
