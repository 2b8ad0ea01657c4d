"""An item → its source record: the record's fields, its text, and whether to write it.

The rules for each key are in feed.py's docstring. Records are written deterministically
(fixed key order, no clock), so re-ingesting the same feed leaves every byte alone. The last
line of a record, `record_hash`, is the sha256 of everything above it: a record whose hash no
longer matches was edited by hand, and ingest refuses to overwrite it without `force`.
Every value ingest writes is checked by the rules a build reads records with: the id must
name a file every system can hold (sources.id_problem), the URL must pass the links'
allowlist (urls.url_problem).
"""

from __future__ import annotations

import hashlib
import os
import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import yaml

from site_builder.content.files import MAX_FILE_BYTES
from site_builder.content.sources import KNOWN_RECORD_KEYS, RECORD_KEYS, id_problem, source_id
from site_builder.content.urls import url_problem
from site_builder.ingest.parse import Feed, Item
from site_builder.ingest.quotations import extract_quotations

__all__ = ["Planned", "plan_record", "record_fields", "write_atomically"]


@dataclass(frozen=True)
class Planned:
    """A record ingest means to write, and how to report it."""

    path: Path
    text: str | None  # None: the file is already right
    line: str


_HEADER = (
    "# A source record written by `site-builder ingest`. Edits by hand are kept: ingest will\n"
    "# not overwrite this file once it is edited, unless run with --force.\n"
)
# How a changed key is named in "updated …: title, text".
_CHANGE_LABELS = {"content_hash": "text"}


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _outlet(feed: Feed) -> str:
    """The channel title up to " - " ("DAILY NEWS - Economy" → "DAILY NEWS"), else the link's host."""
    outlet = re.split(r" [-–—|] ", feed.title, maxsplit=1)[0].strip()
    if outlet:
        return outlet
    host = urllib.parse.urlparse(feed.link).hostname or ""
    return host.removeprefix("www.")


def _iso_date(raw: str) -> str:
    """RFC 822 (RSS) or RFC 3339 (Atom, JSON Feed) → ISO 8601 keeping the zone."""
    raw = raw.strip()
    try:
        moment = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError, OverflowError):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"cannot read its date “{raw[:60]}”") from None
    if moment.tzinfo is None:
        raise ValueError(f"its date “{raw[:60]}” has no time zone")
    return moment.isoformat()


_MAX_GUID = 2048  # characters; a guid is a URL or a tag, never a document
# What a record may not hold, as the build reads it (yamlsafe.py): C0 and C1 controls other
# than tab and newline, and lone surrogates. A feed's text is cleaned of them before use.
_CONTROLS_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _clean(text: str) -> str:
    return _CONTROLS_RE.sub("", text)


def record_fields(item: Item, feed: Feed, feed_name: str) -> dict[str, Any]:
    """The record of one item, keys in the order they are written. Raises ValueError."""
    guid = _clean(item.guid or item.link)
    text = _clean(item.text)
    if not guid:
        raise ValueError("it has no guid/id and no link to derive an id from")
    if len(guid) > _MAX_GUID:
        raise ValueError(f"its guid/id is longer than {_MAX_GUID} characters")
    if not item.title:
        raise ValueError("it has no title")
    if not text:
        raise ValueError("it has no text (no content and no description)")
    if not (item.date.strip()):
        raise ValueError("it has no date (published or updated)")
    url = _clean(item.link or feed.link)
    if not url:
        raise ValueError("it has no link, and neither has the feed")
    if problem := url_problem(url):
        whose = "its link" if item.link else "the feed's link (it has none of its own)"
        raise ValueError(f"{whose}: {problem}")
    outlet = _clean(_outlet(feed))
    if not outlet:
        raise ValueError("the feed has no title or link to name the outlet")
    record_id = source_id(guid)
    if problem := id_problem(record_id):
        raise ValueError(f"{problem} (it comes from the guid {guid[:60]!r})")
    return {
        "id": record_id,
        "guid": guid,
        "outlet": outlet,
        "title": _clean(item.title),
        "author": _clean(", ".join(item.authors)) or None,
        "published": _iso_date(item.date),
        "url": url,
        "url_from": "item" if item.link else "feed",
        "categories": [_clean(category) for category in item.categories],
        "feed": feed_name,
        "content_hash": _sha256(text),
        "quotations": [
            {"text": q.text, "speaker": q.speaker, "position": q.position}
            for q in extract_quotations(text)
        ],
    }


def _record_text(fields: dict[str, Any]) -> str:
    body = _HEADER + yaml.safe_dump(
        fields, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
    return body + f"record_hash: {_sha256(body)}\n"


def _untouched(text: str) -> bool:
    """True when the record is exactly as ingest last wrote it (its record_hash still holds)."""
    body, _, last = text.rstrip("\n").rpartition("\n")
    return last == f"record_hash: {_sha256(body + chr(10))}"


def _changes(old_text: str, new: dict[str, Any]) -> list[str]:
    """The keys whose values differ, named for people ("text" rather than "content_hash")."""
    try:
        old = yaml.safe_load(old_text)
    except yaml.YAMLError:
        old = None
    if not isinstance(old, dict):
        return ["everything"]
    keys = [k for k in RECORD_KEYS if old.get(k) != new.get(k)]
    keys += sorted(k for k in old if k not in KNOWN_RECORD_KEYS)  # keys a writer added
    return [_CHANGE_LABELS.get(k, k) for k in keys] or ["layout"]


_QUOTATION_BYTES = 30  # what a quotation takes in a record besides its text, at the least
_TOO_LARGE = (
    f"the record would be larger than {MAX_FILE_BYTES // 1024} KiB, the most a build reads of "
    "one file; the item quotes too much to keep as a record"
)


def plan_record(path: Path, fields: dict[str, Any], shown: str, force: bool) -> Planned:
    """What to do with one record's file. Raises ValueError when it must not be touched."""
    # Refused before it is written out (PyYAML's writer takes seconds per MiB) when its
    # quotations alone would pass the limit; else after.
    least = sum(len(q["text"].encode("utf-8")) + _QUOTATION_BYTES for q in fields["quotations"])
    if least > MAX_FILE_BYTES:
        raise ValueError(_TOO_LARGE)
    text = _record_text(fields)
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise ValueError(_TOO_LARGE)
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Planned(path, text, f"created {shown}")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read the existing record: {error}") from None
    if old == text:
        return Planned(path, None, f"unchanged {shown}")
    _check_same_item(old, fields)
    changed = ", ".join(_changes(old, fields))
    if _untouched(old):
        return Planned(path, text, f"updated {shown}: {changed}")
    if not force:
        raise ValueError(
            "edited by hand since it was ingested (its record_hash no longer matches); "
            "not overwritten — ingest again with --force to replace it and lose the edits"
        )
    return Planned(path, text, f"overwrote hand-edited {shown}: {changed}")


def _check_same_item(old_text: str, fields: dict[str, Any]) -> None:
    """Two guids can share a slug ("a:b", "a-b"); one must not silently replace the other."""
    try:
        old = yaml.safe_load(old_text)
    except yaml.YAMLError:
        return
    old_guid = old.get("guid") if isinstance(old, dict) else None
    if isinstance(old_guid, str) and old_guid != fields["guid"]:
        raise ValueError(
            f"this record is for the item {old_guid!r}, not {fields['guid']!r}, "
            "whose id is the same; give one of them another guid"
        )


def write_atomically(path: Path, text: str) -> None:
    """Write beside the target, then rename: a reader never sees half a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8", newline="\n")
    os.replace(temporary, path)
