"""Share cards: the 1200×630 PNG a link preview shows for a page (`og:image`).

A card is drawn at build time with Pillow from plain text: the site's title, the page's
title and summary, and a status line (e.g. how current the site is). Nothing else goes in,
so the card is a pure function of its `CardText`, and its file name is a digest of that
text and of how it is drawn (`card_name`): a template can name a card's URL before the
card exists, a build reuses a card whose name is already in the output, and an edit that
changes the text changes the name, so no preview cache shows a stale card.

Determinism: the PNG is written with no metadata (no time, no software tag) and fixed
compression, so the same text and font give byte-identical files. The fonts are DejaVu Sans
(Debian's `fonts-dejavu-core`, found by Pillow by file name); where they are not installed,
Pillow's own built-in font is used at the same sizes, and the file name says which, so two
machines with different fonts never give one name two different images.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Pillow is imported when a card is named or drawn, not with the build
    from PIL.ImageFont import FreeTypeFont, ImageFont

    Font = FreeTypeFont | ImageFont
else:
    Font = Any

WIDTH = 1200
HEIGHT = 630
FOLDER = "share"  # in the output folder
DRAWING_VERSION = "1"  # bump when the drawing changes, so every card gets a new name

FONT_FILES = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf"}

BACKGROUND = (27, 58, 92)  # deep blue, the favicon's
TEXT = (255, 255, 255)
MUTED = (214, 226, 240)  # 9.0:1 on the background
RULE = (120, 160, 205)

MARGIN = 72
TITLE_SIZES = (68, 60, 52)  # the largest that fits the title in three lines wins
SUMMARY_SIZE = 30
SMALL_SIZE = 26


@dataclass(frozen=True)
class CardText:
    """Everything a card shows."""

    site_title: str
    title: str
    summary: str
    status: str  # a line at the foot of the card, may be empty


@cache
def _font(weight: str, size: int) -> tuple[Font, str]:
    """The font and its name for `card_name`: DejaVu when Pillow finds it, else built in."""
    from PIL import ImageFont

    try:
        return ImageFont.truetype(FONT_FILES[weight], size), FONT_FILES[weight]
    except OSError:
        return ImageFont.load_default(size), "pillow-default"


def card_name(text: CardText) -> str:
    """The card's path in the output folder, e.g. "share/3f9a….png"."""
    fonts = ",".join(_font(weight, SMALL_SIZE)[1] for weight in sorted(FONT_FILES))
    parts = (DRAWING_VERSION, fonts, text.site_title, text.title, text.summary, text.status)
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:20]
    return f"{FOLDER}/{digest}.png"


def _wrap(text: str, font: Font, width: int) -> list[str]:
    """Greedy word wrap by drawn width; a word wider than the line gets a line of its own."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if current and font.getlength(trial) > width:
            lines.append(current)
            current = word
        else:
            current = trial
    if current:
        lines.append(current)
    return lines


def _clip(lines: list[str], most: int, font: Font, width: int) -> list[str]:
    """At most `most` lines, the last ending in "…" when text was left out."""
    if len(lines) <= most:
        return lines
    kept = lines[:most]
    last = kept[-1]
    while last and font.getlength(last + " …") > width:
        last = last.rsplit(" ", 1)[0] if " " in last else last[:-1]
    kept[-1] = last.rstrip(" ,;:.—–-") + "…"
    return kept


def render_card(text: CardText) -> bytes:
    """The card as PNG bytes (deterministic)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN

    small, _ = _font("bold", SMALL_SIZE)
    y = MARGIN - 8
    site_line = _clip(_wrap(text.site_title, small, inner - 60), 1, small, inner - 60)
    # The mark: three bars, as in the favicon.
    for i, length in enumerate((36, 36, 22)):
        top = y + 4 + i * 10
        draw.rounded_rectangle((MARGIN, top, MARGIN + length, top + 5), radius=2, fill=TEXT)
    if site_line:
        draw.text((MARGIN + 56, y), site_line[0], font=small, fill=MUTED)
    y += 64
    draw.line((MARGIN, y, WIDTH - MARGIN, y), fill=RULE, width=2)
    y += 36

    for size in TITLE_SIZES:
        title_font, _ = _font("bold", size)
        lines = _wrap(text.title, title_font, inner)
        if len(lines) <= 3:
            break
    lines = _clip(lines, 3, title_font, inner)
    for line in lines:
        draw.text((MARGIN, y), line, font=title_font, fill=TEXT)
        y += int(size * 1.2)
    y += 20

    summary_font, _ = _font("regular", SUMMARY_SIZE)
    footer_top = HEIGHT - MARGIN - SMALL_SIZE
    room = max(0, (footer_top - 24 - y) // int(SUMMARY_SIZE * 1.4))
    for line in _clip(_wrap(text.summary, summary_font, inner), min(room, 4), summary_font, inner):
        draw.text((MARGIN, y), line, font=summary_font, fill=MUTED)
        y += int(SUMMARY_SIZE * 1.4)

    if text.status:
        status_font, _ = _font("regular", SMALL_SIZE)
        status = _clip(_wrap(text.status, status_font, inner), 1, status_font, inner)
        draw.text((MARGIN, footer_top), status[0], font=status_font, fill=MUTED)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue()
