"""The output stage: staged writes swapped in without the folder ever going missing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from site_builder.pipeline import output
from site_builder.pipeline.output import MARKER, StagingFolder, recover
from tests.sitefactory import PROJECT_ROOT, cli_env, make_site


def commit_many(folder: Path, times: int) -> list[str]:
    """Swap in `times` new sites while a reader keeps opening index.html."""
    misses: list[str] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                (folder / "index.html").read_bytes()
            except FileNotFoundError:
                misses.append("missing")

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for number in range(times):
            staging = StagingFolder(folder)
            staging.write("index.html", f"site {number}")
            staging.write("a/b/index.html", "deep")
            staging.commit()
    finally:
        done.set()
        reader.join()
    return misses


def test_the_output_folder_never_goes_missing(tmp_path: Path) -> None:
    folder = tmp_path / "output"
    commit_many(folder, 1)  # the first build creates the folder
    assert commit_many(folder, 300) == []
    assert (folder / "index.html").read_text() == "site 299"
    assert not (folder / MARKER).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_without_an_atomic_exchange_two_renames_still_leave_a_whole_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "exchange", lambda first, second: False)
    folder = tmp_path / "output"
    commit_many(folder, 20)
    assert (folder / "index.html").read_text() == "site 19"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def test_folders_are_swapped_in_one_step_where_the_system_can(tmp_path: Path) -> None:
    """Linux (renameat2) and macOS (renamex_np) swap two folders atomically; Windows
    cannot, and the two renames above stand in."""
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        (folder / "name").write_text(folder.name)
    swapped = output.exchange(first, second)
    assert swapped == (sys.platform in ("linux", "darwin"))
    if swapped:
        assert (first / "name").read_text() == "second"
        assert (second / "name").read_text() == "first"


def test_recover_puts_back_a_site_left_between_two_renames(tmp_path: Path) -> None:
    folder = tmp_path / "output"
    old = tmp_path / ".output.old-123"
    old.mkdir()
    (old / "index.html").write_text("old site")
    (old / MARKER).touch()
    stale = tmp_path / ".output.tmp-456"
    stale.mkdir()
    (stale / MARKER).touch()
    recover(folder)
    assert (folder / "index.html").read_text() == "old site"
    assert not (folder / MARKER).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output"]


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_recover_removes_an_empty_staging_folder_its_killed_build_never_marked(
    tmp_path: Path,
) -> None:
    # A kill between mkdir and marking the folder leaves it empty and unmarked.
    folder = tmp_path / "output"
    abandoned = tmp_path / f".output.tmp-{dead_pid()}"
    abandoned.mkdir()
    recover(folder)
    assert not abandoned.exists()


def test_recover_leaves_unmarked_folders_that_are_not_empty_or_still_in_use(
    tmp_path: Path,
) -> None:
    holding_files = tmp_path / f".output.tmp-{dead_pid()}"
    holding_files.mkdir()
    (holding_files / "notes.txt").write_text("not ours to delete")
    in_use = tmp_path / f".output.tmp-{os.getpid()}"  # a build still running
    in_use.mkdir()
    recover(tmp_path / "output")
    assert (holding_files / "notes.txt").exists()
    assert in_use.is_dir()


HOLD_LOCK = """
import sys
from pathlib import Path
from site_builder.pipeline.output import output_lock
with output_lock(Path(sys.argv[1]), print):
    print("locked", flush=True)
    sys.stdin.readline()  # until the test says so
"""


def test_a_build_waits_while_another_writes_into_the_same_output(tmp_path: Path) -> None:
    project = make_site(tmp_path / "site")
    output = tmp_path / "out"
    log = tmp_path / "build.err"
    waiting = f"waiting for another build writing into {tmp_path} to finish"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(output)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT, env=cli_env(),
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
        with log.open("w") as err:
            build = subprocess.Popen(
                [sys.executable, "-m", "site_builder", "build", "--no-cache",
                 "--source", str(project), "--output", str(output)],
                cwd=PROJECT_ROOT, env=cli_env(), stderr=err, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while waiting not in log.read_text() and time.monotonic() < deadline:
            assert build.poll() is None, log.read_text()  # it must wait, not fail or finish
            time.sleep(0.05)
        assert waiting in log.read_text()
        time.sleep(0.5)
        assert build.poll() is None and not output.exists()  # still waiting its turn
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        build.wait(timeout=60)
    finally:
        holder.kill()
        holder.wait()
    stderr = log.read_text()
    assert build.returncode == 0, stderr
    assert (output / "index.html").is_file()
    assert "Traceback" not in stderr
