"""The walk over every token: heading ids, anchors, citation numbers, links.

A page has a thousand tokens; walking them once for all these tasks costs less
than one walk per task. Headings get stable, de-duplicated ids; other ids and
footnotes become anchors; citations get their numbers; `.md` link targets become
page URLs; unsafe schemes are refused; only harmless attributes survive."""

from __future__ import annotations

import posixpath
import re
import unicodedata
from urllib.parse import unquote, urlsplit

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from site_builder.content.markdown_env import (
    PageEnv,
    Rendered,
    file_line,
    plain_text,
    report,
    safe_id,
)
from site_builder.content.urls import url_problem
from site_builder.model import Heading, LinkRef


def headings_rule(state: StateCore) -> None:
    result: Rendered = state.env["result"]
    seen: dict[str, int] = {}
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        inline = state.tokens[index + 1]
        explicit = _take_heading_id(inline)
        title = plain_text(inline)
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


def tokens_rule(state: StateCore) -> None:
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
                clean_attrs(each, result)


def _number_citation(token: Token, line: int | None, env: dict) -> None:
    page: PageEnv = env["page"]
    numbers: dict[str, int] = env["numbers"]
    source_id = token.meta["id"]
    if source_id not in page.source_ids:
        report(env, line, page.unknown_source(source_id, None))
    elif source_id not in numbers:
        numbers[source_id] = len(numbers) + 1
        env["result"].citations.append(source_id)


def _check_link(token: Token, attr: str, line: int | None, env: dict) -> None:
    """Refuse a URL outside the allowlist (urls.url_problem), warn about plain http,
    resolve a link to a page."""
    url = str(token.attrGet(attr) or "")
    problem = url_problem(url)
    if problem:
        report(env, line, f"link to {problem}")
        token.attrSet(attr, "#")
        return
    if url.lower().startswith("http:"):
        report(env, line, f"insecure link {url[:60]!r}: use https:// if the site offers it",
               severity="warning")  # fmt: skip
    if token.type == "link_open":
        _resolve_page_link(token, url, line, env)
    else:
        _resolve_image(token, url, line, env)


def _resolve_image(token: Token, url: str, line: int | None, env: dict) -> None:
    """`![alt](path)`: the file beside the Markdown file (content/…), else under static/;
    its URL carries the base path. A missing file, or an image with no alt text that is
    not marked `{.decorative}`, is an error."""
    page: PageEnv = env["page"]
    classes = str(token.attrGet("class") or "").split()
    if not token.content.strip() and "decorative" not in classes:
        report(env, line, f"image '{url[:60]}' has no alt text: describe it in ![…], or mark "
               "it decorative with ![](…){.decorative}")  # fmt: skip
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path:
        return  # an image on another site, or a data: URL (refused above)
    path = unicodedata.normalize("NFC", unquote(parts.path))
    beside = posixpath.normpath(posixpath.join(posixpath.dirname(page.rel), path))
    under_static = posixpath.normpath(path.lstrip("/"))
    candidates = [under_static] if path.startswith("/") else [beside, under_static]
    for name in candidates:
        if name.startswith("../") or name == "..":
            continue
        found = page.asset_url(name)
        if found is not None:
            token.attrSet("src", found)
            return
    where = " or ".join(
        f"content/{name}" if name == beside and not path.startswith("/") else f"static/{name}"
        for name in candidates
    )
    report(env, line, f"image '{path[:60]}' not found: there is no {where}")


def _resolve_page_link(token: Token, url: str, line: int | None, env: dict) -> None:
    """Turn `other.md#anchor` into that page's URL and remember it for checking."""
    page: PageEnv = env["page"]
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith("/"):
        return
    anchor = unquote(parts.fragment) or None
    if not parts.path:
        if anchor:
            env["result"].links.append(LinkRef(page.rel, anchor, file_line(page, line), 1))
        return
    path = unicodedata.normalize("NFC", unquote(parts.path))  # file names are NFC (content.py)
    if not path.endswith(".md"):
        return
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page.rel), path))
    target_url = None if target.startswith("../") else page.page_url(target)
    if target_url is None:
        report(env, line, f"link to '{path}': there is no page content/{target}")
        return
    token.attrSet("href", target_url + (f"#{parts.fragment}" if parts.fragment else ""))
    env["result"].links.append(LinkRef(target, anchor, file_line(page, line), 1))


def clean_attrs(token: Token, result: Rendered) -> None:
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
