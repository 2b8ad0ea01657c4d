"""Issue 18: the build, check and preview where fcntl, os.fork and renameat2 are missing.

Windows has none of the three, macOS no renameat2 (and forking there is unsafe). The
tests marked `hiding` run the real CLI on Linux in a process that lacks them, hidden by
tests/support/hide/sitecustomize.py before site_builder is imported, and compare what
it makes with what the same command makes with everything there. The last test runs
everywhere: files with Windows or old Mac line endings build what LF files build.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sitefactory import PROJECT_ROOT, cli_env, make_site, page, snapshot, write

HIDE = Path(__file__).parent / "support" / "hide"
EVERYTHING = "fcntl,fork,renameat2"
# Enough pages that a build spreads over two spawned workers (parallel.MIN_ITEMS_PER_SPAWN).
PAGES = 420
EPOCH = "1753574400"

# The tests that hide Linux's own features to act like other systems.
hiding = pytest.mark.skipif(sys.platform != "linux", reason="hides Linux features")


def env(hide: str = "", **extra: str) -> dict[str, str]:
    found = cli_env()
    if hide:
        found["PYTHONPATH"] = os.pathsep.join([str(HIDE), found["PYTHONPATH"]])
        found["SITE_BUILDER_HIDE"] = hide
    found["SOURCE_DATE_EPOCH"] = EPOCH
    return {**found, **extra}


def cli(*args: str | Path, hide: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "site_builder", *map(str, args)],
        cwd=PROJECT_ROOT,
        env=env(hide, **extra),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def build(project: Path, output: Path, *args: str, hide: str = "", **extra: str) -> str:
    result = cli("build", "--source", project, "--output", output, *args, hide=hide, **extra)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr, result.stderr
    return result.stdout


def leftovers(output: Path) -> list[str]:
    return sorted(p.name for p in output.parent.iterdir() if p.name.startswith(f".{output.name}."))


def big_site(root: Path) -> Path:
    """Pages linking each other, with footnotes and tables; a few saved with Windows
    (CRLF) or old Mac (CR) line endings."""
    files: dict[str, str | bytes] = {}
    for n in range(PAGES):
        text = page(
            f"Page {n}",
            f"## Part {n}\n\nSee [the next one](p{(n * 7 + 3) % PAGES:03d}.md), a footnote[^1] "
            f'and "quotes" -- here.\n\n| a | b |\n|---|---|\n| {n} | x |\n\n[^1]: Note {n}.\n',
            order=str(n),
        )
        ending = ("\n", "\r\n", "\r")[n % 3]
        files[f"content/p{n:03d}.md"] = text.replace("\n", ending).encode("utf-8")
    return make_site(root, files)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return big_site(tmp_path_factory.mktemp("portable") / "site")


@pytest.fixture(scope="module")
def reference(site: Path) -> Path:
    """The site built with everything there (forked workers, renameat2, flock)."""
    output = site.parent / "reference"
    build(site, output, "--no-cache")
    return output


@hiding
def test_the_launcher_hides_what_it_says() -> None:
    probe = (
        "import os, sys\n"
        "try:\n    import fcntl\nexcept ImportError:\n    print('no fcntl')\n"
        "print('fork' if hasattr(os, 'fork') else 'no fork')\n"
        "from site_builder.pipeline import output, parallel\n"
        "print('exchange' if output.exchange_call() else 'no exchange')\n"
        "print(parallel.start_method())\n"
    )

    def run(hide: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-c", probe], env=env(hide), capture_output=True, text=True, check=True
        )
        return result.stdout.split()

    assert run("") == ["fork", "exchange", "fork"]
    assert run(EVERYTHING) == ["no", "fcntl", "no", "fork", "no", "exchange", "spawn"]


@hiding
def test_full_build_is_byte_identical(site: Path, reference: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    log = tmp_path / "processes"
    build(
        site,
        output,
        "--no-cache",
        "--jobs",
        "2",
        hide=EVERYTHING,
        SITE_BUILDER_PROCESS_LOG=str(log),
    )
    assert snapshot(output) == snapshot(reference)
    assert leftovers(output) == []  # nor the lock file
    # Its pages were made by spawned workers (multiprocessing), not forked ones.
    spawned = [line for line in log.read_text().splitlines() if "spawn_main" in line]
    assert len(spawned) >= 2, log.read_text()


@hiding
def test_incremental_rebuild_is_byte_identical(site: Path, tmp_path: Path) -> None:
    project = big_site(tmp_path / "site")
    output = tmp_path / "out"
    build(project, output, hide=EVERYTHING)
    before = snapshot(output)
    inodes = {p: (output / p).stat().st_ino for p in before}
    write(project / "content" / "p010.md", page("Page ten, retitled", order="10"))
    build(project, output, hide=EVERYTHING)
    after = snapshot(output)
    assert b"Page ten, retitled" in after["p010/index.html"]
    # A rebuild from the cache: each file whose bytes are the same is the same file
    # (linked from the last output), the changed ones new.
    kept = [p for p in after if (output / p).stat().st_ino == inodes.get(p)]
    assert len(kept) > PAGES - 10
    assert all(after[p] == before[p] for p in kept) and "p010/index.html" not in kept
    build(project, tmp_path / "cold", "--no-cache")  # everything there, from nothing
    assert after == snapshot(tmp_path / "cold")
    assert leftovers(output) == []


@hiding
def test_a_build_killed_between_its_two_renames_is_recovered(site: Path, tmp_path: Path) -> None:
    """Without an atomic exchange the old output is renamed away, then the new one put
    in its place: a kill in between leaves no output folder, and the next build puts the
    old one back before it starts (and breaks the lock the killed build held)."""
    project = make_site(tmp_path / "site", {"content/a.md": page("A")})
    output = tmp_path / "out"
    build(project, output, hide=EVERYTHING)
    old = snapshot(output)
    write(project / "content" / "a.md", page("A, rewritten"))
    killed = cli(
        "build", "--source", project, "--output", output,
        hide=EVERYTHING, SITE_BUILDER_KILL_AFTER_RENAME=".out.old-",
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert not output.exists()
    (kept,) = [name for name in leftovers(output) if name.startswith(".out.old-")]
    assert snapshot(tmp_path / kept) == {".site-builder-partial": b"", **old}
    assert ".out.lock" in leftovers(output)  # the killed build's lock, never released

    # What `check` says of the recovered site is what it says with everything there.
    build(project, output, hide=EVERYTHING)
    assert leftovers(output) == []
    assert b"A, rewritten" in snapshot(output)["a/index.html"]
    build(project, tmp_path / "reference", "--no-cache")
    assert snapshot(output) == snapshot(tmp_path / "reference")


@hiding
def test_a_build_waits_for_another_holding_the_lock_file(tmp_path: Path) -> None:
    project = make_site(tmp_path / "site")
    output = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import filelock, sys\n"
         "with filelock.FileLock(sys.argv[1]):\n"
         "    print('locked', flush=True)\n"
         "    sys.stdin.readline()\n",
         str(tmp_path / ".out.lock")],
        env=env(EVERYTHING), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    log = tmp_path / "build.err"
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with log.open("w") as err:
            waiting = subprocess.Popen(
                [sys.executable, "-m", "site_builder", "build", "--source", str(project),
                 "--output", str(output)],
                cwd=PROJECT_ROOT, env=env(EVERYTHING), stderr=err, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        message = f"waiting for another build writing into {tmp_path} to finish"
        deadline = time.monotonic() + 60
        while message not in log.read_text() and time.monotonic() < deadline:
            assert waiting.poll() is None, log.read_text()
            time.sleep(0.05)
        assert message in log.read_text()
        assert waiting.poll() is None and not output.exists()
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert waiting.wait(timeout=60) == 0, log.read_text()
    finally:
        holder.kill()
        holder.wait()
    assert (output / "index.html").is_file()


@hiding
def test_check_says_the_same(site: Path, reference: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    build(site, output, hide=EVERYTHING)

    def check(folder: Path, hide: str) -> tuple[int, str, str]:
        result = cli("check", "--source", site, "--output", folder, hide=hide)
        assert "Traceback" not in result.stderr
        where = str(folder)
        return (
            result.returncode,
            result.stdout.replace(where, "OUT"),
            result.stderr.replace(where, "OUT"),
        )

    normal = check(reference, "")
    assert check(output, EVERYTHING) == normal
    # and it finds what it should: a page the site links to, gone
    (output / "p003" / "index.html").unlink()
    status, stdout, stderr = check(output, EVERYTHING)
    new = set((stdout + stderr).splitlines()) - set((normal[1] + normal[2]).splitlines())
    assert status == 1 and any("p003/" in line for line in new), new


class Preview:
    def __init__(self, project: Path, hide: str) -> None:
        self.log = project.parent / f"serve-{hide or 'normal'}"
        with open(f"{self.log}.out", "wb") as out, open(f"{self.log}.err", "wb") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "site_builder", "serve", "--source", str(project),
                 "--port", "0"],
                cwd=PROJECT_ROOT, env=env(hide), stdout=out, stderr=err,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while not (found := re.search(r"Serving http://127\.0\.0\.1:(\d+)(/\S*)", self.out())):
            assert self.process.poll() is None and time.monotonic() < deadline, self.err()
            time.sleep(0.05)
        self.port, self.base = int(found.group(1)), found.group(2)

    def out(self) -> str:
        return Path(f"{self.log}.out").read_text(errors="replace")

    def err(self) -> str:
        return Path(f"{self.log}.err").read_text(errors="replace")

    def get(self, path: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", self.base + path)
            response = connection.getresponse()
            return response.status, response.read().replace(str(self.port).encode(), b"PORT")
        finally:
            connection.close()

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=30)


@pytest.fixture
def previews() -> Iterator[list[Preview]]:
    started: list[Preview] = []
    yield started
    for preview in started:
        if preview.process.poll() is None:
            preview.process.kill()
            preview.process.wait()


@hiding
def test_serve_answers_and_stops_on_ctrl_c(tmp_path: Path, previews: list[Preview]) -> None:
    pages = {
        name: make_site(tmp_path / name, {"content/a.md": page("A", "Text with [B](b.md).\n"),
                                          "content/b.md": page("B")})
        for name in ("normal", "hidden")
    }  # fmt: skip
    previews.append(Preview(pages["normal"], ""))
    # and Ctrl-C reaches it without the event loop's signal handlers (Windows has none);
    # it reads its files by path, checking each segment, where os.open has no dir_fd
    previews.append(Preview(pages["hidden"], EVERYTHING + ",signals,openat"))
    normal, hidden = previews
    for path in ("", "a/", "b/"):
        status, body = hidden.get(path)
        assert status == 200 and b"</html>" in body
        assert (status, body) == normal.get(path)
    assert hidden.interrupt() == 0, hidden.err()
    assert "Traceback" not in hidden.err() and "stopped" in hidden.out()
    assert leftovers(pages["hidden"] / ".site-builder-preview") == []  # where serve builds


@hiding
def test_ctrl_c_stops_a_build_with_spawned_workers_cleanly(site: Path, tmp_path: Path) -> None:
    """Ctrl-C reaches the whole process group: the build and its spawned workers."""
    output = tmp_path / "out"
    log = tmp_path / "processes"
    with open(tmp_path / "err", "wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "site_builder", "build", "--no-cache", "--jobs", "2",
             "--source", str(site), "--output", str(output)],
            cwd=PROJECT_ROOT, env=env(EVERYTHING, SITE_BUILDER_PROCESS_LOG=str(log)),
            stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not (log.exists() and "spawn_main" in log.read_text()):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    stderr = (tmp_path / "err").read_text()
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    assert not output.exists() and leftovers(output) == []


def test_line_endings_do_not_change_the_output(tmp_path: Path) -> None:
    """Files saved on Windows (CRLF) or an old Mac (CR) build what LF files build."""
    files = {
        "content/a.md": page("A", "First line,\nsecond line.\n\n- one\n- two\n"),
        "data/people.yaml": "ann:\n  name: Ann\n  role: Writer\n",
        "templates/page.html": '{% extends "base.html" %}\n{% block main %}\n'
        "{{ page.content | safe }}\n<p>{{ data.people.ann.name }}</p>\n{% endblock %}\n",
    }
    outputs = []
    for name, ending in (("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")):
        converted = {path: text.replace("\n", ending).encode() for path, text in files.items()}
        project = make_site(tmp_path / name, converted)
        build(project, tmp_path / f"out-{name}", "--no-cache")
        outputs.append(snapshot(tmp_path / f"out-{name}"))
    assert outputs[0] == outputs[1] == outputs[2]
    assert b"<p>Ann</p>" in outputs[0]["a/index.html"]
