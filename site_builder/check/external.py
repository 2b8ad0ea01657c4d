"""External links: fetched only with `site-builder check --external`, remembered a week.

Each distinct http(s) URL is fetched once (HEAD, then GET for servers that refuse
HEAD) with a timeout; the ones that worked are kept in
`.site-builder-cache/external-links.json` so a re-run asks only about new and
failing links.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request, urlopen

from site_builder.check.site import ExternalLink
from site_builder.errors import Diagnostic

CACHE_FILE = "external-links.json"
CACHE_MAX_AGE = dt.timedelta(days=7)
USER_AGENT = "site_builder link checker (+https://github.com/)"
FETCH_WORKERS = 8


# -- external links ----------------------------------------------------------------------


@dataclass(frozen=True)
class LinkStatus:
    ok: bool
    detail: str  # "200", "404 Not Found", "timed out after 10 s", ...
    warning: bool = False  # rate-limited: neither broken nor confirmed


def fetch_status(url: str, timeout: float) -> LinkStatus:
    """HEAD the URL; if the server answers HEAD with an error, ask again with GET."""
    try:
        return _request(url, "HEAD", timeout)
    except HTTPError:
        pass  # many servers refuse or mishandle HEAD (403, 405, 501...): GET decides
    except (URLError, TimeoutError, OSError, ValueError) as exc:
        return _failure(exc, timeout)
    try:
        return _request(url, "GET", timeout)
    except HTTPError as exc:
        if exc.code == 429:
            return LinkStatus(False, "429 Too Many Requests (not verified)", warning=True)
        return LinkStatus(False, f"{exc.code} {exc.reason}")
    except (URLError, TimeoutError, OSError, ValueError) as exc:
        return _failure(exc, timeout)


def _request(url: str, method: str, timeout: float) -> LinkStatus:
    request = Request(url, method=method, headers={"User-Agent": USER_AGENT})
    with urlopen(request, timeout=timeout) as response:
        return LinkStatus(True, str(response.status))


def _failure(exc: BaseException, timeout: float) -> LinkStatus:
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return LinkStatus(False, f"timed out after {timeout:g} s")
    return LinkStatus(False, f"failed: {reason}")


class LinkCache:
    """URLs that answered well recently, kept in a JSON file between runs."""

    def __init__(self, file: Path, now: dt.datetime | None = None) -> None:
        self.file = file
        self.now = now or dt.datetime.now(dt.UTC)
        self.entries: dict[str, dict[str, str]] = {}
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            if isinstance(data, dict) and isinstance(data.get("links"), dict):
                self.entries = data["links"]
        except (OSError, ValueError):
            pass  # no cache yet, or a damaged one: start afresh

    def fresh(self, url: str) -> LinkStatus | None:
        entry = self.entries.get(url)
        try:
            checked = dt.datetime.fromisoformat(entry["checked"]) if entry else None
        except (KeyError, TypeError, ValueError):
            return None
        if checked is None or self.now - checked > CACHE_MAX_AGE:
            return None
        return LinkStatus(True, f"{entry['status']} (cached)")  # type: ignore[index]

    def remember(self, url: str, status: LinkStatus) -> None:
        # Only successes are kept: a failing link is asked about again next time, since the
        # point of re-running is usually to see whether it has been fixed.
        if status.ok:
            self.entries[url] = {"status": status.detail, "checked": self.now.isoformat()}

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.file.with_name(self.file.name + f".tmp-{os.getpid()}")
        data = {"version": 1, "links": dict(sorted(self.entries.items()))}
        temporary.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        temporary.replace(self.file)


def check_external(
    links: list[ExternalLink], timeout: float, cache: LinkCache
) -> tuple[list[Diagnostic], dict[str, LinkStatus]]:
    """Fetch each distinct http(s) URL once (in parallel) and report the broken ones."""
    urls = sorted({link.url for link in links if urlsplit(link.url).scheme in ("http", "https")})
    statuses = {url: status for url in urls if (status := cache.fresh(url)) is not None}
    to_fetch = [url for url in urls if url not in statuses]
    with ThreadPoolExecutor(max_workers=FETCH_WORKERS) as pool:
        for url, status in zip(
            to_fetch, pool.map(lambda u: fetch_status(u, timeout), to_fetch), strict=True
        ):
            statuses[url] = status
            cache.remember(url, status)
    diagnostics = []
    for link in links:
        status = statuses.get(link.url)
        if status is not None and not status.ok:
            severity = "warning" if status.warning else "error"
            message = f"external link {link.url}: {status.detail}"
            diagnostics.append(Diagnostic(link.path, link.line, link.col, message, severity))
    return diagnostics, statuses
