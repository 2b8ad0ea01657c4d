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


def measure_reload_latency(url: str, change: Callable[[], object], timeout: float = 10.0) -> float:
    """Seconds from `change()` until the preview at `url` sends its next reload or update
    message. Call it while the server is idle."""
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
