"""Ingest: turn an article feed into source records (`site-builder ingest FEED`).

`site-builder ingest FEED` reads an RSS 2.0, Atom or JSON Feed document (a file or a URL) and
writes one YAML record per item to `content/sources/<id>.yaml`. The record model, loading records
and checking quotes against them are in sources.py, which every build imports; this module — and
with it urllib.request, http.client, html.parser and feedparser — is loaded only by the `ingest`
command.

The rules, in one place:

* **id** — `sources.source_id(guid or link)`: lowercased, accents dropped, every run of characters
  outside `[a-z0-9]` turned into `-`, trimmed. It never changes for an item, so pages can cite it.
* **outlet** — the channel (feed) title up to its first ` - `, ` – `, ` — ` or ` | `
  ("PUKMEDIA - Economy" → "PUKMEDIA"); the host name of the feed's link when there is no title.
* **url** — the item's link; when the item has none, the channel's link, and `url_from: feed`
  says so (`url_from: item` otherwise).
* **published** — ISO 8601 with the zone the feed gives (`2025-07-27T09:57:00+03:00`); the
  item's published date, else its updated date. A date without a zone is an error, since
  guessing one would misdate the article.
* **text** — the item's full content (`content:encoded`, Atom `content`, JSON `content_html`)
  when it has any, else its description/summary, turned into plain text: tags dropped, entities
  decoded, each block element a paragraph, paragraphs joined by a blank line. Quotation
  positions are character offsets into this text, whose sha256 is kept as `content_hash` so a
  re-ingest can say the text changed.
* **quotations** — every passage between “ and ” (or between two " in one paragraph), in
  order, with the marks left out; `text[position:position + len(quotation)]` is the quotation.
  A “ left open at the end of a paragraph (the convention for a quotation running on into the
  next paragraph) closes there. Single quotes are not read as quotations: ’ is also an
  apostrophe. The speaker comes from the first of these rules that applies, else null:
    1. attribution after the quote: `“…,” said Professor Wu Xinbo, …` (or `said the analyst
       Wu Xinbo`) or `“…,” Bessent said`;
    2. attribution before it: `Bessent said: “…”`, `According to Wu Xinbo, “…”`;
    3. the subject of a sentence that embeds the quote after a verb of saying:
       `Beijing has kept the agenda vague, stating that talks will continue “…”`;
    4. a quote that opens its own sentence right after an attributed quote in the same paragraph
       continues that speaker: `“…,” Bessent said, noting …. “But right now, …”`.
  A name is a run of capitalised words; titles before it are dropped ("U.S. President Donald
  Trump" → "Donald Trump", the list is `_TITLES`), a surname alone is completed from a fuller
  mention elsewhere in the article ("Bessent" → "Scott Bessent"), "he"/"she" is the last person
  named before the quote (outside quotations), and a possessive ("Trump’s spokesman") is
  nobody. Words capitalised only because they open a sentence ("Judges called it “…”") are
  not names. (`sources.person_name` reads a name, and holds `_TITLES`: a page's speaker is
  read by the same rules when its quote is checked.)

Ingesting is all or nothing: every item is checked first, and any problem — an unreadable or
malformed feed (a feed server silent for `timeout` seconds counts as unreadable), an item without
text, id, title or dated zone, a record edited by hand — raises `BuildFailed` before a single file
is written. Records are written deterministically (fixed key order, no clock), so re-ingesting
the same feed leaves every byte alone. The last line of a record, `record_hash`, is the sha256 of
everything above it: a record whose hash no longer matches was edited by hand, and ingest refuses
to overwrite it without `force`.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from site_builder.content.names import (
    OPENING_MARKS,
    bare_word,
    ends_sentence,
    is_abbreviation,
    person_name,
)
from site_builder.content.sources import (
    KNOWN_RECORD_KEYS,
    RECORD_KEYS,
    Quotation,
    display_path,
    source_id,
)
from site_builder.errors import BuildFailed, Diagnostic

__all__ = ["DEFAULT_TIMEOUT", "IngestReport", "extract_quotations", "ingest"]


@dataclass
class IngestReport:
    lines: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# Reading a feed


class _FeedError(Exception):
    """A problem with the feed as a whole; becomes one diagnostic."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line, self.col = message, line, col


@dataclass(frozen=True)
class _Item:
    number: int  # 1-based place in the feed, for messages
    guid: str
    link: str
    title: str
    authors: tuple[str, ...]
    date: str  # as the feed writes it
    categories: tuple[str, ...]
    text: str  # plain text


@dataclass(frozen=True)
class _Feed:
    title: str
    link: str
    items: tuple[_Item, ...]
    warnings: tuple[str, ...] = ()


_INVALID = "not a valid RSS, Atom or JSON feed"
DEFAULT_TIMEOUT = 30.0  # seconds a feed server may stay silent before ingest gives up
_URL_SCHEMES = {"http", "https", "ftp", "file", "feed"}


def _is_url(feed: str) -> bool:
    return urllib.parse.urlparse(feed).scheme in _URL_SCHEMES


class _FetchTimeout(urllib.request.BaseHandler):
    """Gives each request of a fetch — redirects and auth retries too — a socket timeout.

    urllib passes `request.timeout` to the connection, which applies it to the connect and to
    every wait for data. feedparser's fetcher opens with no timeout (it would wait forever) but
    takes extra handlers, and a handler's `<scheme>_request` method may set it. Nothing global
    changes: the timeout lives on the request.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def http_request(self, request: urllib.request.Request) -> urllib.request.Request:
        request.timeout = self.seconds
        return request

    https_request = ftp_request = http_request


def _read_feed(feed: str, timeout: float) -> tuple[bytes, dict[str, str]]:
    """The feed's bytes and, for a URL, its response headers (they carry the encoding)."""
    if _is_url(feed):
        result: dict[str, Any] = {}
        try:
            # feedparser's own fetcher: its Accept and User-Agent headers, gzip, `feed:` URLs.
            from feedparser import http as feedparser_http  # only URLs need it (slow import)

            data = feedparser_http.get(feed, handlers=[_FetchTimeout(timeout)], result=result)
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", None) or error
            if isinstance(reason, TimeoutError):
                raise _FeedError(
                    f"cannot fetch the feed: the server sent nothing for {timeout:g} s; "
                    "check the URL, try again later, or wait longer with --timeout SECONDS"
                ) from error
            if isinstance(reason, http.client.IncompleteRead):
                reason = "the server closed the connection before sending the whole feed"
            elif isinstance(reason, http.client.HTTPException) and not isinstance(reason, OSError):
                reason = f"the server's answer is not HTTP ({type(reason).__name__})"
            raise _FeedError(f"cannot fetch the feed: {reason}") from error
        # feedparser hands back error pages instead of raising; their HTML is no feed.
        status = result.get("status", 200)
        if status >= 400:
            raise _FeedError(f"cannot fetch the feed: HTTP status {status}")
        headers = dict(result.get("headers", {}))
        headers.setdefault("content-location", result.get("href", feed))
        return data or b"", headers
    path = Path(feed).expanduser()
    try:
        return path.read_bytes(), {}
    except FileNotFoundError:
        raise _FeedError("feed file not found") from None
    except IsADirectoryError:
        raise _FeedError("is a directory, not a feed file") from None
    except OSError as error:
        raise _FeedError(f"cannot read the feed: {error.strerror or error}") from error


def _parse_feed(data: bytes, headers: dict[str, str]) -> _Feed:
    if not data.strip():
        raise _FeedError(f"{_INVALID}: the file is empty")
    # feedparser 6 reads only XML feeds; JSON Feed is simple enough to read with json.
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return _parse_json_feed(data)
    return _parse_xml_feed(data, headers)


# Problems feedparser works around safely (an HTML entity in RSS, a wrong declared encoding):
# the items are complete, so they are warnings. Broken structure is not: a truncated feed
# would give a truncated article, and quotations cut short.
_HARMLESS_XML_ERRORS = {"undefined entity"}


def _parse_xml_feed(data: bytes, headers: dict[str, str]) -> _Feed:
    import feedparser  # imported here: a slow import, and only XML feeds need it

    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers)
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    warnings: list[str] = []
    if problem is not None:
        is_xml_error = hasattr(problem, "getLineNumber")
        reason = problem.getMessage() if is_xml_error else str(problem)
        if not parsed.entries or (is_xml_error and reason not in _HARMLESS_XML_ERRORS):
            line = problem.getLineNumber() if is_xml_error else None
            col = problem.getColumnNumber() + 1 if is_xml_error else None
            raise _FeedError(f"{_INVALID}: {reason}", line, col)
        warnings.append(f"the feed is not well-formed ({reason}); read it leniently")
    elif not parsed.get("version") and not parsed.entries:
        raise _FeedError(f"{_INVALID}: no <rss>, <feed> or JSON Feed document found")
    # Atom entries inherit the feed's author (RFC 4287 §4.2.1); RSS items do not.
    inherited = (
        _feedparser_authors(parsed.feed) if parsed.get("version", "").startswith("atom") else ()
    )
    items = tuple(
        _feedparser_item(number, entry, inherited)
        for number, entry in enumerate(parsed.entries, start=1)
    )
    feed = parsed.feed
    return _Feed(_clean_line(feed.get("title", "")), feed.get("link", ""), items, tuple(warnings))


def _feedparser_item(number: int, entry: Any, inherited_authors: tuple[str, ...]) -> _Item:
    return _Item(
        number=number,
        guid=entry.get("id", "") or "",
        link=entry.get("link", "") or "",
        title=_feedparser_title(entry),
        authors=_feedparser_authors(entry) or inherited_authors,
        date=entry.get("published") or entry.get("updated") or "",
        categories=_unique(
            tag.get("term") or tag.get("label") or "" for tag in entry.get("tags", [])
        ),
        text=_feedparser_text(entry),
    )


def _feedparser_title(entry: Any) -> str:
    detail = entry.get("title_detail") or {}
    title = entry.get("title", "") or ""
    return _html_to_text(title) if "html" in detail.get("type", "") else _clean_line(title)


def _feedparser_authors(node: Any) -> tuple[str, ...]:
    names = [a.get("name") or a.get("email") or "" for a in node.get("authors", []) if a]
    return _unique(names) or _unique([node.get("author", "") or ""])


def _feedparser_text(entry: Any) -> str:
    """The fullest text the item offers: its content, else its description/summary."""
    candidates = [(c.get("type", ""), c.get("value", "")) for c in entry.get("content", [])]
    texts = [_to_text(value, kind) for kind, value in candidates]
    # feedparser can list the description among the contents (beside content:encoded);
    # the full article is the longest of them.
    best = max(texts, key=len, default="")
    if best:
        return best
    detail = entry.get("summary_detail") or {}
    return _to_text(entry.get("summary", "") or "", detail.get("type", "text/html"))


def _parse_json_feed(data: bytes) -> _Feed:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise _FeedError(f"{_INVALID}: JSON Feed must be UTF-8 ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise _FeedError(f"{_INVALID}: {error.msg}", error.lineno, error.colno) from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise _FeedError(f"{_INVALID}: a JSON document without a JSON Feed “version”")
    items = document.get("items")
    if not isinstance(items, list):
        raise _FeedError(f"{_INVALID}: JSON Feed “items” must be a list")
    inherited = _json_authors(document)
    return _Feed(
        title=_clean_line(_json_str(document, "title")),
        link=_json_str(document, "home_page_url"),
        items=tuple(
            _json_item(number, item, inherited) for number, item in enumerate(items, start=1)
        ),
    )


def _json_item(number: int, item: Any, inherited_authors: tuple[str, ...]) -> _Item:
    if not isinstance(item, dict):
        item = {}  # reported later as an item without id or text
    if _json_str(item, "content_html"):
        text = _html_to_text(_json_str(item, "content_html"))
    else:
        text = _plain_to_text(_json_str(item, "content_text") or _json_str(item, "summary"))
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    raw_id = item.get("id")
    return _Item(
        number=number,
        # The spec says a string, but numbers are common in the wild and just as stable.
        guid=str(raw_id) if isinstance(raw_id, str | int) else "",
        link=_json_str(item, "url") or _json_str(item, "external_url"),
        title=_clean_line(_json_str(item, "title")),
        authors=_json_authors(item) or inherited_authors,
        date=_json_str(item, "date_published") or _json_str(item, "date_modified"),
        categories=_unique(tag for tag in tags if isinstance(tag, str)),
        text=text,
    )


def _json_authors(node: dict[str, Any]) -> tuple[str, ...]:
    # JSON Feed 1.1 has a list "authors"; 1.0 had a single "author".
    authors = node.get("authors")
    if not isinstance(authors, list):
        authors = [node.get("author")]
    return _unique(a.get("name", "") for a in authors if isinstance(a, dict))


def _json_str(node: dict[str, Any], key: str) -> str:
    value = node.get(key)
    return value if isinstance(value, str) else ""


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values, stripped, first occurrence kept."""
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


# --------------------------------------------------------------------------------------------
# HTML → plain text

_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "ol",
    "p", "pre", "section", "table", "td", "th", "tr", "ul",
}  # fmt: skip
_HIDDEN_TAGS = {"script", "style", "template", "noscript"}


class _TextExtractor(HTMLParser):
    """Collects text; block elements become paragraph breaks. Entities are decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return _plain_to_text("".join(parser.parts))


def _plain_to_text(text: str) -> str:
    """Paragraphs (split at blank lines) with their whitespace collapsed, one blank line apart."""
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n[^\S\n]*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def _to_text(value: str, content_type: str) -> str:
    return _html_to_text(value) if "html" in content_type else _plain_to_text(value)


def _clean_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------------------------
# Quotations and their speakers

# A word: a letter, then letters, digits, apostrophes, dots (U.S.) and hyphens (Trump-Xi).
_WORD = re.compile(r"[^\W\d_][\w'’.\-]*")
_SAID = (
    r"(?:said|says|say|told|tells|added|adds|asked|asks|explained|explains|noted|notes|stated|"
    r"states|wrote|writes|warned|warns|argued|argues|insisted|insists|replied|replies|recalled|"
    r"recalls|continued|continues|acknowledged|declared|declares|announced|tweeted|posted)"
)
# Verbs that make a sentence's subject the speaker of a quote embedded in it (rule 3).
_SAYING = re.compile(
    r"\b(?:said|says|saying|stated|stating|states|told|telling|added|adding|wrote|writing|"
    r"expressed|expressing|called|calling|described|describing|declared|declaring|warned|"
    r"warning|insisted|insisting|promised|promising|vowed|vowing|pledged|pledging|announced|"
    r"announcing|noted|noting|argued|arguing|urged|urging|claimed|claiming|tweeted|posted)\b"
)
# Up to three lowercase words describing the speaker: `said the chief librarian Omar Haddad`.
# Not prepositions: in `said on Tuesday` or `said in Paris` what follows is no speaker.
_DESCRIPTION = (
    r"(?:(?!(?:on|in|at|during|after|before|to|of|for|with|by|from|while|when|as|that|it|"
    r"this|last|next)\b)[a-z][\w'’-]*\s+){0,3}"
)
_PRONOUNS = {"he", "she"}


@dataclass(frozen=True)
class _Span:
    """A quotation in a paragraph: its marks at `open` and `close` (close may be the end)."""

    open: int
    close: int
    start: int  # first character of the quoted text
    end: int


@dataclass(frozen=True)
class _Run:
    """Capitalised words in a row, e.g. "U.S. Treasury Secretary Scott Bessent"."""

    start: int
    end: int
    words: tuple[str, ...]


@dataclass
class _Paragraph:
    text: str
    offset: int  # in the item's text
    spans: list[_Span]
    sentence_starts: list[int]
    runs: list[_Run]


def _quotation_spans(paragraph: str) -> list[_Span]:
    spans: list[_Span] = []
    i = 0
    while i < len(paragraph):
        mark = paragraph[i]
        if mark not in '“"':
            i += 1
            continue
        closing = "”" if mark == "“" else '"'
        close = paragraph.find(closing, i + 1)
        if close == -1 and mark == '"':
            break  # an odd straight quote: no way to tell which text it opens
        close = len(paragraph) if close == -1 else close
        inner = paragraph[i + 1 : close]
        start = i + 1 + (len(inner) - len(inner.lstrip()))
        end = i + 1 + len(inner.rstrip())
        if end > start:
            spans.append(_Span(i, close, start, end))
        i = close + 1
    return spans


def _sentence_starts(paragraph: str, spans: list[_Span]) -> list[int]:
    """Where sentences begin: after . ! ? (and any closing mark) and a space, before a capital
    or an opening mark — never inside a quotation, after an abbreviation or after an initial."""
    starts = [0]
    for match in re.finditer(r"(?<=[.!?])[”\"’)]?\s+(?=\S)", paragraph):
        nxt = match.end()
        if not (paragraph[nxt].isupper() or paragraph[nxt] in OPENING_MARKS):
            continue
        if any(s.open < match.start() < s.close for s in spans):
            continue
        before = paragraph[: match.start()].split()
        last_word = before[-1] if before else ""
        if is_abbreviation(last_word):
            continue
        starts.append(nxt)
    return starts


def _name_runs(paragraph: str) -> list[_Run]:
    runs: list[_Run] = []
    current: list[re.Match[str]] = []
    for match in _WORD.finditer(paragraph):
        joined = current and paragraph[current[-1].end() : match.start()] == " "
        continues = joined and not ends_sentence(current[-1].group())
        if match.group()[0].isupper() and (continues or not current):
            current.append(match)
            continue
        if current:
            runs.append(_make_run(current))
        current = [match] if match.group()[0].isupper() else []
    if current:
        runs.append(_make_run(current))
    return runs


def _make_run(matches: list[re.Match[str]]) -> _Run:
    return _Run(matches[0].start(), matches[-1].end(), tuple(m.group() for m in matches))


def _proper_words(paragraphs: list[_Paragraph]) -> set[str]:
    """Capitalised words seen somewhere other than the start of a sentence or a quotation:
    names, not words capitalised only by their place ("Last month, …")."""
    proper: set[str] = set()
    for p in paragraphs:
        for match in _WORD.finditer(p.text):
            word = match.group()
            if not word[0].isupper() or match.start() in p.sentence_starts:
                continue
            previous = p.text[: match.start()].rstrip()
            if previous and previous[-1] not in OPENING_MARKS + ":":
                proper.add(bare_word(word))
    return proper


class _SpeakerFinder:
    """Applies the attribution rules to one item's paragraphs (see the module docstring)."""

    def __init__(self, paragraphs: list[_Paragraph]) -> None:
        self.paragraphs = paragraphs
        self.proper = _proper_words(paragraphs)
        self.full_names = self._full_names()
        self.mentions = self._mentions()
        self.found: dict[tuple[int, int], str | None] = {}  # (paragraph, quote) → speaker

    def _full_names(self) -> dict[str, str]:
        """Surname → the first fuller name ending in it ("Bessent" → "Scott Bessent")."""
        names: dict[str, str] = {}
        for p in self.paragraphs:
            for run in p.runs:
                name = person_name((bare_word(w) for w in run.words), self.proper)
                if name and " " in name:
                    names.setdefault(name.rsplit(" ", 1)[1], name)
        return names

    def _mentions(self) -> list[tuple[int, int, str]]:
        """(paragraph, offset, full name) of every person named outside a quotation — a name
        of two words or more, or a surname known from one."""
        mentions = []
        for number, p in enumerate(self.paragraphs):
            for run in p.runs:
                if any(s.open < run.start < s.close for s in p.spans):
                    continue
                name = person_name((bare_word(w) for w in run.words), self.proper)
                if name and (" " in name or name in self.full_names):
                    mentions.append((number, run.start, self.full_names.get(name, name)))
        return mentions

    def resolve(self, name: str | None, paragraph: int, offset: int) -> str | None:
        """A surname made a full name; "he"/"she" made the last person named before `offset`."""
        if name is None:
            return None
        if name.lower() in _PRONOUNS:
            earlier = [m for m in self.mentions if (m[0], m[1]) < (paragraph, offset)]
            return earlier[-1][2] if earlier else None
        return self.full_names.get(name, name) if " " not in name else name

    def speaker(self, paragraph: int, index: int) -> str | None:
        p = self.paragraphs[paragraph]
        span = p.spans[index]
        sentence_start = max(s for s in p.sentence_starts if s <= span.open)
        later = [s for s in p.sentence_starts if s > span.open]
        sentence_end = min(later, default=len(p.text))
        before = p.text[sentence_start : span.open]
        name = (
            self._said_after(p, span, sentence_end)
            or self._said_before(p, span, sentence_start)
            or self._subject(p, sentence_start, before)
        )
        speaker = self.resolve(name, paragraph, span.open)
        if speaker is None and not before.strip():
            # Rule 4: a quote opening its sentence continues the paragraph's previous speaker.
            speaker = self.found.get((paragraph, index - 1))
        self.found[(paragraph, index)] = speaker
        return speaker

    def _run_at(self, p: _Paragraph, start: int) -> _Run | None:
        return next((r for r in p.runs if r.start == start), None)

    def _said_after(self, p: _Paragraph, span: _Span, sentence_end: int) -> str | None:
        """Rule 1: `“…,” said Professor Wu Xinbo` / `“…,” Bessent said` / `“…,” he said`."""
        after = p.text[span.close + 1 : sentence_end]
        offset = span.close + 1
        pronoun = re.match(rf"[\s,]*(?:(he|she)\s+{_SAID}|{_SAID}\s+(he|she))\b", after)
        if pronoun:
            return pronoun.group(1) or pronoun.group(2)
        verb_first = re.match(rf"[\s,]*{_SAID}\s+{_DESCRIPTION}", after)
        if verb_first:
            run = self._run_at(p, offset + verb_first.end())
            return person_name(run.words, self.proper) if run else None
        lead = re.match(r"[\s,]*", after)
        run = self._run_at(p, offset + lead.end()) if lead else None
        if run and re.match(rf"\s+{_SAID}\b", p.text[run.end :]):
            return person_name(run.words, self.proper)
        return None

    def _said_before(self, p: _Paragraph, span: _Span, sentence_start: int) -> str | None:
        """Rule 2: `Bessent said: “…”`, `He told reporters, “…”`, `According to Wu Xinbo, “…”`."""
        before = p.text[sentence_start : span.open]
        pronoun = re.search(rf"\b(he|she)\s+{_SAID}(?:\s+[a-z]+)?\s*[:,]?\s*$", before, re.I)
        if pronoun:
            return pronoun.group(1)
        verb = re.search(rf"\s+{_SAID}(?:\s+[a-z]+)?\s*[:,]?\s*$", before)
        if verb:
            end = sentence_start + verb.start()
            run = next((r for r in p.runs if r.end == end), None)
            return person_name(run.words, self.proper) if run else None
        according = re.search(r"\b[Aa]ccording to\s+", before)
        run = self._run_at(p, sentence_start + according.end()) if according else None
        # The name must be all that stands between "according to" and the quote.
        if run and p.text[run.end : span.open].strip() == ",":
            return person_name(run.words, self.proper)
        return None

    def _subject(self, p: _Paragraph, sentence_start: int, before: str) -> str | None:
        """Rule 3: the quote sits in a sentence whose subject says it:
        `Beijing has kept the agenda vague, stating that talks will continue “…”`."""
        if not before.strip() or not _SAYING.search(before):
            return None
        run = self._run_at(p, sentence_start)
        return person_name(run.words, self.proper, strict=True) if run else None


def _paragraphs(text: str) -> list[_Paragraph]:
    paragraphs: list[_Paragraph] = []
    offset = 0
    for chunk in text.split("\n\n"):
        spans = _quotation_spans(chunk)
        paragraphs.append(
            _Paragraph(chunk, offset, spans, _sentence_starts(chunk, spans), _name_runs(chunk))
        )
        offset += len(chunk) + 2
    return paragraphs


def extract_quotations(text: str) -> tuple[Quotation, ...]:
    """Every quotation in an item's plain text with its speaker (null when no rule applies)."""
    paragraphs = _paragraphs(text)
    finder = _SpeakerFinder(paragraphs)
    quotations: list[Quotation] = []
    for number, p in enumerate(paragraphs):
        for index, span in enumerate(p.spans):
            speaker = finder.speaker(number, index)
            quotations.append(
                Quotation(p.text[span.start : span.end], speaker, p.offset + span.start)
            )
    return tuple(quotations)


# --------------------------------------------------------------------------------------------
# Records

_HEADER = (
    "# A source record written by `site-builder ingest`. Edits by hand are kept: ingest will\n"
    "# not overwrite this file once it is edited, unless run with --force.\n"
)
# How a changed key is named in "updated …: title, text".
_CHANGE_LABELS = {"content_hash": "text"}


def _sha256(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _outlet(feed: _Feed) -> str:
    """The channel title up to " - " ("PUKMEDIA - Economy" → "PUKMEDIA"), else the link's host."""
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
    except (TypeError, ValueError, IndexError):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"cannot read its date “{raw}”") from None
    if moment.tzinfo is None:
        raise ValueError(f"its date “{raw}” has no time zone")
    return moment.isoformat()


def _record_fields(item: _Item, feed: _Feed, feed_name: str) -> dict[str, Any]:
    """The record of one item, keys in the order they are written. Raises ValueError."""
    guid = item.guid or item.link
    if not guid:
        raise ValueError("it has no guid/id and no link to derive an id from")
    if not item.title:
        raise ValueError("it has no title")
    if not item.text:
        raise ValueError("it has no text (no content and no description)")
    if not (item.date.strip()):
        raise ValueError("it has no date (published or updated)")
    url = item.link or feed.link
    if not url:
        raise ValueError("it has no link, and neither has the feed")
    outlet = _outlet(feed)
    if not outlet:
        raise ValueError("the feed has no title or link to name the outlet")
    return {
        "id": source_id(guid),
        "guid": guid,
        "outlet": outlet,
        "title": item.title,
        "author": ", ".join(item.authors) or None,
        "published": _iso_date(item.date),
        "url": url,
        "url_from": "item" if item.link else "feed",
        "categories": list(item.categories),
        "feed": feed_name,
        "content_hash": _sha256(item.text),
        "quotations": [
            {"text": q.text, "speaker": q.speaker, "position": q.position}
            for q in extract_quotations(item.text)
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


# --------------------------------------------------------------------------------------------
# Ingest


@dataclass(frozen=True)
class _Planned:
    """A record ingest means to write, and how to report it."""

    path: Path
    text: str | None  # None: the file is already right
    line: str


def ingest(
    feed: str,
    sources_dir: Path,
    project_dir: Path,
    *,
    force: bool = False,
    timeout: float = DEFAULT_TIMEOUT,
) -> IngestReport:
    """Write or update one record per item of `feed` (a path or URL) in `sources_dir`.

    Nothing is written unless every item is fine; otherwise BuildFailed lists every problem.
    Fetching a URL gives up when the server sends nothing for `timeout` seconds (connecting,
    or waiting for the next part of the answer).
    """
    feed_name = feed if _is_url(feed) else display_path(feed, project_dir)
    try:
        parsed = _parse_feed(*_read_feed(feed, timeout))
    except _FeedError as error:
        raise BuildFailed([Diagnostic(feed_name, error.line, error.col, error.message)]) from None

    diagnostics: list[Diagnostic] = []
    records: dict[str, dict[str, Any]] = {}
    for item in parsed.items:
        label = f"item {item.number}" + (f" “{item.title}”" if item.title else "")
        try:
            fields = _record_fields(item, parsed, feed_name)
        except ValueError as error:
            diagnostics.append(Diagnostic(feed_name, message=f"{label}: {error}"))
            continue
        if fields["id"] in records:
            message = f"{label}: its id {fields['id']} is also the id of an earlier item"
            diagnostics.append(Diagnostic(feed_name, message=message))
            continue
        records[fields["id"]] = fields

    plans: list[_Planned] = []
    for record_id, fields in records.items():
        path = sources_dir / f"{record_id}.yaml"
        try:
            plans.append(_plan(path, fields, display_path(path, project_dir), force))
        except ValueError as error:
            diagnostics.append(Diagnostic(display_path(path, project_dir), message=str(error)))
    if diagnostics:
        raise BuildFailed(diagnostics)

    for plan in plans:
        if plan.text is not None:
            _write_atomically(plan.path, plan.text)
    lines = [plan.line for plan in plans]
    lines += [f"warning: {feed_name}: {warning}" for warning in parsed.warnings]
    if not parsed.items:
        lines.append(f"{feed_name}: the feed has no items")
    return IngestReport(lines)


def _plan(path: Path, fields: dict[str, Any], shown: str, force: bool) -> _Planned:
    """What to do with one record's file. Raises ValueError when it must not be touched."""
    text = _record_text(fields)
    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _Planned(path, text, f"created {shown}")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"cannot read the existing record: {error}") from None
    if old == text:
        return _Planned(path, None, f"unchanged {shown}")
    _check_same_item(old, fields)
    changed = ", ".join(_changes(old, fields))
    if _untouched(old):
        return _Planned(path, text, f"updated {shown}: {changed}")
    if not force:
        raise ValueError(
            "edited by hand since it was ingested (its record_hash no longer matches); "
            "not overwritten — ingest again with --force to replace it and lose the edits"
        )
    return _Planned(path, text, f"overwrote hand-edited {shown}: {changed}")


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


def _write_atomically(path: Path, text: str) -> None:
    """Write beside the target, then rename: a reader never sees half a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8", newline="\n")
    os.replace(temporary, path)
