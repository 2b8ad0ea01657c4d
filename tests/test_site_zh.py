"""The explainer's Chinese edition (issue 15) checked as a reader meets it, in a browser.

The real site is built once (conftest's `built_site`, the sub-path base URL) and served from
127.0.0.1. Nu, axe, the 375/1280 px overflow check, the header and the links are in
tests/test_site_quality.py, which walks every built page, the Chinese ones included; this
file adds what the Chinese pages need besides: every page in both languages, no sideways
scrolling at 320 px, the timeline's CJK text inside its picture, Lighthouse at 100, and
Pagefind finding Chinese words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.support import SITE_PREFIX
from tests.support.http import StaticServer
from tests.support.lighthouse import run_lighthouse

REPO = Path(__file__).resolve().parent.parent
RESULT_LINKS = ".pagefind-ui__result-title .pagefind-ui__result-link"
PAGEFIND_FIRST_RESULTS = 5  # the UI shows five results, then a button for more


def english_pages() -> list[str]:
    """The URL path of every English page (below the base URL), 404 included."""
    paths = []
    for file in sorted((REPO / "content").glob("*.md")):
        name = file.stem
        paths.append("" if name == "index" else "404.html" if name == "404" else f"{name}/")
    return paths


def chinese_pages() -> list[str]:
    paths = []
    for file in sorted((REPO / "content" / "zh").glob("*.md")):
        name = file.stem
        paths.append(
            "zh/" + ("" if name == "index" else "404.html" if name == "404" else f"{name}/")
        )
    return paths


@pytest.fixture(scope="module")
def server(built_site: Path) -> Iterator[StaticServer]:
    with StaticServer(built_site, SITE_PREFIX) as running:
        yield running


def test_every_english_page_has_a_chinese_page_and_each_links_to_the_other(
    built_site: Path,
) -> None:
    chinese = set(chinese_pages())
    missing = [p for p in english_pages() if "zh/" + p not in chinese]
    assert not missing, f"English pages with no Chinese page: {missing}"
    assert (built_site / "404.html").is_file()
    not_found = (built_site / "zh" / "404.html").read_text(encoding="utf-8")
    assert '<html lang="zh-Hans"' in not_found and "找不到页面" in not_found
    for path in chinese_pages():
        if path.endswith("404.html"):
            continue  # the not-found page is never linked to as an alternate
        english = path.removeprefix("zh/")
        zh_html = (built_site / path / "index.html").read_text(encoding="utf-8")
        en_html = (built_site / english / "index.html").read_text(encoding="utf-8")
        assert '<html lang="zh-Hans"' in zh_html, path
        assert f'hreflang="en" href="https://example.github.io{SITE_PREFIX}{english}"' in zh_html
        assert f'hreflang="zh-Hans" href="https://example.github.io{SITE_PREFIX}{path}"' in en_html


@pytest.mark.parametrize("width", [320])
def test_no_page_scrolls_sideways_at_320_px(
    browser: Browser, server: StaticServer, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    failures = []
    try:
        page = context.new_page()
        for path in english_pages() + chinese_pages():
            page.goto(server.url + path, wait_until="load")
            scroll_width = page.evaluate("document.documentElement.scrollWidth")
            if scroll_width > width:
                failures.append(f"  {path or '/'}: scrollWidth {scroll_width}px")
    finally:
        context.close()
    assert not failures, f"pages scroll sideways at {width}px:\n" + "\n".join(failures)


# Each drawn line of the timeline picture, as the reader's browser lays it out: its box on
# screen, and the picture's box.
_TIMELINE_TEXT_JS = """() => {
    const svg = document.querySelector('.timeline-svg');
    const frame = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')].map((t) => {
        const r = t.getBoundingClientRect();
        return {text: t.textContent, cls: t.getAttribute('class'),
                top: r.top, bottom: r.bottom, left: r.left, right: r.right};
    });
    return {frame: {left: frame.left, right: frame.right}, texts};
}"""


@pytest.mark.parametrize("width", [320, 375, 1280])
@pytest.mark.parametrize("path", ["timeline/", "zh/timeline/"])
def test_timeline_text_stays_inside_the_picture_and_never_overlaps(
    browser: Browser, server: StaticServer, path: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    try:
        page = context.new_page()
        page.goto(server.url + path, wait_until="load")
        found = page.evaluate(_TIMELINE_TEXT_JS)
    finally:
        context.close()
    frame, texts = found["frame"], found["texts"]
    assert texts
    for text in texts:
        assert frame["left"] - 0.5 <= text["left"] and text["right"] <= frame["right"] + 0.5, (
            f"{text['text']!r} sticks out of the picture ({text['right']:.1f} > {frame['right']:.1f})"
        )
    lines = [t for t in texts if t["cls"] in ("tl-date", "tl-meta")]
    for a, b in zip(lines, lines[1:], strict=False):
        assert a["bottom"] <= b["top"] + 1, f"{a['text']!r} overlaps {b['text']!r}"
    if path.startswith("zh/"):
        drawn = " ".join(t["text"] for t in texts)
        assert "2025年8月12日" in drawn and "预期" in drawn and "8月" in drawn
        assert "Expected" not in drawn and "August" not in drawn


def test_every_chinese_page_scores_100_in_lighthouse(server: StaticServer) -> None:
    """Accessibility, best practices and SEO at 100 on every Chinese page, and on the English
    home page beside them (the same templates; a whole English run would double the time)."""
    urls = [server.url + path for path in ["", *chinese_pages()]]
    urls = [u for u in urls if not u.endswith("404.html")]  # noindex by design: SEO < 100
    audits = run_lighthouse(urls)
    assert [a.url for a in audits] == urls
    failures = [a.describe() for a in audits if a.error or any(s != 1 for s in a.scores.values())]
    assert not failures, "Lighthouse below 100:\n  " + "\n  ".join(failures)


def _pages_saying(built_site: Path, word: str) -> set[str]:
    """The Chinese pages (search and not-found pages aside) whose main text has `word`."""
    found = set()
    for path in chinese_pages():
        if path.endswith(("search/", "404.html")):
            continue
        html = (built_site / path / "index.html").read_text(encoding="utf-8")
        main = html.split("<main", 1)[1].split("</main>", 1)[0]
        if word in re.sub(r"<[^>]+>", "", main):
            found.add(SITE_PREFIX + path)
    return found


@pytest.mark.parametrize("query", ["芬太尼", "贝森特", "特朗普"])
def test_chinese_search_finds_every_chinese_page_that_says_the_word(
    browser: Browser, server: StaticServer, built_site: Path, query: str
) -> None:
    expected = _pages_saying(built_site, query)
    assert expected, f"no Chinese page says {query}"
    page = browser.new_page()
    try:
        page.goto(server.url + "zh/search/")
        box = page.locator(".pagefind-ui__search-input")
        box.click()
        box.press_sequentially(query)
        message = page.locator(".pagefind-ui__message")
        expect(message).to_contain_text(query)
        expect(message).to_contain_text(f"{len(expected)} ")  # "找到 5 个 芬太尼 的相关结果"
        # The UI lists the results as their fragments arrive, five at first.
        shown = min(len(expected), PAGEFIND_FIRST_RESULTS)
        expect(page.locator(".pagefind-ui__result")).to_have_count(shown, timeout=10_000)
        expect(page.locator(".pagefind-ui__results .pagefind-ui__loading")).to_have_count(0)
        titles = page.locator(".pagefind-ui__result > .pagefind-ui__result-inner > p a")
        links = [a.get_attribute("href") or "" for a in titles.all()]
        text = page.locator(".pagefind-ui__results").inner_text().replace("\u200b", "")
    finally:
        page.close()
    assert len(links) == shown and set(links) <= expected, (links, expected)
    assert query in text  # the excerpts show the word found, whole


def test_a_query_from_the_header_box_finds_chinese_words(
    browser: Browser, server: StaticServer
) -> None:
    page = browser.new_page()
    try:
        page.goto(server.url + "zh/search/?q=" + "芬太尼")
        page.locator(RESULT_LINKS).first.wait_for(timeout=10_000)
        first = page.locator(RESULT_LINKS).first.get_attribute("href") or ""
    finally:
        page.close()
    assert first.startswith(SITE_PREFIX + "zh/"), first


def test_the_marks_citing_a_source_are_listed_in_each_language_s_way(built_site: Path) -> None:
    # The theme's list_separator: "1, 2" in English, "1、2" in Chinese.
    def backlinks(path: str) -> str:
        html = (built_site / path / "index.html").read_text(encoding="utf-8")
        found = re.search(r'<span class="backlinks">(.*?)</span></li>', html, re.S)
        assert found, f"{path}: no source cited more than once"
        return re.sub(r'<span class="visually-hidden">[^<]*</span>|<[^>]+>', "", found.group(1))

    assert backlinks("tariff-truce").startswith("Cited 1, 2, 3")
    assert backlinks("zh/tariff-truce").startswith("引用处 1、2、3")
