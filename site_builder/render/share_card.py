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

Chinese, Japanese and Korean: DejaVu has no CJK glyphs, so a card in a CJK language, or with
any CJK character, is drawn with Noto Sans CJK (Debian's `fonts-noto-cjk`), in the face for
its language (SC for Simplified Chinese, TC, HK, JP, KR), found at its Debian path or through
fontconfig (`fc-list`), always the same file on one machine. Its lines break between any two
CJK characters (never before a closing mark such as "，" or "。", nor after an opening one),
as well as at spaces. Without that font the card is drawn as before, with boxes for the
characters DejaVu lacks, and the build warns (`lacks_font`).
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
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
# Noto Sans CJK: one collection per weight, a face per region; where distributions put it.
CJK_FONT_FILES = {"regular": "NotoSansCJK-Regular.ttc", "bold": "NotoSansCJK-Bold.ttc"}
CJK_FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",  # Debian, Ubuntu (fonts-noto-cjk)
    "/usr/share/fonts/noto-cjk",  # Arch, Alpine
    "/usr/share/fonts/google-noto-cjk",  # Fedora
)
CJK_STYLES = {"regular": "Regular", "bold": "Bold"}
# The face for a language (its BCP 47 tag, lower-cased, most specific first); SC otherwise.
CJK_FACES = {"zh-hant": "TC", "zh-tw": "TC", "zh-hk": "HK", "zh-mo": "HK", "ja": "JP", "ko": "KR"}
CJK_LANGUAGES = ("zh", "ja", "ko")

# Characters drawn with the CJK font, and between which a line may break: Hangul Jamo, CJK
# radicals to unified ideographs (kana, bopomofo, CJK punctuation included), Hangul
# syllables, compatibility ideographs and forms, full-width forms, the supplementary planes.
WIDE = "\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
OPENING = "“‘（［｛〔〈《「『【"  # never at the end of a line
CLOSING = "”’，。、；：！？）］｝〕〉》」』】…·"  # never at the start of one
_HAS_WIDE = re.compile(f"[{WIDE}]")
# A unit of wrapping: a run of spaces, or one CJK character or one other word, with the
# opening marks before it and the closing marks after it.
_UNIT = re.compile(f"\\s+|[{OPENING}]*(?:[{WIDE}]|[^\\s{WIDE}]+)[{CLOSING}]*")

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
    language: str = ""  # the page's BCP 47 tag: which CJK face its characters are drawn in


def cjk_face(text: CardText) -> str | None:
    """The Noto Sans CJK face the card needs ("SC", "JP", …), or None if it has no CJK."""
    tag = text.language.lower()
    in_cjk_language = tag.split("-")[0] in CJK_LANGUAGES
    if not in_cjk_language and not any(
        _HAS_WIDE.search(part) for part in (text.site_title, text.title, text.summary, text.status)
    ):
        return None
    for prefix, face in CJK_FACES.items():
        if tag == prefix or tag.startswith(prefix + "-"):
            return face
    return "SC"


@cache
def find_cjk_font(weight: str) -> Path | None:
    """The Noto Sans CJK collection of `weight` on this machine, or None: the first known
    path that exists, else the first file fontconfig lists for the family (sorted)."""
    name = CJK_FONT_FILES[weight]
    for folder in CJK_FONT_DIRS:
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    pattern = f"Noto Sans CJK SC:style={CJK_STYLES[weight]}"
    try:
        listed = subprocess.run(
            [fc_list, "--format", "%{file}\\n", pattern],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    files = sorted(line for line in listed.stdout.splitlines() if line.endswith((".ttc", ".otf")))
    return Path(files[0]) if files else None


@cache
def _cjk_font(weight: str, size: int, face: str) -> tuple[Font, str] | None:
    """Noto Sans CJK's `face` at `size`, and its name for `card_name`; None if not installed."""
    from PIL import ImageFont

    path = find_cjk_font(weight)
    if path is None:
        return None
    family = f"Noto Sans CJK {face}"
    for index in range(16):  # the collection's faces, in its own order
        try:
            font = ImageFont.truetype(str(path), size, index=index)
        except OSError:
            return None
        if font.getname()[0] == family:
            return font, f"{path.name}#{face}"
    return None


def lacks_font(text: CardText) -> bool:
    """True if the card has CJK text and no CJK font is installed to draw it."""
    face = cjk_face(text)
    return face is not None and _cjk_font("regular", SMALL_SIZE, face) is None


@cache
def _plain_font(weight: str, size: int) -> tuple[Font, str]:
    """DejaVu when Pillow finds it, else Pillow's built-in font; and its name."""
    from PIL import ImageFont

    try:
        return ImageFont.truetype(FONT_FILES[weight], size), FONT_FILES[weight]
    except OSError:
        return ImageFont.load_default(size), "pillow-default"


def _font(weight: str, size: int, face: str | None = None) -> tuple[Font, str]:
    """The font for a card (CJK when `face` is given and installed) and its name."""
    if face is not None and (found := _cjk_font(weight, size, face)) is not None:
        return found
    return _plain_font(weight, size)


def card_name(text: CardText) -> str:
    """The card's path in the output folder, e.g. "share/3f9a….png"."""
    face = cjk_face(text)
    fonts = ",".join(_font(weight, SMALL_SIZE, face)[1] for weight in sorted(FONT_FILES))
    parts = (DRAWING_VERSION, fonts, text.site_title, text.title, text.summary, text.status)
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:20]
    return f"{FOLDER}/{digest}.png"


def _wrap(text: str, font: Font, width: int) -> list[str]:
    """Greedy wrap by drawn width, at spaces and between CJK characters (`_UNIT`); a unit
    wider than the line gets a line of its own."""
    lines: list[str] = []
    current = ""
    space = False  # spaces came before the next unit
    for unit in _UNIT.findall(text):
        if unit.isspace():
            space = True
            continue
        joined = (" " if space else "") + unit
        space = False
        if current and font.getlength(current + joined) > width:
            lines.append(current)
            current = unit
        else:
            current = current + joined if current else unit
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
    kept[-1] = last.rstrip(" ,;:.—–-，；：。、") + "…"
    return kept


def render_card(text: CardText) -> bytes:
    """The card as PNG bytes (deterministic)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    inner = WIDTH - 2 * MARGIN
    face = cjk_face(text)

    small, _ = _font("bold", SMALL_SIZE, face)
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
        title_font, _ = _font("bold", size, face)
        lines = _wrap(text.title, title_font, inner)
        if len(lines) <= 3:
            break
    lines = _clip(lines, 3, title_font, inner)
    for line in lines:
        draw.text((MARGIN, y), line, font=title_font, fill=TEXT)
        y += int(size * 1.2)
    y += 32 if face else 20  # CJK glyphs sit lower in their line: a wider gap to the summary

    summary_font, _ = _font("regular", SUMMARY_SIZE, face)
    footer_top = HEIGHT - MARGIN - SMALL_SIZE
    room = max(0, (footer_top - 24 - y) // int(SUMMARY_SIZE * 1.4))
    for line in _clip(_wrap(text.summary, summary_font, inner), min(room, 4), summary_font, inner):
        draw.text((MARGIN, y), line, font=summary_font, fill=MUTED)
        y += int(SUMMARY_SIZE * 1.4)

    if text.status:
        status_font, _ = _font("regular", SMALL_SIZE, face)
        status = _clip(_wrap(text.status, status_font, inner), 1, status_font, inner)
        draw.text((MARGIN, footer_top), status[0], font=status_font, fill=MUTED)

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue()
