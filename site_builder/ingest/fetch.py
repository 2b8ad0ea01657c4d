"""Reading a feed's bytes, from a file or a URL, within a size cap and a timeout.

A feed is refused before it is parsed when it is larger than `max_bytes` (ingest's
`--max-size`, 10 MiB by default): a file by its size on disk, an answer by its
Content-Length, or as soon as more bytes arrive than the cap allows. A compressed answer
is decompressed here, within the same cap, so a small gzip bomb cannot grow into
gigabytes. `timeout` bounds the whole download: a server that sends nothing for `timeout`
seconds is given up on, and so is one that keeps sending a trickle past `timeout` seconds in all
(checked as each piece arrives, so the wait ends at most one silent `timeout` later).
"""

from __future__ import annotations

import email.message
import http.client
import urllib.error
import urllib.parse
import urllib.request
import urllib.response
import zlib
from io import BytesIO
from pathlib import Path
from time import monotonic
from typing import Any

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT", "FeedError", "is_url", "read_feed"]

DEFAULT_TIMEOUT = 30.0  # seconds a feed server may stay silent before ingest gives up
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # a news feed is a few hundred KiB
_URL_SCHEMES = {"http", "https", "ftp", "file", "feed"}
_CHUNK = 64 * 1024


class FeedError(Exception):
    """A problem with the feed as a whole; becomes one diagnostic naming the feed."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


def is_url(feed: str) -> bool:
    return urllib.parse.urlparse(feed).scheme in _URL_SCHEMES


def too_big(max_bytes: int) -> FeedError:
    return FeedError(
        f"the feed is larger than {_size(max_bytes)}, the limit; a news feed is far smaller "
        "(check the URL or file), or raise the limit with --max-size MIB"
    )


def _size(count: int) -> str:
    mib = count / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{count} bytes"


class _Limits(urllib.request.BaseHandler):
    """Gives each request of a fetch — redirects and auth retries too — a socket timeout,
    and reads each answer within the size cap and the fetch's deadline, decompressing it here.

    urllib passes `request.timeout` to the connection, which applies it to the connect and to
    every wait for data. feedparser's fetcher opens with no timeout (it would wait forever) but
    takes extra handlers, and a handler's `<scheme>_request` method may set it. Nothing global
    changes: the timeout lives on the request. The answer handed on to feedparser is already
    whole and plain (no Content-Encoding left for it to inflate without a bound).
    """

    def __init__(self, seconds: float, max_bytes: int) -> None:
        self.seconds = seconds
        self.max_bytes = max_bytes
        self.deadline = monotonic() + seconds  # for the fetch as a whole, redirects included

    def http_request(self, request: urllib.request.Request) -> urllib.request.Request:
        remaining = self.deadline - monotonic()
        if remaining <= 0:
            raise too_slow(self.seconds)
        request.timeout = min(self.seconds, remaining)
        return request

    def http_response(self, request: urllib.request.Request, response: Any) -> Any:
        headers = response.headers
        length = headers.get("content-length", "")
        if length.strip().isdigit() and int(length) > self.max_bytes:
            raise too_big(self.max_bytes)
        data = _read_capped(response, self.max_bytes, self.deadline, self.seconds)
        if length.strip().isdigit() and len(data) < int(length):
            raise http.client.IncompleteRead(data, int(length) - len(data))
        encoding = (headers.get("content-encoding") or "").strip().lower()
        if encoding in ("gzip", "x-gzip", "deflate"):
            data = _inflate(data, self.max_bytes)
        plain = email.message.Message()
        for key, value in headers.items():
            if key.lower() not in ("content-encoding", "content-length", "transfer-encoding"):
                plain[key] = value
        return _Answer(BytesIO(data), plain, response.geturl(), response.code, response.msg)

    https_request = ftp_request = http_request
    https_response = http_response


class _Answer(urllib.response.addinfourl):
    """A whole answer read into memory; its status may be set (feedparser sets it)."""

    status = 0

    def __init__(self, body: BytesIO, headers: Any, url: str, code: int, msg: str) -> None:
        super().__init__(body, headers, url, code)
        self.status = code
        self.msg = msg


def too_slow(seconds: float) -> FeedError:
    return FeedError(
        f"cannot fetch the feed: the download took longer than {seconds:g} s; "
        "check the URL, try again later, or wait longer with --timeout SECONDS"
    )


def _read_capped(response: Any, max_bytes: int, deadline: float, seconds: float) -> bytes:
    # read1 hands back what has arrived (up to _CHUNK) instead of waiting for a whole chunk,
    # so a trickling server meets the deadline check after each piece.
    read = getattr(response, "read1", response.read)
    parts: list[bytes] = []
    total = 0
    while chunk := read(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise too_big(max_bytes)
        if monotonic() > deadline:
            raise too_slow(seconds)
        parts.append(chunk)
    return b"".join(parts)


def _inflate(data: bytes, max_bytes: int) -> bytes:
    """gzip or zlib (or raw deflate) data inflated, never past `max_bytes`."""
    for wbits in (47, -15):  # 47: gzip or zlib, told apart by the header; -15: raw deflate
        inflater = zlib.decompressobj(wbits)
        try:
            plain = inflater.decompress(data, max_bytes + 1)
        except zlib.error:
            continue
        if len(plain) > max_bytes or inflater.unconsumed_tail:
            raise too_big(max_bytes)
        return plain
    raise FeedError("cannot fetch the feed: the server's compressed answer is damaged")


def read_feed(feed: str, timeout: float, max_bytes: int) -> tuple[bytes, dict[str, str]]:
    """The feed's bytes and, for a URL, its response headers (they carry the encoding)."""
    if is_url(feed):
        return _fetch(feed, timeout, max_bytes)
    path = Path(feed).expanduser()
    try:
        if path.stat().st_size > max_bytes:
            raise too_big(max_bytes)
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FeedError("feed file not found") from None
    except IsADirectoryError:
        raise FeedError("is a directory, not a feed file") from None
    except OSError as error:
        raise FeedError(f"cannot read the feed: {error.strerror or error}") from error
    if len(data) > max_bytes:  # a file that grew, or a device
        raise too_big(max_bytes)
    return data, {}


def _fetch(feed: str, timeout: float, max_bytes: int) -> tuple[bytes, dict[str, str]]:
    result: dict[str, Any] = {}
    try:
        # feedparser's own fetcher: its Accept and User-Agent headers, `feed:` URLs.
        from feedparser import http as feedparser_http  # only URLs need it (slow import)

        data = feedparser_http.get(feed, handlers=[_Limits(timeout, max_bytes)], result=result)
    except FeedError:
        raise
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
        reason = getattr(error, "reason", None) or error
        if isinstance(reason, FeedError):
            raise reason from None
        if isinstance(reason, TimeoutError):
            raise FeedError(
                f"cannot fetch the feed: the server sent nothing for {timeout:g} s; "
                "check the URL, try again later, or wait longer with --timeout SECONDS"
            ) from error
        if isinstance(reason, http.client.IncompleteRead):
            reason = "the server closed the connection before sending the whole feed"
        elif isinstance(reason, http.client.HTTPException) and not isinstance(reason, OSError):
            reason = f"the server's answer is not HTTP ({type(reason).__name__})"
        raise FeedError(f"cannot fetch the feed: {reason}") from error
    # feedparser hands back error pages instead of raising; their HTML is no feed.
    status = result.get("status", 200)
    if status >= 400:
        raise FeedError(f"cannot fetch the feed: HTTP status {status}")
    headers = dict(result.get("headers", {}))
    headers.setdefault("content-location", result.get("href", feed))
    return data or b"", headers
