"""`site-builder check` on built sites: prebuilt fixtures, the real explainer, external links."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from site_builder.check.checker import CACHE_DIR, CACHE_FILE
from site_builder.check.site import scan_site
from site_builder.errors import Diagnostic
from site_builder.render.search import build_search_index
from tests.sitefactory import run_cli
from tests.support import SITE_BASE_URL

FIXTURES = Path(__file__).parent / "fixtures" / "check"
FIXTURE_BASE_URL = "https://example.github.io/site/"


def check_site(output: Path, base_url: str, shown_as: str | None = None) -> list[Diagnostic]:
    """Every problem `site-builder check` finds in the built site in `output`."""
    return scan_site(output, base_url, shown_as).diagnostics


# What check must say about tests/fixtures/check/broken, exactly: one line per problem, each
# naming the file (as given with --output) and the line and column of the offending tag.
BROKEN = "tests/fixtures/check/broken"
EXPECTED_BROKEN = [
    f"{BROKEN}/404.html:7:1: relative URL css/site.css in 404.html: the host serves this page"
    " at any depth, where it breaks; start it with /site/",
    f"{BROKEN}/404.html:12:39: relative URL guide/ in 404.html: the host serves this page at"
    " any depth, where it breaks; start it with /site/",
    f"{BROKEN}/css/site.css:8:21: missing asset ../img/missing-background.png"
    " (no img/missing-background.png in the output)",
    f'{BROKEN}/guide/index.html:3:1: page has no <meta name="description">',
    f"{BROKEN}/guide/index.html:3:1: page has no <title>",
    f'{BROKEN}/guide/index.html:8:1: page cites no source: it has no citation mark (<sup class="cite">);'
    " cite its claims with [@SOURCE_ID]",
    f"{BROKEN}/index.html:8:1: asset http://cdn.example.com/tracker.js is loaded over insecure"
    " http:; use https:",
    f"{BROKEN}/index.html:13:6: link to /site/no-such-page/ does not resolve"
    " (no no-such-page/index.html in the output)",
    f"{BROKEN}/index.html:13:55: link to /site/guide/#no-such-anchor: there is no id"
    " 'no-such-anchor' on guide/index.html",
    f"{BROKEN}/index.html:14:4: missing asset /site/img/missing.png (no img/missing.png in the"
    " output)",
    f'{BROKEN}/index.html:14:62: <img> has no alt attribute (use alt="" if it is decorative)',
    f"{BROKEN}/index.html:15:4: link has no text: give it words, an image with alt text, or"
    " aria-label",
    f"{BROKEN}/index.html:15:32: link has no text: give it words, an image with alt text, or"
    " aria-label",
    f"{BROKEN}/index.html:16:1: duplicate id 'top-heading' (first used on line 12)",
    f"{BROKEN}/index.html:17:94: link to /other-site/ is outside the base path /site/",
]


def placeholder(folder: str | Path, base_url: str = FIXTURE_BASE_URL) -> str:
    """The warning for a site built for a placeholder host (the fixtures are)."""
    return (
        f"{folder}: warning: the site was built for {base_url}, a placeholder host: set "
        "base_url (and publisher.url) in site.yaml to where the site is published, or build "
        "with --base-url"
    )


def check(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli("check", *args, cwd=cwd)


# -- fixtures with known problems ----------------------------------------------------------


def test_check_names_file_line_and_column_of_every_problem() -> None:
    result = check("--output", BROKEN, "--base-url", FIXTURE_BASE_URL, "-q")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [placeholder(BROKEN), *EXPECTED_BROKEN]
    assert result.stdout == ""


def test_check_summary_counts_errors_and_external_links() -> None:
    result = check("--output", BROKEN, "--base-url", FIXTURE_BASE_URL)
    assert result.returncode == 1
    assert result.stdout == (
        f"checked 3 pages in {BROKEN}: {len(EXPECTED_BROKEN)} error(s), 1 warning(s);"
        " 2 external link(s) (not fetched; --external checks them)\n"
    )


def test_clean_fixture_passes_and_lists_external_links_without_fetching() -> None:
    clean = "tests/fixtures/check/clean"
    result = check("--output", clean, "--base-url", FIXTURE_BASE_URL, "-v")
    assert result.returncode == 0, result.stderr
    assert result.stderr == placeholder(clean) + "\n"
    assert result.stdout.splitlines() == [
        f"{clean}/index.html:9:1: external link https://publisher.example/",
        f"{clean}/index.html:19:74: external link https://publisher.example/story",
        f"checked 3 pages in {clean}: 0 error(s), 1 warning(s); 2 external link(s)"
        " (not fetched; --external checks them)",
    ]


def test_each_kind_of_break_fails_check_on_its_own(tmp_path: Path) -> None:
    """A broken link, a missing anchor and a missing asset each make an otherwise clean site fail."""
    breaks = {
        "broken link": ('href="guide/"', 'href="guid/"', "link to guid/ does not resolve"),
        "missing anchor": ('href="/site/guide/#steps"', 'href="/site/guide/#step"', "no id 'step'"),
        "missing asset": ('src="dot.svg"', 'src="dots.svg"', "missing asset dots.svg"),
    }
    for name, (good, bad, message) in breaks.items():
        site = tmp_path / name.replace(" ", "-")
        shutil.copytree(FIXTURES / "clean", site)
        page = site / "index.html"
        text = page.read_text(encoding="utf-8")
        assert good in text, name
        page.write_text(text.replace(good, bad, 1), encoding="utf-8")
        line = text[: text.index(good)].count("\n") + 1
        result = check("--output", site, "--base-url", FIXTURE_BASE_URL, "-q")
        assert result.returncode == 1, name
        warning, problem = result.stderr.splitlines()
        assert warning == placeholder(site)
        assert problem.startswith(f"{site}/index.html:{line}:"), (name, problem)
        assert message in problem, (name, problem)


def test_check_reads_base_url_and_output_from_the_project(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text(
        f"title: T\ndescription: D.\nbase_url: {FIXTURE_BASE_URL}\n", encoding="utf-8"
    )
    shutil.copytree(FIXTURES / "clean", tmp_path / "output")
    result = check(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("checked 3 pages in output: 0 error(s)")
    # Built for another base path, every internal link now points outside the site.
    wrong = check("--base-url", "https://example.github.io/other/", "-q", cwd=tmp_path)
    assert wrong.returncode == 1
    assert "is outside the base path /other/" in wrong.stderr


def test_check_without_a_built_site_says_so(tmp_path: Path) -> None:
    result = check("--output", tmp_path / "nothing", "--base-url", FIXTURE_BASE_URL)
    assert result.returncode == 1
    assert "no built site in" in result.stderr and "site-builder build" in result.stderr


def test_check_site_is_a_pure_function_of_the_folder() -> None:
    problems = check_site(FIXTURES / "broken", FIXTURE_BASE_URL, shown_as="out")
    assert [d.format() for d in problems] == [
        line.replace(BROKEN, "out", 1) for line in EXPECTED_BROKEN
    ]
    assert check_site(FIXTURES / "clean", FIXTURE_BASE_URL) == []


# -- the real explainer ---------------------------------------------------------------------


def test_check_passes_on_the_real_site(project_root: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = run_cli(
        "build", "--source", project_root, "--output", site, "--base-url", SITE_BASE_URL
    )
    assert built.returncode == 0, built.stderr
    # The search page loads Pagefind's files, which exist once the index is built.
    assert build_search_index(site, lambda message: None) == []
    result = check("--source", project_root, "--output", site, "--base-url", SITE_BASE_URL)
    assert result.returncode == 0, result.stderr
    assert result.stderr == placeholder(site, SITE_BASE_URL) + "\n"
    assert " 0 error(s), 1 warning(s)" in result.stdout


# -- external links, against a server on 127.0.0.1 -----------------------------------------


class _Remote(BaseHTTPRequestHandler):
    """/ok refuses HEAD (as some servers do) but answers GET; /gone is a 404; /slow hangs."""

    requests: list[str] = []
    release: threading.Event = threading.Event()

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def do_GET(self) -> None:
        self._answer(body=True)

    def _answer(self, body: bool) -> None:
        self.requests.append(f"{self.command} {self.path}")
        if self.path == "/slow":
            # Hang until the test is over: only the checker's --timeout can end the wait.
            self.release.wait(60)
        status = {"/ok": 405 if not body else 200, "/gone": 404}.get(self.path, 200)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        if body:
            self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def remote() -> Iterator[tuple[str, ThreadingHTTPServer, list[str]]]:
    requests: list[str] = []
    release = threading.Event()
    handler = type("Handler", (_Remote,), {"requests": requests, "release": release})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield f"http://{host}:{port}", server, requests
    finally:
        release.set()
        server.shutdown()
        server.server_close()


def _site_linking_to(folder: Path, urls: list[str]) -> Path:
    shutil.copytree(FIXTURES / "clean", folder)
    page = folder / "guide" / "index.html"
    links = "\n".join(f'<p><a href="{url}">out {n}</a></p>' for n, url in enumerate(urls))
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("</main>", links + "\n</main>"), encoding="utf-8")
    return folder


def test_external_links_are_fetched_with_a_timeout_and_cached(
    tmp_path: Path, remote: tuple[str, ThreadingHTTPServer, list[str]]
) -> None:
    origin, server, requests = remote
    site = _site_linking_to(tmp_path / "site", [f"{origin}/ok", f"{origin}/gone", f"{origin}/slow"])
    # The fixture's own external links (publisher.example) cannot resolve here; leave them out.
    home = site / "index.html"
    text = home.read_text(encoding="utf-8").replace(
        "https://publisher.example/story", origin + "/ok"
    )
    home.write_text(text.replace("https://publisher.example/", origin + "/ok"), encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    args = ["--source", project, "--output", site, "--base-url", FIXTURE_BASE_URL]
    args += ["--external", "--timeout", "0.5", "-q"]

    started = time.monotonic()
    first = check(*args)
    # /slow never answers while the test runs; a bound far below its 60 s wait, and far
    # above a loaded machine's start-up time, shows --timeout cut it off.
    assert time.monotonic() - started < 30, "the hanging /slow answer was not cut off by --timeout"
    assert first.returncode == 1
    assert first.stderr.splitlines() == [
        placeholder(site),
        f"{site}/guide/index.html:15:4: external link {origin}/gone: 404 Not Found",
        f"{site}/guide/index.html:16:4: external link {origin}/slow: timed out after 0.5 s",
    ]
    # One request per distinct URL, and GET only where HEAD was refused.
    assert sorted(r for r in requests if r != "HEAD /slow") == [
        "GET /gone",
        "GET /ok",
        "HEAD /gone",
        "HEAD /ok",
    ]
    cache = json.loads((project / CACHE_DIR / CACHE_FILE).read_text(encoding="utf-8"))
    assert list(cache["links"]) == [f"{origin}/ok"]  # only what worked is remembered

    # With the server gone, the cached link still passes; the others are asked about again.
    server.shutdown()
    server.server_close()
    second = check(*args[:-1], "-v")
    assert second.returncode == 1
    assert f"external link {origin}/ok [200 (cached)]" in second.stdout
    assert f"{origin}/gone: failed: " in second.stderr
    assert f"{origin}/slow: failed: " in second.stderr


# -- single rules, on one-page sites ---------------------------------------------------------

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>T</title>
<meta name="description" content="D."></head>
<body><main><h1 id="h">T</h1><sup class="cite"><a href="#h">[1]</a></sup>
{body}
</main></body></html>
"""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '<img src="https://example.github.io/elsewhere/x.png" alt="x">',
            "is outside the base path",
        ),
        ('<a href="http://example.github.io/site/nope/">x</a>', "link to http://example.github"),
        (
            '<a href="//example.github.io/site/page/#nope">x</a>',
            "there is no id 'nope' on this page",
        ),
        ('<a href="javascript:alert(1)">x</a>', "javascript: URL in a link"),
        ('<a href="/site/page/"><span aria-hidden="true">→</span></a>', "link has no text"),
        ('<img src="/site/p.png" alt="x" srcset="/site/p.png 1x, /site/p2.png 2x">', "p2.png"),
        ('<script type="application/ld+json">{"a": }</script>', "JSON-LD does not parse"),
        ("<p id=h>again</p>", "duplicate id 'h' (first used on line 4)"),
        ('<link rel="stylesheet" href="http://cdn.example/x.css">', "insecure http:"),
    ],
)
def test_single_rules(tmp_path: Path, body: str, message: str) -> None:
    site = tmp_path / "site"
    (site / "page").mkdir(parents=True)
    (site / "p.png").write_bytes(b"")
    (site / "page" / "index.html").write_text(PAGE.format(body=body), encoding="utf-8")
    problems = check_site(site, FIXTURE_BASE_URL, shown_as="out")
    assert len(problems) == 1, problems
    assert problems[0].path == "out/page/index.html" and problems[0].line == 5
    assert message in problems[0].message


def test_a_plain_link_elsewhere_on_the_same_host_is_external(tmp_path: Path) -> None:
    """Another project site on user.github.io is another site (issue 17, item 9)."""
    site = tmp_path / "site"
    (site / "page").mkdir(parents=True)
    body = '<a href="https://example.github.io/elsewhere/">the other explainer</a>'
    (site / "page" / "index.html").write_text(PAGE.format(body=body), encoding="utf-8")
    report = scan_site(site, FIXTURE_BASE_URL, shown_as="out")
    assert report.diagnostics == []
    assert [link.url for link in report.external] == ["https://example.github.io/elsewhere/"]


def test_an_svg_title_is_not_the_page_title(tmp_path: Path) -> None:
    page = PAGE.replace("<title>T</title>", "").format(body="<svg><title>Chart</title></svg>")
    (tmp_path / "x.html").write_text(page, encoding="utf-8")
    messages = [d.message for d in check_site(tmp_path, FIXTURE_BASE_URL)]
    assert messages == ["page has no <title>"]
