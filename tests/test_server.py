"""`site-builder serve` over HTTP: the real CLI as a subprocess, on a port the OS picks.

Also home to the helpers the browser tests (test_live_reload.py) share: a copy of the
fixture project and a running server."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect
from watchfiles import Change

from bench.reload_latency import measure_reload_latency
from site_builder.pipeline.write_phase import AHEAD_OF_AT_LEAST
from site_builder.preview.watch import EditorFilter
from tests.sitefactory import BASE_HTML, make_site, page
from tests.support.pagefind import SlowPagefind, slow_pagefind

# The preview reads the output folder with openat (os.open with dir_fd, O_DIRECTORY,
# O_NOFOLLOW), which Windows lacks: serving there waits on preview/server.py (issue 18).
pytestmark = pytest.mark.skipif(
    sys.platform == "win32", reason="the preview server does not run on Windows yet"
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "serve"
PREVIEW_DIR = ".site-builder-preview"  # where `serve` builds (never output/)
SECRET = "SECRET-7f3a9c"  # planted outside the output folder; must never be served
START_TIMEOUT = 20.0


# -- helpers (also used by test_live_reload.py) ----------------------------------------


def copy_fixture(tmp_path: Path) -> Path:
    project = tmp_path / "site"
    shutil.copytree(FIXTURE, project)
    with (project / "site.yaml").open("a", encoding="utf-8") as config:
        config.write(f"# {SECRET}\n")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    return project


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    project: Path
    stdout: Path
    stderr: Path
    url: str = ""  # the site's base URL, e.g. http://127.0.0.1:41234/repo/

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 80

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def out(self) -> str:
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def err(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def builds(self) -> int:
        """How many builds (good or failed) the server has reported."""
        return len(re.findall(r"^built\b", self.out(), re.M)) + self.err().count("build failed")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def launch(
    project: Path,
    *args: str,
    port: int = 0,
    own_process_group: bool = False,
    python_path: tuple[Path, ...] = (),
) -> Server:
    """Start `python -m site_builder serve` without waiting for it (in a process group of
    its own, as a terminal starts it, with `own_process_group`)."""
    logs = project.parent
    stdout, stderr = logs / "serve.out", logs / "serve.err"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, (*python_path, ROOT)))}
    command = [sys.executable, "-m", "site_builder", "serve", "--source", str(project)]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [*command, "--port", str(port), *args], cwd=ROOT, env=env, stdout=out, stderr=err,
            process_group=0 if own_process_group else None,
        )  # fmt: skip
    return Server(process, project, stdout, stderr)


def start(
    project: Path, *args: str, own_process_group: bool = False, python_path: tuple[Path, ...] = ()
) -> Server:
    """Start the server and wait for it to print the URL it serves (`python_path`: folders
    whose modules go ahead of the installed ones)."""
    server = launch(project, *args, own_process_group=own_process_group, python_path=python_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if match := re.search(r"Serving (http://\S+)", server.out()):
            server.url = match.group(1)
            return server
        if server.process.poll() is not None:
            break
        time.sleep(0.05)
    server.stop()
    pytest.fail(f"the server did not start:\n{server.out()}\n{server.err()}")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_fixture(tmp_path)


@pytest.fixture
def serve(project: Path) -> Iterator[Callable[..., Server]]:
    """serve(*args) starts a server on the fixture copy; it is stopped after the test."""
    started: list[Server] = []

    def run(*args: str) -> Server:
        started.append(start(project, *args))
        return started[-1]

    yield run
    for server in started:
        server.stop()


def wait_until(check: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what or check}")


def get(url: str, path: str, method: str = "GET", headers: dict | None = None):
    """One raw request: `path` goes on the request line exactly as given."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", (headers or {}).get("Host", parts.netloc))
        for name, value in (headers or {}).items():
            if name != "Host":
                connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw_request(port: int, request: bytes) -> bytes:
    """Send bytes http.client refuses to send (NUL, raw backslashes); return the reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def write_page(project: Path, name: str, title: str, body: str, **front: str) -> None:
    lines = [f"title: {title}", f"summary: The {title} page."]
    lines += [f"{key}: {value}" for key, value in front.items()]
    text = "---\n" + "\n".join(lines) + "\n---\n" + body + "\n"
    (project / "content" / name).write_text(text, encoding="utf-8")


# -- one server for the read-only checks ----------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start(copy_fixture(tmp_path_factory.mktemp("serve")))
    yield server
    server.stop()


def test_serves_the_site_under_its_base_path(site: Server) -> None:
    assert site.url.startswith("http://127.0.0.1:") and site.url.endswith("/repo/")
    status, headers, body = get(site.url, "/repo/")
    page = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert '<a href="/repo/about/">About</a>' in page
    # The live-reload client comes from this server, not from a third party.
    assert f'<script src="/livereload.js?port={site.port}"></script>' in page
    assert page.count("/livereload.js") == 1 and "</html>" in page
    stylesheet = re.search(r'href="(/repo/css/site\.\w+\.css)"', page)
    assert stylesheet, page
    status, headers, body = get(site.url, stylesheet.group(1))
    assert status == 200 and headers["Content-Type"].startswith("text/css")
    assert b"livereload" not in body  # only HTML gets the client
    status, headers, body = get(site.url, "/livereload.js")
    assert status == 200 and b"LiveReload" in body


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/", "/repo/"),
        ("/repo", "/repo/"),
        ("/repo/about", "/repo/about/"),
        ("/?x=1", "/repo/?x=1"),
    ],
)
def test_redirects_to_the_base_path_and_to_folders(site: Server, path: str, location: str) -> None:
    status, headers, _ = get(site.url, path)
    assert (status, headers["Location"]) == (302, location)


def test_unknown_paths_get_the_sites_404_page(site: Server) -> None:
    for path in ("/repo/no-such-page/", "/elsewhere/", "/repo/about/index.html/"):
        status, _, body = get(site.url, path)
        assert status == 404, path
        assert b"Nothing lives here" in body and b"/livereload.js" in body, path


def test_head_and_drafts(site: Server) -> None:
    status, headers, body = get(site.url, "/repo/about/", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0
    status, _, body = get(site.url, "/repo/draft/")
    assert status == 200 and b'<p class="draft">Draft</p>' in body  # drafts shown, marked


TRAVERSALS = [
    "/repo/../site.yaml",
    "/repo/../../secret.txt",
    "/repo/%2e%2e/site.yaml",
    "/repo/%2E%2E/%2e%2e/secret.txt",
    "/repo/.%2e/site.yaml",
    "/repo/%2e%2e%2fsite.yaml",
    "/repo/..%2Fsite.yaml",
    "/repo/%2e%2e%5csite.yaml",
    "/repo/..%5C..%5Csecret.txt",
    "/repo/%252e%252e/site.yaml",
    "/repo/%c0%ae%c0%ae/site.yaml",
    "/repo/%00",
    "/repo/index.html%00.txt",
    "/repo/./../site.yaml",
    "//etc/passwd",
    "/repo//etc/passwd",
    "/repo/%2Fetc%2Fpasswd",
    "/..%2f..%2f..%2fetc%2fpasswd",
    "http://127.0.0.1/../site.yaml",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_the_output_folder(site: Server, path: str) -> None:
    status, _, body = get(site.url, path)
    assert status in (400, 404), (path, status)
    assert SECRET.encode() not in body and b"root:" not in body


@pytest.mark.parametrize(
    "request_line",
    [
        b"GET /repo/\x00 HTTP/1.1",
        b"GET /repo/..\\site.yaml HTTP/1.1",
        b"GET /repo/..\\..\\secret.txt",
    ],
)
def test_raw_nul_and_backslashes_are_refused(site: Server, request_line: bytes) -> None:
    reply = raw_request(
        site.port, request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    status_line = reply.split(b"\r\n", 1)[0]
    assert re.match(rb"HTTP/1\.[01] 40[04] ", status_line), reply[:200]
    assert SECRET.encode() not in reply


def test_symlinks_are_not_followed(site: Server) -> None:
    output = site.project / PREVIEW_DIR
    (output / "leak.txt").symlink_to(site.project / "site.yaml")
    (output / "leak-dir").symlink_to(site.project.parent)
    (output / "home.html").symlink_to(output / "index.html")  # even inside the output
    (output / "about" / "up").symlink_to("..")
    for path in ("/repo/leak.txt", "/repo/leak-dir/secret.txt", "/repo/home.html"):
        status, _, body = get(site.url, path)
        assert status == 404 and SECRET.encode() not in body, path
    status, _, _ = get(site.url, "/repo/about/up/index.html")
    assert status == 404


def test_requests_for_other_host_names_are_refused(site: Server) -> None:
    # A web page can point a DNS name it controls at 127.0.0.1 (DNS rebinding).
    status, _, _ = get(site.url, "/repo/", headers={"Host": f"attacker.example:{site.port}"})
    assert status == 400
    status, _, _ = get(site.url, "/repo/", headers={"Host": f"localhost:{site.port}"})
    assert status == 200


def _websocket(
    site: Server, origin: str | None, host: str | None = None, generation: int | None = None
) -> str:
    """Open the live-reload socket with these headers and say hello, then (with a
    `generation`) report which build our page came from, like the injected plugin does.
    Returns the commands received, e.g. 'hello' or 'hello reload', or the HTTP error."""

    async def attempt() -> str:
        headers = {"Host": host or f"127.0.0.1:{site.port}"}
        if origin:
            headers["Origin"] = origin
        request = HTTPRequest(f"ws://127.0.0.1:{site.port}/livereload", headers=headers)
        try:
            connection = await asyncio.wait_for(websocket_connect(request), 10)
        except HTTPClientError as exc:
            return str(exc.code)
        hello = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}
        await connection.write_message(json.dumps(hello))
        replies = [await asyncio.wait_for(connection.read_message(), 10)]
        if generation is not None:
            plugins = {"site-builder": {"generation": generation, "version": "1"}}
            info = {"command": "info", "url": site.url, "plugins": plugins}
            await connection.write_message(json.dumps(info))
            try:
                replies.append(await asyncio.wait_for(connection.read_message(), 1.0))
            except TimeoutError:
                pass
        connection.close()
        return " ".join(json.loads(reply or "{}").get("command", "") for reply in replies)

    # In a thread: Playwright's sync API, used by other tests, leaves a loop set on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, attempt()).result()


def test_a_tab_that_missed_a_reload_is_reloaded_when_it_connects(site: Server) -> None:
    """A page served just before a build finished, whose tab connects just after that
    build's reload went out, is told to reload as soon as it says which build it shows."""
    page = get(site.url, "/repo/")[2].decode()
    current = int(re.search(r"\"generation\": (\d+)", page).group(1))
    assert _websocket(site, site.origin, generation=current) == "hello"
    assert _websocket(site, site.origin, generation=current - 1) == "hello reload"


def test_only_the_preview_itself_can_open_the_reload_socket(site: Server) -> None:
    assert _websocket(site, site.origin) == "hello"
    assert _websocket(site, "http://attacker.example") == "403"
    assert _websocket(site, "null") == "403"
    assert _websocket(site, "http://127.0.0.1:1") == "403"  # another local server
    rebinding = f"attacker.example:{site.port}"
    assert _websocket(site, f"http://{rebinding}", host=rebinding) == "400"
    # livereload's own unauthenticated trigger is not mounted
    assert get(site.url, "/forcereload?path=*")[0] == 404


def test_editor_files_are_filtered_out() -> None:
    keep = EditorFilter()
    for name in (".#about.md", "about.md~", ".about.md.swp", "4913", "about.md.tmp", "#about.md#"):
        assert not keep(Change.added, f"/p/content/{name}"), name
    assert not keep(Change.modified, "/p/content/.git/index")
    assert keep(Change.modified, "/p/content/about.md")
    assert keep(Change.deleted, "/p/templates/base.html")


# -- servers of their own --------------------------------------------------------------


def test_a_busy_port_is_a_clear_error(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = launch(project, port=port)
        code = server.process.wait(timeout=20)
    assert code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in server.err()
    assert "Traceback" not in server.err()


def test_all_interfaces_warns_and_no_drafts_hides_drafts(serve: Callable[..., Server]) -> None:
    server = serve("--host", "0.0.0.0", "--no-drafts")
    assert "WARNING" in server.err() and "0.0.0.0" in server.err()
    assert server.url.startswith("http://127.0.0.1:")
    status, _, body = get(server.url, "/repo/")
    assert status == 200 and b"/repo/draft/" not in body
    assert get(server.url, "/repo/draft/")[0] == 404


def test_loopback_does_not_warn(site: Server) -> None:
    assert "WARNING" not in site.err()


def test_reload_latency_hook_and_log(serve: Callable[..., Server], project: Path) -> None:
    server = serve("-v")

    def save() -> None:
        write_page(project, "about.md", "About", "Measured edit.", date="2025-07-21", order="1")

    latency = measure_reload_latency(server.url, save)
    assert 0 < latency < 10
    assert b"Measured edit." in get(server.url, "/repo/about/")[2]
    wait_until(lambda: re.search(r"update \d+ sent after \d+ ms", server.err()), what="the log")


def test_errors_are_shown_and_the_site_recovers(serve: Callable[..., Server], project: Path):
    about = project / "content" / "about.md"
    good = about.read_text(encoding="utf-8")
    about.write_text(good.replace("order: 1", "draft: yes <script>x</script>"), encoding="utf-8")
    server = serve()
    # No good build yet: an error page, with the problem and its source line, escaped.
    status, _, body = get(server.url, "/repo/")
    page = body.decode()
    assert status == 503
    assert "content/about.md:5:8: &#39;draft&#39; must be true or false" in page
    assert "draft: yes &lt;script&gt;x&lt;/script&gt;" in page and "<script>x" not in page
    assert "content/about.md:5:8: 'draft' must be true or false" in server.err()

    about.write_text(good.replace("says hello", "says hello again"), encoding="utf-8")
    wait_until(lambda: get(server.url, "/repo/")[0] == 200, what="the fixed build")
    assert b"says hello again" in get(server.url, "/repo/about/")[2]
    assert b"site-builder-errors" not in get(server.url, "/repo/about/")[2]

    # Broken again: every page keeps its last good version, under the overlay.
    about.write_text(good.replace("title: About", "title: [About"), encoding="utf-8")
    wait_until(lambda: b"site-builder-errors" in get(server.url, "/repo/")[2], what="overlay")
    status, _, body = get(server.url, "/repo/about/")
    assert (
        status == 200
        and b"says hello again" in body
        and b"content/about.md:2:8: this &#39;[&#39; is never closed" in body
    )
    about.write_text(good, encoding="utf-8")
    wait_until(lambda: b"site-builder-errors" not in get(server.url, "/repo/")[2], what="fix")


def test_output_and_editor_files_never_trigger_builds(
    serve: Callable[..., Server], project: Path
) -> None:
    server = serve("-v")
    content = project / "content"
    for name in (".#about.md", "about.md~", ".about.md.swp", "4913", "about.md.tmp"):
        (content / name).write_text("junk", encoding="utf-8")
    for folder in (project / "output", project / PREVIEW_DIR):
        folder.mkdir(exist_ok=True)
        (folder / "stray.html").write_text("x", encoding="utf-8")
    (project / ".site-builder-cache").mkdir(exist_ok=True)
    (project / ".site-builder-cache" / "x").write_text("x", encoding="utf-8")
    # A real save after the junk: the watcher reports events in order, so once its build
    # is done, any build the junk (or writing the output) had caused would have been too.
    write_page(project, "new.md", "New", "A new page.")
    wait_until(lambda: server.builds() >= 2, what="the rebuild")
    assert server.builds() == 2, server.out()
    assert re.search(r"^built \(content/new\.md\) in", server.out(), re.M), server.out()


def test_a_folder_created_later_is_watched(serve: Callable[..., Server], project: Path) -> None:
    server = serve()
    data = project / "data"
    data.mkdir()
    wait_until(lambda: server.builds() == 2, what="the build for the new folder")
    saves = iter(range(1_000_000))

    def save_and_look() -> bool:
        # The watch on data/ starts a moment after the folder's build: save until it sees one.
        (data / "facts.yaml").write_text(f"- {next(saves)}\n", encoding="utf-8")
        return server.builds() >= 3

    wait_until(save_and_look, what="the build for a file in it")


def test_a_new_base_path_in_site_yaml_is_served(
    serve: Callable[..., Server], project: Path
) -> None:
    server = serve()
    config = project / "site.yaml"
    config.write_text(config.read_text().replace("/repo/", "/docs/"), encoding="utf-8")
    wait_until(lambda: get(server.url, "/")[1].get("Location") == "/docs/", what="/docs/")
    status, _, body = get(server.url, "/docs/about/")
    assert status == 200 and b'href="/docs/"' in body
    assert get(server.url, "/repo/about/")[0] == 404


def test_a_burst_of_saves_is_one_rebuild(serve: Callable[..., Server], project: Path) -> None:
    server = serve()
    for number in range(20):
        write_page(project, f"burst-{number}.md", f"Burst {number}", "Burst page.")
    wait_until(lambda: b"Burst 19" in get(server.url, "/repo/")[2], what="all 20 pages")
    # One more save, after the burst: once it is built, every build the burst caused is.
    write_page(project, "after.md", "After", "After the burst.")
    wait_until(lambda: b"/repo/after/" in get(server.url, "/repo/")[2], what="the last save")
    assert server.builds() <= 6, server.out()  # not one per file


def test_a_flood_of_saves_leaves_the_last_content(
    serve: Callable[..., Server], project: Path
) -> None:
    """1,000 saves in a few seconds, some half-written, a page deleted and re-created,
    while a reader keeps asking for a page: every answer is a whole page."""
    server = serve()
    about, other = project / "content" / "about.md", project / "content" / "other.md"
    other_text = other.read_text(encoding="utf-8")
    problems: list[str] = []
    reading = threading.Event()
    reading.set()

    def read() -> None:
        while reading.is_set():
            status, _, body = get(server.url, "/repo/about/")
            if status != 200 or not body.rstrip().endswith(b"</html>"):
                problems.append(f"{status}: {body[-80:]!r}")
            elif body.count(b"/livereload.js") != 1 or body.count(b"<h1>") != 1:
                problems.append(f"mixed page: {body!r}")

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for number in range(1000):
            text = f"---\ntitle: About\nsummary: Flood.\norder: 1\n---\nVersion {number}.\n"
            if number % 10 == 3:
                text = text[: len(text) // 3]  # caught half-written
            about.write_text(text, encoding="utf-8")
            if number % 50 == 7:
                other.unlink()
            elif number % 50 == 20:
                other.write_text(other_text, encoding="utf-8")
            time.sleep(0.002)
        # A page rewritten in place can be served a moment before the build's outcome
        # reaches the event loop, i.e. with the overlay of the half-written save before
        # it: the end is the last version with no error shown.
        wait_until(lambda: settled(get(server.url, "/repo/about/")[2]), 20, "the end")
    finally:
        reading.clear()
        reader.join()
    assert server.process.poll() is None, server.err()
    assert not problems, problems[:5]
    assert b"/repo/other/" in get(server.url, "/repo/about/")[2]
    assert server.builds() < 200  # coalesced, not one per save
    assert "Traceback" not in server.err()


def settled(page: bytes) -> bool:
    return b"Version 999." in page and b"site-builder-errors" not in page


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found |= {int(child)} | _descendants(int(child))
    except OSError:
        pass  # it ended meanwhile
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_ctrl_c_stops_cleanly(serve: Callable[..., Server], project: Path) -> None:
    server = serve("-v")
    helpers = _descendants(server.process.pid)
    write_page(project, "late.md", "Late", "Saved just before Ctrl-C.")
    wait_until(lambda: "rebuilding (content/late.md)" in server.err(), what="the rebuild")
    helpers |= _descendants(server.process.pid)  # e.g. build workers, if any
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(timeout=15) == 0, server.err()
    assert "stopped" in server.out() and "Traceback" not in server.err()
    wait_until(lambda: not [pid for pid in helpers if _alive(pid)], what="helpers to end")
    # No staging or temporary folders left beside the output, nor temporary files in it.
    expected = {"site.yaml", "content", "templates", "static", PREVIEW_DIR, ".site-builder-cache"}
    assert {p.name for p in project.iterdir()} <= expected
    preview = project / PREVIEW_DIR
    assert [p for p in preview.rglob("*") if "tmp" in p.name] == []
    assert (preview / "index.html").is_file()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2).close()


# -- what the overlay says -------------------------------------------------------------


def overlay_of(page: bytes) -> str:
    text = page.decode()
    start = text.find('<div id="site-builder-errors"')
    assert start >= 0, text[:500]
    return text[start : text.index("</details></div>", start)]


def test_a_template_error_is_listed_once_with_the_pages_it_broke(
    serve: Callable[..., Server], project: Path
) -> None:
    server = serve()
    base = project / "templates" / "base.html"
    base.write_text(base.read_text().replace("<footer>", "<footer>{% if %}"), encoding="utf-8")
    wait_until(lambda: b"site-builder-errors" in get(server.url, "/repo/")[2], what="overlay")
    overlay = overlay_of(get(server.url, "/repo/")[2])
    assert overlay.count("templates/base.html:") == 1, overlay
    assert "The build failed: 1 error(s)" in overlay
    assert re.search(r"\(broke [5-9] pages\)", overlay), overlay  # every page uses base.html
    assert "Under this box is the last good build" in overlay
    # The terminal says it once too.
    wait_until(lambda: "build failed" in server.err(), what="the terminal")
    assert server.err().count("templates/base.html:") == 1, server.err()


def test_broken_front_matter_has_no_knock_on_nav_error(
    serve: Callable[..., Server], project: Path
) -> None:
    config = project / "site.yaml"
    config.write_text(config.read_text() + "nav:\n  - index.md\n  - about.md\n", "utf-8")
    server = serve()
    about = project / "content" / "about.md"
    about.write_text(about.read_text().replace("title: About", "title: [About"), "utf-8")
    wait_until(lambda: b"site-builder-errors" in get(server.url, "/repo/")[2], what="overlay")
    overlay = overlay_of(get(server.url, "/repo/")[2])
    assert "content/about.md:" in overlay
    assert "site.yaml" not in overlay and "nav:" not in overlay, overlay


def test_no_good_build_is_not_called_the_last_good_one(
    serve: Callable[..., Server], project: Path
) -> None:
    about = project / "content" / "about.md"
    about.write_text(about.read_text().replace("order: 1", "draft: yes"), encoding="utf-8")
    server = serve()
    status, _, body = get(server.url, "/repo/about/")
    assert status == 503
    assert "Nothing has been built successfully yet" in overlay_of(body)
    assert "last good build" not in body.decode()
    assert "last good build" not in server.err()


# -- where the preview writes ----------------------------------------------------------


def test_serve_leaves_the_deployed_output_alone(project: Path) -> None:
    """`serve` builds drafts and local URLs into its own folder; only `build` writes
    output/, the folder that gets deployed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    build = [sys.executable, "-m", "site_builder", "build", "--source", str(project)]
    subprocess.run(build, cwd=ROOT, env=env, check=True, capture_output=True)
    output = project / "output"
    before = {p: p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}

    server = start(project)
    assert get(server.url, "/repo/draft/")[0] == 200  # the preview shows the draft
    write_page(project, "later.md", "Later", "Saved while previewing.", draft="true")
    wait_until(lambda: get(server.url, "/repo/later/")[0] == 200, what="the new draft")
    assert server.stop() == 0

    after = {p: p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}
    assert after == before
    assert not (output / "draft").exists() and not (output / "later").exists()
    for path, data in after.items():
        assert b"127.0.0.1" not in data and b"localhost" not in data, path
    assert (project / PREVIEW_DIR / "draft" / "index.html").is_file()


# -- memory ----------------------------------------------------------------------------


def _rss_kib(pid: int) -> int:
    """The resident memory of `pid` and of its build process, where the builds run."""
    total = 0
    for process in {pid} | _descendants(pid):
        try:
            status = Path(f"/proc/{process}/status").read_text()
        except OSError:
            continue  # a build's worker, ended meanwhile
        total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
    return total


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads RSS from /proc")
def test_500_saves_keep_memory_flat(serve: Callable[..., Server], project: Path) -> None:
    """Before the fix the server grew ~8 kB per save on this fixture (~4 MB over 500),
    never levelling off (session.py's tidy, memory.py). After 100 saves to warm up
    (caches, arenas and the cycle collector's generations settle), 400 more may add
    at most 1.5 MB: under 4 kB a save, half the old rate, with room for the garbage
    of the up to 20 builds between two collections when saves never pause."""
    server = serve("-q")
    about = project / "content" / "about.md"
    text = about.read_text(encoding="utf-8")
    warm = 0
    for number in range(500):
        about.write_text(text + f"\nSave {number}.\n" + "word " * (number % 40), "utf-8")
        marker = f"Save {number}.".encode()
        wait_until(lambda m=marker: m in get(server.url, "/repo/about/")[2], what=f"save {number}")
        if number == 99:
            warm = _rss_kib(server.process.pid)
    grown = _rss_kib(server.process.pid) - warm
    assert grown < 1536, f"RSS grew {grown} KiB over 400 saves"


def test_the_error_goes_in_the_same_step_as_the_fixed_page_comes(
    serve: Callable[..., Server], project: Path
) -> None:
    """While a reader keeps asking for a page, errors come and go: every answer from
    one build (its generation) is the same page with the same error or none, never
    the fixed page under the old error or a new error over the page from before it."""
    server = serve()
    about = project / "content" / "about.md"
    good = about.read_text(encoding="utf-8")
    about.write_text(good.replace("title: About", "title: [About"), encoding="utf-8")
    wait_until(lambda: b"site-builder-errors" in get(server.url, "/repo/about/")[2], what="error")
    answers: list[bytes] = []
    reading = threading.Event()
    reading.set()

    def read() -> None:
        while reading.is_set():
            answers.append(get(server.url, "/repo/about/")[2])

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for number in range(5):  # several fixes and breaks, each seen by the reader
            about.write_text(good.replace("says hello", f"says hello {number}"), "utf-8")
            fixed = f"says hello {number}".encode()
            wait_until(lambda f=fixed: f in answers[-1] if answers else False, what="fix")
            about.write_text(good.replace("title: About", "title: [About"), "utf-8")
            wait_until(lambda: b"site-builder-errors" in answers[-1], what="error again")
    finally:
        reading.clear()
        reader.join()
    seen: dict[int, set[tuple[bytes, bool]]] = {}
    for answer in answers:
        generation = int(re.search(rb'"generation": (\d+)', answer).group(1))
        version = re.search(rb"says hello( \d)?", answer).group(0)
        seen.setdefault(generation, set()).add((version, b"site-builder-errors" in answer))
    assert len(seen) >= 10  # five fixes and five errors, at least
    assert {generation: states for generation, states in seen.items() if len(states) > 1} == {}


# -- a template edit: the pages open in tabs first ------------------------------------


def many_pages_site(root: Path) -> Path:
    """A site with enough pages that a template edit renders the shown ones first."""
    pages = {f"content/p{n:02d}.md": page(f"Page {n}") for n in range(AHEAD_OF_AT_LEAST + 10)}
    return make_site(root / "site", pages)


async def _updates_after(
    server: Server, shown: str, change: Callable[[], object], count: int
) -> list[dict]:
    """Connect as a tab showing `shown`, make `change()`, and return the next `count`
    updates the tab is sent (each with the shown page as a GET right after it got it)."""
    port = server.port
    request = HTTPRequest(
        f"ws://127.0.0.1:{port}/livereload", headers={"Origin": f"http://127.0.0.1:{port}"}
    )
    connection = await asyncio.wait_for(websocket_connect(request), 10)
    try:
        hello = {"command": "hello", "protocols": ["http://livereload.com/protocols/official-7"]}
        await connection.write_message(json.dumps(hello))
        await asyncio.wait_for(connection.read_message(), 10)
        # An out-of-date generation: the answer (a reload for everyone) tells us the server
        # has read the message, and so knows which page this tab shows.
        plugins = {"site-builder": {"generation": -1, "page": shown, "version": "2"}}
        await connection.write_message(json.dumps({"command": "info", "plugins": plugins}))
        await asyncio.wait_for(connection.read_message(), 10)
        change()
        updates = []
        while len(updates) < count:
            message = json.loads(await asyncio.wait_for(connection.read_message(), 60))
            update = json.loads(message["originalPath"])
            pages = {}
            for path in update["pages"][:1] + [shown]:
                pages[path] = (await asyncio.to_thread(get, server.url, path))[2].decode()
            updates.append({**update, "bodies": pages})
        return updates
    finally:
        connection.close()


@pytest.mark.parametrize("jobs", ["0", "1"], ids=["build-process", "in-process"])
def test_a_template_edit_sends_the_shown_page_before_the_rest(tmp_path: Path, jobs: str) -> None:
    project = many_pages_site(tmp_path)
    server = start(project, "-v", "--jobs", jobs)
    try:
        base = project / "templates" / "base.html"
        edited = BASE_HTML.replace("<main>", "<p>Edited layout</p><main>")

        def edit() -> None:
            base.write_text(edited, encoding="utf-8")

        with ThreadPoolExecutor(max_workers=1) as pool:
            first, rest = pool.submit(
                asyncio.run, _updates_after(server, "/repo/p07/", edit, 2)
            ).result()

        assert first["pages"] == ["/repo/p07/"]
        assert "Edited layout" in first["bodies"]["/repo/p07/"]
        assert "/repo/p07/" not in rest["pages"]  # the tab has it already
        assert "/repo/p30/" in rest["pages"] and rest["generation"] == first["generation"] + 1
        assert "ahead of the rest" in server.err()
        # A page requested before the rest is in place waits for it: never the old layout.
        for number in range(AHEAD_OF_AT_LEAST + 10):
            assert "Edited layout" in get(server.url, f"/repo/p{number:02d}/")[2].decode()
    finally:
        server.stop()


def test_the_page_being_edited_goes_ahead_too_and_the_tabs_go_there(tmp_path: Path) -> None:
    """A title in every page's navigation: the whole site is rendered again. The page
    saved goes first with the shown one, and the first update takes the tabs to it."""
    project = many_pages_site(tmp_path)
    with (project / "site.yaml").open("a", encoding="utf-8") as config:
        config.write("nav:\n  - index.md\n  - p30.md\n")
    server = start(project)
    try:
        edited = project / "content" / "p30.md"

        def save() -> None:
            edited.write_text(page("Page thirty"), encoding="utf-8")

        with ThreadPoolExecutor(max_workers=1) as pool:
            first, rest = pool.submit(
                asyncio.run, _updates_after(server, "/repo/p07/", save, 2)
            ).result()

        assert first["edited"] == "/repo/p30/"
        assert first["pages"] == ["/repo/p07/", "/repo/p30/"]
        assert "Page thirty" in get(server.url, "/repo/p30/")[2].decode()
        assert "/repo/p30/" not in rest["pages"] and "/repo/p31/" in rest["pages"]
    finally:
        server.stop()


def test_while_an_error_shows_a_template_edit_sends_every_page_at_once(tmp_path: Path) -> None:
    """A fix must not show a page from under the error before the whole build ends."""
    project = many_pages_site(tmp_path)
    server = start(project)
    try:
        base = project / "templates" / "base.html"
        base.write_text(BASE_HTML.replace("<main>", "{% if %}<main>"), encoding="utf-8")
        wait_until(lambda: b"site-builder-errors" in get(server.url, "/repo/p07/")[2])

        def fix() -> None:
            base.write_text(BASE_HTML.replace("<main>", "<p>Fixed</p><main>"), encoding="utf-8")

        with ThreadPoolExecutor(max_workers=1) as pool:
            (update,) = pool.submit(
                asyncio.run, _updates_after(server, "/repo/p07/", fix, 1)
            ).result()

        assert update["everyone"] and "/repo/p30/" in update["pages"]
        assert "/repo/p07/" in update["pages"]
        fixed = update["bodies"]["/repo/p07/"]
        assert "Fixed" in fixed and "site-builder-errors" not in fixed
    finally:
        server.stop()


# -- the search index refresh gives way to the next save --------------------------------


@pytest.fixture
def searchable(tmp_path: Path) -> tuple[Path, SlowPagefind, Path]:
    """The serve fixture with search on, a slow Pagefind, and the folder to put first on
    the server's PYTHONPATH for it."""
    project = copy_fixture(tmp_path)
    config = project / "site.yaml"
    config.write_text(config.read_text().replace("search: false", "search: true"), "utf-8")
    slow = slow_pagefind(tmp_path)
    return project, slow, slow.package(tmp_path / "shim")


def save_and_wait_for_pagefind(project: Path, slow: SlowPagefind) -> int:
    """Make the next search index refresh slow, save a page, and wait until the refresh
    after its build runs: the stand-in Pagefind's process id."""
    slow.marker.touch()
    write_page(project, "about.md", "About", "First save.", date="2025-07-21", order="1")
    wait_until(lambda: slow.sleeping_pid() is not None, 30, "Pagefind")
    pid = slow.sleeping_pid()
    assert pid is not None
    return pid


@pytest.mark.parametrize("jobs", ["0", "1"], ids=["build-process", "in-process"])
def test_a_save_during_the_search_index_refresh_is_built_at_once(
    searchable: tuple[Path, SlowPagefind, Path], jobs: str
) -> None:
    """Pagefind takes seconds on a large site; the refresh after a build must not make the
    next save wait for it: it is ended, and done again after the next build."""
    project, slow, shim = searchable
    server = start(project, "--jobs", jobs, python_path=(shim,))
    try:
        index = project / PREVIEW_DIR / "pagefind" / "pagefind-entry.json"
        wait_until(index.exists, 30, "the first index")  # made once serving
        first_index = index.read_bytes()
        pagefind = save_and_wait_for_pagefind(project, slow)
        slow.marker.unlink()  # the next refresh runs the real Pagefind

        write_page(project, "about.md", "About", "Second save.", date="2025-07-21", order="1")

        # Built and served well before the stand-in Pagefind (60 s) would have ended.
        wait_until(lambda: b"Second save." in get(server.url, "/repo/about/")[2], 20, "the save")
        wait_until(lambda: not _alive(pagefind), 10, "Pagefind to be ended")
        wait_until(lambda: index.read_bytes() != first_index, 30, "the index to catch up")
    finally:
        server.stop()


def test_ctrl_c_during_the_search_index_refresh_stops_at_once(
    searchable: tuple[Path, SlowPagefind, Path],
) -> None:
    project, slow, shim = searchable
    server = start(project, python_path=(shim,))
    pagefind = save_and_wait_for_pagefind(project, slow)
    assert server.stop() == 0, server.err()  # not killed after waiting for Pagefind
    assert not _alive(pagefind)


def test_the_preview_serves_before_its_search_index_is_made(
    searchable: tuple[Path, SlowPagefind, Path],
) -> None:
    """Pagefind takes seconds on a large site: the first build leaves the index out, the
    server serves, and the index is made on the rebuild thread, giving way to saves."""
    project, slow, shim = searchable
    slow.marker.touch()  # Pagefind takes a minute from the start
    server = start(project, python_path=(shim,))  # within START_TIMEOUT, 20 s
    try:
        assert b"About" in get(server.url, "/repo/about/")[2]
        wait_until(lambda: slow.sleeping_pid() is not None, 30, "the index to be started")
        pagefind = slow.sleeping_pid()
        assert pagefind is not None
        slow.marker.unlink()

        write_page(project, "about.md", "About", "Saved.", date="2025-07-21", order="1")

        wait_until(lambda: b"Saved." in get(server.url, "/repo/about/")[2], 20, "the save")
        wait_until(lambda: not _alive(pagefind), 10, "Pagefind to be ended")
        index = project / PREVIEW_DIR / "pagefind" / "pagefind-entry.json"
        wait_until(index.exists, 30, "the index, made after the save's build")
        assert get(server.url, "/repo/pagefind/pagefind-entry.json")[0] == 200
    finally:
        server.stop()
