"""Write → notified: how long after a save a tab connected to `site-builder serve` is told.

Measured as a browser tab sees it: connected to the live-reload websocket, handshake
done, timed from calling `change()` (e.g. writing a file) to the next message. Used by
bench/bench.py and by tests/test_server.py."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

LIVERELOAD_PROTOCOL = "http://livereload.com/protocols/official-7"


def measure_reload_latency(
    url: str, change: Callable[[], object], timeout: float = 10.0, shown: str = "", updates: int = 1
) -> float:
    """Seconds from `change()` until the preview at `url` sends its next reload or update
    message. Call it while the server is idle.

    With `shown` (a URL path), the socket says it is a tab showing that page, as the
    preview's client does: after a template edit the server sends that page first, then
    the rest (`updates=2`); this returns once every update came, so the server is idle."""
    # A thread of its own: the caller's thread may already run an event loop (async code,
    # Playwright's sync API), where asyncio.run() is not allowed.
    with ThreadPoolExecutor(max_workers=1) as pool:
        measuring = _reload_latency(url, change, timeout, shown, updates)
        return pool.submit(asyncio.run, measuring).result()


async def _reload_latency(
    url: str, change: Callable[[], object], timeout: float, shown: str, updates: int
) -> float:
    netloc = urlsplit(url).netloc
    request = HTTPRequest(f"ws://{netloc}/livereload", headers={"Origin": f"http://{netloc}"})
    connection = await asyncio.wait_for(websocket_connect(request), timeout)
    try:
        hello = {"command": "hello", "protocols": [LIVERELOAD_PROTOCOL]}
        await connection.write_message(json.dumps(hello))
        reply = await asyncio.wait_for(connection.read_message(), timeout)
        if reply is None or json.loads(reply).get("command") != "hello":
            raise ConnectionError(f"no livereload handshake from {url}")
        if shown:
            # An out-of-date generation: its answer (a reload) says the server has read
            # which page this tab shows.
            plugins = {"site-builder": {"generation": -1, "page": shown}}
            await connection.write_message(json.dumps({"command": "info", "plugins": plugins}))
            await asyncio.wait_for(connection.read_message(), timeout)
        started = time.perf_counter()
        change()
        deadline = started + timeout
        told: list[float] = []
        while len(told) < updates:
            remaining = deadline - time.perf_counter()
            message = await asyncio.wait_for(connection.read_message(), max(remaining, 0.001))
            if message is None:
                raise ConnectionError(f"{url} closed the connection")
            if json.loads(message).get("command") == "reload":
                told.append(time.perf_counter() - started)
        return told[0]
    finally:
        connection.close()
