"""Chinese and Japanese text made searchable one character at a time.

Pagefind splits a page's CJK text into words with a dictionary when it indexes it (jieba),
and splits the reader's query with the browser's own dictionary (`Intl.Segmenter`). The
two disagree on every word one of them does not know: the browser splits 咖啡因 into
咖|啡|因 and finds nothing, because the index holds 咖啡因 as one word. So the search
page (theme `search.html`) puts a space between any two CJK characters of a query, and
the index is built from copies of the pages with a zero-width space between any two CJK
characters of their text: both sides then see one character a word. A query finds the
pages holding all its characters, and a query in quotes ("咖啡因") the pages holding them
in that order. The zero-width space is invisible in the excerpts the results show; the
published pages are not touched.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ZERO_WIDTH_SPACE = "\u200b"
# Kana and CJK ideographs: the scripts written without spaces between words. (Hangul is
# written with spaces, so Korean is left to Pagefind.) The same ranges are in the theme's
# search.html, for the query.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_BETWEEN = re.compile(rf"(?<=[{CJK}])(?=[{CJK}])")
_PAIR = re.compile(rf"[{CJK}]{{2}}")  # a plain scan: quick on a page with no CJK text
_TEXT = re.compile(r">([^<]+)<")


def has_cjk_words(html: str) -> bool:
    """Whether the page has two CJK characters in a row anywhere."""
    return _PAIR.search(html) is not None


def one_character_a_word(html: str) -> str:
    """`html` with a zero-width space between any two CJK characters of its text (never
    inside a tag or an attribute)."""
    return _TEXT.sub(lambda m: ">" + _BETWEEN.sub(ZERO_WIDTH_SPACE, m.group(1)) + "<", html)


def copy_for_indexing(site_folder: Path, pages: list[str], into: Path) -> bool:
    """Copy the `pages` (paths relative to `site_folder`) into `into`, CJK text spaced one
    character a word; False (and nothing copied) when no page has CJK text, so a site
    without it is indexed where it is."""
    texts = {page: (site_folder / page).read_text(encoding="utf-8") for page in pages}
    if not any(has_cjk_words(text) for text in texts.values()):
        return False
    for page, text in texts.items():
        target = into / page
        target.parent.mkdir(parents=True, exist_ok=True)
        if has_cjk_words(text):
            target.write_text(one_character_a_word(text), encoding="utf-8")
        else:
            shutil.copyfile(site_folder / page, target)
    return True
