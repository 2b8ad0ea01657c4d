"""Tests of the test helpers themselves, on small hand-written pages."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.support import browser as browser_support
from tests.support import missing_tool
from tests.support.axe import format_violations, run_axe
from tests.support.http import StaticServer
from tests.support.vnu import validate_html

VALID_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Fine</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self'">
</head>
<body><main><h1>Fine</h1><p>All good.</p></main></body>
</html>
"""

# Line 4 holds both mistakes: an <img> without alt and a stray </span>.
INVALID_PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Broken</title></head>
<body><main><h1>Broken</h1><img src="x.png"></span></main></body>
</html>
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# --- vnu --------------------------------------------------------------------------------------


def test_vnu_reports_errors_per_file_with_lines(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.html", VALID_PAGE)
    bad = _write(tmp_path, "dir with space/bad.html", INVALID_PAGE)

    errors = validate_html([good, bad])  # one JVM for both files

    assert errors, "vnu found nothing wrong with an invalid page"
    # Only the bad file is named: the valid page passes, and errors are not misattributed.
    assert {error.file for error in errors} == {bad.resolve()}
    assert {error.line for error in errors} == {4}
    messages = " ".join(error.message for error in errors)
    assert "alt" in messages
    assert "span" in messages


def test_vnu_refuses_an_empty_file_list() -> None:
    with pytest.raises(ValueError):
        validate_html([])


# --- static server ----------------------------------------------------------------------------


def test_server_serves_the_folder_under_its_prefix(tmp_path: Path) -> None:
    _write(tmp_path, "index.html", "home")
    _write(tmp_path, "a/b/index.html", "nested")
    _write(tmp_path, "style.css", "p{}")
    _write(tmp_path, "404.html", "custom not found")

    with StaticServer(tmp_path, "stockholm-explainer") as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.url.endswith("/stockholm-explainer/")
        assert _get(server.url) == (200, "home")
        assert _get(server.url + "a/b/") == (200, "nested")
        assert _get(server.url + "a/b/?q=1#x") == (200, "nested")
        assert _get(server.url + "style.css") == (200, "p{}")
        # The bare prefix redirects to the folder (urllib follows the redirect).
        assert _get(server.origin + "/stockholm-explainer") == (200, "home")
        # Missing pages and paths outside the prefix get the site's 404 page, as on Pages.
        assert _get(server.url + "missing/") == (404, "custom not found")
        assert _get(server.origin + "/index.html") == (404, "custom not found")
        assert _get(server.origin + "/") == (404, "custom not found")


def test_server_does_not_serve_files_outside_its_folder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _write(site, "index.html", "home")
    _write(tmp_path, "secret.txt", "secret")

    with StaticServer(site, "/p/") as server:
        status, body = _get(server.url + "../secret.txt")
        assert "secret" not in body
        assert status == 404
        status, body = _get(server.url + "%2e%2e/secret.txt")
        assert "secret" not in body


# --- browser and axe --------------------------------------------------------------------------


def test_axe_finds_violations_and_passes_a_clean_page(browser: Browser, tmp_path: Path) -> None:
    _write(tmp_path, "good.html", VALID_PAGE)
    _write(tmp_path, "bad.html", INVALID_PAGE.replace('lang="en"', ""))
    context = browser.new_context()
    try:
        page = context.new_page()
        with StaticServer(tmp_path, "/x/") as server:
            page.goto(server.url + "good.html")
            assert run_axe(page) == []

            page.goto(server.url + "bad.html")
            violations = run_axe(page)
    finally:
        context.close()

    assert {v["id"] for v in violations} >= {"image-alt", "html-has-lang"}
    report = format_violations(violations)
    assert "image-alt" in report
    assert "img" in report


def test_axe_runs_despite_a_strict_csp(browser: Browser, tmp_path: Path) -> None:
    # The page's CSP forbids inline scripts; the audit must still run and still see the image.
    _write(tmp_path, "csp.html", VALID_PAGE.replace("<p>All good.</p>", '<img src="x.png">'))
    context = browser.new_context()
    try:
        page = context.new_page()
        with StaticServer(tmp_path) as server:
            page.goto(server.url + "csp.html")
            violations = run_axe(page)
    finally:
        context.close()
    assert [v["id"] for v in violations] == ["image-alt"]


def test_missing_chromium_fails_in_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "no-such-chromium"))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no-such-chromium"):
        browser_support.launch_chromium(playwright=None)  # type: ignore[arg-type]


def test_missing_chromium_skips_outside_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHROMIUM_PATH", str(tmp_path / "no-such-chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-such-chromium"):
        browser_support.launch_chromium(playwright=None)  # type: ignore[arg-type]


def test_missing_tool_message_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        missing_tool("no widget")
