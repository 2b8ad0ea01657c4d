"""How wide a line of text will be drawn, estimated without a font, and wrapping it to a width.

A picture drawn at build time (the timeline's SVG) cannot ask the reader's font how wide its
text is, so it estimates, erring wide: a CJK character (East Asian Wide or Fullwidth) takes
a full em, a Latin capital or digit about 0.62 em, a lower-case letter 0.56 em, a space or a
narrow mark 0.3 em. Those are the widths of common system sans-serif fonts (DejaVu Sans,
the widest of them, included), so text that fits by this estimate fits on screen.

`keep_together` keeps the middle dot of a transliterated name (阿加莎·克里斯蒂) on the line
with both halves of the name, and a citation mark with the word it marks, in a page a
browser breaks. `wrap` breaks where a reader
expects a line to break: at spaces in Latin text, between any
two CJK characters, but never before closing punctuation (，。、）” …) or after opening
punctuation (（“ …), and inside a word only when the word alone is too wide for a line.
"""

from __future__ import annotations

import re
import unicodedata

WORD_JOINER = "\u2060"
_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
# Both patterns start with their literal and look behind it afterwards: the regex engine
# then jumps from one literal to the next instead of testing a lookbehind at every
# character of the page (a fifth of a render's cost on a page without CJK text).
# A middle dot between two CJK characters: the 间隔号 of a transliterated name
# (阿加莎·克里斯蒂), which browsers would let a line start or end with.
_NAME_DOT = re.compile(rf"\u00b7(?<=[{_CJK}]\u00b7)(?=[{_CJK}])")
# A superscript (a citation mark) right after a CJK character, which browsers would let
# start a line alone: between two CJK characters any break is allowed.
_SUPERSCRIPT = re.compile(rf"<sup\b(?<=[{_CJK}]<sup)")
NARROW = frozenset(" .,;:!'|()[]{}-·ilIjft/\u2019\u2018")
CLOSING = frozenset("，。、；：！？）》」』】〉”’…·,.;:!?)]}%")
OPENING = frozenset("（《「『【〈“‘([{")


def char_width(char: str) -> float:
    """The estimated advance of one character, in em."""
    if unicodedata.combining(char):
        return 0.0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 1.0
    if char in NARROW:
        return 0.3
    if char.isupper() or char.isdigit():
        return 0.62
    return 0.56


def text_width(text: str, font_size: float) -> float:
    """The estimated width of `text` drawn at `font_size` (in the same unit)."""
    return sum(char_width(c) for c in text) * font_size


def _pieces(text: str) -> list[str]:
    """The text cut at every place a line may break: after a space, and on each side of a
    wide character; closing punctuation stays with what it closes, opening punctuation
    with what it opens."""
    pieces: list[str] = []
    for char in text:
        wide = unicodedata.east_asian_width(char) in ("W", "F")
        last = pieces[-1] if pieces else ""
        joins = bool(last) and (
            char in CLOSING
            or last[-1] in OPENING
            or (not wide and not last[-1].isspace() and not _is_wide(last[-1]))
        )
        if joins:
            pieces[-1] = last + char
        else:
            pieces.append(char)
    return pieces


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def wrap(text: str, font_size: float, width: float) -> list[str]:
    """`text` (whitespace collapsed) as lines that each fit in `width`, none empty; a single
    piece wider than a line is cut between characters."""
    text = " ".join(text.split())
    lines: list[str] = []
    line = ""
    for piece in _pieces(text):
        if text_width((line + piece).rstrip(), font_size) <= width:
            line += piece
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = piece.lstrip()
        while text_width(line.rstrip(), font_size) > width and len(line) > 1:
            cut = _longest_fitting(line, font_size, width)
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _longest_fitting(text: str, font_size: float, width: float) -> int:
    """How many leading characters of `text` fit in `width` (at least one)."""
    used = 0.0
    for index, char in enumerate(text):
        used += char_width(char) * font_size
        if used > width:
            return max(1, index)
    return len(text)


def keep_together(html: str) -> str:
    """`html` with a word joiner (invisible, no width) where a browser would break a CJK
    line in the wrong place: on each side of a name's middle dot (阿加莎·克里斯蒂), and
    before a superscript that follows a CJK character (a citation mark stays with the
    word it marks). Safe on HTML: it adds only characters, only next to CJK text."""
    html = _NAME_DOT.sub(WORD_JOINER + "\u00b7" + WORD_JOINER, html)
    return _SUPERSCRIPT.sub(WORD_JOINER + "<sup", html)
