"""Rules about the syntax itself: bounded inline nesting, a linear smartquotes,
warnings for blocks nested too deep, and the `[@source-id]` citation syntax."""

from __future__ import annotations

import re

from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace
from markdown_it.rules_core import StateCore, smartquotes
from markdown_it.rules_core import inline as inline_core_rule
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token

from site_builder.content.markdown_env import CITATION_RE, INLINE_MAX_NESTING, report


def inline_rule(state: StateCore) -> None:
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


def nesting_rule(state: StateCore) -> None:
    """Warn where markdown-it left out content nested past its block nesting cap."""
    deepest = state.md.options.maxNesting - 1
    for index, token in enumerate(state.tokens[:-1]):
        if token.nesting == 1 and token.level >= deepest and state.tokens[index + 1].nesting == -1:
            report(
                state.env,
                token.map[0] if token.map else None,
                f"blocks are nested more than {deepest} levels deep here; "
                "what is inside is left out",
                severity="warning",
            )
            return


QUOTE_CHAR_RE = re.compile("['\"]")
APOSTROPHE = "\u2019"


def smartquotes_rule(state: StateCore) -> None:
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
            can_open, can_close = _quote_sides(tokens, i, at, single)
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


def _quote_sides(tokens: list[Token], i: int, at: int, single: bool) -> tuple[bool, bool]:
    """Whether the quote at `at` in text token `i` can open, and whether it can close,
    judged by the characters either side (markdown-it's rules, in one place)."""
    text = tokens[i].content
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
        return False, False  # 1"" - the first quote is an inch mark
    if can_open and can_close:
        # Inside a run of punctuation, but not inside a word.
        return last_punct, next_punct
    return can_open, can_close


def _neighbour_char(tokens: list[Token], indices: range, end: int) -> str:
    """The character next to a quote at the edge of its text token: the first or
    last one of the nearest token with content on the same line, else a space."""
    for j in indices:
        if tokens[j].type in ("softbreak", "hardbreak"):
            break
        if tokens[j].content:
            return tokens[j].content[end]
    return " "


def citation_rule(state: StateInline, silent: bool) -> bool:
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
