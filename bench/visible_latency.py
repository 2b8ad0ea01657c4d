"""Save → visible: how long after a save a writer sees the new text in Chromium.

A real tab (Debian's chromium through Playwright, as the tests drive it) shows the
edited page of a running `site-builder serve`. For each edit, a MutationObserver in
the page notes the wall-clock time at which `<main>` first contains the new words;
the figure is that time minus the time just before the file was written (the page
and this script read the same clock). Used by bench/bench.py."""

from __future__ import annotations

import time
from collections.abc import Callable

WATCH = """([wanted, unwanted, where]) => {
  window.seenAt = 0;
  const look = () => {
    const main = document.querySelector(where);
    const text = main ? main.textContent : "";
    if (!window.seenAt && text.includes(wanted) && !text.includes(unwanted)) {
      window.seenAt = Date.now();
    }
  };
  if (window.watcher) window.watcher.disconnect();
  window.watcher = new MutationObserver(look);
  window.watcher.observe(document.documentElement, {subtree: true, childList: true, characterData: true});
  look();
}"""


def measure_visible_latency(
    url: str,
    edit: Callable[[], object],
    words: tuple[str, str],
    edits: int,
    timeout: float = 20.0,
    where: str = "main",
    updates: int = 1,
) -> list[float]:
    """Seconds from each `edit()` to its words being visible in the `where` element of a
    tab opened on `url`.

    `edit()` alternates between two versions of a file; `words` are what each version
    shows (the first edit shows words[0]). The first edit is not counted: after a page
    edit it takes the tab to the edited page (the preview goes to the page being saved).
    `updates` is how many the server sends per edit (after a template edit: the tab's
    page, then the rest of the site); the next edit waits for them all, so that each is
    timed from an idle server, as a writer's next save usually is."""
    from playwright.sync_api import sync_playwright

    from tests.support.browser import launch_chromium

    times: list[float] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("() => window.LiveReload && LiveReload.connector.protocol >= 7")
            for number in range(edits + 1):
                wanted, unwanted = words[number % 2], words[(number + 1) % 2]
                if number > 0:
                    page.evaluate(WATCH, [wanted, unwanted, where])
                generation = page.evaluate("window.SiteBuilderPreview.generation")
                started = time.time()
                edit()
                if number == 0:  # the tab goes to the edited page: wait for it to be ready
                    page.wait_for_function(
                        "([w, where]) => document.querySelector(where)?.textContent.includes(w)"
                        " && window.LiveReload && LiveReload.connector.protocol >= 7",
                        arg=[wanted, where],
                        timeout=timeout * 1000,
                    )
                else:
                    page.wait_for_function("() => window.seenAt > 0", timeout=timeout * 1000)
                    times.append(page.evaluate("window.seenAt") / 1000 - started)
                page.wait_for_function(
                    "n => window.SiteBuilderPreview.generation >= n",
                    arg=generation + updates,
                    timeout=timeout * 1000,
                )
                time.sleep(0.2)  # each edit its own save, after the last one's settled
        finally:
            browser.close()
    return times
