"""Reading the preview's output (site_builder/preview/files.py) with both readers: the
one that opens each segment relative to the folder before it (POSIX), and the one by
path that Windows gets. test_server.py drives the first through the real server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from site_builder.preview import files

READERS = [files._read_by_path]
if files._OPENS_RELATIVE:
    READERS.append(files._read_relative)


@pytest.fixture
def output(tmp_path: Path) -> Path:
    root = tmp_path / "out"
    (root / "about").mkdir(parents=True)
    (root / "index.html").write_text("home", encoding="utf-8")
    (root / "about" / "index.html").write_text("about", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    return root


@pytest.mark.parametrize("read", READERS)
def test_pages_folders_and_slashes(output: Path, read) -> None:
    assert read(output, (), True) == files.Found(b"home", "index.html")
    assert read(output, ("about",), True) == files.Found(b"about", "index.html")
    assert read(output, ("about",), False) == files.ADD_SLASH
    assert read(output, ("about", "index.html"), True) == files.MISSING  # `file/`
    assert read(output, ("nothing",), False) == files.MISSING
    assert read(output.parent / "gone", (), True) == files.NO_OUTPUT


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks here")
@pytest.mark.parametrize("read", READERS)
def test_no_symlink_is_followed(output: Path, read) -> None:
    try:
        (output / "leak.txt").symlink_to(output.parent / "secret.txt")
    except OSError:
        pytest.skip("not allowed to make symlinks")
    (output / "up").symlink_to("..")
    (output / "home.html").symlink_to(output / "index.html")
    for parts in (("leak.txt",), ("up", "secret.txt"), ("home.html",)):
        assert read(output, parts, False) == files.MISSING, parts
