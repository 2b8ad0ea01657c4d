"""Markdown → HTML with markdown-it-py, plus what an explainer needs.

One factory (`make_parser`) builds the parser once per build; `render()` turns
one page body into a `Rendered` result: HTML, table of contents, heading ids,
links to other pages, the sources it cites, and any problems with their lines.

Beyond CommonMark + plugins, four core rules run after inline parsing:
1. heading ids: stable slugs, de-duplicated, never a DOM global's name;
2. links: `.md` targets become page URLs; unsafe schemes are refused;
3. quotes: blockquotes with an `— Speaker [@id]` line and `.quote` spans are
   checked against the cited source's record (sources.check_quote);
4. attributes: only harmless ones survive (no `on*`, no `style`).
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
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from .errors import Diagnostic
from .model import Heading, LinkRef

UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
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


@dataclass
class PageEnv:
    """What rendering one page needs to know about the rest of the site."""

    source_path: str  # "content/x.md", for messages
    rel: str  # "x.md", for resolving relative links
    line_offset: int  # lines before the body in the file
    page_url: Callable[[str], str | None]  # content-relative .md path -> URL, None if no page
    source_ids: frozenset[str]
    check_quote: Callable[[str, str | None, str], str | None]  # (text, speaker, id) -> problem


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
    md.use(footnote_plugin)
    md.use(deflist_plugin)
    md.use(attrs_plugin, spans=True, allowed=ALLOWED_ATTRS)
    md.use(attrs_block_plugin, allowed=ALLOWED_ATTRS)
    # Let every URL through the parser so the links rule can refuse unsafe ones
    # *with a message*, instead of markdown-it silently showing them as text.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.core.ruler.push("site_headings", _headings_rule)
    md.core.ruler.push("site_links", _links_rule)
    md.core.ruler.push("site_quotes", _quotes_rule)
    md.core.ruler.push("site_attrs", _attrs_rule)
    md.add_render_rule("citation", _render_citation)
    md.add_render_rule("blockquote_open", _render_blockquote_open)
    md.add_render_rule("paragraph_close", _render_paragraph_close)
    md.options["site_raw_html"] = raw_html
    return md


def render(md: MarkdownIt, text: str, page: PageEnv) -> Rendered:
    result = Rendered(html="")
    env: dict[str, Any] = {"page": page, "result": result, "numbers": {}}
    tokens = md.parse(text, env)
    result.html = _finish(md, md.renderer.render(tokens, md.options, env))
    return result


def render_inline(md: MarkdownIt, text: str, page: PageEnv) -> Rendered:
    """Inline Markdown (a key fact, say): same rules, no wrapping paragraph."""
    result = Rendered(html="")
    env: dict[str, Any] = {"page": page, "result": result, "numbers": {}}
    tokens = md.parseInline(text, env)
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
    )


# -- helpers -----------------------------------------------------------------


def _error(
    env: dict, line: int | None, message: str, col: int | None = None, severity: str = "error"
) -> None:
    page: PageEnv = env["page"]
    file_line = None if line is None else line + page.line_offset + 1
    env["result"].diagnostics.append(
        Diagnostic(page.source_path, file_line, col, message, severity)
    )


def _walk(tokens: list[Token]) -> Any:
    """(token, line) for every token, inline children included; line is 0-based."""
    for token in tokens:
        line = token.map[0] if token.map else None
        yield token, line
        for child in token.children or ():
            yield child, line


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


def _is_unsafe(url: str) -> bool:
    """True for javascript:/vbscript:/data:/file: URLs, however they are disguised."""
    cleaned = unquote(unquote(url))
    cleaned = "".join(ch for ch in cleaned if ch > " " and ch not in "\u200b\u200c\u200d\ufeff")
    return cleaned.lower().startswith(UNSAFE_SCHEMES)


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
    return citation_html(number)


def citation_html(number: int) -> str:
    return f'<sup class="cite"><a href="#source-{number}">[{number}]</a></sup>'


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
    # Footnotes and explicit {#ids} are anchors too.
    for token, _ in _walk(state.tokens):
        if token.type == "footnote_ref":
            result.anchors.add(f"fnref{token.meta['id'] + 1}")
        elif token.type == "footnote_open":
            result.anchors.add(f"fn{token.meta['id'] + 1}")
        elif token.type != "heading_open" and "id" in (token.attrs or {}):
            anchor = safe_id(str(token.attrs["id"]))
            token.attrSet("id", anchor)
            result.anchors.add(anchor)


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


def _links_rule(state: StateCore) -> None:
    env = state.env
    page: PageEnv = env["page"]
    result: Rendered = env["result"]
    numbers: dict[str, int] = env["numbers"]
    for token, line in _walk(state.tokens):
        if token.type == "citation":
            source_id = token.meta["id"]
            if source_id not in page.source_ids:
                _error(
                    env, line, f"unknown source '{source_id}': no content/sources/{source_id}.yaml"
                )
            elif source_id not in numbers:
                numbers[source_id] = len(numbers) + 1
                result.citations.append(source_id)
            continue
        attr = {"link_open": "href", "image": "src"}.get(token.type)
        if attr is None:
            continue
        url = str(token.attrGet(attr) or "")
        if _is_unsafe(url):
            _error(env, line, f"link to {url[:40]!r} refused: only http(s), mailto and site links")
            token.attrSet(attr, "#")
            continue
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
    path = unquote(parts.path)
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
    index = 0
    while index < len(tokens):
        if tokens[index].type == "blockquote_open":
            index = _check_block_quote(state, index)
        index += 1
    for token in tokens:
        if token.type == "inline" and token.children:
            _check_inline_quotes(state, token)


def _check_block_quote(state: StateCore, start: int) -> int:
    """Check one blockquote; move its attribution line into a figcaption."""
    tokens = state.tokens
    level = tokens[start].level
    end = start + 1
    while not (tokens[end].type == "blockquote_close" and tokens[end].level == level):
        end += 1
    paragraphs = [
        i for i in range(start + 1, end)
        if tokens[i].type == "inline" and tokens[i].level == level + 2
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
    del tokens[paragraphs[-1] - 1 : paragraphs[-1] + 2]
    end -= 3
    tokens[end + 1 : end + 1] = caption
    return end + 3


def _check_inline_quotes(state: StateCore, inline: Token) -> None:
    children = inline.children or []
    line = inline.map[0] if inline.map else None
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
                children.insert(close + 1, citation)
                _number(state.env, source_id)
            index = close
        index += 1


def _number(env: dict, source_id: str) -> None:
    numbers: dict[str, int] = env["numbers"]
    page: PageEnv = env["page"]
    if source_id in page.source_ids and source_id not in numbers:
        numbers[source_id] = len(numbers) + 1
        env["result"].citations.append(source_id)


def _check(env: dict, line: int | None, quote: str, speaker: str | None, source_id: str) -> None:
    page: PageEnv = env["page"]
    if source_id not in page.source_ids:
        _error(env, line, f"unknown source '{source_id}': no content/sources/{source_id}.yaml")
        return
    quote = quote.strip().strip(QUOTE_MARKS).strip()
    problem = page.check_quote(quote, speaker, source_id)
    if problem:
        _error(env, line, problem)


def _attrs_rule(state: StateCore) -> None:
    """Keep only id and class (plus what links, images and tables need)."""
    for token, _ in _walk(state.tokens):
        if not token.attrs:
            continue
        for name in list(token.attrs):
            if name in ("by", "cite"):
                del token.attrs[name]
            elif name == "class":
                token.attrs[name] = " ".join(re.findall(r"[A-Za-z0-9_-]+", str(token.attrs[name])))
            elif name == "style" and token.tag in ("th", "td"):
                if not re.fullmatch(r"text-align:(left|right|center)", str(token.attrs[name])):
                    del token.attrs[name]


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
