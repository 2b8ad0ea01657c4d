"""The build cache: a warm build redoes only what changed, and a bad cache is never used.

Each `Builder` here is a new one, as each `site-builder build` is a new process: all
it knows of the last build is what it reads from .site-builder-cache/.
"""

from __future__ import annotations

import os
import pickle
import shutil
import zlib
from pathlib import Path

import pytest

from site_builder.incremental import store as cache
from site_builder.incremental.records import PageInput
from site_builder.pipeline.build import Builder, BuildOptions
from tests.sitefactory import run_cli, snapshot

FIXTURE = Path(__file__).parent / "fixtures" / "incremental"
EVERYTHING = [
    ".nojekyll",
    "404.html",
    "a/index.html",
    "b/index.html",
    "c/index.html",
    "feed.xml",
    "index.html",
    "people/index.html",
    "robots.txt",
    "sitemap.xml",
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "site"))


def build(project: Path, output: str = "out", **options: object) -> tuple[list[str], Path]:
    """One build by a new Builder (a new process, as far as it knows)."""
    output = project.parent / output
    result = Builder(BuildOptions(project=project, output=output, **options)).build()
    return result.rendered, output


def cache_files(project: Path) -> list[Path]:
    return sorted((project / cache.CACHE_DIR).glob(f"build-*{cache.SUFFIX}"))


def clean_build(project: Path) -> dict[str, bytes]:
    output = project.parent / "clean"
    shutil.rmtree(output, ignore_errors=True)
    Builder(BuildOptions(project=project, output=output, cache=False)).build()
    return snapshot(output)


def test_warm_build_with_nothing_changed_renders_and_writes_nothing(project: Path) -> None:
    rendered, output = build(project)
    assert rendered == EVERYTHING
    before = {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()}
    result = Builder(BuildOptions(project=project, output=output)).build()
    assert result.rendered == [] and result.written == []
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()} == before


def test_warm_build_after_an_edit_renders_what_depends_on_it(project: Path) -> None:
    _, output = build(project)
    page = project / "content" / "a.md"
    page.write_text(page.read_text().replace("title: Page A", "title: Page A2"))
    rendered, _ = build(project)
    assert rendered == ["a/index.html", "b/index.html", "feed.xml", "index.html"]
    assert snapshot(output) == clean_build(project)


def test_a_warm_build_takes_unchanged_files_from_the_old_output(project: Path) -> None:
    _, output = build(project)
    inode = (output / "c" / "index.html").stat().st_ino
    page = project / "content" / "a.md"
    page.write_text(page.read_text().replace("Text of A.", "Other text of A."))
    result = Builder(BuildOptions(project=project, output=output)).build()
    assert result.rendered == ["a/index.html"] and result.written == ["a/index.html"]
    assert (output / "c" / "index.html").stat().st_ino == inode  # a link, not a copy


def test_a_damaged_cache_is_ignored(project: Path) -> None:
    _, output = build(project)
    [path] = cache_files(project)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF  # one flipped byte in the payload
    path.write_bytes(bytes(data))
    assert cache.load(path, {"any": "key"})[0] is None
    rendered, _ = build(project)
    assert rendered == EVERYTHING
    assert snapshot(output) == clean_build(project)


@pytest.mark.parametrize("size", [0, 10, 200])
def test_a_truncated_cache_is_ignored(project: Path, size: int) -> None:
    build(project)
    [path] = cache_files(project)
    path.write_bytes(path.read_bytes()[:size])
    assert build(project)[0] == EVERYTHING


def test_a_cache_from_another_generator_is_ignored(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(project)
    monkeypatch.setattr(cache, "generator_fingerprint", lambda: "another version")
    assert build(project)[0] == EVERYTHING


def test_a_cache_is_kept_per_output_and_options(project: Path) -> None:
    build(project)
    drafts, _ = build(project, "out-drafts", drafts=True)
    assert drafts == EVERYTHING  # not the cache of the build without drafts
    assert len(cache_files(project)) == 2
    assert build(project)[0] == []
    assert build(project, "out-drafts", drafts=True)[0] == []
    assert build(project, "out-drafts")[0] == EVERYTHING  # that folder was built with drafts


def test_an_output_file_changed_by_hand_is_made_again(project: Path) -> None:
    _, output = build(project)
    (output / "b" / "index.html").write_text("edited by hand")
    (output / "c" / "index.html").unlink()
    (output / "stray.txt").write_text("not ours")
    rendered, _ = build(project)
    assert rendered == ["b/index.html", "c/index.html"]
    assert snapshot(output) == clean_build(project)


def test_a_deleted_output_folder_is_rebuilt_in_full(project: Path) -> None:
    _, output = build(project)
    shutil.rmtree(output)
    assert build(project)[0] == EVERYTHING
    assert snapshot(output) == clean_build(project)


def test_without_the_cache_nothing_is_written_to_the_project(project: Path) -> None:
    build(project, cache=False)
    assert not (project / cache.CACHE_DIR).exists()


def test_an_unwritable_cache_folder_does_not_fail_the_build(project: Path) -> None:
    (project / cache.CACHE_DIR).write_text("a file where the folder should be")
    rendered, output = build(project)
    assert rendered == EVERYTHING and (output / "index.html").exists()


def test_only_a_few_caches_are_kept(project: Path) -> None:
    for n in range(cache.KEEP + 2):
        Builder(BuildOptions(project=project, output=project.parent / f"out{n}")).build()
    assert len(cache_files(project)) == cache.KEEP


def test_a_file_changed_just_after_it_was_read_is_read_again() -> None:
    stat = (100, 5_000_000_000, 5_000_000_000, 42)
    read_long_after = PageInput("d", None, 0, [], stat, read_at=9_000_000_000)
    assert read_long_after.unchanged(stat)
    assert not read_long_after.unchanged((101, *stat[1:]))
    read_right_after = PageInput("d", None, 0, [], stat, read_at=5_000_000_001)
    assert not read_right_after.unchanged(stat)  # a second save may share its timestamps


def test_the_cli_uses_the_cache_between_runs(project: Path, tmp_path: Path) -> None:
    output = tmp_path / "out"
    first = run_cli("build", "-v", "--source", project, "--output", output)
    assert first.returncode == 0, first.stderr
    page = project / "content" / "c.md"
    page.write_text(page.read_text().replace("Text of C.", "More text of C."))
    os.utime(page, ns=(1, 1))  # even with its time set back, its change time gives it away
    second = run_cli("build", "-v", "--source", project, "--output", output)
    assert second.returncode == 0, second.stderr
    assert "building everything" not in second.stderr
    assert snapshot(output) == clean_build(project)


class RunsCode:
    """A pickle that would call print() when unpickled: what a planted cache could hold
    (the cache was a pickle once; now nothing in it is ever unpickled)."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("planted code ran",))


def test_a_cache_naming_other_callables_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, output = build(project)
    [path] = cache_files(project)
    key = {"output": str(output.resolve()), "drafts": False, "base_url": None}
    planted = pickle.dumps(RunsCode())
    assert cache.write_signed(path, key, [planted]) == ""  # signed with this machine's key
    state, why = cache.load(path, key)
    assert state is None
    assert why.startswith("unreadable (DecodeError")
    assert build(project)[0] == EVERYTHING
    assert "planted code ran" not in capsys.readouterr().out


def test_a_cache_not_written_on_this_machine_is_ignored(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A contributor could commit a cache whose Markdown holds HTML no rule checked."""
    _, output = build(project)
    [path] = cache_files(project)
    key = {"output": str(output.resolve()), "drafts": False, "base_url": None}
    state, why = cache.load(path, key)
    assert state is not None, why
    forged = state.markdown["a.md"]
    forged.html = zlib.compress(b"<script>alert(1)</script>")
    forged.html_digest = "forged"
    monkeypatch.setattr(cache, "machine_key", lambda: b"k" * 32)  # someone else's key
    assert cache.save(path, key, state) == ""
    monkeypatch.undo()
    (project / "content" / "a.md").touch()  # make the page worth rendering again
    shutil.rmtree(output)
    build(project)
    assert "<script>" not in (output / "a" / "index.html").read_text()
