"""Ingest: turn an article feed into source records (`site-builder ingest FEED`).

`site-builder ingest FEED` reads an RSS 2.0, Atom or JSON Feed document (a file or a URL) and
writes one YAML record per item to `content/sources/<id>.yaml`. The record model, loading records
and checking quotes against them are in content/sources.py, which every build imports; this
package — and with it urllib.request, http.client, html.parser and feedparser — is loaded only
by the `ingest` command. Its modules, in the order a feed goes through them:

| module | its one job |
| --- | --- |
| `fetch.py` | the feed's bytes from a file or URL, within the size cap and the timeout |
| `parse.py` | bytes → `Feed` and its `Item`s, each item's text made plain |
| `quotations.py` | an item's quotations and their speakers |
| `records.py` | an item → its record; whether (and what) to write |
| `feed.py` | `ingest`: all of the above, all or nothing |

The rules, in one place:

* **id** — `sources.source_id(guid or link)`: lowercased, accents dropped, every run of characters
  outside `[a-z0-9]` turned into `-`, trimmed; one longer than 80 characters keeps its start and
  ends in a hash of the guid. It never changes for an item, so pages can cite it. An id that is a
  device name Windows cannot check out (`con`, `nul`, `com1`…) is refused, as pages' names are.
* **outlet** — the channel (feed) title up to its first ` - `, ` – `, ` — ` or ` | `
  ("DAILY NEWS - Economy" → "DAILY NEWS"); the host name of the feed's link when there is no title.
* **url** — the item's link; when the item has none, the channel's link, and `url_from: feed`
  says so (`url_from: item` otherwise). It must pass the links' allowlist (http, https, mailto
  or a relative link: `urls.url_problem`), or the item is refused.
* **published** — ISO 8601 with the zone the feed gives (`2025-07-27T09:57:00+03:00`); the
  item's published date, else its updated date. A date without a zone is an error, since
  guessing one would misdate the article.
* **text** — the item's full content, else its description, as plain text (parse.py), without
  control characters. Quotation positions are character offsets into this text, whose sha256 is
  kept as `content_hash` so a re-ingest can say the text changed.
* **quotations** — every passage between “ and ” (or two "), with its speaker: quotations.py
  gives the rules.

Ingesting is all or nothing: every item is checked first, and any problem — an unreadable or
malformed feed (a feed server silent for `timeout` seconds counts as unreadable, and a feed
larger than `max_bytes` is refused unread), an item without text, id, title or dated zone, a
record edited by hand — raises `BuildFailed` before a single file is written, each problem
naming the feed (and the item) it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.content.sources import display_path
from site_builder.errors import BuildFailed, Diagnostic
from site_builder.ingest.fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    FeedError,
    is_url,
    read_feed,
)
from site_builder.ingest.parse import Feed, parse_feed
from site_builder.ingest.records import Planned, plan_record, record_fields, write_atomically

__all__ = ["DEFAULT_MAX_BYTES", "DEFAULT_TIMEOUT", "IngestReport", "ingest"]


@dataclass
class IngestReport:
    lines: list[str] = field(default_factory=list)


def ingest(
    feed: str,
    sources_dir: Path,
    project_dir: Path,
    *,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> IngestReport:
    """Write or update one record per item of `feed` (a path or URL) in `sources_dir`.

    Nothing is written unless every item is fine; otherwise BuildFailed lists every problem.
    Fetching a URL gives up when the server sends nothing for `timeout` seconds (connecting,
    or waiting for the next part of the answer); a feed over `max_bytes` is refused.
    """
    feed_name = feed if is_url(feed) else display_path(feed, project_dir)
    try:
        parsed = parse_feed(*read_feed(feed, timeout, max_bytes))
    except FeedError as error:
        raise BuildFailed([Diagnostic(feed_name, error.line, error.col, error.message)]) from None
    except RecursionError:  # a parser recursing on nesting no real feed has
        message = "not a valid RSS, Atom or JSON feed: nested too deep for any real feed"
        raise BuildFailed([Diagnostic(feed_name, message=message)]) from None

    records, diagnostics = _records(parsed, feed_name)
    plans: list[Planned] = []
    for record_id, fields in records.items():
        path = sources_dir / f"{record_id}.yaml"
        shown = display_path(path, project_dir)
        try:
            plans.append(plan_record(path, fields, shown, force))
        except ValueError as error:
            diagnostics.append(Diagnostic(shown, message=str(error)))
    if diagnostics:
        raise BuildFailed(diagnostics)

    for plan in plans:
        if plan.text is not None:
            write_atomically(plan.path, plan.text)
    lines = [plan.line for plan in plans]
    lines += [f"warning: {feed_name}: {warning}" for warning in parsed.warnings]
    if not parsed.items:
        lines.append(f"{feed_name}: the feed has no items")
    return IngestReport(lines)


def _records(parsed: Feed, feed_name: str) -> tuple[dict[str, dict[str, Any]], list[Diagnostic]]:
    """Each item's record by id, and a problem (naming the feed and the item) for each item
    that cannot be one."""
    diagnostics: list[Diagnostic] = []
    records: dict[str, dict[str, Any]] = {}
    for item in parsed.items:
        label = f"item {item.number}" + (f" “{item.title[:80]}”" if item.title else "")
        try:
            fields = record_fields(item, parsed, feed_name)
        except ValueError as error:
            diagnostics.append(Diagnostic(feed_name, message=f"{label}: {error}"))
            continue
        if fields["id"] in records:
            message = f"{label}: its id {fields['id']} is also the id of an earlier item"
            diagnostics.append(Diagnostic(feed_name, message=message))
            continue
        records[fields["id"]] = fields
    return records, diagnostics
