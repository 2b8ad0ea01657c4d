"""Quality checks on the real explainer site (issue 3), built as it is published.

The site is built once from the repo's own content/ and templates/ with a GitHub Pages sub-path
base URL, served from 127.0.0.1 under that sub-path, and checked the way a reader meets it:
valid HTML, no WCAG 2.x A/AA violations in light and dark mode, no sideways scrolling on a phone
or a laptop, every page reachable by links from the home page, nothing fetched from another
host, usable without JavaScript. Screenshots of the home page land in test-artifacts/ for a
person to look at.
"""

from __future__ import annotations

import html
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urldefrag, urljoin, urlsplit
from urllib.request import urlopen

import pytest
from playwright.sync_api import Browser, BrowserContext, Response, Route
from playwright.sync_api import Page as BrowserPage

from tests.support import SITE_BASE_URL, SITE_PREFIX
from tests.support.axe import format_violations, run_axe
from tests.support.http import StaticServer
from tests.support.vnu import validate_html

WIDTHS = [375, 1280]
SCHEMES = ["light", "dark"]
VIEWPORT_HEIGHT = 800
# A crawl of a microsite that needs more fetches than this is following a link loop.
MAX_CRAWL = 1000


@dataclass(frozen=True)
class SitePage:
    file: Path
    path: str  # URL path below the base URL: "" for the home page, "a/b/", "404.html"


@dataclass(frozen=True)
class Site:
    root: Path
    url: str  # e.g. http://127.0.0.1:PORT/stockholm-explainer/
    pages: list[SitePage]

    def url_of(self, page: SitePage) -> str:
        return self.url + page.path


def _site_pages(root: Path) -> list[SitePage]:
    pages = []
    for file in sorted(root.rglob("*.html")):
        relative = file.relative_to(root).as_posix()
        path = relative.removesuffix("index.html") if file.name == "index.html" else relative
        pages.append(SitePage(file, path))
    return pages


@pytest.fixture(scope="module")
def site(built_site: Path) -> Iterator[Site]:
    pages = _site_pages(built_site)
    assert pages, f"the build wrote no HTML pages to {built_site}"
    assert any(page.path == "" for page in pages), "the build wrote no home page (index.html)"
    with StaticServer(built_site, SITE_PREFIX) as server:
        yield Site(built_site, server.url, pages)


def _new_context(browser: Browser, width: int = 1280, **options: Any) -> BrowserContext:
    return browser.new_context(viewport={"width": width, "height": VIEWPORT_HEIGHT}, **options)


def _goto(page: BrowserPage, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None, f"no response for {url}"
    assert response.status == 200, f"{url} answered {response.status}"


# --- validity ---------------------------------------------------------------------------------


def test_every_page_is_valid_html(site: Site) -> None:
    errors = validate_html([page.file for page in site.pages])
    report = "\n".join(
        f"  {error.file.relative_to(site.root)}:{error.line}: {error.message}" for error in errors
    )
    assert not errors, f"the Nu HTML Checker found {len(errors)} error(s):\n{report}"


# --- accessibility ----------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", SCHEMES)
def test_no_accessibility_violations(browser: Browser, site: Site, scheme: str) -> None:
    context = _new_context(browser, color_scheme=scheme)
    failures = []
    try:
        page = context.new_page()
        for site_page in site.pages:
            url = site.url_of(site_page)
            _goto(page, url)
            violations = run_axe(page)
            if violations:
                failures.append(f"{site_page.path or '/'}:\n{format_violations(violations)}")
    finally:
        context.close()
    assert not failures, f"axe-core (WCAG 2.x A/AA, {scheme} scheme):\n" + "\n".join(failures)


# --- layout -----------------------------------------------------------------------------------

# Measures sideways overflow and names the innermost elements that stick out past the right
# edge, skipping content inside its own horizontal scroller (a wide table in an overflow-x box
# is fine: the page itself does not scroll sideways).
_OVERFLOW_JS = """() => {
    const width = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    if (scrollWidth <= width) return {scrollWidth, width, offenders: []};
    const scrolls = (el) => {
        for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
            if (getComputedStyle(a).overflowX !== 'visible') return true;
        }
        return false;
    };
    const sticksOut = [...document.body.querySelectorAll('*')].filter((el) => {
        const r = el.getBoundingClientRect();
        return (r.width || r.height) && r.right > width + 1 && !scrolls(el);
    });
    const innermost = sticksOut.filter((el) => !sticksOut.some((o) => o !== el && el.contains(o)));
    const describe = (el) => {
        const cls = el.classList.length ? '.' + [...el.classList].join('.') : '';
        const id = el.id ? '#' + el.id : '';
        const text = (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40);
        const right = Math.round(el.getBoundingClientRect().right);
        return `<${el.tagName.toLowerCase()}${id}${cls}> right edge ${right}px "${text}"`;
    };
    return {scrollWidth, width, offenders: innermost.slice(0, 5).map(describe)};
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_no_horizontal_overflow(browser: Browser, site: Site, width: int) -> None:
    context = _new_context(browser, width)
    failures = []
    try:
        page = context.new_page()
        for site_page in site.pages:
            _goto(page, site.url_of(site_page))
            result = page.evaluate(_OVERFLOW_JS)
            if result["scrollWidth"] > result["width"]:
                offenders = "".join(f"\n      {o}" for o in result["offenders"])
                failures.append(
                    f"  {site_page.path or '/'}: scrollWidth {result['scrollWidth']}px"
                    f" > {result['width']}px{offenders}"
                )
    finally:
        context.close()
    assert not failures, f"pages scroll sideways at {width}px:\n" + "\n".join(failures)


# --- links ------------------------------------------------------------------------------------


class _LinkParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag in {"a", "area"} and href:
            self.links.append(href)


@dataclass
class Crawl:
    reached: set[str] = field(default_factory=set)  # URL paths below the base that answered 200
    broken: list[str] = field(default_factory=list)  # "from-page → link (status)"


def _local_target(site: Site, page_url: str, href: str) -> str | None:
    """The local URL a link leads to, or None when it leaves the site.

    A link written with the production base URL counts as internal: it is the same page.
    """
    url, _fragment = urldefrag(urljoin(page_url, href.strip()))
    if url.startswith(SITE_BASE_URL):
        url = site.url + url[len(SITE_BASE_URL) :]
    return url if url.startswith(site.url) else None


def _fetch(url: str) -> tuple[int, str, str]:
    """(status, content type, body) of a GET; HTTP errors are statuses, not exceptions."""
    try:
        with urlopen(url, timeout=10) as response:
            body = response.read().decode("utf-8", errors="replace")
            return response.status, response.headers.get_content_type(), body
    except HTTPError as error:
        return error.code, "", ""


@pytest.fixture(scope="module")
def crawl(site: Site) -> Crawl:
    """Follow every internal link breadth-first, starting at the home page."""
    result = Crawl()
    queue, seen = [(site.url, "(start)")], {site.url}
    while queue:
        assert len(seen) <= MAX_CRAWL, f"more than {MAX_CRAWL} internal URLs: a link loop?"
        url, referrer = queue.pop(0)
        status, content_type, body = _fetch(url)
        if status != 200:
            result.broken.append(f"  {referrer} → {url} ({status})")
            continue
        result.reached.add(urlsplit(url).path.removeprefix(SITE_PREFIX))
        if content_type != "text/html":
            continue
        parser = _LinkParser()
        parser.feed(body)
        for href in parser.links:
            target = _local_target(site, url, href)
            if target is not None and target not in seen:
                seen.add(target)
                queue.append((target, urlsplit(url).path))
    return result


def test_every_page_is_reachable_from_the_home_page(site: Site, crawl: Crawl) -> None:
    # 404.html (and the Chinese zh/404.html) is shown by the host for unknown URLs; nothing
    # needs to link to it.
    expected = {page.path for page in site.pages if not page.path.endswith("404.html")}
    orphans = sorted(expected - crawl.reached)
    assert not orphans, "pages no link leads to (from the home page on):\n" + "\n".join(
        f"  /{path}" for path in orphans
    )


def test_no_internal_link_is_broken(crawl: Crawl) -> None:
    assert not crawl.broken, "internal links that do not resolve:\n" + "\n".join(crawl.broken)


def test_not_found_page_works_at_any_depth(browser: Browser, site: Site) -> None:
    """Pages serves 404.html at whatever URL was missing, so its links and assets must not be
    relative to where the file sits."""
    missing_url = site.url + "no/such/page/"
    context = _new_context(browser)
    failed: list[str] = []
    try:
        page = context.new_page()
        page.on(
            "response",
            lambda r: (
                failed.append(f"{r.url} ({r.status})")
                if r.url != missing_url and r.status >= 400
                else None
            ),
        )
        response = page.goto(missing_url, wait_until="load")
        assert response is not None and response.status == 404
        assert page.title() == _page_title(site.root / "404.html"), "not the site's 404 page"
        links = page.eval_on_selector_all("a[href]", "links => links.map((a) => a.href)")
    finally:
        context.close()
    assert not failed, f"the 404 page, shown at {missing_url}, fails to load: {failed}"
    # In-page links (the skip link's `#main`) resolve to the missing URL itself; skip them.
    targets = {urldefrag(link)[0] for link in links if link.startswith(site.url)}
    internal = sorted(targets - {missing_url})
    assert internal, "the 404 page links nowhere on the site"
    broken = [f"{link} ({status})" for link in internal if (status := _fetch(link)[0]) != 200]
    assert not broken, (
        f"links on the 404 page, shown at {missing_url}, that do not resolve: {broken}"
    )


def _page_title(file: Path) -> str:
    match = re.search(r"<title>(.*?)</title>", file.read_text(encoding="utf-8"), re.DOTALL)
    assert match, f"{file} has no <title>"
    return html.unescape(" ".join(match.group(1).split()))


# --- no third parties -------------------------------------------------------------------------

# Link relations that make a browser fetch or connect on page load.
_FETCHING_RELS = {
    "stylesheet",
    "icon",
    "apple-touch-icon",
    "mask-icon",
    "manifest",
    "preload",
    "modulepreload",
    "prefetch",
    "preconnect",
    "dns-prefetch",
}


class _ResourceParser(HTMLParser):
    """Collects the URLs a page makes the browser fetch (or connect to) when it loads."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in ("src", "poster") + (("data",) if tag == "object" else ()):
            if values.get(name):
                self.urls.append(values[name])
        for name in ("srcset", "imagesrcset"):
            self.urls += [c.split()[0] for c in values.get(name, "").split(",") if c.strip()]
        rels = set(values.get("rel", "").lower().split())
        if tag == "link" and rels & _FETCHING_RELS and values.get("href"):
            self.urls.append(values["href"])


def test_html_loads_nothing_from_another_host(site: Site) -> None:
    """Static check: catches what a page load may not show (lazy images, preconnect hints)."""
    failures = []
    for site_page in site.pages:
        parser = _ResourceParser()
        parser.feed(site_page.file.read_text(encoding="utf-8"))
        page_url = site.url_of(site_page)
        for url in parser.urls:
            resolved = urljoin(page_url, url)
            if not resolved.startswith(("data:", "blob:")) and not resolved.startswith(site.url):
                failures.append(f"  {site_page.path or '/'}: {url}")
    assert not failures, "resources that do not come from the site itself:\n" + "\n".join(failures)


@dataclass
class PageLoad:
    page: str
    foreign_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)


def _record_load(context: BrowserContext, site: Site, site_page: SitePage) -> PageLoad:
    load = PageLoad(site_page.path or "/")
    local_origin = site.url[: -len(SITE_PREFIX)]

    def route(route: Route) -> None:
        # Answer foreign requests with an abort so a page cannot hang on an unreachable host.
        url = route.request.url
        if url.startswith(local_origin) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            load.foreign_requests.append(url)
            route.abort()

    def answered(response: Response) -> None:
        # The "response" event, not "requestfinished": chromium aborts a stylesheet or script
        # that comes back as an HTML error page, and an aborted request never "finishes".
        if response.status >= 400 and response.url.startswith(site.url):
            load.failed_requests.append(f"{response.url} ({response.status})")

    page = context.new_page()
    page.route("**/*", route)
    page.on("response", answered)
    page.on("pageerror", lambda error: load.script_errors.append(str(error)))
    try:
        _goto(page, site.url_of(site_page))
        # Scroll to the end so lazily loaded images and late scripts get their chance to fetch.
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_load_state("networkidle")
    finally:
        page.close()
    return load


@pytest.fixture(scope="module")
def page_loads(browser: Browser, site: Site) -> list[PageLoad]:
    context = _new_context(browser)
    try:
        return [_record_load(context, site, site_page) for site_page in site.pages]
    finally:
        context.close()


def test_no_request_goes_to_another_host(page_loads: list[PageLoad]) -> None:
    failures = [f"  {load.page}: {url}" for load in page_loads for url in load.foreign_requests]
    assert not failures, "requests to hosts other than 127.0.0.1:\n" + "\n".join(failures)


def test_pages_load_without_errors(page_loads: list[PageLoad]) -> None:
    failures = [
        f"  {load.page}: failed request {url}"
        for load in page_loads
        for url in load.failed_requests
    ]
    failures += [
        f"  {load.page}: script error {e}" for load in page_loads for e in load.script_errors
    ]
    assert not failures, "problems while loading pages:\n" + "\n".join(failures)


# --- without JavaScript -----------------------------------------------------------------------

_MAIN_TEXT_JS = """() => {
    const main = document.querySelectorAll('main');
    if (main.length !== 1) return `${main.length} <main> elements`;
    const r = main[0].getBoundingClientRect();
    if (!main[0].checkVisibility({checkVisibilityCSS: true}) || !r.width || !r.height)
        return '<main> is not visible';
    if (!main[0].innerText.trim()) return '<main> shows no text';
    return null;
}"""

_VISIBLE_NAV_LINKS_JS = """() => [...document.querySelectorAll('nav a[href]')].filter((a) => {
    const r = a.getBoundingClientRect();
    return a.checkVisibility({checkVisibilityCSS: true}) && r.width > 0 && r.height > 0;
}).length"""


def _nav_is_usable(page: BrowserPage) -> bool:
    """Nav links are visible, or become visible by opening a <details> disclosure (no JS)."""
    if page.evaluate(_VISIBLE_NAV_LINKS_JS):
        return True
    summaries = page.locator("summary")
    for index in range(summaries.count()):
        if summaries.nth(index).is_visible():
            summaries.nth(index).click()
    return page.evaluate(_VISIBLE_NAV_LINKS_JS) > 0


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_work_without_javascript(browser: Browser, site: Site, width: int) -> None:
    context = _new_context(browser, width, java_script_enabled=False)
    failures = []
    try:
        page = context.new_page()
        for site_page in site.pages:
            _goto(page, site.url_of(site_page))
            problem = page.evaluate(_MAIN_TEXT_JS)
            if problem:
                failures.append(f"  {site_page.path or '/'}: {problem}")
            if not _nav_is_usable(page):
                failures.append(f"  {site_page.path or '/'}: no visible navigation links")
    finally:
        context.close()
    assert not failures, f"with JavaScript off at {width}px:\n" + "\n".join(failures)


# --- screenshots ------------------------------------------------------------------------------


def _png_width(path: Path) -> int:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">I", header[16:20])[0]


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_home_page_screenshot(
    browser: Browser, site: Site, project_root: Path, width: int, scheme: str
) -> None:
    """Saves test-artifacts/home-WIDTH-SCHEME.png for people to review (CI keeps the folder)."""
    target = project_root / "test-artifacts" / f"home-{width}-{scheme}.png"
    target.parent.mkdir(exist_ok=True)
    target.unlink(missing_ok=True)
    context = _new_context(browser, width, color_scheme=scheme)
    try:
        page = context.new_page()
        _goto(page, site.url)
        page.screenshot(path=str(target), full_page=True)
    finally:
        context.close()
    # A full-page shot is at least as wide as the viewport (wider only if the page overflows,
    # which test_no_horizontal_overflow reports).
    assert _png_width(target) >= width


# --- the header, the status line and the timeline picture at phone width ------------------------

# The status line in each language of the site (site.yaml), the Chinese pages under zh/.
_STATUS_LINES = {
    "en": "Current to 27 July 2025; later events are not covered.",
    "zh": "内容截至2025年7月27日；此后的事件未予报道。",
}

_HEADER_JS = """() => {
    const header = document.querySelector('.site-header');
    const box = (el) => el ? el.getBoundingClientRect() : null;
    const title = box(document.querySelector('.site-title'));
    const menu = box(document.querySelector('.site-menu > summary'));
    const status = document.querySelector('.status-line');
    return {
        height: box(header).height,
        oneRow: !title || !menu || (title.top < menu.bottom && menu.top < title.bottom),
        siteTitle: document.querySelector('.site-title')?.innerText ?? null,
        h1: document.querySelector('h1')?.innerText ?? null,
        status: status ? status.innerText.trim() : null,
    };
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_header_is_one_short_row_of_the_same_height_on_every_page(
    browser: Browser, site: Site, width: int
) -> None:
    context = _new_context(browser, width)
    heights, failures = {}, []
    try:
        page = context.new_page()
        for site_page in site.pages:
            _goto(page, site.url_of(site_page))
            found = page.evaluate(_HEADER_JS)
            where = site_page.path or "/"
            heights[where] = found["height"]
            if width == 375 and found["height"] > 120:
                failures.append(f"  {where}: header {found['height']}px tall (at most 120)")
            if not found["oneRow"]:
                failures.append(f"  {where}: the site title and the menu are not on one row")
            if found["siteTitle"] and found["siteTitle"] == found["h1"]:
                failures.append(f"  {where}: the header repeats the h1 {found['h1']!r}")
            if found["status"] != _STATUS_LINES["zh" if where.startswith("zh/") else "en"]:
                failures.append(f"  {where}: status line is {found['status']!r}")
    finally:
        context.close()
    if len(set(heights.values())) != 1:
        failures.append(f"  header heights differ from page to page: {heights}")
    assert not failures, f"at {width}px:\n" + "\n".join(failures)


def test_menu_opens_without_javascript_and_keeps_the_header_height(
    browser: Browser, site: Site
) -> None:
    context = _new_context(browser, 375, java_script_enabled=False)
    try:
        page = context.new_page()
        _goto(page, site.url + "timeline/")
        before = page.evaluate(_HEADER_JS)["height"]
        assert not page.get_by_role("link", name="Delegations").is_visible()
        page.get_by_text("Menu", exact=True).click()
        link = page.get_by_role("navigation", name="Sections").get_by_role(
            "link", name="Delegations"
        )
        assert link.is_visible()
        assert page.evaluate(_HEADER_JS)["height"] == before  # the panel floats over the page
        link.click()
        page.wait_for_url(site.url + "delegations/")
    finally:
        context.close()


def test_timeline_picture_text_is_at_least_14_px_at_375(browser: Browser, site: Site) -> None:
    context = _new_context(browser, 375)
    try:
        page = context.new_page()
        _goto(page, site.url + "timeline/")
        # The font size on screen: the SVG's own size times its scale to the page.
        sizes = page.evaluate(
            """() => { const svg = document.querySelector('.timeline-svg');
                const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
                return [...svg.querySelectorAll('text')].map(
                    (t) => parseFloat(getComputedStyle(t).fontSize) * scale); }"""
        )
        assert sizes and min(sizes) >= 14, sorted(sizes)[:3]
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.timeline-svg text.tl-date, .timeline-svg text.tl-meta')]
                .map((t) => { const r = t.getBoundingClientRect(); return [r.top, r.bottom, r.left, r.right]; })"""
        )
        for a, b in zip(boxes, boxes[1:], strict=False):
            assert a[1] <= b[0] + 1, f"timeline texts overlap: {a} and {b}"
    finally:
        context.close()
