"""The preview's build process (site_builder/preview/build_process.py), driven as a writer
drives it: the real `site-builder serve` as a subprocess, files edited on disk, pages
read over HTTP, processes looked up in /proc.

A template edit re-renders every page; in the build process `serve` forks before its
threads, that happens on more than one core, and the pages it makes are byte for byte
those of a serial rebuild and of a cold `site-builder build`."""

from __future__ import annotations

import os
import re
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_builder.pipeline.build import Builder, BuildOptions
from tests.sitefactory import run_cli, snapshot
from tests.test_server import (
    PREVIEW_DIR,
    Server,
    _alive,
    _descendants,
    copy_fixture,
    get,
    launch,
    start,
    wait_until,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads processes from /proc; forks (Linux)"
)

NOTES = 160  # pages beside the fixture's own: enough for two processes (16 outputs each)
FOOTER = "<footer>"
EDIT_TIMEOUT = 60.0  # a loaded 2-core machine re-rendering every page


def note(number: int) -> str:
    paragraphs = "\n\n".join(
        f"Paragraph {p} of note {number} has *emphasis*, `code` and a [link](/about/)."
        for p in range(12)
    )
    return f"---\ntitle: Note {number}\nsummary: Note number {number}.\n---\n{paragraphs}\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The serve fixture with NOTES more pages."""
    site = copy_fixture(tmp_path)
    notes = site / "content" / "notes"
    notes.mkdir()
    for number in range(NOTES):
        (notes / f"note-{number:03}.md").write_text(note(number), encoding="utf-8")
    return site


@pytest.fixture
def serving(project: Path) -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def page_paths(server: Server) -> list[str]:
    """The URL path of every page the preview built (drafts included)."""
    output = server.project / PREVIEW_DIR
    base = "/repo/"
    return sorted(
        base + path.relative_to(output).as_posix().removesuffix("index.html")
        for path in output.rglob("*.html")
    )


def edit_base_template(project: Path, marker: str) -> None:
    base = project / "templates" / "base.html"
    text = base.read_text(encoding="utf-8")
    base.write_text(text.replace(FOOTER, f"{FOOTER}<p>{marker}</p>", 1), encoding="utf-8")


def every_page_shows(server: Server, paths: list[str], marker: str) -> bool:
    wanted = f"<p>{marker}</p>".encode()
    return all(wanted in get(server.url, path)[2] for path in paths)


def edit_until_every_page_shows(server: Server, paths: list[str], marker: str) -> None:
    """Save `marker` into base.html and wait until every page in `paths` is served with it."""
    edit_base_template(server.project, marker)
    wait_until(
        lambda: every_page_shows(server, paths, marker),
        timeout=EDIT_TIMEOUT,
        what="every page to show the edit",
    )


def build_process_of(server: Server) -> int:
    """The server's one child process: the build process."""
    children = _descendants(server.process.pid)
    assert len(children) == 1, f"expected the build process alone, found {children}"
    return children.pop()


def children_cpu_ticks(pid: int) -> int:
    """CPU time of the child processes `pid` has waited for (cutime + cstime, in ticks):
    it grows only when work was done in other processes and they ended."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[13]) + int(fields[14])  # fields 16 and 17 of proc(5)


def test_a_template_edit_reaches_every_page_rendered_on_more_than_one_core(
    project: Path, serving: list[Server]
) -> None:
    server = start(project, "-v", "--jobs", "2")
    serving.append(server)
    builds = build_process_of(server)
    assert f"builds run in process {builds}" in server.err()
    paths = page_paths(server)
    assert len(paths) > NOTES
    before = children_cpu_ticks(builds)
    served_by_server = children_cpu_ticks(server.process.pid)
    edit_until_every_page_shows(server, paths, "Edited once")
    log = server.err()
    rebuild = log[log.index("rebuilding (templates/base.html)") :]
    rendered = re.search(r"rendering (\d+) outputs in (\d+) process\(es\)", rebuild)
    assert rendered is not None, rebuild
    assert int(rendered.group(1)) >= len(paths) and rendered.group(2) == "2"
    # The worker that rendered half the pages was a process of its own, forked by the
    # build process and waited for: its CPU time is now counted there, not in the server.
    assert children_cpu_ticks(builds) > before
    assert children_cpu_ticks(server.process.pid) == served_by_server
    assert build_process_of(server) == builds  # the same process serves every build


def test_the_preview_is_byte_identical_to_a_serial_rebuild_and_a_cold_build(
    project: Path, serving: list[Server], tmp_path: Path
) -> None:
    server = start(project, "--jobs", "2")
    serving.append(server)
    base_url = server.url  # the preview builds for its own address
    # A serial rebuild: the same first build and template edit, in one process.
    serial = Builder(
        BuildOptions(project, tmp_path / "serial", base_url=base_url, drafts=True, jobs=1)
    )
    serial.build()
    paths = page_paths(server)
    edit_until_every_page_shows(server, paths, "Edited twice")
    result = serial.rebuild([project / "templates" / "base.html"])
    assert len(result.rendered) > NOTES
    assert server.stop() == 0
    cold = run_cli(
        "build", "-q", "--source", project, "--output", tmp_path / "cold",
        "--base-url", base_url, "--drafts", "--no-cache",
    )  # fmt: skip
    assert cold.returncode == 0, cold.stderr
    preview = snapshot(project / PREVIEW_DIR)
    assert sum(b"<p>Edited twice</p>" in data for data in preview.values()) >= len(paths)
    assert preview == snapshot(tmp_path / "serial")
    assert preview == snapshot(tmp_path / "cold")


def test_ctrl_c_during_a_parallel_rebuild_leaves_no_process_behind(
    project: Path, serving: list[Server]
) -> None:
    """Ctrl-C in a terminal signals the whole process group: the server, the build
    process and the workers it forked for the rebuild."""
    server = start(project, "-v", "--jobs", "2", own_process_group=True)
    serving.append(server)
    helpers = _descendants(server.process.pid)
    assert helpers, "no build process"
    edit_base_template(project, "Edited before Ctrl-C")
    wait_until(lambda: "rebuilding (templates/base.html)" in server.err(), what="the rebuild")
    helpers |= _descendants(server.process.pid)  # the workers, if they have started
    os.killpg(server.process.pid, signal.SIGINT)
    assert server.process.wait(timeout=EDIT_TIMEOUT) == 0, server.err()
    assert "stopped" in server.out() and "Traceback" not in server.err()
    wait_until(lambda: not [pid for pid in helpers if _alive(pid)], what="helpers to end")
    # The running rebuild was let finish: every page has the edit, nothing half-written.
    output = project / PREVIEW_DIR
    pages = list(output.rglob("*.html"))
    assert len(pages) > NOTES
    assert [page for page in pages if b"Edited before Ctrl-C" not in page.read_bytes()] == []
    assert [p for p in output.rglob("*") if "tmp" in p.name] == []


def test_the_build_process_ends_when_the_server_is_killed(
    project: Path, serving: list[Server]
) -> None:
    server = start(project, "--jobs", "2")
    serving.append(server)
    builds = build_process_of(server)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    wait_until(lambda: not _alive(builds), what="the build process to notice and end")


def test_one_job_builds_in_the_server_itself(project: Path, serving: list[Server]) -> None:
    server = start(project, "-v", "--jobs", "1")
    serving.append(server)
    assert _descendants(server.process.pid) == set()
    assert "builds run in process" not in server.err()
    paths = page_paths(server)
    edit_until_every_page_shows(server, paths, "Edited serially")
    assert "in 1 process(es)" in server.err()


def test_ctrl_c_during_the_first_build_stops_it_and_leaves_nothing(
    project: Path, serving: list[Server]
) -> None:
    server = launch(project, "-v", "--jobs", "2", own_process_group=True)
    serving.append(server)
    wait_until(lambda: "rendering" in server.err(), timeout=EDIT_TIMEOUT, what="the first build")
    helpers = _descendants(server.process.pid)
    assert helpers, "no build process"
    os.killpg(server.process.pid, signal.SIGINT)
    assert server.process.wait(timeout=EDIT_TIMEOUT) == 0, server.err()
    assert "stopped" in server.out() and "Traceback" not in server.err()
    wait_until(lambda: not [pid for pid in helpers if _alive(pid)], what="helpers to end")
    # No staging folder left beside the preview's output, whether the build was stopped
    # or had just finished.
    assert [p.name for p in project.iterdir() if p.name.startswith(".") and "tmp" in p.name] == []


def test_a_build_process_that_dies_is_replaced_by_builds_in_the_server(
    project: Path, serving: list[Server]
) -> None:
    server = start(project, "--jobs", "2")
    serving.append(server)
    os.kill(build_process_of(server), signal.SIGKILL)
    about = project / "content" / "about.md"
    about.write_text(about.read_text(encoding="utf-8") + "\nAfter the loss.\n", "utf-8")
    wait_until(
        lambda: b"After the loss." in get(server.url, "/repo/about/")[2],
        timeout=EDIT_TIMEOUT,
        what="the page to be built in the server",
    )
    assert "the build process ended (killed by signal 9)" in server.err()
    assert "building in this process from now on" in server.err()
    assert _descendants(server.process.pid) == set()
    edit_until_every_page_shows(server, page_paths(server), "Edited after the loss")
