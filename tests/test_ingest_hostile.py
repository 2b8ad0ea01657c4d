"""`site-builder ingest` given hostile feeds (issue 11, classes 3, 4 and 6).

Each test drives the real command line and asserts what a user sees: a clear message naming
the feed (and the item) and what is wrong, exit status 1, no traceback, no record written or
changed — or, for input that is merely large, records written within the time bound.
"""

from __future__ import annotations

import gzip
import html
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sitefactory import cli_cpu, make_site, record, run_cli, snapshot, write

TIME_BOUND = 5.0  # CPU seconds for a command on up to 1 MiB of input
MIB = 1024 * 1024


def rss(description: str, *, guid: str = "https://news.example/1", title: str = "Talks") -> str:
    return f"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>News - World</title><link>https://news.example/</link>
<item><title>{html.escape(title)}</title><link>https://news.example/1</link>
<guid>{html.escape(guid)}</guid><pubDate>Sun, 27 Jul 2025 09:57:00 +0300</pubDate>
<description>{html.escape(description)}</description></item></channel></rss>
"""


def json_feed(items: str) -> str:
    return (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "News", "items": ' + items + "}"
    )


def json_item(**fields: object) -> dict[str, object]:
    return {"id": "1", "url": "https://news.example/1", "title": "Talks",
            "date_published": "2025-07-27T09:57:00+03:00",
            "content_text": "“We will talk,” Ana Lima said.", **fields}  # fmt: skip


@pytest.fixture
def project(tmp_path: Path) -> Path:
    site = make_site(tmp_path / "site")
    write(site / "content/sources/kept.yaml", record("kept"))  # must stay as it is
    return site


def ingest(project: Path, feed: str, *args: str) -> tuple[str, str, float]:
    """Run ingest on `feed` (a file in the project, or a URL): (stdout, stderr, CPU seconds);
    every run must stay within the time bound and never show a traceback."""
    done, cpu = cli_cpu("ingest", feed, "--source", project, *args, cwd=project)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    assert cpu < TIME_BOUND, cpu
    return done.stdout, done.stderr if done.returncode else "", cpu


def refused(project: Path, name: str, content: str | bytes, *args: str, where: str = "") -> str:
    """Ingest a hostile feed file: it must fail, naming the feed (or the record it would
    have written, `where`), and write nothing."""
    write(project / name, content)
    before = snapshot(project / "content/sources")
    stdout, stderr, _ = ingest(project, name, *args)
    assert stderr.startswith(f"{where or name}:"), (stdout, stderr)
    assert snapshot(project / "content/sources") == before
    return stderr.splitlines()[0]


# -- class 4: hostile structure is a clear message, not an internal error ------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (json_feed("[" * 200_000 + "]" * 200_000), "nested too deep for any real feed"),
        (json_feed('[{"x": ' * 100_000 + "1" + "}]" * 100_000), "nested too deep"),
        (json_feed(f'[{{"id": {"9" * 5_000}}}]'), "a number in it is too long"),
        (json_feed(f'[{{"id": "1", "position": {"1" * 4_301}}}]'), "a number in it is too long"),
        (json_feed('[{"id": 1e999999}]'), "has no guid/id and no link"),
        (json_feed(f"[{json.dumps(json_item(id='x' * 5_000))}]"), "longer than 2048 characters"),
        (json_feed(f"[{json.dumps(json_item(id='con'))}]"), "'con' is a device name Windows"),
        (json_feed(f"[{json.dumps(json_item(id='LPT1'))}]"), "'lpt1' is a device name Windows"),
        (json_feed(f"[{json.dumps(json_item(date_published='9' * 5_000))}]"),
         "cannot read its date “999999"),
        (json_feed('"items"'), "JSON Feed “items” must be a list"),
        ('{"version": "https://jsonfeed.org/version/1.1", "items": [' + '"\\ud800", ' * 3 + "1]}",
         "has no guid/id"),
        (b'{"version": "\xff\xfe"}', "JSON Feed must be UTF-8"),
    ],
)  # fmt: skip
def test_a_hostile_json_feed_is_a_clear_error(
    project: Path, content: str | bytes, message: str
) -> None:
    assert message in refused(project, "feed.json", content)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item>'
         + "<x>" * 145_000 + "</x>" * 145_000 + "</item></channel></rss>", "no guid/id and no link"),
        ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
         + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
         + ']><rss version="2.0"><channel><title>&j;</title></channel></rss>',
         "not a valid RSS, Atom or JSON feed"),
        (rss("x", guid="9" * 5_000), "longer than 2048 characters"),
        (rss("x", guid="nul"), "'nul' is a device name Windows"),
    ],
)  # fmt: skip
def test_a_hostile_xml_feed_is_a_clear_error(project: Path, content: str, message: str) -> None:
    assert message in refused(project, "feed.xml", content)


def test_a_record_the_build_could_not_read_is_not_written(project: Path) -> None:
    content = rss("“" + "We will talk again. " * 60_000 + "”")
    record = "content/sources/https-news-example-1.yaml"
    assert "the record would be larger than 1024 KiB" in refused(
        project, "feed.xml", content, where=record
    )


def test_a_long_guid_gives_a_short_stable_id(project: Path) -> None:
    guid = "https://news.example/" + "very-long-path/" * 40
    write(project / "feed.xml", rss("“We will talk,” Ana Lima said.", guid=guid))
    stdout, stderr, _ = ingest(project, "feed.xml")
    assert stderr == ""
    [line] = stdout.splitlines()
    name = line.removeprefix("created content/sources/").removesuffix(".yaml")
    assert len(name) <= 80 and name.startswith("https-news-example-very-long-path-")
    assert ingest(project, "feed.xml")[0] == f"unchanged content/sources/{name}.yaml\n"
    assert run_cli("build", "--source", project).returncode == 0


# -- class 3: size cap and linear time -------------------------------------------------------------


def test_a_feed_over_the_size_cap_is_refused_unread(project: Path) -> None:
    big = rss("x" * (10 * MIB + 1))
    message = refused(project, "feed.xml", big)
    assert message == (
        "feed.xml: the feed is larger than 10 MiB, the limit; a news feed is far smaller "
        "(check the URL or file), or raise the limit with --max-size MIB"
    )
    small = rss("“We will talk,” Ana Lima said.")
    assert "the limit" in refused(project, "small.xml", small, "--max-size", "0.0001")
    done = run_cli("ingest", "small.xml", "--max-size", "0", "--source", project, cwd=project)
    assert done.returncode == 2 and "'0' is not a number of MiB above 0" in done.stderr


@pytest.mark.parametrize(
    "description",
    [
        # Quotations and attributions over and over in one paragraph (was quadratic: 37 s
        # for 400 KB).
        "<p>" + "Officials met. “We will talk,” Bessent said. He said: “Nothing.” " * 14_000,
        # One sentence with no end, quotes all through it.
        "<p>Reporters heard " + "“more” and " * 60_000,
        # Markup soup that made html.parser and feedparser's sanitizer rescan the text.
        "<!--" * 150_000,
        "<" * 600_000,
        "<a title='" * 100_000,
        "<p>" * 200_000,
        "&amp;" * 150_000,
    ],
)
def test_a_megabyte_of_hostile_text_is_ingested_within_the_time_bound(
    project: Path, description: str
) -> None:
    assert MIB // 2 < len(description.encode()) <= MIB
    write(project / "feed.xml", rss(description))
    stdout, stderr, _ = ingest(project, "feed.xml")
    # Written (or refused as too large to keep as a record, or as having no text): either
    # way within the bound, and said plainly.
    assert stdout.startswith("created content/sources/") or (
        "larger than 1024 KiB" in stderr or "it has no text" in stderr
    ), (stdout, stderr)


# -- a feed served over HTTP: the cap holds for what is sent, and for what it inflates to -----------


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, tuple[dict[str, str], bytes]]]]:
    """A local HTTP server answering each path with the headers and body put in `answers`."""
    answers: dict[str, tuple[dict[str, str], bytes]] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            headers, body = answers[self.path]
            self.send_response(200)
            for key, value in {"Content-Length": str(len(body)), **headers}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", answers
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_a_compressed_answer_is_inflated_within_the_cap(project: Path, server) -> None:  # type: ignore[no-untyped-def]
    base, answers = server
    good = rss("“We will talk,” Ana Lima said.").encode()
    answers["/good.xml"] = ({"Content-Encoding": "gzip"}, gzip.compress(good))
    # 64 MiB of spaces in a feed: 64 KiB on the wire.
    bomb = gzip.compress(good.replace(b"<channel>", b"<channel>" + b" " * (64 * MIB)), 9)
    answers["/bomb.xml"] = ({"Content-Encoding": "gzip"}, bomb)
    answers["/liar.xml"] = ({"Content-Length": str(11 * MIB)}, b"<rss")

    stdout, stderr, _ = ingest(project, f"{base}/good.xml")
    assert stdout.startswith("created content/sources/https-news-example-1.yaml"), stderr
    for name in ("bomb.xml", "liar.xml"):
        stdout, stderr, _ = ingest(project, f"{base}/{name}")
        assert stderr.startswith(f"{base}/{name}: the feed is larger than 10 MiB, the limit"), (
            stderr
        )


# -- class 6: a path with control characters cannot forge lines -------------------------------------


@pytest.mark.parametrize("name", ["feed\nsite.yaml:1: fake error.xml", "feed\x1b[2Jclear.xml",
                                  "feed\u202egnp.xml", "feed\rover.xml"])  # fmt: skip
def test_a_feed_name_with_control_characters_is_printed_escaped(project: Path, name: str) -> None:
    write(project / name, "not a feed")
    done = run_cli("ingest", name, "--source", project, cwd=project)
    assert done.returncode == 1
    [line, summary] = done.stderr.splitlines()
    assert line.startswith(name.encode("unicode_escape").decode("ascii") + ":2:1: ")
    assert line.endswith(": not a valid RSS, Atom or JSON feed: syntax error")
    assert summary == "failed: 1 error(s), 0 warning(s)"
