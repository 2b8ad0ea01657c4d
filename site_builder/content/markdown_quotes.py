"""Quotations: blockquotes ending in `— Speaker [@id]` and `.quote` spans, checked
against the cited source's record (PageEnv.check_quote) and rendered as figures
and <q> elements with their citation."""

from __future__ import annotations

from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from site_builder.content.markdown_env import QUOTE_MARKS, PageEnv, plain_text, report


def quotes_rule(state: StateCore) -> None:
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
    last_text = plain_text(last).lstrip()
    if not last_text.startswith(("—", "–", "--", "―")):
        text = " ".join(plain_text(tokens[i]) for i in paragraphs).strip()
        if text[:1] in QUOTE_MARKS:
            report(
                state.env,
                line,
                "a quotation needs its source: end it with '— Speaker [@source-id]'",
            )
        return end
    cited = [c.meta["id"] for c in last.children or () if c.type == "citation"]
    speaker = last_text.lstrip("—–-― ").strip().rstrip(",;:").strip() or None
    quote = " ".join(plain_text(tokens[i]) for i in paragraphs[:-1]).strip()
    if not cited:
        report(state.env, line, "the attribution line needs a source: '— Speaker [@source-id]'")
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
                report(state.env, line, 'a .quote span needs its source: cite="source-id"')
            else:
                _check(state.env, line, text.strip(), speaker, source_id)
                citation = Token("citation", "", 0)
                citation.meta = {"id": source_id}
                citations[close] = citation
                number_citation_once(state.env, source_id)
            index = close
        index += 1
    if citations:  # inserted in one pass, not one list insert per quote
        inline.children = [
            token
            for index, child in enumerate(children)
            for token in ((child, citations[index]) if index in citations else (child,))
        ] + [citation for close, citation in citations.items() if close >= len(children)]


def number_citation_once(env: dict, source_id: str) -> None:
    numbers: dict[str, int] = env["numbers"]
    page: PageEnv = env["page"]
    if source_id in page.source_ids and source_id not in numbers:
        numbers[source_id] = len(numbers) + 1
        env["result"].citations.append(source_id)


def _check(env: dict, line: int | None, quote: str, speaker: str | None, source_id: str) -> None:
    page: PageEnv = env["page"]
    quote = quote.strip().strip(QUOTE_MARKS).strip()
    if source_id not in page.source_ids:
        report(env, line, page.unknown_source(source_id, quote))
        return
    problem = page.check_quote(quote, speaker, source_id)
    if problem:
        report(env, line, problem)
