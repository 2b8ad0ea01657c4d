"""A site in two languages, as the generator makes it (issue 15): the sitemap's hreflang
alternates, a feed per language, the line that says which version of its original a
translation follows, a not-found page per language, and no theme word left in English on a
Chinese page.

Everything is built by the real CLI from tests/fixtures/bilingual/, a small English site
with its Simplified Chinese translation under content/zh/.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from site_builder.render.search import sort_languages
from site_builder.render.share_card import find_cjk_font
from tests.sitefactory import run_cli, snapshot, write
from tests.support import linux_only
from tests.support.axe import format_violations, run_axe
from tests.support.http import StaticServer
from tests.support.vnu import validate_html

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "bilingual"
BASE = "https://example.github.io/harbour/"
PREFIX = "/harbour/"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CODE = '<code translate="no">'  # around a version's digits


def copy_fixture(to: Path) -> Path:
    shutil.copytree(FIXTURE, to, ignore=shutil.ignore_patterns("output", ".site-builder-*"))
    return to


# --strict fails on any warning; a machine without a CJK font (macOS and Windows CI) warns
# that the Chinese share cards lack one (tests/test_share_card.py tests that warning).
STRICT = ("--strict",) if find_cjk_font("regular") and find_cjk_font("bold") else ()


def build(site: Path, *args: str) -> str:
    """Build `site`; the build's stderr."""
    result = run_cli("build", "--source", site, *args)
    assert result.returncode == 0, result.stderr
    return result.stderr


def read(site: Path, path: str) -> str:
    return (site / "output" / path).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture built as is, plus one English page that has no translation."""
    site = copy_fixture(tmp_path_factory.mktemp("languages") / "site")
    write(
        site / "content" / "moorings.md",
        "---\ntitle: Moorings\nsummary: Where boats tie up.\n---\nBoats tie up here [@harbour-guide].\n",
    )
    build(site, *STRICT)
    return site


# -- the sitemap -----------------------------------------------------------------------------


def sitemap_entries(site: Path) -> dict[str, list[tuple[str, str]]]:
    """Each <url>'s loc and its xhtml:link alternates (hreflang, href), in order; the
    children of each <url> must be loc, an optional lastmod, then the links (the order
    sitemaps.org's schema allows: its own elements first, other namespaces after)."""
    root = ET.fromstring(read(site, "sitemap.xml"))
    assert root.tag == f"{SITEMAP}urlset"
    entries = {}
    for url in root:
        tags = [child.tag for child in url]
        assert tags[0] == f"{SITEMAP}loc", tags
        rest = tags[2:] if tags[1:2] == [f"{SITEMAP}lastmod"] else tags[1:]
        assert set(rest) <= {f"{XHTML}link"}, tags
        links = [
            (link.get("hreflang", ""), link.get("href", ""))
            for link in url.iter(f"{XHTML}link")
            if link.get("rel") == "alternate"
        ]
        assert len(links) == len(rest)
        entries[url.findtext(f"{SITEMAP}loc", "")] = links
    return entries


def test_the_sitemap_declares_the_xhtml_namespace(site: Path) -> None:
    head = read(site, "sitemap.xml").split("\n")[1]
    assert head == (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:xhtml="http://www.w3.org/1999/xhtml">'
    )


def test_each_translated_page_names_every_version_both_ways_and_the_default(site: Path) -> None:
    entries = sitemap_entries(site)
    for slug in ("", "tides/", "boats/", "search/"):
        english, chinese = BASE + slug, BASE + "zh/" + slug
        expected = [("en", english), ("zh-Hans", chinese), ("x-default", english)]
        assert entries[english] == expected
        assert entries[chinese] == expected
    # Every version is listed itself, naming the same versions (both ways), itself included.
    for loc, links in entries.items():
        versions = [href for code, href in links if code != "x-default"]
        assert not links or loc in versions
        for href in versions:
            assert entries[href] == links


def test_a_page_without_a_translation_has_no_alternates_and_404s_are_not_listed(
    site: Path,
) -> None:
    entries = sitemap_entries(site)
    assert entries[BASE + "moorings/"] == []
    assert not any("404" in loc for loc in entries)
    # Six pages and a section page in each language, and the untranslated page.
    assert len(entries) == 15
    assert entries[BASE + "zh/guides/"] == [
        ("en", BASE + "guides/"),
        ("zh-Hans", BASE + "zh/guides/"),
        ("x-default", BASE + "guides/"),
    ]


# -- a feed per language --------------------------------------------------------------------


def feed(site: Path, path: str) -> ET.Element:
    return ET.fromstring(read(site, path))


def entry_links(root: ET.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}id", "") for entry in root.iter(f"{ATOM}entry")]


def test_each_language_has_its_own_feed_in_its_own_words(site: Path) -> None:
    english, chinese = feed(site, "feed.xml"), feed(site, "zh/feed.xml")
    assert english.get(XML_LANG) == "en" and chinese.get(XML_LANG) == "zh-Hans"
    assert english.findtext(f"{ATOM}title") == "Harbour notes"
    assert chinese.findtext(f"{ATOM}title") == "港口笔记"
    assert chinese.findtext(f"{ATOM}subtitle") == "一个关于港口的小型测试网站：潮汐与船只。"
    assert chinese.findtext(f"{ATOM}id") == BASE + "zh/"
    # The author is each language's byline, as in each page's JSON-LD.
    assert english.findtext(f"{ATOM}author/{ATOM}name") == "The Harbour Desk"
    assert chinese.findtext(f"{ATOM}author/{ATOM}name") == "港口编辑部"
    self_link = chinese.find(f"{ATOM}link[@rel='self']")
    assert self_link is not None and self_link.get("href") == BASE + "zh/feed.xml"
    pages = ("", "tides/", "boats/", "sources/", "guides/mooring/")
    assert sorted(entry_links(english)) == sorted(BASE + slug for slug in (*pages, "moorings/"))
    assert sorted(entry_links(chinese)) == sorted(BASE + "zh/" + slug for slug in pages)
    titles = [e.findtext(f"{ATOM}title") for e in chinese.iter(f"{ATOM}entry")]
    assert set(titles) == {"港口笔记", "潮汐", "船只", "来源", "系泊"}


@pytest.mark.parametrize(
    ("page", "feed_url"), [("tides/", "feed.xml"), ("zh/tides/", "zh/feed.xml")]
)
def test_each_languages_pages_link_their_own_feed(site: Path, page: str, feed_url: str) -> None:
    html = read(site, page + "index.html")
    head = html.split("</head>")[0]
    links = re.findall(r'<link rel="alternate" type="application/atom\+xml" href="([^"]+)"', head)
    assert links == [PREFIX + feed_url]
    footer = html.split('<footer class="site-footer">')[1]
    assert f'<a href="{PREFIX}{feed_url}">' in footer


def test_a_language_whose_pages_go_loses_its_feed(tmp_path: Path) -> None:
    site = copy_fixture(tmp_path / "site")
    build(site, *STRICT)
    assert (site / "output" / "zh" / "feed.xml").is_file()
    shutil.rmtree(site / "content" / "zh")
    build(site, *STRICT)  # the same output folder: an incremental build
    assert not (site / "output" / "zh").exists()
    assert len(entry_links(feed(site, "feed.xml"))) == 5


# -- which version of its original a translation follows ------------------------------------


def note(html: str) -> str:
    found = re.search(
        r'<div class="translation-note[^"]*"><p class="wrap">(.*?)</p></div>', html, re.S
    )
    assert found, "no translation note"
    return found[1]


def recorded_version(site: Path, rel: str) -> str:
    found = re.search(
        r"^translation_of: sha256:([0-9a-f]{16})$",
        (site / "content" / rel).read_text(encoding="utf-8"),
        re.M,
    )
    assert found
    return found[1]


def test_a_translation_says_which_version_of_its_original_it_follows(site: Path) -> None:
    version = recorded_version(site, "zh/tides.md")[:8]
    assert note(read(site, "zh/tides/index.html")) == (
        f'本页译自英语原文《<a href="{PREFIX}tides/" hreflang="en" lang="en">Tides</a>》'
        f"（版本 {CODE}{version}</code>，最后更新于2025年2月20日）。"
    )
    assert "translation-note" not in read(site, "tides/index.html")


def test_when_the_original_changes_the_translation_says_so_until_it_is_marked_again(
    tmp_path: Path,
) -> None:
    site = copy_fixture(tmp_path / "site")
    build(site, *STRICT)
    version = recorded_version(site, "zh/boats.md")[:8]
    original = site / "content" / "boats.md"
    original.write_text(
        original.read_text(encoding="utf-8") + "\nA second ferry runs in summer.\n",
        encoding="utf-8",
    )

    stderr = build(site)  # the same output folder: only what the edit touches is rendered
    assert "content/zh/boats.md:" in stderr and "content/boats.md has changed" in stderr
    stale = read(site, "zh/boats/index.html")
    assert '<div class="translation-note is-stale">' in stale
    assert note(stale) == (
        f'本页译自英语原文《<a href="{PREFIX}boats/" hreflang="en" lang="en">Boats</a>》'
        f"的版本 {CODE}{version}</code>。原文此后已有改动，本译文尚未随之更新。"
    )
    assert run_cli("build", "--source", site, "--strict").returncode == 1

    marked = run_cli("translated", "--source", site, "content/zh/boats.md")
    assert marked.returncode == 0, marked.stderr
    build(site, *STRICT)
    new_version = recorded_version(site, "zh/boats.md")[:8]
    assert new_version != version
    assert f"（版本 {CODE}{new_version}</code>，最后更新于2025年2月10日）。" in note(
        read(site, "zh/boats/index.html")
    )


def test_a_translation_with_no_recorded_version_says_so(tmp_path: Path) -> None:
    site = copy_fixture(tmp_path / "site")
    page = site / "content" / "zh" / "tides.md"
    page.write_text(
        re.sub(r"^translation_of: .*\n", "", page.read_text(encoding="utf-8"), flags=re.M),
        encoding="utf-8",
    )
    assert "no record of which version" in build(site)
    assert note(read(site, "zh/tides/index.html")).endswith("》，未记录所依据的原文版本。")


def test_two_builds_of_the_two_languages_are_byte_identical(tmp_path: Path) -> None:
    outputs = []
    for name in ("one", "two"):
        site = copy_fixture(tmp_path / name)
        build(site, *STRICT)
        outputs.append(snapshot(site / "output"))
    assert outputs[0] == outputs[1]


# -- a not-found page per language ----------------------------------------------------------


def test_the_root_not_found_page_offers_the_other_language_its_words_and_home(site: Path) -> None:
    html = read(site, "404.html")
    assert '<html lang="en">' in html
    other = re.search(r'<div lang="zh-Hans">(.*?)</div>', html, re.S)
    assert other is not None
    assert "<strong>找不到页面</strong> 此地址没有页面。" in other[1]
    assert f'<a href="{PREFIX}zh/" hreflang="zh-Hans">港口笔记</a>' in other[1]


def test_a_translated_not_found_page_is_written_beside_its_language(site: Path) -> None:
    html = read(site, "zh/404.html")
    assert '<html lang="zh-Hans">' in html and '<meta name="robots" content="noindex">' in html
    assert "<h1>找不到页面</h1>" in html
    assert f'<a href="{PREFIX}" hreflang="en">Harbour notes</a>' in html  # back to English
    links = re.findall(r'<li><a href="([^"]+)">', html.split('id="sb-all-pages"')[1])
    assert links and all(link.startswith(PREFIX + "zh/") for link in links)
    checked = run_cli("check", "--source", site)
    assert checked.returncode == 0, checked.stderr


# -- no English theme words on a Chinese page -----------------------------------------------


class VisibleWords(HTMLParser):
    """The Latin-letter words a reader sees or hears on a page: its text and the attributes
    shown or read aloud, outside scripts, styles, elements marked as in English and those
    marked not to be translated (a version's hex digits)."""

    SPOKEN = ("aria-label", "title", "alt", "placeholder")
    VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.stack: list[bool] = []  # for each open element: whether its text is skipped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        skipped = bool(self.stack and self.stack[-1]) or tag in ("script", "style", "head")
        skipped = skipped or (values.get("lang") or "").startswith("en")
        skipped = skipped or values.get("translate") == "no"
        if not skipped:
            for name in self.SPOKEN:
                self.words += re.findall(r"[A-Za-z]{2,}", values.get(name) or "")
        if tag not in self.VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.words += re.findall(r"[A-Za-z]{2,}", data)


# Words a Chinese page may show in Latin letters: the source record's own words (content,
# cited as published), a section page's title (its folder's name, content/zh/guides/, the
# same in both languages), and the names of a feed format and of JavaScript.
ALLOWED = {"Harbour", "Gazette", "guide", "to", "the", "harbour", "Guides", "Atom", "JavaScript"}


@pytest.mark.parametrize(
    "page", ["zh/index.html", "zh/tides/index.html", "zh/search/index.html", "zh/404.html"]
)
def test_a_chinese_page_shows_no_english_theme_word(site: Path, page: str) -> None:
    parser = VisibleWords()
    parser.feed(read(site, page))
    assert set(parser.words) - ALLOWED == set()


# -- search in each language ----------------------------------------------------------------

RESULTS = ".pagefind-ui__result-title .pagefind-ui__result-link"
MESSAGE = ".pagefind-ui__message"


def test_pagefind_keeps_an_index_per_language(site: Path) -> None:
    """Pagefind reads each page's <html lang>: one index per language, each of its pages."""
    entry = json.loads(read(site, "pagefind/pagefind-entry.json"))
    counts = {code: value["page_count"] for code, value in entry["languages"].items()}
    # In each: home, tides, boats, sources, the guide and its section page (en: moorings too);
    # not the search or not-found pages.
    assert counts == {"en": 7, "zh-hans": 6}


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[StaticServer]:
    with StaticServer(site / "output", PREFIX) as running:
        yield running


def search(browser: Browser, url: str, query: str, found: list[str]) -> tuple[list[str], str, str]:
    """Type `query` into the search page at `url` and wait until the results settle on the
    pages `found` (a result's links to its sections count as the page): the pages shown,
    Pagefind's message and the words of its clear button, once they do or after 10 s.

    Waiting for the links themselves: while a result's details load, Pagefind shows a
    placeholder with the same `pagefind-ui__result-title` class and no link, so counting
    titles could read the links before they came (CI saw [] for a page found). A search
    also runs for each typed character, so a shorter query's results may come first."""
    linux_only("search in a browser")
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("requestfailed", lambda request: errors.append(f"failed: {request.url}"))
    try:
        page.goto(url)
        box = page.locator(".pagefind-ui__search-input")
        box.click()
        box.press_sequentially(query)
        try:
            # Settled: the message names the query, is no longer "Searching for …...", the
            # number it gives is the number expected, and every result's link has loaded.
            page.wait_for_function(
                """([message, links, query, expected]) => {
                    const text = document.querySelector(message)?.textContent || "";
                    if (!text.includes(query) || text.includes("...") || text.includes("…")) {
                        return false;
                    }
                    const hrefs = [...document.querySelectorAll(links)].map(
                        (link) => (link.getAttribute("href") || "").split("#")[0]
                    );
                    const shown = [...new Set(hrefs)].sort();
                    return JSON.stringify(shown) === JSON.stringify(expected);
                }""",
                arg=[MESSAGE, RESULTS, query, sorted(PREFIX + slug for slug in found)],
                timeout=10_000,
            )
        except PlaywrightTimeoutError:
            pass  # the assertions below say what was shown instead
        links = sorted(
            {
                (link.get_attribute("href") or "").split("#")[0]
                for link in page.locator(RESULTS).all()
            }
        )
        message = page.locator(MESSAGE).inner_text() if page.locator(MESSAGE).count() else ""
        clear = page.locator(".pagefind-ui__search-clear").inner_text()
    finally:
        page.close()
    assert not errors, errors
    return links, message, clear


@pytest.mark.parametrize(
    ("search_page", "query", "found"),
    [
        ("zh/search/", "灯塔", ["zh/boats/"]),
        ("zh/search/", "小潮", ["zh/tides/"]),
        ("search/", "Lighthouse", ["boats/"]),
        ("zh/search/", "Lighthouse", []),
        ("search/", "灯塔", []),
    ],
)
def test_each_languages_search_page_searches_its_own_language(
    browser: Browser, served: StaticServer, search_page: str, query: str, found: list[str]
) -> None:
    links, message, _ = search(browser, served.url + search_page, query, found)
    assert links == sorted(PREFIX + slug for slug in found), message
    assert query in message


def test_the_chinese_search_page_speaks_chinese(browser: Browser, served: StaticServer) -> None:
    _, message, clear = search(browser, served.url + "zh/search/", "灯塔", ["zh/boats/"])
    assert not re.search(r"[A-Za-z]{2,}", message + clear), (message, clear)


def test_every_page_of_both_languages_is_valid_html(site: Path) -> None:
    """The Nu HTML Checker on every built page: alternates, the note, the not-found pages."""
    files = sorted((site / "output").rglob("*.html"))
    files = [file for file in files if "pagefind" not in file.parts]
    assert len(files) == 17
    errors = validate_html(files)
    assert not errors, "\n".join(map(str, errors))


def test_the_translation_note_and_the_not_found_page_pass_axe(
    browser: Browser, tmp_path: Path
) -> None:
    """The stale note (its own colours) and the root 404's other-language section, light and dark."""
    linux_only("axe in a browser")
    site = copy_fixture(tmp_path / "site")
    original = site / "content" / "boats.md"
    original.write_text(original.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    build(site)
    with StaticServer(site / "output", PREFIX) as server:
        for scheme in ("light", "dark"):
            context = browser.new_context(color_scheme=scheme)
            try:
                page = context.new_page()
                for path in ("zh/boats/", "404.html", "zh/404.html"):
                    page.goto(server.url + path)
                    violations = run_axe(page)
                    assert not violations, (path, scheme, format_violations(violations))
            finally:
                context.close()


def test_the_search_bundle_lists_its_languages_in_one_order(tmp_path: Path) -> None:
    """Pagefind writes its languages in an order that changes from run to run; the build
    puts them in order of their codes, keeping Pagefind's way of writing the file."""
    entry = tmp_path / "pagefind-entry.json"
    written = '{"version":"1.5.2","languages":{"zh-hans":{"page_count":6},"en":{"page_count":7}},"include_characters":["_","‿"]}'
    entry.write_text(written, encoding="utf-8")
    sort_languages(tmp_path)
    assert entry.read_text(encoding="utf-8") == written.replace(
        '"zh-hans":{"page_count":6},"en":{"page_count":7}',
        '"en":{"page_count":7},"zh-hans":{"page_count":6}',
    )


def test_the_preview_shows_the_stale_note_as_soon_as_the_original_is_saved(
    tmp_path: Path,
) -> None:
    """Saving the original re-renders its translation in the preview (the original's version
    is a fact of the translation's page), and marking the translation clears the note."""
    from tests.test_server import get, start, wait_until

    site = copy_fixture(tmp_path / "site")
    server = start(site)
    try:

        def chinese_page() -> str:
            status, _, body = get(server.url, PREFIX + "zh/boats/")
            return body.decode("utf-8") if status == 200 else ""

        assert '<div class="translation-note">' in chinese_page()
        original = site / "content" / "boats.md"
        original.write_text(original.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
        wait_until(lambda: "translation-note is-stale" in chinese_page(), 30, "the stale note")
        marked = run_cli("translated", "--source", site, "content/zh/boats.md")
        assert marked.returncode == 0, marked.stderr
        wait_until(lambda: '<div class="translation-note">' in chinese_page(), 30, "a current note")
    finally:
        server.stop()
