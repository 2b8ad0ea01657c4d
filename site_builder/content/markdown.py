"""Markdown → HTML with markdown-it-py, plus what an explainer needs.

One factory (`make_parser`) builds the parser once per build; `render()` turns
one page body into a `Rendered` result: HTML, table of contents, heading ids,
links to other pages, the sources it cites, and any problems with their lines.

Beyond CommonMark + plugins, three core rules run after inline parsing
(markdown_walk.py, markdown_quotes.py; syntax rules in markdown_syntax.py):
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

from collections.abc import Callable
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
from mdit_py_plugins.deflist import deflist_plugin
from mdit_py_plugins.footnote import footnote_plugin

from site_builder.content.markdown_env import (
    ALLOWED_ATTRS,
    RESERVED_IDS,
    PageEnv,
    Rendered,
    safe_id,
    slugify,
)
from site_builder.content.markdown_quotes import quotes_rule
from site_builder.content.markdown_syntax import (
    citation_rule,
    inline_rule,
    nesting_rule,
    smartquotes_rule,
)
from site_builder.content.markdown_walk import headings_rule, tokens_rule

__all__ = [
    "RESERVED_IDS",
    "PageEnv",
    "Rendered",
    "citation_anchor",
    "citation_html",
    "make_parser",
    "render",
    "render_inline",
    "safe_id",
    "slugify",
]


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
    md.inline.ruler.before("link", "citation", citation_rule)
    md.core.ruler.at("inline", inline_rule)
    md.core.ruler.at("smartquotes", smartquotes_rule)
    md.core.ruler.after("block", "site_nesting", nesting_rule)
    md.core.ruler.push("site_headings", headings_rule)
    md.core.ruler.push("site_tokens", tokens_rule)
    md.core.ruler.push("site_quotes", quotes_rule)
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
