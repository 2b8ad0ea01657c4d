"""Live reload, end to end: the real `site-builder serve` and a real chromium.

Each test opens pages, changes files on disk the way editors do, and waits for the
open tab to show the result by itself: the test never reloads or navigates."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.test_server import Server, copy_fixture, start

SEEN_WITHIN_MS = 10_000
GOOD_ABOUT = "---\ntitle: About\nsummary: What this fixture is.\ndate: 2025-07-21\norder: 1\n---\n"


@pytest.fixture
def live(tmp_path: Path, browser: Browser) -> Iterator[tuple[Server, BrowserContext]]:
    server = start(copy_fixture(tmp_path))
    context = browser.new_context()
    yield server, context
    context.close()
    server.stop()


def open_tab(context: BrowserContext, url: str) -> Page:
    """Open `url` and wait until its live-reload client has finished the handshake."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => window.LiveReload && window.LiveReload.connector.protocol >= 7")
    return page


# The ways editors save a file.


def plain_write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def rename_over(path: Path, text: str) -> None:
    """Write a temporary file, then rename it over the original (VS Code, many tools)."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def backup_and_write(path: Path, text: str) -> None:
    """Move the original aside as a backup, write a new file, drop the backup (vim)."""
    backup = path.with_name(path.name + "~")
    os.replace(path, backup)
    path.write_text(text, encoding="utf-8")
    backup.unlink()


def two_steps(path: Path, text: str) -> None:
    """Truncate and write half, pause long enough for a build to see the half, finish."""
    with path.open("w", encoding="utf-8") as file:
        file.write(text[: len(text) // 2])
        file.flush()
        time.sleep(0.3)
        file.write(text[len(text) // 2 :])


@pytest.mark.parametrize("save", [plain_write, rename_over, backup_and_write, two_steps])
def test_saving_markdown_updates_the_open_tab(
    live: tuple[Server, BrowserContext], save: Callable[[Path, str], None]
) -> None:
    server, context = live
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = open_tab(context, server.url + "about/")
    about = server.project / "content" / "about.md"
    main = page.locator("main")

    save(about, GOOD_ABOUT + "First edit.\n")
    expect(main).to_contain_text("First edit.", timeout=SEEN_WITHIN_MS)
    # A second save right after the first reload (livereload alone ignores one within 3 s).
    save(about, GOOD_ABOUT + "Second edit.\n")
    expect(main).to_contain_text("Second edit.", timeout=SEEN_WITHIN_MS)
    expect(page.locator("#site-builder-errors")).to_have_count(0)
    foreign = [url for url in requests if not url.startswith(server.origin + "/")]
    assert foreign == []


def test_editing_a_template_updates_every_page(live: tuple[Server, BrowserContext]) -> None:
    server, context = live
    home = open_tab(context, server.url)
    about = open_tab(context, server.url + "about/")
    base = server.project / "templates" / "base.html"
    text = base.read_text(encoding="utf-8")
    base.write_text(text.replace("<footer>", "<footer><p>Edited footer</p>"), encoding="utf-8")
    for page in (home, about):
        expect(page.locator("footer")).to_contain_text("Edited footer", timeout=SEEN_WITHIN_MS)


def test_a_broken_page_shows_the_error_and_recovers(live: tuple[Server, BrowserContext]) -> None:
    server, context = live
    page = open_tab(context, server.url + "about/")
    home = open_tab(context, server.url)
    about = server.project / "content" / "about.md"
    broken = GOOD_ABOUT.replace("order: 1", "draft: yes") + "Broken edit.\n"
    about.write_text(broken, encoding="utf-8")

    for tab in (page, home):
        overlay = tab.locator("#site-builder-errors")
        expect(overlay).to_be_visible(timeout=SEEN_WITHIN_MS)
        expect(overlay).to_contain_text("content/about.md:5:8: 'draft' must be true or false")
        expect(overlay).to_contain_text("5 | draft: yes")  # the offending source line
    # Under the overlay, the last good build is still there.
    expect(page.locator("main")).to_contain_text("The about page says hello.")
    assert "content/about.md:5:8:" in server.err()

    about.write_text(GOOD_ABOUT + "Fixed edit.\n", encoding="utf-8")
    expect(page.locator("main")).to_contain_text("Fixed edit.", timeout=SEEN_WITHIN_MS)
    for tab in (page, home):
        expect(tab.locator("#site-builder-errors")).to_have_count(0, timeout=SEEN_WITHIN_MS)


def test_a_deleted_page_leaves_the_navigation(live: tuple[Server, BrowserContext]) -> None:
    server, context = live
    page = open_tab(context, server.url)
    link = page.locator("nav").get_by_role("link", name="Other")
    expect(link).to_have_count(1)
    (server.project / "content" / "other.md").unlink()
    expect(link).to_have_count(0, timeout=SEEN_WITHIN_MS)
    expect(page.locator("nav").get_by_role("link", name="About")).to_have_count(1)
