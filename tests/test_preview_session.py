"""The preview's build session (site_builder/preview/session.py) in-process: what a
rebuild publishes and what it tells the tabs. test_server.py and test_live_reload.py
drive the same through the real server."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

import jinja2
import pytest

from site_builder.preview.session import SETTLE_S, Gate, Session, Settings, Update
from site_builder.render import search
from tests.sitefactory import snapshot
from tests.support.pagefind import slow_pagefind
from tests.test_server import wait_until

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "serve"


@pytest.fixture
def session(tmp_path: Path) -> tuple[Session, list[Update]]:
    project = tmp_path / "site"
    shutil.copytree(FIXTURE, project)
    told: list[Update] = []
    settings = Settings(
        project=project, output=project / ".site-builder-preview", origin="http://127.0.0.1:1"
    )
    preview = Session(settings, told.append)
    preview.initial_build()
    return preview, told


def test_a_template_save_compiles_only_that_template(
    session: tuple[Session, list[Update]], monkeypatch: pytest.MonkeyPatch
) -> None:
    preview, told = session
    compiled: list[str | None] = []
    compile_template = jinja2.Environment.compile

    def counting(self: jinja2.Environment, source: str, name: str | None = None, *args, **kw):
        compiled.append(name)
        return compile_template(self, source, name, *args, **kw)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    base = preview.project / "templates" / "base.html"
    base.write_text(base.read_text().replace("<footer>", "<footer><p>New</p>"), "utf-8")
    preview.rebuild({base}, time.perf_counter())
    assert compiled == ["base.html"]  # not page.html, home.html, 404.html again
    assert b"<p>New</p>" in (preview.settings.output / "about" / "index.html").read_bytes()
    assert told[-1].pages and "/repo/about/" in told[-1].pages


def test_a_page_save_tells_which_pages_changed_and_where_the_writer_is(
    session: tuple[Session, list[Update]],
) -> None:
    preview, told = session
    about = preview.project / "content" / "about.md"
    about.write_text(about.read_text() + "\nMore.\n", "utf-8")
    preview.rebuild({about}, time.perf_counter())
    update = told[-1]
    assert update.pages == ("/repo/about/",)
    assert update.edited == "/repo/about/"
    assert not update.everyone and not update.styles


def test_a_half_written_save_is_not_reported_when_the_rest_follows(
    session: tuple[Session, list[Update]], monkeypatch: pytest.MonkeyPatch
) -> None:
    preview, told = session
    about = preview.project / "content" / "about.md"
    good = about.read_text()
    about.write_text(good[:10], "utf-8")  # the build reads it half-written
    wait_for_quiet = preview.rebuilder.wait_for_quiet
    rest_saved: list[float] = []

    def rest_of_the_save_then_wait(seconds: float) -> bool:
        # The rest of the save, as the watcher reports it, comes as the session starts
        # waiting for quiet: within the quiet period however slow the machine (a timer
        # could fire after it). A session that reported at once would never get here.
        if not rest_saved:
            about.write_text(good + "\nWhole.\n", "utf-8")
            preview.rebuilder.submit({about})
            rest_saved.append(seconds)
        return wait_for_quiet(seconds)

    monkeypatch.setattr(preview.rebuilder, "wait_for_quiet", rest_of_the_save_then_wait)
    preview.rebuild({about}, time.perf_counter())
    assert rest_saved == [SETTLE_S]  # the session waited for the file to settle
    assert told == [] and preview.published.failure is None  # no false alarm
    assert preview.rebuilder.has_pending()  # the next build reads the whole file


def test_a_real_mistake_is_shown_once_the_saves_stop(
    session: tuple[Session, list[Update]],
) -> None:
    preview, told = session
    about = preview.project / "content" / "about.md"
    about.write_text(about.read_text().replace("title: About", "title: [About"), "utf-8")
    started = time.perf_counter()
    preview.rebuild({about}, started)
    assert time.perf_counter() - started >= SETTLE_S  # read again after the quiet period
    assert preview.published.failure is not None
    assert told[-1].everyone  # every tab shows the overlay


def test_the_gate_lets_waiting_readers_in_before_the_next_build() -> None:
    # The build holds back for a waiting reader up to READERS_FIRST_S (0.1 s); a loaded
    # machine may not run the reader that soon, so the test gives it all the time it needs.
    gate = Gate(readers_first_s=60)
    order: list[str] = []
    with gate.building():
        assert gate.try_read(lambda: "read", waited=False) == (False, None)

        def next_build() -> None:
            with gate.building():
                order.append("build")

        builder = threading.Thread(target=next_build)
        builder.start()
    assert gate.try_read(lambda: order.append("read") or "read", waited=True) == (True, "read")
    builder.join()
    assert order == ["read", "build"]


def test_the_gate_lets_through_only_the_pages_a_build_has_published() -> None:
    gate = Gate(readers_first_s=60)
    with gate.building():
        assert gate.try_read(lambda: "page", waited=False, path="/repo/a/") == (False, None)
        gate.let_through(lambda path: path == "/repo/a/")
        assert gate.try_read(lambda: "page", waited=True, path="/repo/a/") == (True, "page")
        assert gate.try_read(lambda: "other", waited=False, path="/repo/b/") == (False, None)
    assert gate.try_read(lambda: "other", waited=True, path="/repo/b/") == (True, "other")
    # The next build lets nothing through until it says so.
    with gate.building():
        assert gate.try_read(lambda: "page", waited=False, path="/repo/a/") == (False, None)
    assert gate.try_read(lambda: "page", waited=True, path="/repo/a/") == (True, "page")


@pytest.mark.skipif(sys.platform == "win32", reason="the stand-in Pagefind is a shell script")
def test_a_save_stops_the_search_index_refresh_instead_of_waiting_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "site"
    shutil.copytree(FIXTURE, project)
    config = project / "site.yaml"
    config.write_text(config.read_text().replace("search: false", "search: true"), "utf-8")
    output = project / ".site-builder-preview"
    settings = Settings(project=project, output=output, origin="http://127.0.0.1:1")
    preview = Session(settings, lambda update: None)
    preview.initial_build()
    index = snapshot(output / "pagefind")

    slow = slow_pagefind(tmp_path)
    monkeypatch.setattr(search, "pagefind_executable", lambda: slow.executable)
    slow.marker.touch()

    about = project / "content" / "about.md"
    about.write_text(about.read_text() + "\nMore.\n", "utf-8")
    rebuild = threading.Thread(target=preview.rebuild, args=({about}, time.perf_counter()))
    rebuild.start()  # builds, tells the tabs, then refreshes the search index: slowly
    wait_until(lambda: slow.sleeping_pid() is not None or not rebuild.is_alive(), 60)
    pagefind = slow.sleeping_pid()
    assert pagefind is not None, "Pagefind never ran"

    preview.submit({about})  # the next save
    rebuild.join(timeout=30)

    assert not rebuild.is_alive(), "the refresh did not give way to the save"
    with pytest.raises(ProcessLookupError):
        os.kill(pagefind, 0)  # ended (and reaped), not left sleeping
    assert snapshot(output / "pagefind") == index  # the live index is untouched
    assert not list(output.glob(".pagefind.tmp-*"))
    # Still stale: the next refresh, with Pagefind back to normal, brings it up to date.
    slow.marker.unlink()
    preview.builds.saves_waiting.clear()
    assert preview.builds.refresh_search_index() == []
    assert snapshot(output / "pagefind") != index
