"""What a build publishes besides its pages (issue 5): sitemap, feed, robots.txt, .nojekyll,
a 404 page that works at any depth, and per-page metadata, all under a sub-path base URL.

The real explainer is built by the real CLI for https://example.github.io/stockholm-explainer/,
so any URL that forgets the /stockholm-explainer/ prefix shows up here.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit
from urllib.request import urlopen

import feedparser
import pytest

from site_builder.content.urls import page_location
from tests.sitefactory import run_cli
from tests.support import SITE_BASE_URL, SITE_PREFIX
from tests.support.http import StaticServer
from tests.support.pages import load_pages

SITE_HOST = urlsplit(SITE_BASE_URL).netloc
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
URL_ATTRS = {"href", "src", "action", "poster", "data"}
META_URLS = {"og:url", "og:image", "twitter:image", "twitter:url"}
NOT_URLS = ("#", "mailto:", "tel:", "data:")


@dataclass
class HtmlPage:
    rel: str  # relative to the output folder
    urls: list[tuple[int, str]] = field(default_factory=list)  # (line, URL)
    meta: dict[str, str] = field(default_factory=dict)  # name/property → content
    canonical: str | None = None
    json_ld: list[str] = field(default_factory=list)


class _PageParser(HTMLParser):
    def __init__(self, page: HtmlPage) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.in_json_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        line = self.getpos()[0]
        for name, value in values.items():
            if name in URL_ATTRS and value:
                self.page.urls.append((line, value))
            if name == "srcset":
                self.page.urls += [(line, c.split()[0]) for c in value.split(",") if c.strip()]
        if tag == "meta":
            key = values.get("property") or values.get("name")
            if key:
                self.page.meta[key] = values.get("content", "")
            if key in META_URLS:
                self.page.urls.append((line, values.get("content", "")))
        if tag == "link" and "canonical" in values.get("rel", "").split():
            self.page.canonical = values.get("href")
        self.in_json_ld = tag == "script" and values.get("type") == "application/ld+json"

    def handle_endtag(self, tag: str) -> None:
        self.in_json_ld = False

    def handle_data(self, data: str) -> None:
        if self.in_json_ld:
            self.page.json_ld.append(data)


def read_page(root: Path, file: Path) -> HtmlPage:
    page = HtmlPage(file.relative_to(root).as_posix())
    parser = _PageParser(page)
    parser.feed(file.read_text(encoding="utf-8"))
    parser.close()
    return page


@pytest.fixture(scope="module")
def pages(built_site: Path) -> list[HtmlPage]:
    found = [read_page(built_site, f) for f in sorted(built_site.rglob("*.html"))]
    assert any(p.rel == "index.html" for p in found) and any(p.rel == "404.html" for p in found)
    return found


@dataclass(frozen=True)
class Expected:
    permalink: str
    lastmod: str | None
    in_feed: bool


@pytest.fixture(scope="module")
def expected(project_root: Path) -> dict[str, Expected]:
    """Every published page, from the content itself: output path → what to expect."""
    loaded, problems = load_pages(project_root)
    assert not [p for p in problems if p.is_error]
    result = {}
    for page in loaded:
        if page.draft or page.is_404 or page.rel == "zh/404.md":  # either language's
            continue
        url, output_path = page_location(page)  # type: ignore[misc]
        lastmod = page.updated.isoformat() if page.updated else None
        result[output_path] = Expected(
            SITE_BASE_URL + url, lastmod, in_feed=page.template != "search.html"
        )
    return result


def _json_strings(data: object) -> list[str]:
    if isinstance(data, dict):
        return [s for value in data.values() for s in _json_strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in _json_strings(value)]
    return [data] if isinstance(data, str) else []


def _prefix_problem(page: HtmlPage, url: str) -> str | None:
    """Why `url` on `page` does not lead under the site's prefix, or None if it does."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") or parts.netloc:
        if parts.netloc == SITE_HOST and not parts.path.startswith(SITE_PREFIX):
            return "absolute URL on the site's host without the prefix"
        return None  # another site: nothing to prefix
    if not parts.path.startswith(SITE_PREFIX):
        return "not root-relative under the prefix"
    return None


# -- every URL carries the prefix -----------------------------------------------------------


def test_every_url_in_every_page_carries_the_base_path(pages: list[HtmlPage]) -> None:
    failures = []
    for page in pages:
        urls = [(line, url) for line, url in page.urls if not url.startswith(NOT_URLS)]
        for text in page.json_ld:
            urls += [(0, s) for s in _json_strings(json.loads(text)) if s.startswith(("http", "/"))]
        for line, url in urls:
            if problem := _prefix_problem(page, url):
                failures.append(f"  {page.rel}:{line}: {url} ({problem})")
    assert not failures, f"URLs outside {SITE_PREFIX}:\n" + "\n".join(failures)


def test_sitemap_lists_every_page_with_lastmod(built_site: Path, expected: dict) -> None:
    tree = ET.parse(built_site / "sitemap.xml")
    entries = {
        url.findtext("sm:loc", namespaces=SITEMAP_NS): url.findtext("sm:lastmod", None, SITEMAP_NS)
        for url in tree.getroot().findall("sm:url", SITEMAP_NS)
    }
    assert entries == {e.permalink: e.lastmod for e in expected.values()}
    assert all(loc.startswith(SITE_BASE_URL) for loc in entries)
    dated = [lastmod for lastmod in entries.values() if lastmod]
    assert dated, "no page has a date, so the sitemap test checks no lastmod"
    for lastmod in dated:
        dt.date.fromisoformat(lastmod)


def test_robots_txt_points_at_the_sitemap_and_jekyll_is_off(built_site: Path) -> None:
    robots = (built_site / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {SITE_BASE_URL}sitemap.xml" in robots.splitlines()
    assert robots.startswith("User-agent: *\n")
    # GitHub Pages runs Jekyll unless told not to, and Jekyll drops files starting with "_".
    assert (built_site / ".nojekyll").is_file()


# -- the feed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", ["", "zh/"])  # a feed per language: English, Chinese
def test_feed_parses_with_every_page_as_an_entry(
    built_site: Path, expected: dict, folder: str
) -> None:
    feed = feedparser.parse((built_site / folder / "feed.xml").read_bytes())
    home = SITE_BASE_URL + folder
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.id == home
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"self": f"{home}feed.xml", "alternate": home}
    wanted = [
        e.permalink
        for e in expected.values()
        if e.in_feed
        and e.permalink.startswith(home)
        and (folder or not e.permalink.startswith(SITE_BASE_URL + "zh/"))
    ]
    assert sorted(entry.id for entry in feed.entries) == sorted(wanted)
    for entry in feed.entries:
        assert entry.link == entry.id, "each entry's id is its page's absolute URL"
        assert entry.id.startswith(SITE_BASE_URL)
        assert entry.title and entry.summary
        assert entry.published_parsed and entry.updated_parsed
    assert feed.feed.updated_parsed


def test_feed_and_sitemap_are_the_same_on_every_build(
    built_site: Path, project_root: Path, tmp_path: Path
) -> None:
    again = tmp_path / "again"
    result = run_cli(
        "build", "--source", project_root, "--output", again, "--base-url", SITE_BASE_URL
    )
    assert result.returncode == 0, result.stderr
    for name in ("feed.xml", "sitemap.xml", "robots.txt"):
        assert (again / name).read_bytes() == (built_site / name).read_bytes(), name
    ids = [e.id for e in feedparser.parse((again / "feed.xml").read_bytes()).entries]
    assert ids and len(set(ids)) == len(ids), "entry ids must be unique"


# -- per-page metadata --------------------------------------------------------------------------


def test_pages_have_canonical_open_graph_and_twitter_meta(
    pages: list[HtmlPage], expected: dict
) -> None:
    for page in pages:
        if page.rel not in expected:
            continue
        permalink = expected[page.rel].permalink
        assert page.canonical == permalink, page.rel
        assert page.meta.get("og:url") == permalink, page.rel
        for key in ("og:type", "og:title", "og:description", "og:site_name", "twitter:card"):
            assert page.meta.get(key), f"{page.rel}: no {key}"
        assert page.meta.get("description"), page.rel
    checked = {page.rel for page in pages} & set(expected)
    assert checked == set(expected), "pages the build should have written"


# What each page is, for structured data: the explainer's pages are news articles; the
# home page (a hub), search and the sources page are not, in English and in Chinese (zh/).
PAGE_TYPES = {
    "index.html": "CollectionPage",
    "search/index.html": "SearchResultsPage",
    "sources/index.html": "WebPage",
}


def test_json_ld_describes_each_page_by_its_type(
    pages: list[HtmlPage], expected: dict, built_site: Path
) -> None:
    seen = set()
    for page in pages:
        if page.rel not in expected:
            continue
        assert len(page.json_ld) == 1, f"{page.rel}: {len(page.json_ld)} JSON-LD blocks"
        data = json.loads(page.json_ld[0])
        assert data["@context"] == "https://schema.org"
        kind = PAGE_TYPES.get(page.rel.removeprefix("zh/"), "NewsArticle")  # either language
        seen.add(kind)
        assert data["@type"] == kind, page.rel
        assert data["url"] == expected[page.rel].permalink
        assert data["name"] == page.meta["og:title"]
        assert data["image"] == page.meta["og:image"], page.rel
        publisher = data["publisher"]
        assert publisher["@type"] == "Organization" and publisher["name"], page.rel
        logo = publisher["logo"]["url"]
        assert logo.startswith(SITE_BASE_URL), page.rel
        assert (built_site / logo.removeprefix(SITE_BASE_URL)).is_file(), logo
        if kind != "NewsArticle":
            assert "author" not in data and "headline" not in data, page.rel
            continue
        assert data["headline"] == page.meta["og:title"]
        assert data["author"]["@type"] == "Organization" and data["author"]["name"], page.rel
        published = dt.date.fromisoformat(data["datePublished"])
        modified = dt.date.fromisoformat(data["dateModified"])
        assert published <= modified, page.rel
        lastmod = expected[page.rel].lastmod
        if lastmod:
            assert data["dateModified"] == lastmod, f"{page.rel}: sitemap and JSON-LD disagree"
    assert seen == {"NewsArticle", "CollectionPage", "SearchResultsPage", "WebPage"}


def test_every_indexable_page_has_a_1200_by_630_share_card(
    pages: list[HtmlPage], expected: dict, built_site: Path
) -> None:
    from PIL import Image

    cards = set()
    for page in pages:
        if page.rel not in expected:
            assert "og:image" not in page.meta, f"{page.rel}: a card for a page nobody shares"
            continue
        image = page.meta.get("og:image", "")
        assert image.startswith(SITE_BASE_URL), f"{page.rel}: og:image {image!r} not absolute"
        assert page.meta.get("twitter:card") == "summary_large_image", page.rel
        assert page.meta.get("twitter:image") == image, page.rel
        assert page.meta.get("og:image:alt"), page.rel
        file = built_site / image.removeprefix(SITE_BASE_URL)
        with Image.open(file) as card:
            assert (card.format, card.size) == ("PNG", (1200, 630)), page.rel
        cards.add(file.name)
    assert len(cards) == len(expected), "every page has a card of its own"
    on_disk = {f.name for f in (built_site / "share").iterdir()}
    assert on_disk == cards, "no card that no page names"


# -- the 404 page, served at any depth ----------------------------------------------------------


def test_404_page_links_and_assets_work_from_a_deep_path(built_site: Path) -> None:
    not_found = read_page(built_site, built_site / "404.html")
    with StaticServer(built_site, SITE_PREFIX) as server:
        deep = server.url + "a/b/c/missing"
        with pytest.raises(HTTPError) as answer:
            urlopen(deep, timeout=10)
        assert answer.value.code == 404
        assert answer.value.read() == (built_site / "404.html").read_bytes()
        failures, types = [], {}
        for line, url in not_found.urls:
            if url.startswith(NOT_URLS):
                continue
            target = urljoin(deep, url)
            if not target.startswith(server.origin):
                continue
            try:
                with urlopen(target, timeout=10) as response:
                    types[urlsplit(target).path] = response.headers.get_content_type()
            except HTTPError as error:
                failures.append(f"  404.html:{line}: {url} → {target} ({error.code})")
    assert not failures, "from /a/b/c/missing the 404 page's links break:\n" + "\n".join(failures)
    assert "text/css" in types.values(), "the 404 page's stylesheet was not among its links"
    assert len(types) >= 3, f"expected the 404 page to link to the site, got {sorted(types)}"


# -- citation marks --------------------------------------------------------------------------------


def test_citation_marks_are_few_and_each_is_linked_back_from_the_sources_list(
    built_site: Path, expected: dict
) -> None:
    import re

    for rel in expected:
        html = (built_site / rel).read_text(encoding="utf-8")
        marks = re.findall(r'<sup class="cite" id="([^"]+)"><a href="#source-(\d+)">', html)
        for paragraph in re.findall(r"<p>.*?</p>", html, flags=re.S):
            assert paragraph.count('class="cite"') <= 1, f"{rel}: {paragraph[:120]}"
        if not marks:
            continue
        start = html.index('<section class="citations"')
        back = re.findall(r'<a href="#(cite-[^"]+)">', html[start:])
        assert sorted(back) == sorted(anchor for anchor, _ in marks), rel
        assert len(marks) <= 12, f"{rel}: {len(marks)} citation marks"
