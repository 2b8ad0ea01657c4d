"""Search on a static host (issue 5): Pagefind's index of the real explainer, used in a browser.

The site is built by the real CLI with the sub-path base URL, indexed with
`build_search_index`, and served from 127.0.0.1 under /stockholm-explainer/, as on GitHub Pages.
"""

from __future__ import annotations

import gzip
import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect
from playwright.sync_api import Page as BrowserPage

from site_builder.render import search
from site_builder.render.search import BUNDLE_DIR, build_search_index
from tests.sitefactory import run_cli, snapshot
from tests.support import SITE_BASE_URL, SITE_PREFIX
from tests.support.axe import format_violations, run_axe
from tests.support.http import StaticServer
from tests.test_server import get, start, wait_until

# Words that appear on one page of the explainer only, and that page.
QUERIES = {
    "nitazenes": "tariff-truce/",
    "Huawei": "export-controls/",
}
RESULT_TITLES = ".pagefind-ui__result-title .pagefind-ui__result-link"
MAX_TABS = 40  # more Tab presses than this to reach the header's box is not "accessible"


@pytest.fixture(scope="module")
def indexed_site(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("search") / "site"
    built = run_cli(
        "build", "--source", project_root, "--output", site, "--base-url", SITE_BASE_URL
    )
    assert built.returncode == 0, built.stderr
    assert build_search_index(site, lambda message: None) == []
    return site


@pytest.fixture(scope="module")
def server(indexed_site: Path) -> Iterator[StaticServer]:
    with StaticServer(indexed_site, SITE_PREFIX) as running:
        yield running


def _indexed_urls(site: Path) -> set[str]:
    """The page URLs in Pagefind's index (its fragments are gzipped JSON after a signature)."""
    urls = set()
    for fragment in (site / BUNDLE_DIR / "fragment").iterdir():
        data = gzip.decompress(fragment.read_bytes()).removeprefix(b"pagefind_dcd")
        urls.add(json.loads(data)["url"])
    return urls


def _search_page_url(server: StaticServer) -> str:
    return server.url + "search/"


def _expect_top_result(page: BrowserPage, query: str, url: str) -> None:
    """Wait until the results for `query` are shown with `url` first. A search runs as each
    character is typed, so on a slow machine a shorter query's results may show first."""
    expect(page.locator(".pagefind-ui__message")).to_contain_text(query, timeout=10_000)
    expect(page.locator(RESULT_TITLES).first).to_have_attribute("href", url, timeout=10_000)


# -- the index ---------------------------------------------------------------------------------


def test_index_holds_the_content_pages_only(indexed_site: Path) -> None:
    pages = {
        "/" + p.relative_to(indexed_site).as_posix().removesuffix("index.html")
        for p in indexed_site.rglob("*.html")
        if not p.relative_to(indexed_site).as_posix().startswith(BUNDLE_DIR)
    }
    # Not the 404 pages (they ask not to be indexed) nor the search page of either language
    # (its list of every page would make it match every query).
    not_indexed = {"/404.html", "/search/", "/zh/404.html", "/zh/search/"}
    assert _indexed_urls(indexed_site) == pages - not_indexed


def test_index_is_byte_identical_between_runs(indexed_site: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    shutil.copytree(indexed_site, again)
    shutil.rmtree(again / BUNDLE_DIR)
    assert build_search_index(again, lambda message: None) == []
    assert snapshot(again / BUNDLE_DIR) == snapshot(indexed_site / BUNDLE_DIR)


def test_a_site_whose_page_list_is_longer_than_a_command_line_is_indexed(tmp_path: Path) -> None:
    """Pagefind is given the list of pages to index; with thousands of pages it is longer
    than one command-line argument may be (128 KiB on Linux), so it goes in a file."""
    names = [f"{'long-folder-name-' * 6}{number}/index.html" for number in range(1300)]
    for name in names:
        page = tmp_path / "site" / name
        page.parent.mkdir(parents=True)
        page.write_text(f'<html lang="en"><main><p>Page {name}</p></main></html>', "utf-8")
    (tmp_path / "site" / "404.html").write_text(
        '<html lang="en"><head><meta name="robots" content="noindex"></head><main>No</main>',
        encoding="utf-8",
    )
    assert len(search.page_glob(names)) > 128 * 1024

    assert build_search_index(tmp_path / "site", lambda message: None) == []
    entry = json.loads((tmp_path / "site" / BUNDLE_DIR / "pagefind-entry.json").read_text())
    assert entry["languages"]["en"]["page_count"] == len(names)  # and not the 404 page


def test_problems_are_diagnostics_not_crashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = build_search_index(tmp_path, lambda message: None)
    assert [(d.severity, d.message) for d in empty] == [("warning", "no pages to index for search")]

    (tmp_path / "index.html").write_text("<main><h1>Hi</h1></main>", encoding="utf-8")

    def missing() -> Path:
        raise FileNotFoundError("no pagefind binary")

    monkeypatch.setattr(search, "pagefind_executable", missing)
    [problem] = build_search_index(tmp_path, lambda message: None)
    assert problem.is_error and "Pagefind is not installed" in problem.message


# -- in a browser --------------------------------------------------------------------------------


@pytest.mark.parametrize(("query", "expected"), QUERIES.items())
def test_typing_a_query_shows_the_right_page(
    browser: Browser, server: StaticServer, query: str, expected: str
) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(_search_page_url(server))
        box = page.locator(".pagefind-ui__search-input")
        box.click()
        box.press_sequentially(query)
        _expect_top_result(page, query, SITE_PREFIX + expected)
        violations = run_axe(page)
        assert not violations, format_violations(violations)
    finally:
        page.close()
    assert not errors


def test_search_box_is_labelled_and_results_look_like_links_in_dark_mode(
    browser: Browser, server: StaticServer
) -> None:
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(_search_page_url(server))
        box = page.get_by_role("textbox", name="Search this site", exact=True)
        expect(box).to_be_visible()
        expect(page.locator(".search-label")).to_be_visible()  # a label one can see
        assert box.evaluate("b => b.classList.contains('pagefind-ui__search-input')")
        assert box.get_attribute("title") is None  # named by the label, not by a title
        box.press_sequentially("Huawei")
        _expect_top_result(page, "Huawei", SITE_PREFIX + QUERIES["Huawei"])
        style = "a => [getComputedStyle(a).color, getComputedStyle(a).textDecorationLine]"
        result = page.locator(RESULT_TITLES).first.evaluate(style)
        link = page.locator(".every-page a").first.evaluate(style)
        assert result == link and "underline" in result[1], (result, link)
        violations = run_axe(page)
        assert not violations, format_violations(violations)
    finally:
        context.close()


def test_header_search_box_works_from_the_keyboard(browser: Browser, server: StaticServer) -> None:
    page = browser.new_page()
    try:
        page.goto(server.url + "timeline/")
        expect(page.locator(".site-search-link")).to_be_hidden()
        # The box is in the header's menu: Tab to "Menu", open it with Enter, Tab on.
        for _ in range(MAX_TABS):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.tagName") == "SUMMARY":
                break
        else:
            pytest.fail(f"{MAX_TABS} Tab presses did not reach the header's menu")
        page.keyboard.press("Enter")
        for _ in range(MAX_TABS):
            page.keyboard.press("Tab")
            if page.evaluate("() => document.activeElement.id") == "site-search-q":
                break
        else:
            pytest.fail(f"{MAX_TABS} Tab presses did not reach the header's search box")
        page.keyboard.type("nitazenes")
        page.keyboard.press("Enter")
        page.wait_for_url("**/search/?q=nitazenes")
        _expect_top_result(page, "nitazenes", SITE_PREFIX + QUERIES["nitazenes"])
    finally:
        page.close()


def test_without_javascript_a_link_leads_to_a_list_of_every_page(
    browser: Browser, server: StaticServer, indexed_site: Path
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server.url)
        expect(page.locator(".site-search-form")).to_be_hidden()
        page.get_by_text("Menu", exact=True).click()  # a <details>: opens without scripts
        link = page.locator(".site-search-link")
        expect(link).to_be_visible()
        link.click()
        page.wait_for_url(_search_page_url(server))
        # (Chromium with scripts disabled by the DevTools protocol still parses <noscript> as
        # if scripts ran, so the note inside it cannot be checked here; the list can.)
        expect(page.locator(".every-page")).to_be_visible()
        expect(page.locator("#search")).to_be_empty()
        listed = page.locator(".every-page a").evaluate_all("as => as.map(a => a.pathname)")
    finally:
        context.close()
    every_page = {
        SITE_PREFIX + p.relative_to(indexed_site).as_posix().removesuffix("index.html")
        for p in indexed_site.rglob("index.html")
        if not p.relative_to(indexed_site).as_posix().startswith((BUNDLE_DIR, "zh/"))
    }
    # Every page of the search page's language (the Chinese search page lists the Chinese).
    assert sorted(listed) == sorted(every_page - {SITE_PREFIX + "search/"})


# -- in the preview --------------------------------------------------------------------------------


def test_the_preview_search_finds_what_a_writer_just_saved(
    browser: Browser, project_root: Path, tmp_path: Path
) -> None:
    # The preview rewrites pages in place on a save; the index must follow them.
    project = tmp_path / "site"
    for name in ("content", "templates", "static", "data"):
        shutil.copytree(project_root / name, project / name)
    shutil.copy(project_root / "site.yaml", project / "site.yaml")
    server = start(project)
    page = browser.new_page()
    try:
        before = server.builds()
        truce = project / "content" / "tariff-truce.md"
        truce.write_text(
            truce.read_text(encoding="utf-8") + "\nA zorblaxian paragraph, just written.\n",
            encoding="utf-8",
        )
        deadline = time.monotonic() + 20
        while server.builds() == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.builds() > before, server.err()
        # The preview makes its index once serving (and again after each save's build): on
        # a first start the search page has no box until the index is there.
        index = urlsplit(server.url).path + "pagefind/pagefind-entry.json"
        wait_until(lambda: get(server.url, index)[0] == 200, 20, "the search index")
        deadline = time.monotonic() + 20
        found = None
        while found is None and time.monotonic() < deadline:
            page.goto(server.url + "search/")
            box = page.locator(".pagefind-ui__search-input")
            box.press_sequentially("zorblaxian")
            page.locator(f"{RESULT_TITLES}, .pagefind-ui__message").first.wait_for()
            if page.locator(RESULT_TITLES).count():
                found = page.locator(RESULT_TITLES).first.get_attribute("href")
            else:
                time.sleep(0.2)
        assert found == urlsplit(server.url).path + "tariff-truce/", server.err()
    finally:
        page.close()
        server.stop()
