"""Telling open tabs what changed, over livereload's websocket protocol.

We use livereload's websocket handler and client script (livereload.js) but not its
watcher: livereload drops any change that comes within 3 s of the previous reload
(`LiveReloadHandler._last_reload_time`), so we write to its `waiters` ourselves.

livereload.js asks each of its plugins first whether it will handle a `reload`
message. Ours (site_builder/preview/assets/client.js) handles the ones whose path
is UPDATE_PATH: the JSON in `originalPath` says which pages the build changed, and
the plugin patches the open page in place (or reloads it, or goes to the page being
edited). Any other reload message is livereload's usual full reload."""

from __future__ import annotations

import json
import threading
from importlib import resources
from typing import Protocol

from livereload.handlers import LiveReloadHandler, LiveReloadJSHandler
from tornado.web import HTTPError
from tornado.websocket import WebSocketClosedError

PLUGIN_ID = "site-builder"
UPDATE_PATH = "site-builder:update"
CLIENT_SCRIPT = "/site-builder-preview.js"
CLIENT_JS = resources.files("site_builder.preview").joinpath("assets/client.js").read_bytes()


class PreviewState(Protocol):
    """What the handlers here need from the preview."""

    @property
    def generation(self) -> int: ...

    def host_allowed(self, host_header: str) -> bool: ...


# The page each connected tab shows (its URL path, as our plugin reports it), written on
# the event loop and read by the rebuild thread (`shown_pages`).
_shown: dict[int, str] = {}
_shown_lock = threading.Lock()


def shown_pages() -> frozenset[str]:
    """The URL paths of the pages open in connected tabs."""
    with _shown_lock:
        return frozenset(_shown.values())


def _note_shown(tab: object, page: str | None) -> None:
    with _shown_lock:
        if page is None:
            _shown.pop(id(tab), None)
        else:
            _shown[id(tab)] = page


def send_update(update: dict[str, object]) -> int:
    """Tell every connected tab what a build changed; returns how many were told.

    Not `LiveReloadHandler.reload_waiters`: that needs livereload's own watcher and
    arms its 3-second throttle."""
    message = {
        "command": "reload",
        "path": UPDATE_PATH,
        "originalPath": json.dumps(update),
        "liveCSS": False,
        "liveImg": False,
    }
    return _send(message)


def close_all() -> None:
    for waiter in list(LiveReloadHandler.waiters):
        waiter.close()


def _send(message: dict[str, object]) -> int:
    sent = 0
    for waiter in list(LiveReloadHandler.waiters):
        try:
            waiter.write_message(message)
            sent += 1
        except WebSocketClosedError:
            LiveReloadHandler.waiters.discard(waiter)
    return sent


def client_snippet(generation: int, port: int, page: str, navigate: bool) -> str:
    """What goes at the end of every HTML page: which build and file it is, our plugin,
    and livereload's client, all from this server (livereload.js finds plugins by
    their `LiveReloadPlugin…` names when it starts, so ours loads first)."""
    state = json.dumps({"generation": generation, "page": page, "navigate": navigate})
    state = state.replace("<", "\\u003c")  # never `</script>` inside the script
    return (
        f"<script>window.SiteBuilderPreview={state};</script>\n"
        f'<script src="{CLIENT_SCRIPT}"></script>\n'
        f'<script src="/livereload.js?port={port:d}"></script>\n'
    )


class PreviewSocket(LiveReloadHandler):
    """livereload's websocket endpoint, with the checks it leaves out."""

    def initialize(self, preview: PreviewState) -> None:
        self.preview = preview

    def prepare(self) -> None:
        if not self.preview.host_allowed(self.request.host):
            raise HTTPError(400, "unknown Host")

    def on_close(self) -> None:
        _note_shown(self, None)
        super().on_close()

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
            page = ours.get("page") if isinstance(ours, dict) else None
            if isinstance(page, str) and page.startswith("/"):
                _note_shown(self, page)  # its page goes first after a template edit
            if isinstance(seen, int) and seen != self.preview.generation:
                # The page was served before the last build finished, and its tab connected
                # after that build's update went out: bring this tab up to date now.
                update = {"generation": self.preview.generation, "everyone": True}
                self.write_message(
                    {"command": "reload", "path": UPDATE_PATH, "originalPath": json.dumps(update)}
                )


class ClientScript(LiveReloadJSHandler):
    """livereload.js."""

    def initialize(self, preview: PreviewState) -> None:
        self.preview = preview

    def prepare(self) -> None:
        if not self.preview.host_allowed(self.request.host):
            raise HTTPError(400, "unknown Host")
        self.set_header("Cache-Control", "no-store")
