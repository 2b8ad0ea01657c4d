"""The sources stage: `ingest` a feed into records, `load_sources`, and `check_quote` (issue 6)."""

from __future__ import annotations

import ast
import contextlib
import hashlib
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path

import pytest

from site_builder.content.sources import (
    Quotation,
    SourceRecord,
    check_quote,
    load_sources,
    source_id,
    unknown_source_message,
)
from site_builder.errors import BuildFailed
from site_builder.ingest.feed import IngestReport, ingest
from site_builder.ingest.quotations import extract_quotations

REPO = Path(__file__).resolve().parent.parent
FEEDS = REPO / "tests" / "fixtures" / "feeds"
SHARED_FEED = REPO.parent / "shared" / "feed" / "stockholm-talks.rss.xml"
STOCKHOLM_ID = "pukmedia-economy-2025-07-27-china-heads-to-stockholm-trade-talks"
COMMITTED_RECORD = REPO / "content" / "sources" / f"{STOCKHOLM_ID}.yaml"

# What the Stockholm article quotes, and whom it quotes: every quotation in its text.
STOCKHOLM_QUOTATIONS = [
    (
        "After this period of U.S.-China rivalry, the American side has come to realise that "
        "China holds significant cards — and more importantly, is willing to play them when "
        "necessary,",
        "Wu Xinbo",
    ),
    ("in the not too distant future", "Donald Trump"),
    ("This is a fragile ceasefire,", "Scott Bessent"),
    ("But right now, trade is in a very good place with China.", "Scott Bessent"),
    (
        "guided by the principles of mutual respect, peaceful coexistence, and win-win "
        "cooperation.",
        "Beijing",
    ),
]


def records_in(sources_dir: Path, project: Path) -> dict[str, SourceRecord]:
    """The records of a folder that must load without a problem."""
    loaded = load_sources(sources_dir, project)
    assert loaded.problems == []
    return loaded.records


def problems_of(sources_dir: Path, project: Path) -> str:
    """Every problem loading a folder's records, one line each."""
    return "\n".join(d.format() for d in load_sources(sources_dir, project).problems)


def run(feed: Path | str, project: Path, *, force: bool = False) -> IngestReport:
    return ingest(str(feed), project / "content" / "sources", project, force=force)


def sources_of(project: Path) -> Path:
    return project / "content" / "sources"


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file's bytes and modification time: a rewrite with equal bytes still shows."""
    if not folder.exists():
        return {}
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def failure(excinfo: pytest.ExceptionInfo[BuildFailed]) -> str:
    return "\n".join(d.format() for d in excinfo.value.diagnostics)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    return site


# -- ids ---------------------------------------------------------------------------------------


def test_source_id_slugs_the_guid() -> None:
    guid = "pukmedia:economy:2025-07-27:china-heads-to-stockholm-trade-talks"
    assert source_id(guid) == STOCKHOLM_ID
    assert source_id("https://Post.example/2025/06/Bridge/") == "https-post-example-2025-06-bridge"
    assert source_id("  Café   Crème!! ") == "cafe-creme"
    with pytest.raises(ValueError):
        source_id("::--::")


# -- one feed of each kind ---------------------------------------------------------------------

RSS_PLAIN_TEXT = (
    "Mayor Jane Ortiz defended the port budget on Tuesday.\n\n"
    "“We are not cutting a single berth,” Ortiz said at the council meeting. "
    "“The harbour stays open.”\n\n"
    "Councillor Tom Reyes disagreed. “This budget is a fantasy,” said Councillor Tom Reyes."
)


def test_rss_item_becomes_a_record(project: Path) -> None:
    report = run(FEEDS / "rss.xml", project)
    record_id = "gazette-politics-2025-03-04-port-budget"
    assert report.lines == [f"created content/sources/{record_id}.yaml"]
    record = records_in(sources_of(project), project)[record_id]
    assert record.path == f"content/sources/{record_id}.yaml"
    assert record.outlet == "Harbour Gazette"
    assert record.title == "Mayor Defends Port Budget"
    assert record.author == "Ana Lima"
    assert record.published == "2025-03-04T18:30:00-05:00"
    assert record.url == "https://gazette.example/politics/port-budget"
    assert record.categories == ("Politics", "Port")  # the repeated category once
    assert [(q.text, q.speaker) for q in record.quotations] == [
        ("We are not cutting a single berth,", "Jane Ortiz"),
        ("The harbour stays open.", "Jane Ortiz"),
        ("This budget is a fantasy,", "Tom Reyes"),
    ]
    # Positions point into the item's plain text, which is not stored; its hash is.
    for quotation in record.quotations:
        assert RSS_PLAIN_TEXT[quotation.position :].startswith(quotation.text)
    text = (sources_of(project) / f"{record_id}.yaml").read_text(encoding="utf-8")
    digest = hashlib.sha256(RSS_PLAIN_TEXT.encode()).hexdigest()
    assert f"content_hash: sha256:{digest}\n" in text
    assert "url_from: item\n" in text
    assert f"feed: {os.path.relpath(FEEDS / 'rss.xml', project)}\n" in text  # project-relative
    assert "defended the port budget" not in text  # the article itself is not republished


def test_atom_entry_becomes_a_record(project: Path) -> None:
    run(FEEDS / "atom.xml", project)
    record = records_in(sources_of(project), project)["tag-review-example-2025-05-02-salmon"]
    assert record.outlet == "River Review"  # "River Review | Science"
    assert record.author == "Desk Editor"  # an Atom entry inherits the feed's author
    assert record.published == "2025-05-02T07:15:00+01:00"  # published, not updated
    assert record.categories == ("Science",)
    assert record.quotations == (
        Quotation("The river is warmer than it has ever been.", "Maria Chen", 94),
    )


def test_json_feed_item_becomes_a_record(project: Path) -> None:
    run(FEEDS / "feed.json", project)
    record = records_in(sources_of(project), project)["https-post-example-2025-06-bridge"]
    assert (record.outlet, record.title, record.author) == (
        "Valley Post",
        "Bridge Reopens",
        "Lea Novak",
    )
    assert record.published == "2025-06-10T09:00:00+02:00"
    assert record.url == "https://post.example/2025/06/bridge"
    assert record.categories == ("Transport",)
    assert [(q.text, q.speaker) for q in record.quotations] == [
        ("stronger than the original.", "Ivo Horvat")
    ]


def test_entities_and_smart_quotes_are_decoded(project: Path) -> None:
    run(FEEDS / "entities.rss.xml", project)
    record = records_in(sources_of(project), project)["https-courier-example-business-chips"]
    assert record.outlet == "Coast Courier"  # "Coast Courier — Business"
    assert record.title == "Fish & Chips Shop Wins “Best in Town”"
    assert record.author is None
    assert [(q.text, q.speaker) for q in record.quotations] == [
        ("We fry everything fresh & fast,", "Priya Shah"),
        # "Judges" opens its sentence: a capitalised common noun, not a name.
        ("the crispiest batter on the coast", None),
        ("Golden Fork", None),  # whitespace collapsed, <b> dropped
    ]
    text = (sources_of(project) / f"{record.id}.yaml").read_text(encoding="utf-8")
    assert "author: null\n" in text and "&amp;" not in text and "&ldquo;" not in text


def test_feed_with_two_items_gives_two_records(project: Path) -> None:
    report = run(FEEDS / "two-items.rss.xml", project)
    assert report.lines == [
        "created content/sources/https-herald-example-local-library.yaml",
        "created content/sources/https-herald-example-local-market.yaml",
    ]
    records = records_in(sources_of(project), project)
    assert records["https-herald-example-local-library"].quotations[0].speaker == "Omar Haddad"
    # “…,” she said — the last person named before the quote.
    assert records["https-herald-example-local-market"].quotations[0].speaker == "Rosa Diaz"
    assert records["https-herald-example-local-market"].published == "2025-07-08T11:00:00+00:00"


def test_item_without_link_uses_the_channel_link_and_says_so(project: Path) -> None:
    feed = project / "feed.xml"
    feed.write_text(
        '<rss version="2.0"><channel><title>Desk</title><link>https://desk.example/</link>'
        '<item><title>T</title><guid isPermaLink="false">desk:1</guid>'
        "<pubDate>Mon, 07 Jul 2025 10:00:00 GMT</pubDate><description>Body.</description>"
        "</item></channel></rss>",
        encoding="utf-8",
    )
    run(feed, project)
    text = (sources_of(project) / "desk-1.yaml").read_text(encoding="utf-8")
    assert "url: https://desk.example/\nurl_from: feed\n" in text
    assert "published: '2025-07-07T10:00:00+00:00'" in text


# -- re-ingesting ------------------------------------------------------------------------------


def test_reingesting_changes_nothing(project: Path) -> None:
    for name in ("rss.xml", "atom.xml", "feed.json", "entities.rss.xml", "two-items.rss.xml"):
        run(FEEDS / name, project)
    before = snapshot(sources_of(project))
    assert len(before) == 6
    for name in ("rss.xml", "atom.xml", "feed.json", "entities.rss.xml", "two-items.rss.xml"):
        report = run(FEEDS / name, project)
        assert all(line.startswith("unchanged content/sources/") for line in report.lines)
    assert snapshot(sources_of(project)) == before  # same bytes, not even rewritten


def test_updated_item_updates_its_record_and_says_what_changed(project: Path) -> None:
    feed = project / "herald.xml"
    original = (FEEDS / "two-items.rss.xml").read_text(encoding="utf-8")
    feed.write_text(original, encoding="utf-8")
    run(feed, project)
    changed = original.replace("Library Extends Hours", "Library Extends Its Hours").replace(
        "Rain has cost us every Saturday", "Rain has cost us every single Saturday"
    )
    feed.write_text(changed, encoding="utf-8")
    report = run(feed, project)
    assert report.lines == [
        "updated content/sources/https-herald-example-local-library.yaml: title",
        "updated content/sources/https-herald-example-local-market.yaml: text, quotations",
    ]
    records = records_in(sources_of(project), project)
    assert records["https-herald-example-local-library"].title == "Library Extends Its Hours"
    quote = records["https-herald-example-local-market"].quotations[0]
    assert quote.text == "Rain has cost us every single Saturday,"
    assert run(feed, project).lines[1].startswith("unchanged ")


def test_hand_edited_record_is_not_overwritten_without_force(project: Path) -> None:
    run(FEEDS / "rss.xml", project)
    path = sources_of(project) / "gazette-politics-2025-03-04-port-budget.yaml"
    fresh = path.read_text(encoding="utf-8")
    edited = fresh.replace("speaker: Tom Reyes", "speaker: Thomas Reyes")
    assert edited != fresh
    path.write_text(edited, encoding="utf-8")
    # The writer's correction is a valid record, and it is what the build sees.
    records = records_in(sources_of(project), project)
    assert (
        records["gazette-politics-2025-03-04-port-budget"].quotations[2].speaker == "Thomas Reyes"
    )

    with pytest.raises(BuildFailed) as excinfo:
        run(FEEDS / "rss.xml", project)
    assert "content/sources/gazette-politics-2025-03-04-port-budget.yaml: edited by hand" in (
        failure(excinfo)
    )
    assert "--force" in failure(excinfo)
    assert path.read_text(encoding="utf-8") == edited

    report = run(FEEDS / "rss.xml", project, force=True)
    assert report.lines == [
        "overwrote hand-edited content/sources/gazette-politics-2025-03-04-port-budget.yaml: "
        "quotations"
    ]
    assert path.read_text(encoding="utf-8") == fresh


def test_record_for_another_item_with_the_same_id_is_not_replaced(project: Path) -> None:
    def feed_with_guid(guid: str) -> Path:
        feed = project / "desk.xml"
        feed.write_text(
            '<rss version="2.0"><channel><title>Desk</title><link>https://desk.example/</link>'
            f'<item><title>T</title><guid isPermaLink="false">{guid}</guid>'
            "<pubDate>Mon, 07 Jul 2025 10:00:00 +0000</pubDate><description>Body.</description>"
            "</item></channel></rss>",
            encoding="utf-8",
        )
        return feed

    run(feed_with_guid("desk:a:1"), project)
    with pytest.raises(BuildFailed) as excinfo:
        run(feed_with_guid("desk-a-1"), project)
    assert "is for the item 'desk:a:1', not 'desk-a-1'" in failure(excinfo)


# -- problems ----------------------------------------------------------------------------------


def test_missing_feed_file_is_a_clear_error(project: Path) -> None:
    with pytest.raises(BuildFailed) as excinfo:
        ingest("no-such-feed.xml", sources_of(project), project)
    assert excinfo.value.diagnostics[0].message == "feed file not found"
    assert not sources_of(project).exists()


def test_malformed_feed_is_a_clear_error_with_its_line(project: Path) -> None:
    with pytest.raises(BuildFailed) as excinfo:
        run(FEEDS / "broken.xml", project)
    [diagnostic] = excinfo.value.diagnostics
    assert diagnostic.path.endswith("tests/fixtures/feeds/broken.xml")
    assert diagnostic.message.startswith("not a valid RSS, Atom or JSON feed: ")
    assert diagnostic.line == 8  # where the file ends, mid-item
    assert not sources_of(project).exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("<html><body><p>Hello</p></body></html>", "no <rss>, <feed> or JSON Feed document"),
        ('{"title": "not a feed"}', "a JSON document without a JSON Feed “version”"),
        ('{"version": "https://jsonfeed.org/version/1.1", "items": [', "Expecting value"),
        ("   \n", "the file is empty"),
    ],
)
def test_documents_that_are_not_feeds_are_refused(project: Path, content: str, reason: str) -> None:
    feed = project / "feed.txt"
    feed.write_text(content, encoding="utf-8")
    with pytest.raises(BuildFailed) as excinfo:
        run(feed, project)
    [diagnostic] = excinfo.value.diagnostics
    assert diagnostic.path.endswith("feed.txt")
    assert diagnostic.message.startswith("not a valid RSS, Atom or JSON feed: ")
    assert reason in failure(excinfo)


def test_item_with_no_text_is_a_clear_error(project: Path) -> None:
    with pytest.raises(BuildFailed) as excinfo:
        run(FEEDS / "no-text.rss.xml", project)
    assert failure(excinfo).endswith(
        "no-text.rss.xml: item 1 “Empty Item”: it has no text (no content and no description)"
    )
    assert not sources_of(project).exists()


def test_a_date_without_a_zone_is_an_error(project: Path) -> None:
    feed = project / "feed.json"
    feed.write_text(
        '{"version": "https://jsonfeed.org/version/1.1", "title": "Post", "items": [{"id": "1",'
        ' "url": "https://p.example/1", "title": "T", "content_text": "Body.",'
        ' "date_published": "2025-06-10T09:00:00"}]}',
        encoding="utf-8",
    )
    with pytest.raises(BuildFailed) as excinfo:
        run(feed, project)
    assert "item 1 “T”: its date “2025-06-10T09:00:00” has no time zone" in failure(excinfo)


def test_errors_leave_existing_records_intact(project: Path) -> None:
    feed = project / "herald.xml"
    original = (FEEDS / "two-items.rss.xml").read_text(encoding="utf-8")
    feed.write_text(original, encoding="utf-8")
    run(feed, project)
    before = snapshot(sources_of(project))
    # The first item changes (fine on its own), the second loses its text (not fine).
    market_text = (
        "&lt;p&gt;Stallholder Rosa Diaz welcomed the move. “Rain has cost us every Saturday,” "
        "she said.&lt;/p&gt;"
    )
    assert market_text in original
    broken = original.replace("Library Extends Hours", "Library Closes").replace(market_text, "")
    feed.write_text(broken, encoding="utf-8")
    with pytest.raises(BuildFailed) as excinfo:
        run(feed, project)
    assert "item 2 “Market Moves Indoors”: it has no text" in failure(excinfo)
    assert snapshot(sources_of(project)) == before  # not even the first item was updated

    with pytest.raises(BuildFailed):
        run(FEEDS / "broken.xml", project)
    assert snapshot(sources_of(project)) == before


# -- feeds from a URL --------------------------------------------------------------------------


@pytest.fixture
def feed_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The fixture feeds over HTTP on 127.0.0.1 (never the internet)."""
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=FEEDS))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_feed_from_a_url(project: Path, feed_server: str) -> None:
    report = run(f"{feed_server}/two-items.rss.xml", project)
    assert len(report.lines) == 2
    text = (sources_of(project) / "https-herald-example-local-library.yaml").read_text("utf-8")
    assert f"feed: {feed_server}/two-items.rss.xml\n" in text
    assert run(f"{feed_server}/two-items.rss.xml", project).lines[0].startswith("unchanged")

    run(f"{feed_server}/feed.json", project)  # JSON Feed over HTTP too
    assert "https-post-example-2025-06-bridge" in records_in(sources_of(project), project)


def test_unreachable_feed_url_is_a_clear_error(project: Path, feed_server: str) -> None:
    with pytest.raises(BuildFailed) as excinfo:
        run(f"{feed_server}/missing.xml", project)
    assert failure(excinfo) == f"{feed_server}/missing.xml: cannot fetch the feed: HTTP status 404"


@contextlib.contextmanager
def tcp_server(reply: bytes | None, trickle: bool = False) -> Iterator[str]:
    """A server on 127.0.0.1 that reads a request and sends `reply` as is, then hangs up; or,
    when `reply` is None, accepts every connection and never answers. With `trickle`, after
    `reply` it sends one more byte every 50 ms until the client hangs up: never silent for
    long enough to hit a per-wait timeout."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)  # closed at the end
            if reply is None:
                continue
            connection.recv(65536)
            connection.sendall(reply)
            while trickle and not stop.wait(0.05):
                try:
                    connection.sendall(b" ")
                except OSError:
                    break  # the client gave up
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for connection in held:
            connection.close()
        listener.close()


@pytest.fixture
def silent_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with tcp_server(None) as url:
        yield url


def test_a_server_that_never_answers_times_out(project: Path, silent_server: str) -> None:
    feed = project / "herald.xml"
    shutil.copy(FEEDS / "two-items.rss.xml", feed)
    assert cli(str(feed), "--source", str(project), cwd=project).returncode == 0
    before = snapshot(sources_of(project))
    assert before  # there are records a failed ingest must leave alone

    url = f"{silent_server}/feed.xml"
    started = time.monotonic()
    done = cli(url, "--timeout", "1", "--source", str(project), cwd=project)
    elapsed = time.monotonic() - started

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == (
        f"{url}: cannot fetch the feed: the server sent nothing for 1 s; "
        "check the URL, try again later, or wait longer with --timeout SECONDS"
    )
    assert "Traceback" not in done.stderr
    assert elapsed < 15  # 1 s of waiting, plus starting Python; forever without a timeout
    assert snapshot(sources_of(project)) == before


def test_the_library_call_times_out_too(project: Path, silent_server: str) -> None:
    outcome: list[BaseException] = []

    def fetch() -> None:
        try:
            ingest(f"{silent_server}/feed.xml", sources_of(project), project, timeout=0.5)
        except BaseException as error:  # noqa: BLE001 - handed to the test's thread
            outcome.append(error)

    worker = threading.Thread(target=fetch, daemon=True)  # a hang fails the test, not the suite
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive(), "ingest still waiting after 10 s with timeout=0.5"
    [error] = outcome
    assert isinstance(error, BuildFailed)
    assert "the server sent nothing for 0.5 s" in error.diagnostics[0].message
    assert not sources_of(project).exists()


def test_a_trickling_download_is_cut_off_by_the_timeout(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<rss>"
    with tcp_server(head, trickle=True) as server:
        url = f"{server}/feed.xml"
        started = time.monotonic()
        done = cli(url, "--timeout", "1", "--source", str(project), cwd=project)
        elapsed = time.monotonic() - started
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"{url}: cannot fetch the feed: the download took longer than 1 s; "
        "check the URL, try again later, or wait longer with --timeout SECONDS"
    )
    assert "Traceback" not in done.stderr
    # 100,000 bytes at 20 a second would take over an hour; 1 s plus Python's start-up here.
    assert elapsed < 30
    assert not sources_of(project).exists()


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (b"nonsense\r\n", "the server's answer is not HTTP (BadStatusLine)"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<rss",
            "the server closed the connection before sending the whole feed",
        ),
        (b"", "Remote end closed connection without response"),
    ],
)
def test_a_broken_answer_is_a_clear_error(
    project: Path, monkeypatch: pytest.MonkeyPatch, reply: bytes, reason: str
) -> None:
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with tcp_server(reply) as server, pytest.raises(BuildFailed) as excinfo:
        run(f"{server}/feed.xml", project)
    assert failure(excinfo) == f"{server}/feed.xml: cannot fetch the feed: {reason}"


def test_ingest_command_fetches_a_url(project: Path, feed_server: str) -> None:
    url = f"{feed_server}/two-items.rss.xml"
    done = cli(url, "--timeout", "5", "--source", str(project), cwd=project)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "created content/sources/https-herald-example-local-library.yaml",
        "created content/sources/https-herald-example-local-market.yaml",
    ]


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_ingest_timeout_must_be_positive_seconds(project: Path, value: str) -> None:
    done = cli("feed.xml", "--timeout", value, cwd=project)
    assert done.returncode == 2
    assert f"argument --timeout: {value!r} is not a number of seconds above 0" in done.stderr


# -- the Stockholm article ---------------------------------------------------------------------


def test_committed_stockholm_record_is_valid() -> None:
    records = records_in(COMMITTED_RECORD.parent, REPO)
    record = records[STOCKHOLM_ID]
    assert record.path == f"content/sources/{STOCKHOLM_ID}.yaml"
    assert record.outlet == "PUKMEDIA"
    assert record.published == "2025-07-27T09:57:00+03:00"
    assert record.url == "https://www.pukmedia.com/"  # the item has no link of its own
    assert record.categories == ("Economy", "U.S.", "China")
    assert [(q.text, q.speaker) for q in record.quotations] == STOCKHOLM_QUOTATIONS


@pytest.mark.skipif(not SHARED_FEED.parent.is_dir(), reason="the shared feed folder is absent")
def test_ingesting_the_stockholm_feed_gives_exactly_the_committed_record(tmp_path: Path) -> None:
    # The project is the repo, so the record names the feed as the repo's record does.
    report = ingest(str(SHARED_FEED), tmp_path / "sources", REPO)
    assert len(report.lines) == 1 and report.lines[0].startswith("created ")
    made = tmp_path / "sources" / f"{STOCKHOLM_ID}.yaml"
    assert made.read_bytes() == COMMITTED_RECORD.read_bytes()
    text = made.read_text(encoding="utf-8")
    assert "feed: ../shared/feed/stockholm-talks.rss.xml\n" in text
    assert "url_from: feed\n" in text
    record = records_in(tmp_path / "sources", tmp_path)[STOCKHOLM_ID]
    assert [(q.text, q.speaker) for q in record.quotations] == STOCKHOLM_QUOTATIONS


# -- quotation speakers ------------------------------------------------------------------------


def speakers(text: str) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in extract_quotations(text)]


def test_speaker_rules() -> None:
    # 2: attribution before the quote, with a surname completed from an earlier mention.
    assert speakers("Minister Ana Costa arrived. Costa said: “We will sign.”") == [
        ("We will sign.", "Ana Costa")
    ]
    assert speakers("According to Ana Costa, “the deal is close.”") == [
        ("the deal is close.", "Ana Costa")
    ]
    # 1 with a pronoun: the last person named before the quote.
    assert speakers("Ana Costa spoke first. “It is done,” she said.") == [
        ("It is done,", "Ana Costa")
    ]
    # A possessive names whose spokesman it is, not who spoke.
    assert speakers("“No comment,” Costa’s spokesman said.") == [("No comment,", None)]
    # 3 needs a verb of saying, and a sentence's first word is not taken for a name.
    assert speakers("Last month, the board said it was “deeply concerned”.") == [
        ("deeply concerned", None)
    ]
    assert speakers("Lisbon has refused, calling the offer “an insult” in Lisbon.") == [
        ("an insult", "Lisbon")
    ]
    assert speakers("Costa visited the “new” port.") == [("new", None)]
    # 4 only for a quote that opens its sentence, and only within the paragraph.
    assert speakers("“One,” said Ana Costa. “Two.”\n\n“Three.”") == [
        ("One,", "Ana Costa"),
        ("Two.", "Ana Costa"),
        ("Three.", None),
    ]


def test_quotation_marks() -> None:
    # Straight quotes pair up; a “ open at the end of a paragraph closes there.
    text = 'He called it "odd" and "rare".\n\n“First part of it\n\n“Second part,” said Bo Li.'
    found = extract_quotations(text)
    assert [q.text for q in found] == ["odd", "rare", "First part of it", "Second part,"]
    for quotation in found:
        assert text[quotation.position :].startswith(quotation.text)
    assert found[3].speaker == "Bo Li"


# -- checking quotes ---------------------------------------------------------------------------

RECORD = SourceRecord(
    id=STOCKHOLM_ID,
    outlet="PUKMEDIA",
    title="China Heads to Stockholm Trade Talks",
    author=None,
    published="2025-07-27T09:57:00+03:00",
    url="https://www.pukmedia.com/",
    categories=("Economy",),
    quotations=tuple(Quotation(text, speaker, 0) for text, speaker in STOCKHOLM_QUOTATIONS)
    + (Quotation("Nobody knows who said this.", None, 0),),
    path=f"content/sources/{STOCKHOLM_ID}.yaml",
)


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("This is a fragile ceasefire,", "Scott Bessent"),  # verbatim
        ("“This is a fragile ceasefire,”", "Scott Bessent"),  # the page's own marks
        ("“This is a fragile ceasefire”", "Scott Bessent"),  # ends where the words end
        ("China holds significant cards", "Wu Xinbo"),  # ends where the words end
        ("is willing to play them when necessary…", "Wu Xinbo"),  # the cut marked
        ("is willing to play them when necessary ...", "Wu Xinbo"),
        ('"in the not too  distant\nfuture"', "Donald Trump"),  # straight marks, whitespace
        ("fragile ceasefire", "Bessent"),  # an excerpt; the surname alone
        ("This is a fragile ceasefire", None),  # no speaker given: the words only
        ("But right now, trade is in a very good place with China.", "scott bessent"),
        (
            "But right now, trade is in a very good place with China.",
            "Treasury Secretary Scott Bessent",
        ),
        ("After this period of U.S.-China rivalry … China holds significant cards", "Wu Xinbo"),
        ("the American side has come to realise ... is willing to play them", "Wu Xinbo"),
        (
            "guided by the principles of mutual respect, peaceful coexistence, and win-win cooperation.",
            "Beijing",
        ),
        ("Nobody knows who said this.", None),
    ],
)
def test_check_quote_accepts(text: str, speaker: str | None) -> None:
    assert check_quote(text, speaker, RECORD) is None


def test_check_quote_misquote_shows_the_closest_passage() -> None:
    message = check_quote("This is a fragile truce.", "Scott Bessent", RECORD)
    assert message == (
        f"misquote of {STOCKHOLM_ID}: closest passage is “This is a fragile ceasefire,” "
        "(Scott Bessent)"
    )
    message = check_quote(
        "China holds significant cards and is ready to play them", "Wu Xinbo", RECORD
    )
    assert message is not None and message.startswith(f"misquote of {STOCKHOLM_ID}: ")
    assert "China holds significant cards" in message
    # Verbatim means verbatim, capitals included, with or without a speaker.
    assert check_quote("this is a fragile ceasefire", None, RECORD) is not None
    # Whole words only: an excerpt may not end inside a word.
    assert check_quote("fragile cease", "Scott Bessent", RECORD) is not None
    # An ellipsis stands for text within one quotation, not across two.
    assert check_quote("This is a fragile … good place with China", "Scott Bessent", RECORD)


@pytest.mark.parametrize(
    ("text", "ends", "reads"),
    [
        (
            "“This is a fragile ceasefire.”",
            "This is a fragile ceasefire.",
            "This is a fragile ceasefire,",
        ),
        ("play them when necessary.", "play them when necessary.", "play them when necessary,"),
        (
            "China holds significant cards.",
            "China holds significant cards.",
            "China holds significant cards",
        ),
        ("fragile ceasefire;", "fragile ceasefire;", "fragile ceasefire,"),
        (
            "… in a very good place with China;",
            "…a very good place with China;",
            "…a very good place with China.",
        ),
    ],
)
def test_check_quote_refuses_punctuation_the_source_does_not_have(
    text: str, ends: str, reads: str
) -> None:
    # A full stop where the article has a comma tells the reader the sentence ended there.
    message = check_quote(text, None, RECORD)
    assert message == (
        f"misquote of {STOCKHOLM_ID}: the quotation ends “{ends}” but the source reads "
        f"“{reads}”: end it where the source's words end, keep the source's punctuation, "
        "or mark the cut with “…”"
    )


def test_check_quote_wrong_speaker() -> None:
    assert check_quote("in the not too distant future", "Scott Bessent", RECORD) == (
        "wrong speaker: the source attributes this to Donald Trump, not Scott Bessent"
    )
    assert check_quote("This is a fragile ceasefire", "Scott", RECORD) == (
        "wrong speaker: the source attributes this to Scott Bessent, not Scott"
    )
    assert check_quote("Nobody knows who said this.", "Wu Xinbo", RECORD) == (
        "wrong speaker: the source does not say who said this, so not Wu Xinbo"
    )
    assert check_quote("  … ", "Wu Xinbo", RECORD) == f"empty quotation of {STOCKHOLM_ID}"


def test_check_quote_drops_titles_on_the_record_side_too() -> None:
    # A hand-written record may keep the speaker's title; the page may or may not.
    record = replace(
        RECORD, quotations=(Quotation("The bridge stays open.", "Mayor Ana Duarte", 0),)
    )
    for speaker in ("Ana Duarte", "Mayor Ana Duarte", "Duarte", "mayor ana duarte"):
        assert check_quote("The bridge stays open.", speaker, record) is None, speaker
    assert check_quote("The bridge stays open.", "Ana Costa", record) == (
        "wrong speaker: the source attributes this to Mayor Ana Duarte, not Ana Costa"
    )
    assert check_quote("The bridge stays open.", "Mayor", record) is not None


def test_unknown_source_message_suggests_the_id_and_passage() -> None:
    message = unknown_source_message(
        STOCKHOLM_ID.replace("stockholm", "stokholm"), {STOCKHOLM_ID: RECORD}, "a fragile ceasefire"
    )
    assert f"did you mean '{STOCKHOLM_ID}'?" in message
    assert f"The closest passage is “This is a fragile ceasefire,” in {STOCKHOLM_ID}." in message


# -- loading records ---------------------------------------------------------------------------

GOOD_RECORD = """\
id: good
outlet: Desk
title: T
author: null
published: 2025-07-07T10:00:00+00:00
url: https://desk.example/
categories: [A]
quotations:
- text: Hello.
  speaker: Bo Li
  position: 3
"""


def write_record(project: Path, name: str, text: str) -> None:
    sources_of(project).mkdir(parents=True, exist_ok=True)
    (sources_of(project) / name).write_text(text, encoding="utf-8")


def test_load_sources_reads_hand_written_records(project: Path) -> None:
    assert records_in(sources_of(project), project) == {}  # no folder, no records
    write_record(project, "good.yaml", GOOD_RECORD)
    write_record(project, "notes.txt", "not a record")
    record = records_in(sources_of(project), project)["good"]
    assert record.published == "2025-07-07T10:00:00+00:00"  # unquoted: read as a datetime
    assert record.quotations == (Quotation("Hello.", "Bo Li", 3),)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: x\n  bad: [\n", "content/sources/x.yaml:2:"),
        ("- a list\n", "content/sources/x.yaml:1: a source record must be a YAML mapping"),
        ("id: x\noutlet: Desk\n", "content/sources/x.yaml:1:1: 'title' is required"),
        (GOOD_RECORD.replace("position: 3", "position: -1"),
         "x.yaml:11:13: a quotation's 'position' must be 0 or more"),
        (GOOD_RECORD.replace("position: 3", "position: 3\n  said: x"),
         "x.yaml:12:1: unknown quotation key 'said'"),
        (GOOD_RECORD.replace("title: T", "titel: T"), "x.yaml:3:1: unknown source record key "
         "'titel'; did you mean 'title'?"),
        (GOOD_RECORD, "x.yaml:1:5: id 'good' differs from the file name 'x'"),
        (GOOD_RECORD.replace("url: https://desk.example/", "url: [3]"), "x.yaml:6:6: 'url' must be text"),
        (GOOD_RECORD.replace("url: https://desk.example/", "url: ' javascript:alert(1)'"),
         "x.yaml:6:6: 'url': the URL 'javascript:alert(1)' is refused: only http(s), mailto"),
        (GOOD_RECORD.replace("2025-07-07T10:00:00+00:00", "27 July 2025"),
         "x.yaml:5:12: 'published' must be an ISO 8601 date or date-time"),
        (GOOD_RECORD.replace("2025-07-07T10:00:00+00:00", "'2025-02-30'"),
         "x.yaml:5:12: 'published' must be an ISO 8601 date or date-time"),
    ],
)  # fmt: skip
def test_load_sources_reports_malformed_records(project: Path, text: str, expected: str) -> None:
    write_record(project, "x.yaml", text)
    write_record(project, "good.yaml", GOOD_RECORD)
    loaded = load_sources(sources_of(project), project)
    problems = "\n".join(d.format() for d in loaded.problems)
    assert expected in problems
    assert "good.yaml" not in problems
    # The other record stays usable; the broken one is known by its file name.
    assert list(loaded.records) == ["good"]
    assert loaded.broken == {"x"}


# -- the command line --------------------------------------------------------------------------


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "site_builder", "ingest", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ingest_command(project: Path) -> None:
    feed = project / "feed.xml"
    shutil.copy(FEEDS / "rss.xml", feed)
    record = "content/sources/gazette-politics-2025-03-04-port-budget.yaml"

    done = cli(str(feed), "--source", str(project), cwd=project)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"created {record}\n", "")
    done = cli("feed.xml", cwd=project)  # the feed path is relative to where it is run
    assert (done.returncode, done.stdout) == (0, f"unchanged {record}\n")
    text = (project / record).read_text(encoding="utf-8")
    assert "feed: feed.xml\n" in text

    done = cli(str(FEEDS / "broken.xml"), "--source", str(project), cwd=project)
    assert done.returncode == 1
    assert "broken.xml:8:1: not a valid RSS, Atom or JSON feed: " in done.stderr

    (project / record).write_text(text.replace("Ana Lima", "A. Lima"), encoding="utf-8")
    done = cli("feed.xml", cwd=project)
    assert done.returncode == 1 and f"{record}: edited by hand" in done.stderr
    done = cli("feed.xml", "--force", cwd=project)
    assert (done.returncode, done.stdout) == (0, f"overwrote hand-edited {record}: author\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: &a x\n", "YAML anchor '&a' is not allowed; write each value out in full"),
        ("id: x\nid: y\n", "duplicate key 'id' (first given on line 1); keep only one"),
        (
            "id: !!python/name:os.system x\n",
            "YAML tag 'tag:yaml.org,2002:python/name:os.system' is not allowed",
        ),
    ],
)
def test_records_are_read_with_the_writers_yaml_rules(
    tmp_path: Path, text: str, message: str
) -> None:
    sources = tmp_path / "content" / "sources"
    sources.mkdir(parents=True)
    (sources / "x.yaml").write_text(text, encoding="utf-8")
    [diagnostic] = load_sources(sources, tmp_path).problems
    assert diagnostic.path == "content/sources/x.yaml"
    assert message in diagnostic.message


def test_a_record_symlinked_from_outside_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("id: x\n", encoding="utf-8")
    sources = tmp_path / "project" / "content" / "sources"
    sources.mkdir(parents=True)
    (sources / "x.yaml").symlink_to(outside)
    assert problems_of(sources, tmp_path / "project") == (
        "content/sources/x.yaml: symlink points outside the project; copy the file in instead"
    )


# -- what a build loads ------------------------------------------------------------------------


# Fetching (urllib, http.client and with it ssl and email), HTML parsing and feedparser are for
# ingest alone: ingest.py, which only the `ingest` command loads. Every build imports sources.py.
INGEST_ONLY_MODULES = (
    "urllib.request", "http.client", "ssl", "email.parser", "feedparser", "html.parser",
)  # fmt: skip


def modules_loaded_by(imports: str) -> list[str]:
    """Which of INGEST_ONLY_MODULES a fresh interpreter has loaded after `import <imports>`."""
    code = (
        f"import {imports}, sys; "
        f"print(sorted(m for m in {INGEST_ONLY_MODULES!r} if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return ast.literal_eval(done.stdout)


def test_a_build_loads_none_of_the_ingest_only_modules() -> None:
    assert modules_loaded_by("site_builder.pipeline.build, site_builder.cli") == []
    # The probe sees them when they are loaded: ingest itself brings them in.
    loaded = modules_loaded_by("site_builder.ingest.feed")
    assert {"urllib.request", "http.client"} <= set(loaded)
