"""What every Markdown rule shares: the page being rendered, the result it fills,
and the helpers for ids, text and problems."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it.token import Token

from site_builder.content.sources import unknown_source_message
from site_builder.errors import Diagnostic
from site_builder.model import Heading, LinkRef

# Ids that would shadow built-in properties when looked up by name in scripts.
RESERVED_IDS = frozenset(
    {
        "constructor", "prototype", "proto", "tostring", "valueof", "hasownproperty",
        "document", "window", "location", "top", "self", "parent", "frames", "opener",
        "name", "length", "forms", "images", "links", "cookie", "domain", "body", "head",
        "alert", "eval", "history", "navigator", "origin", "closed", "status",
    }
)  # fmt: skip
ALLOWED_ATTRS = ("id", "class", "by", "cite")
CITATION_RE = re.compile(r"\[@([a-z0-9]+(?:-[a-z0-9]+)*)\]")
QUOTE_MARKS = "\"'“”‘’„«»"
INLINE_MAX_NESTING = 6  # links/spans inside each other; block nesting keeps markdown-it's 20


@dataclass
class PageEnv:
    """What rendering one page needs to know about the rest of the site."""

    source_path: str  # "content/x.md", for messages
    rel: str  # "x.md", for resolving relative links
    line_offset: int  # lines before the body in the file
    page_url: Callable[[str], str | None]  # content-relative .md path -> URL, None if no page
    source_ids: frozenset[str]
    check_quote: Callable[[str, str | None, str], str | None]  # (text, speaker, id) -> problem
    # An image's site-relative file name ("img/map.png") -> its URL, None if no such file.
    asset_url: Callable[[str], str | None] = lambda name: None
    # (id, quote or None) -> the error for a citation of an id with no record
    unknown_source: Callable[[str, str | None], str] = lambda source_id, quote: (
        unknown_source_message(source_id, {}, quote)
    )


@dataclass
class Rendered:
    html: str
    toc: list[Heading] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    links: list[LinkRef] = field(default_factory=list)
    citations: list[str] = field(default_factory=list)  # source ids, first use first
    diagnostics: list[Diagnostic] = field(default_factory=list)


def report(
    env: dict, line: int | None, message: str, col: int | None = None, severity: str = "error"
) -> None:
    page: PageEnv = env["page"]
    # Without a line (a token with no map), point at the start of the body.
    file_line = (line or 0) + page.line_offset + 1
    env["result"].diagnostics.append(
        Diagnostic(page.source_path, file_line, col, message, severity)
    )


def slugify(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s-]", "", text)
    text = re.sub(r"[\s_-]+", "-", text).strip("-")
    return text or "section"


def safe_id(text: str) -> str:
    """An id that is a slug and can't shadow a DOM global."""
    slug = slugify(text)
    return f"section-{slug}" if slug.replace("-", "") in RESERVED_IDS else slug


def plain_text(inline: Token) -> str:
    return "".join(
        child.content for child in inline.children or () if child.type in ("text", "code_inline")
    )


def file_line(page: PageEnv, line: int | None) -> int:
    return (line or 0) + page.line_offset + 1
