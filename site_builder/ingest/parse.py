"""A feed's bytes → `Feed`: its title, link and items, each item's text made plain.

RSS 2.0 and Atom go through feedparser (imported only here: it is slow to import); JSON Feed
is read with `json`. An item's text is its full content (`content:encoded`, Atom `content`,
JSON `content_html`) when it has any, else its description/summary, turned into plain text:
tags dropped, entities decoded, each block element a paragraph, paragraphs joined by a blank
line. A hostile document — nested past any real feed, numbers of thousands of digits, bytes
that are not its declared encoding — is a `FeedError` saying what is wrong, never a crash.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from site_builder.ingest.fetch import FeedError

__all__ = ["Feed", "Item", "parse_feed"]

_INVALID = "not a valid RSS, Atom or JSON feed"


@dataclass(frozen=True)
class Item:
    number: int  # 1-based place in the feed, for messages
    guid: str
    link: str
    title: str
    authors: tuple[str, ...]
    date: str  # as the feed writes it
    categories: tuple[str, ...]
    text: str  # plain text


@dataclass(frozen=True)
class Feed:
    title: str
    link: str
    items: tuple[Item, ...]
    warnings: tuple[str, ...] = ()


def parse_feed(data: bytes, headers: dict[str, str]) -> Feed:
    if not data.strip():
        raise FeedError(f"{_INVALID}: the file is empty")
    # feedparser 6 reads only XML feeds; JSON Feed is simple enough to read with json.
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return _parse_json_feed(data)
    return _parse_xml_feed(data, headers)


# Problems feedparser works around safely (an HTML entity in RSS, a wrong declared encoding):
# the items are complete, so they are warnings. Broken structure is not: a truncated feed
# would give a truncated article, and quotations cut short.
_HARMLESS_XML_ERRORS = {"undefined entity"}


def _parse_xml_feed(data: bytes, headers: dict[str, str]) -> Feed:
    import feedparser  # imported here: a slow import, and only XML feeds need it

    parsed = feedparser.parse(
        io.BytesIO(data),
        response_headers=headers,
        # Both run feedparser's sgmllib over the HTML, quadratic on unclosed comments; the
        # HTML is made plain text here, which drops what sanitizing would (scripts, styles).
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    warnings: list[str] = []
    if problem is not None:
        is_xml_error = hasattr(problem, "getLineNumber")
        reason = problem.getMessage() if is_xml_error else str(problem)
        if not parsed.entries or (is_xml_error and reason not in _HARMLESS_XML_ERRORS):
            line = problem.getLineNumber() if is_xml_error else None
            col = problem.getColumnNumber() + 1 if is_xml_error else None
            raise FeedError(f"{_INVALID}: {reason}", line, col)
        warnings.append(f"the feed is not well-formed ({reason}); read it leniently")
    elif not parsed.get("version") and not parsed.entries:
        raise FeedError(f"{_INVALID}: no <rss>, <feed> or JSON Feed document found")
    # Atom entries inherit the feed's author (RFC 4287 §4.2.1); RSS items do not.
    inherited = (
        _feedparser_authors(parsed.feed) if parsed.get("version", "").startswith("atom") else ()
    )
    items = tuple(
        _feedparser_item(number, entry, inherited)
        for number, entry in enumerate(parsed.entries, start=1)
    )
    feed = parsed.feed
    return Feed(_clean_line(feed.get("title", "")), feed.get("link", ""), items, tuple(warnings))


def _feedparser_item(number: int, entry: Any, inherited_authors: tuple[str, ...]) -> Item:
    return Item(
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


def _parse_json_feed(data: bytes) -> Feed:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise FeedError(f"{_INVALID}: JSON Feed must be UTF-8 ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise FeedError(f"{_INVALID}: {error.msg}", error.lineno, error.colno) from None
    except RecursionError:
        raise FeedError(
            f"{_INVALID}: lists and objects are nested too deep for any real feed"
        ) from None
    except ValueError as error:  # a number of more than 4,300 digits
        raise FeedError(f"{_INVALID}: a number in it is too long ({error})") from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/"):
        raise FeedError(f"{_INVALID}: a JSON document without a JSON Feed “version”")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError(f"{_INVALID}: JSON Feed “items” must be a list")
    inherited = _json_authors(document)
    return Feed(
        title=_clean_line(_json_str(document, "title")),
        link=_json_str(document, "home_page_url"),
        items=tuple(
            _json_item(number, item, inherited) for number, item in enumerate(items, start=1)
        ),
    )


def _json_item(number: int, item: Any, inherited_authors: tuple[str, ...]) -> Item:
    if not isinstance(item, dict):
        item = {}  # reported later as an item without id or text
    if _json_str(item, "content_html"):
        text = _html_to_text(_json_str(item, "content_html"))
    else:
        text = _plain_to_text(_json_str(item, "content_text") or _json_str(item, "summary"))
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    raw_id = item.get("id")
    return Item(
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
_HIDDEN_TAGS = {"template", "noscript"}  # elements whose text is no part of the article
_RAW_TEXT_TAGS = {"script", "style"}  # their content is not HTML: skipped to their end tag
# A start or end tag; quoted attribute values may hold ">". Possessive: a tag never closed
# fails in one scan to the end, not one scan per "<" (the rest of the text is then in it).
_TAG_RE = re.compile(r"""<(/?)([A-Za-z][^\s/>]*+)(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_RAW_TEXT_END_RE = {
    tag: re.compile(rf"</{tag}(?:[\s/][^>]*+)?>", re.IGNORECASE) for tag in _RAW_TEXT_TAGS
}


def _html_to_text(source: str) -> str:
    """The text of an HTML fragment: tags dropped, entities decoded, each block element a
    paragraph break; scripts, styles, templates and comments left out.

    One pass, each `<` looked at once: html.parser and feedparser's sanitizer both rescan
    the rest of the text for every unclosed comment or tag (quadratic: minutes for 1 MiB of
    `<!--`). What is never closed — a comment, a tag — runs to the end, as in a browser."""
    parts: list[str] = []
    hidden = 0  # how many <template>/<noscript> elements the text is in
    at = 0
    while (lt := source.find("<", at)) >= 0:
        if not hidden:
            parts.append(html.unescape(source[at:lt]))
        if source.startswith(("<!", "<?"), lt):  # a comment, doctype, CDATA or instruction
            closing = "-->" if source.startswith("<!--", lt) else ">"
            end = source.find(closing, lt + 2)
            at = end + len(closing) if end >= 0 else len(source)
            continue
        tag = _TAG_RE.match(source, lt)
        if tag is None:
            if source[lt + 1 : lt + 2].isalpha() or source.startswith("</", lt):
                return _plain_to_text("".join(parts))  # a tag never closed: the rest is in it
            parts.append("" if hidden else "<")
            at = lt + 1
            continue
        at, hidden, breaks = _after_tag(source, tag, hidden)
        parts.append(breaks)
    if not hidden:
        parts.append(html.unescape(source[at:]))
    return _plain_to_text("".join(parts))


def _after_tag(source: str, tag: re.Match[str], hidden: int) -> tuple[int, int, str]:
    """(where the text goes on, how many hiding elements it is then in, the paragraph break
    the tag makes, if any) after one start or end tag."""
    name = tag.group(2).lower()
    if tag.group(1):  # an end tag
        if name in _HIDDEN_TAGS:
            return tag.end(), max(0, hidden - 1), ""
        return tag.end(), hidden, "\n\n" if name in _BLOCK_TAGS else ""
    if name in _RAW_TEXT_TAGS:
        end = _RAW_TEXT_END_RE[name].search(source, tag.end())
        return (end.end() if end else len(source)), hidden, ""
    if name in _HIDDEN_TAGS and not tag.group().endswith("/>"):
        return tag.end(), hidden + 1, ""
    return tag.end(), hidden, "\n\n" if name in _BLOCK_TAGS else ""


def _plain_to_text(text: str) -> str:
    """Paragraphs (split at blank lines) with their whitespace collapsed, one blank line apart."""
    paragraphs = (" ".join(p.split()) for p in re.split(r"\n[^\S\n]*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def _to_text(value: str, content_type: str) -> str:
    return _html_to_text(value) if "html" in content_type else _plain_to_text(value)


def _clean_line(text: str) -> str:
    return " ".join(text.split())
