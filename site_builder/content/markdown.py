"""Markdown → HTML with markdown-it-py, plus what an explainer needs.

One factory (`make_parser`) builds the parser once per build; `render()` turns
one page body into a `Rendered` result: HTML, table of contents, heading ids,
links to other pages, the sources it cites, and any problems with their lines.

Beyond CommonMark + plugins, three core rules run after inline parsing:
1. heading ids: stable slugs, de-duplicated, never a DOM global's name;
2. one walk over every token (a page has a thousand; walking them once per task
   cost more than the tasks): other ids and footnotes become anchors, citations
   get their numbers, `.md` link targets become page URLs, unsafe schemes are
   refused, and only harmless attributes survive (no `on*`, no `style`);
3. quotes: blockquotes with an `— Speaker [@id]` line and `.quote` spans are
   checked against the cited source's record (sources.check_quote).

Hostile input must cost linear time and never recurse without bound
(docs/security.md). markdown-it already caps nesting (`maxNesting`); on top:
- inline parsing runs with a lower cap (INLINE_MAX_NESTING): every `[` scans
  ahead once per nesting level, so `[` × 50,000 cost grows with the cap;
- inline footnotes (`^[…]`, not part of our syntax) are off: one scan less per `[`;
- smartquotes is replaced by a linear version of the same rule (markdown-it-py's
  is quadratic on many unmatched quotes, markdown-it issue #1208);
- block content nested past the cap, which markdown-it drops silently, gets a
  warning at its line.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_core import StateCore, smartquotes
from markdown_it.rules_core import inline as inline_core_rule
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from site_builder.content.sources import unknown_source_message
from site_builder.content.urls import url_problem
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


def make_parser(raw_html: str = "escape") -> MarkdownIt:
    """The one Markdown configuration of the site (`raw_html`: escape | sanitize)."""
    md = MarkdownIt(
        "commonmark",
        {"typographer": True, "html": raw_html == "sanitize"},
    )
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin, inline=False)
    md.use(deflist_plugin)
    md.use(attrs_plugin, spans=True, allowed=ALLOWED_ATTRS)
    md.use(attrs_block_plugin, allowed=ALLOWED_ATTRS)
    # Let every URL through the parser so the links rule can refuse unsafe ones
    # *with a message*, instead of markdown-it silently showing them as text.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.core.ruler.at("inline", _inline_rule)
    md.core.ruler.at("smartquotes", _smartquotes_rule)
    md.core.ruler.after("block", "site_nesting", _nesting_rule)
    md.core.ruler.push("site_headings", _headings_rule)
    md.core.ruler.push("site_tokens", _tokens_rule)
    md.core.ruler.push("site_quotes", _quotes_rule)
    md.add_render_rule("citation", _render_citation)
    md.add_render_rule("blockquote_open", _render_blockquote_open)
    md.add_render_rule("paragraph_close", _render_paragraph_close)
    md.options["site_raw_html"] = raw_html
    return md


def render(md: MarkdownIt, text: str, page: PageEnv) -> Rendered:
    return _render(md, md.parse, text, page)


def render_inline(md: MarkdownIt, text: str, page: PageEnv) -> Rendered:
    """Inline Markdown (a key fact, say): same rules, no wrapping paragraph."""
    return _render(md, md.parseInline, text, page)


def _render(
    md: MarkdownIt, parse: Callable[[str, dict], list[Token]], text: str, page: PageEnv
) -> Rendered:
    result = Rendered(html="")
    env: dict[str, Any] = {"page": page, "result": result, "numbers": {}}
    tokens = parse(text, env)
    result.html = _finish(md, md.renderer.render(tokens, md.options, env))
    return result


def _finish(md: MarkdownIt, html: str) -> str:
    """With raw_html: sanitize, writers' HTML passes through nh3's allowlist.

    The whole fragment is cleaned at once (tags opened in one raw-HTML token
    close in another), keeping the ids and classes this module adds."""
    if md.options.get("site_raw_html") != "sanitize":
        return html
    return nh3.clean(
        html,
        attributes={
            "*": {"id", "class"},
            "a": {"href", "title"},
            "img": {"src", "alt", "title", "width", "height"},
            "ol": {"start"},
            "th": {"style"},
            "td": {"style"},
        },
        filter_style_properties={"text-align"},
        link_rel=None,
        url_schemes={"http", "https", "mailto"},
        attribute_filter=_sanitized_attribute,
    )


def _sanitized_attribute(tag: str, name: str, value: str) -> str:
    """nh3 hook: an id in raw HTML may not name a DOM global either (`id="__proto__"`)."""
    if name == "id" and slugify(value).replace("-", "") in RESERVED_IDS:
        return safe_id(value)
    return value


# -- helpers -----------------------------------------------------------------


def _error(
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


def _plain_text(inline: Token) -> str:
    return "".join(
        child.content for child in inline.children or () if child.type in ("text", "code_inline")
    )


# -- core rules: bounded nesting, linear smartquotes ----------------------------


def _inline_rule(state: StateCore) -> None:
    """markdown-it's inline core rule, with the lower inline nesting cap.

    `maxNesting` is one option for block and inline parsing; it is lowered only
    while inline content is parsed (one parser is used by one build at a time)."""
    options = state.md.options
    block_nesting = options.maxNesting
    options.maxNesting = min(block_nesting, INLINE_MAX_NESTING)
    try:
        inline_core_rule(state)
    finally:
        options.maxNesting = block_nesting


def _nesting_rule(state: StateCore) -> None:
    """Warn where markdown-it left out content nested past its block nesting cap."""
    deepest = state.md.options.maxNesting - 1
    for index, token in enumerate(state.tokens[:-1]):
        if token.nesting == 1 and token.level >= deepest and state.tokens[index + 1].nesting == -1:
            _error(
                state.env,
                token.map[0] if token.map else None,
                f"blocks are nested more than {deepest} levels deep here; "
                "what is inside is left out",
                severity="warning",
            )
            return


QUOTE_CHAR_RE = re.compile("['\"]")
APOSTROPHE = "\u2019"


def _smartquotes_rule(state: StateCore) -> None:
    """Typographic quotes, as markdown-it's smartquotes rule makes them, in linear time.

    The upstream rule rebuilds a string per replaced quote, re-slices the text per
    quote and rescans its whole stack of openers for every closer that matches
    none; `"a ` × 20,000 + `b' ` × 20,000 took minutes. Here replacements are
    collected and applied once per token, and each kind of quote keeps its own
    list of openers. The result is the same: replacements are one character and
    every quote, straight or curly, counts as punctuation to its neighbours."""
    if not state.md.options.typographer:
        return
    quotes = state.md.options.quotes
    if any(len(quote) != 1 for quote in quotes):  # the argument above needs 1-char quotes
        smartquotes(state)
        return
    for token in state.tokens:
        if token.type == "inline" and token.children and QUOTE_CHAR_RE.search(token.content):
            _smartquote_inline(token.children, quotes)


def _smartquote_inline(tokens: list[Token], quotes: str) -> None:
    stack: list[tuple[int, int, int]] = []  # openers: (token index, position, level)
    openers: dict[bool, list[int]] = {True: [], False: []}  # single? -> indices into stack
    edits: dict[int, dict[int, str]] = {}  # token index -> {position: replacement}

    def truncate(size: int) -> None:
        del stack[size:]
        for kind in openers.values():
            while kind and kind[-1] >= size:
                kind.pop()

    for i, token in enumerate(tokens):
        level = token.level
        size = len(stack)
        while size and stack[size - 1][2] > level:
            size -= 1
        truncate(size)
        if token.type != "text":
            continue
        text = token.content
        for match in QUOTE_CHAR_RE.finditer(text):
            at = match.start()
            single = match.group() == "'"
            last = text[at - 1] if at > 0 else _neighbour_char(tokens, range(i - 1, -1, -1), -1)
            after = (
                text[at + 1]
                if at + 1 < len(text)
                else _neighbour_char(tokens, range(i + 1, len(tokens)), 0)
            )
            last_punct = isMdAsciiPunct(ord(last)) or isPunctChar(last)
            next_punct = isMdAsciiPunct(ord(after)) or isPunctChar(after)
            last_space = isWhiteSpace(ord(last))
            next_space = isWhiteSpace(ord(after))
            can_open = not next_space and not (next_punct and not (last_space or last_punct))
            can_close = not last_space and not (last_punct and not (next_space or next_punct))
            if after == '"' and not single and "0" <= last <= "9":
                can_open = can_close = False  # 1"" - the first quote is an inch mark
            if can_open and can_close:
                # Inside a run of punctuation, but not inside a word.
                can_open, can_close = last_punct, next_punct
            if not can_open and not can_close:
                if single:  # in the middle of a word: an apostrophe
                    edits.setdefault(i, {})[at] = APOSTROPHE
                continue
            kind = openers[single]
            if can_close and kind and stack[kind[-1]][2] == level:
                opener = stack[kind[-1]]
                open_quote, close_quote = (quotes[2], quotes[3]) if single else quotes[:2]
                edits.setdefault(i, {})[at] = close_quote
                edits.setdefault(opener[0], {})[opener[1]] = open_quote
                truncate(kind[-1])
                continue
            if can_open:
                kind.append(len(stack))
                stack.append((i, at, level))
            elif can_close and single:
                edits.setdefault(i, {})[at] = APOSTROPHE
    for index, changes in edits.items():
        chars = list(tokens[index].content)
        for at, quote in changes.items():
            chars[at] = quote
        tokens[index].content = "".join(chars)


def _neighbour_char(tokens: list[Token], indices: range, end: int) -> str:
    """The character next to a quote at the edge of its text token: the first or
    last one of the nearest token with content on the same line, else a space."""
    for j in indices:
        if tokens[j].type in ("softbreak", "hardbreak"):
            break
        if tokens[j].content:
            return tokens[j].content[end]
    return " "


# -- inline rule: citations ---------------------------------------------------


def _citation_rule(state: StateInline, silent: bool) -> bool:
    if state.src[state.pos] != "[" or not state.src.startswith("[@", state.pos):
        return False
    match = CITATION_RE.match(state.src, state.pos)
    if not match:
        return False
    if not silent:
        token = state.push("citation", "", 0)
        token.meta = {"id": match.group(1)}
    state.pos = match.end()
    return True


def _render_citation(self: Any, tokens: list[Token], idx: int, options: Any, env: dict) -> str:
    number = env["numbers"].get(tokens[idx].meta["id"], 0)
    uses = env.setdefault("citation_uses", {})
    uses[number] = uses.get(number, 0) + 1
    return citation_html(number, citation_anchor(number, str(uses[number])))


def citation_anchor(number: int, use: str) -> str:
    """The id of one citation mark, so that the list of sources can link back to it:
    "cite-1-2" is the second mark of source 1 in the body (templates add "cite-1-t1"…)."""
    return f"cite-{number}-{use}"


def citation_html(number: int, anchor: str | None = None) -> str:
    where = f' id="{anchor}"' if anchor else ""
    return f'<sup class="cite"{where}><a href="#source-{number}">[{number}]</a></sup>'


# -- core rules -----------------------------------------------------------------


def _headings_rule(state: StateCore) -> None:
    result: Rendered = state.env["result"]
    seen: dict[str, int] = {}
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        inline = state.tokens[index + 1]
        explicit = _take_heading_id(inline)
        title = _plain_text(inline)
        base = safe_id(explicit or token.attrs.get("id") or title)
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchor = base if count == 0 else f"{base}-{count + 1}"
        while anchor in result.anchors:
            count += 1
            anchor = f"{base}-{count + 1}"
        token.attrSet("id", anchor)
        result.anchors.add(anchor)
        level = int(token.tag[1])
        if level in (2, 3):
            result.toc.append(Heading(level, anchor, title))


HEADING_ID_RE = re.compile(r"\s*\{#([A-Za-z0-9_-]+)\}\s*$")


def _take_heading_id(inline: Token) -> str | None:
    """`## Title {#id}` (as in Hugo and MkDocs): remove the suffix, return the id."""
    children = inline.children or []
    if not children or children[-1].type != "text":
        return None
    match = HEADING_ID_RE.search(children[-1].content)
    if not match:
        return None
    children[-1].content = children[-1].content[: match.start()]
    return match.group(1)


# The token types the walk acts on besides those with attributes.
_WALKED_TYPES = frozenset({"citation", "footnote_ref", "footnote_open", "link_open", "image"})


def _tokens_rule(state: StateCore) -> None:
    env = state.env
    result: Rendered = env["result"]
    line = None
    for token in state.tokens:
        line = token.map[0] if token.map else line  # children have no map of their own
        for each in (token, *token.children) if token.children else (token,):
            kind = each.type
            if not each.attrs and kind not in _WALKED_TYPES:
                continue  # nearly every token: text, paragraphs, list items
            if kind == "citation":
                _number_citation(each, line, env)
            elif kind == "footnote_ref":
                result.anchors.add(f"fnref{each.meta['id'] + 1}")
            elif kind == "footnote_open":
                result.anchors.add(f"fn{each.meta['id'] + 1}")
            elif kind in ("link_open", "image"):
                _check_link(each, "href" if kind == "link_open" else "src", line, env)
            if each.attrs:
                _clean_attrs(each, result)


def _number_citation(token: Token, line: int | None, env: dict) -> None:
    page: PageEnv = env["page"]
    numbers: dict[str, int] = env["numbers"]
    source_id = token.meta["id"]
    if source_id not in page.source_ids:
        _error(env, line, page.unknown_source(source_id, None))
    elif source_id not in numbers:
        numbers[source_id] = len(numbers) + 1
        env["result"].citations.append(source_id)


def _check_link(token: Token, attr: str, line: int | None, env: dict) -> None:
    """Refuse a URL outside the allowlist (urls.url_problem), warn about plain http,
    resolve a link to a page."""
    url = str(token.attrGet(attr) or "")
    problem = url_problem(url)
    if problem:
        _error(env, line, f"link to {problem}")
        token.attrSet(attr, "#")
        return
    if url.lower().startswith("http:"):
        _error(env, line, f"insecure link {url[:60]!r}: use https:// if the site offers it",
               severity="warning")  # fmt: skip
    if token.type == "link_open":
        _resolve_page_link(token, url, line, env)


def _resolve_page_link(token: Token, url: str, line: int | None, env: dict) -> None:
    """Turn `other.md#anchor` into that page's URL and remember it for checking."""
    page: PageEnv = env["page"]
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("/"):
        return
    anchor = unquote(parts.fragment) or None
    if not parts.path:
        if anchor:
            env["result"].links.append(LinkRef(page.rel, anchor, _file_line(page, line), 1))
        return
    path = unicodedata.normalize("NFC", unquote(parts.path))  # file names are NFC (content.py)
    if not path.endswith(".md"):
        return
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page.rel), path))
    target_url = None if target.startswith("../") else page.page_url(target)
    if target_url is None:
        _error(env, line, f"link to '{path}': there is no page content/{target}")
        return
    token.attrSet("href", target_url + (f"#{parts.fragment}" if parts.fragment else ""))
    env["result"].links.append(LinkRef(target, anchor, _file_line(page, line), 1))


def _file_line(page: PageEnv, line: int | None) -> int:
    return (line or 0) + page.line_offset + 1


def _quotes_rule(state: StateCore) -> None:
    tokens = state.tokens
    captions: dict[int, list[Token]] = {}  # blockquote_close index -> tokens to put after it
    index = 0
    while index < len(tokens):
        if tokens[index].type == "blockquote_open":
            index = _check_block_quote(state, index, captions)
        index += 1
    if captions:
        # Move every caption in one pass: splicing the list once per quote is
        # quadratic in a page made of thousands of quotes.
        moving = {id(token) for caption in captions.values() for token in caption}
        rebuilt: list[Token] = []
        for index, token in enumerate(tokens):
            if id(token) not in moving:
                rebuilt.append(token)
            rebuilt.extend(captions.get(index, ()))
        tokens[:] = rebuilt
    for token in tokens:
        # A .quote span is written `[…]{.quote …}` (or class=quote): its line says so.
        if token.type == "inline" and token.children and "quote" in token.content:
            _check_inline_quotes(state, token)
            for child in token.children:  # a quote inside a quote is not checked alone
                child.attrs.pop("by", None)
                child.attrs.pop("cite", None)


def _check_block_quote(state: StateCore, start: int, captions: dict[int, list[Token]]) -> int:
    """Check one blockquote; mark its attribution line to become a figcaption after it
    (in `captions`). Returns the index of its blockquote_close."""
    tokens = state.tokens
    level = tokens[start].level
    end = start + 1
    while not (tokens[end].type == "blockquote_close" and tokens[end].level == level):
        end += 1
    paragraphs = [
        i for i in range(start + 1, end)
        if tokens[i].type == "inline" and tokens[i].level == level + 2
        and tokens[i - 1].type == "paragraph_open"  # not a heading's text
    ]  # fmt: skip
    if not paragraphs:
        return end
    line = tokens[start].map[0] if tokens[start].map else None
    last = tokens[paragraphs[-1]]
    last_text = _plain_text(last).lstrip()
    if not last_text.startswith(("—", "–", "--", "―")):
        text = " ".join(_plain_text(tokens[i]) for i in paragraphs).strip()
        if text[:1] in QUOTE_MARKS:
            _error(
                state.env,
                line,
                "a quotation needs its source: end it with '— Speaker [@source-id]'",
            )
        return end
    cited = [c.meta["id"] for c in last.children or () if c.type == "citation"]
    speaker = last_text.lstrip("—–-― ").strip().rstrip(",;:").strip() or None
    quote = " ".join(_plain_text(tokens[i]) for i in paragraphs[:-1]).strip()
    if not cited:
        _error(state.env, line, "the attribution line needs a source: '— Speaker [@source-id]'")
    elif quote:
        _check(state.env, line, quote, speaker, cited[0])
    # Render as <figure><blockquote>…</blockquote><figcaption>— Speaker [n]</figcaption></figure>.
    tokens[start].meta["figure"] = True
    caption = tokens[paragraphs[-1] - 1 : paragraphs[-1] + 2]
    caption[0].tag = caption[2].tag = "figcaption"
    caption[2].meta["close_figure"] = True
    captions[end] = caption
    return end


def _check_inline_quotes(state: StateCore, inline: Token) -> None:
    children = inline.children or []
    line = inline.map[0] if inline.map else None
    citations: dict[int, Token] = {}  # index of a quote's span_close -> its citation
    index = 0
    while index < len(children):
        token = children[index]
        if token.type == "span_open" and "quote" in str(token.attrs.get("class", "")).split():
            close = index + 1
            depth = 1
            while close < len(children):
                depth += {"span_open": 1, "span_close": -1}.get(children[close].type, 0)
                if depth == 0:
                    break
                close += 1
            text = "".join(c.content for c in children[index + 1 : close] if c.type == "text")
            speaker = str(token.attrs.pop("by", "")) or None
            source_id = str(token.attrs.pop("cite", ""))
            token.tag = "q"
            if close < len(children):
                children[close].tag = "q"
            if not source_id:
                _error(state.env, line, 'a .quote span needs its source: cite="source-id"')
            else:
                _check(state.env, line, text.strip(), speaker, source_id)
                citation = Token("citation", "", 0)
                citation.meta = {"id": source_id}
                citations[close] = citation
                _number(state.env, source_id)
            index = close
        index += 1
    if citations:  # inserted in one pass, not one list insert per quote
        inline.children = [
            token
            for index, child in enumerate(children)
            for token in ((child, citations[index]) if index in citations else (child,))
        ] + [citation for close, citation in citations.items() if close >= len(children)]


def _number(env: dict, source_id: str) -> None:
    numbers: dict[str, int] = env["numbers"]
    page: PageEnv = env["page"]
    if source_id in page.source_ids and source_id not in numbers:
        numbers[source_id] = len(numbers) + 1
        env["result"].citations.append(source_id)


def _check(env: dict, line: int | None, quote: str, speaker: str | None, source_id: str) -> None:
    page: PageEnv = env["page"]
    quote = quote.strip().strip(QUOTE_MARKS).strip()
    if source_id not in page.source_ids:
        _error(env, line, page.unknown_source(source_id, quote))
        return
    problem = page.check_quote(quote, speaker, source_id)
    if problem:
        _error(env, line, problem)


def _clean_attrs(token: Token, result: Rendered) -> None:
    """Keep only id and class (plus what links, images and tables need); an explicit
    id (`{#id}`) is made safe and becomes an anchor. A `.quote` span keeps `by` and
    `cite` for the quotes rule, which takes them off."""
    attrs = token.attrs
    classes = re.findall(r"[A-Za-z0-9_-]+", str(attrs.get("class", "")))
    quote = token.type == "span_open" and "quote" in classes
    for name in list(attrs):
        if name in ("by", "cite"):
            if not quote:
                del attrs[name]
        elif name == "class":
            attrs[name] = " ".join(classes)
        elif name == "style" and token.tag in ("th", "td"):
            if not re.fullmatch(r"text-align:(left|right|center)", str(attrs[name])):
                del attrs[name]
        elif name == "id" and token.type != "heading_open":
            anchor = safe_id(str(attrs["id"]))
            attrs["id"] = anchor
            result.anchors.add(anchor)


def _render_blockquote_open(
    self: Any, tokens: list[Token], idx: int, options: Any, env: dict
) -> str:
    prefix = '<figure class="quote">\n' if tokens[idx].meta.get("figure") else ""
    return prefix + self.renderToken(tokens, idx, options, env)


def _render_paragraph_close(
    self: Any, tokens: list[Token], idx: int, options: Any, env: dict
) -> str:
    html = self.renderToken(tokens, idx, options, env)
    return html + "</figure>\n" if tokens[idx].meta.get("close_figure") else html
