"""What the theme shows a reader of each language (reader review of the Chinese edition):
a source's title in its language's marks alone, lists of pages holding only the page's
language, and the language switcher's link on one line in a narrow header.

Built by the real CLI from tests/fixtures/bilingual/ (English, and Simplified Chinese under
content/zh/); the switcher is measured in headless chromium.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.sitefactory import run_cli
from tests.support import SITE_PREFIX
from tests.support.http import StaticServer

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "bilingual"
PREFIX = "/harbour/"
RECORD = Path("content") / "sources" / "harbour-guide.yaml"
TITLE = "A guide to the harbour"


def built_copy(to: Path, record_url: str | None = None) -> Path:
    """The fixture built by the CLI; `record_url` replaces its source record's URL."""
    shutil.copytree(FIXTURE, to, ignore=shutil.ignore_patterns("output", ".site-builder-*"))
    if record_url is not None:
        record = to / RECORD
        text = record.read_text(encoding="utf-8")
        record.write_text(
            text.replace("url: https://example.org/harbour-guide", f"url: {record_url}"),
            encoding="utf-8",
        )
    result = run_cli("build", "--source", to)
    assert result.returncode == 0, result.stderr
    return to


def read(site: Path, path: str) -> str:
    return (site / "output" / path).read_text(encoding="utf-8")


def text_of(html: str) -> str:
    """What a reader reads of some markup: its text without the tags."""
    return re.sub(r"<[^>]+>", "", html)


def citation_items(html: str) -> list[str]:
    section = re.search(r'<section class="citations".*?</section>', html, re.S)
    assert section, "the page has no list of sources"
    return re.findall(r"<li id=\"source-.*?</li>", section.group(0), re.S)


def record_titles(html: str) -> list[str]:
    return re.findall(r'<p class="record-title">(.*?)</p>', html, re.S)


@pytest.fixture(
    scope="module", params=["https://example.org/harbour-guide", "https://example.org/"]
)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built twice: the record linking its article, and giving only the outlet's home page
    (then the title is not a link, and the theme once added its own quote marks)."""
    return built_copy(tmp_path_factory.mktemp("theme-languages") / "site", request.param)


def test_a_chinese_citation_marks_the_title_with_book_title_marks_alone(site: Path) -> None:
    [item] = citation_items(read(site, "zh/tides/index.html"))
    assert f"Harbour Gazette，《{TITLE}》，发表于" in text_of(item)
    assert not re.search('[“”"]', text_of(item)), text_of(item)
    [record] = record_titles(read(site, "zh/sources/index.html"))
    assert text_of(record) == f"《{TITLE}》"


def test_an_english_citation_quotes_the_title_once(site: Path) -> None:
    html = read(site, "tides/index.html")
    [item] = citation_items(html)
    assert f"Harbour Gazette, “{TITLE}”, published" in text_of(item)
    assert "《" not in text_of(item)
    [record] = record_titles(read(site, "sources/index.html"))
    assert text_of(record) == f"“{TITLE}”"


def hrefs(html: str) -> list[str]:
    return re.findall(r'<a href="([^"]+)"', html)


def citing_pages(html: str) -> list[str]:
    """The links of the sources page's list of pages citing the record."""
    lists = re.findall(r'<ul class="inline-list">(.*?)</ul>', html, re.S)
    assert len(lists) == 1, lists
    return hrefs(lists[0])


def test_each_languages_sources_page_lists_only_its_own_citing_pages(site: Path) -> None:
    english = citing_pages(read(site, "sources/index.html"))
    chinese = citing_pages(read(site, "zh/sources/index.html"))
    assert f"{PREFIX}tides/" in english and f"{PREFIX}zh/tides/" in chinese
    assert not [url for url in english if url.startswith(f"{PREFIX}zh/")], english
    assert all(url.startswith(f"{PREFIX}zh/") for url in chinese), chinese
    # The same pages, each in its own language.
    assert sorted(url.replace(f"{PREFIX}zh/", PREFIX) for url in chinese) == sorted(english)


@pytest.mark.parametrize(
    ("path", "block"),
    [
        ("index.html", r'<ul class="cards">(.*?)</ul>'),
        ("guides/index.html", r'sb-section-pages".*?<ul[^>]*>(.*?)</ul>'),
    ],
)
def test_home_and_section_lists_hold_only_their_languages_pages(
    site: Path, path: str, block: str
) -> None:
    for language, prefix in (("en", PREFIX), ("zh", f"{PREFIX}zh/")):
        html = read(site, path if language == "en" else f"zh/{path}")
        found = re.search(block, html, re.S)
        assert found, (language, path)
        listed = hrefs(found.group(1))
        assert listed, (language, path)
        for url in listed:
            assert url.startswith(prefix), (language, url)
            assert language == "zh" or not url.startswith(f"{PREFIX}zh/"), (language, url)


# -- the language switcher in a narrow header -----------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticServer]:
    site = built_copy(tmp_path_factory.mktemp("switcher") / "site")
    with StaticServer(site / "output", PREFIX) as running:
        yield running


MEASURE = """() => {
  const link = document.querySelector('.language-switch a');
  const range = document.createRange();
  range.selectNodeContents(link);
  const lineHeight = parseFloat(getComputedStyle(link).lineHeight)
    || parseFloat(getComputedStyle(link).fontSize) * 1.6;
  return {
    text: link.textContent,
    lines: new Set(Array.from(range.getClientRects(), r => Math.round(r.top))).size,
    textHeight: range.getBoundingClientRect().height,
    lineHeight,
    header: document.querySelector('.header-row').getBoundingClientRect().height,
    minHeader: parseFloat(getComputedStyle(document.querySelector('.header-row')).minHeight),
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
  };
}"""


def measure(browser: Browser, url: str, width: int, scheme: str) -> dict:
    context = browser.new_context(viewport={"width": width, "height": 700}, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(url)
        return page.evaluate(MEASURE)
    finally:
        context.close()


@pytest.mark.parametrize("width", [320, 375])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["", "tides/", "guides/mooring/"])
def test_the_switchers_chinese_name_stays_on_one_line_in_a_narrow_header(
    browser: Browser, served: StaticServer, width: int, scheme: str, path: str
) -> None:
    seen = measure(browser, served.url + path, width, scheme)
    assert seen["text"] == "中文"
    assert seen["lines"] == 1, seen
    assert seen["textHeight"] < 1.5 * seen["lineHeight"], seen
    # The header stays one row: no taller than its own minimum, nothing wider than the screen.
    assert seen["header"] <= seen["minHeader"] + 1, seen
    assert seen["overflow"] <= 0, seen


@pytest.mark.parametrize(("width", "header"), [(375, 56), (320, 68)])
def test_on_the_real_site_the_switcher_fits_without_a_taller_header(
    browser: Browser, built_site: Path, width: int, header: int
) -> None:
    """The page the review found the break on: a long site title beside the switcher. The
    header keeps the height it had before (two lines of title at 375 px, three at 320)."""
    with StaticServer(built_site, SITE_PREFIX) as server:
        seen = measure(browser, server.url + "tariff-truce/", width, "light")
    assert seen["text"] == "中文"
    assert seen["lines"] == 1, seen
    assert seen["header"] <= header, seen
    assert seen["overflow"] <= 0, seen
