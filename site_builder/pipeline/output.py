"""Writing the site atomically: build in a temporary folder, then swap it in.

The new site is written to `.NAME.tmp-PID` beside the output folder. Only when
every file is written does it trade places with the old folder, in one atomic
step (renameat2 RENAME_EXCHANGE), so a failed or killed build leaves the
previous output as it was and the output folder never goes missing. Where the
system cannot exchange, two renames are used; a build killed between them
leaves the old site as `.NAME.old-PID`, and the next build puts it back before
it starts. Only folders carrying our marker file are ever deleted.

An incremental build stages the same way, but takes each unchanged file from
the current output as a hard link (a copy where links are not possible) instead
of writing it again. The preview server's rebuilds instead update the live
folder in place, one file at a time: each file is written beside its target and
renamed over it, so a request gets either the old page or the new one, whole.

Two builds never write into one output folder at once (a `make build` while
`make serve` runs, say): each holds a lock on the folder's parent while it writes
(`output_lock`), and one that finds it taken waits its turn.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import functools
import os
import posixpath
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from site_builder.content.urls import inside

MARKER = ".site-builder-partial"


class UnsafeOutput(Exception):
    pass


@contextlib.contextmanager
def output_lock(output: Path, waiting: Callable[[str], None]) -> Iterator[None]:
    """Hold the lock on `output` for as long as the block runs.

    The lock is an flock on the output's parent folder: the output folder itself is
    swapped for a new one by every build, and a lock file beside it would be one
    more file to leave behind. (So builds into sibling folders take turns too.)
    The lock goes with the process: a killed build never leaves it held."""
    output.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(output.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting(f"waiting for another build writing into {output.parent} to finish")
            fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the lock


def folder_identity(folder: Path) -> tuple[int, int] | None:
    """What tells this folder from one swapped in for it since (None: there is none)."""
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def check_output_folder(output: Path, project: Path) -> None:
    """Refuse output folders whose replacement would delete the writer's files."""
    out = output.resolve()
    proj = project.resolve()
    if out == proj or proj.is_relative_to(out):
        raise UnsafeOutput(f"output folder {output} contains the project; choose e.g. output/")
    for name in ("content", "templates", "static", "data", ".git"):
        if out == proj / name or out.is_relative_to(proj / name):
            raise UnsafeOutput(f"output folder {output} is inside {name}/; choose e.g. output/")
    if out.exists() and not out.is_dir():
        raise UnsafeOutput(f"output {output} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not _looks_built(out):
        raise UnsafeOutput(
            f"output folder {output} holds files that site_builder did not write; "
            "empty it or choose another folder"
        )


def _looks_built(folder: Path) -> bool:
    return (
        (folder / "index.html").exists()
        or (folder / ".nojekyll").exists()
        or (folder / "404.html").exists()
    )


def recover(output: Path) -> None:
    """Undo what a killed build left behind."""
    parent = output.parent
    if not parent.is_dir():
        return
    for leftover in sorted(parent.glob(f".{output.name}.*-*")):
        if not (leftover / MARKER).exists():
            _remove_if_abandoned_and_empty(leftover)
            continue
        if leftover.name.startswith(f".{output.name}.old-") and not output.exists():
            (leftover / MARKER).unlink()
            leftover.rename(output)
        else:
            remove_marked(leftover)


def _remove_if_abandoned_and_empty(folder: Path) -> None:
    """A build killed between making its staging folder and marking it leaves the
    folder empty and unmarked. Empty, it holds nothing to lose; its build is gone
    when no process has the id in its name."""
    pid = folder.name.rpartition("-")[2]
    if not pid.isdigit() or _process_alive(int(pid)):
        return
    try:
        folder.rmdir()  # only succeeds on an empty folder
    except OSError:
        pass


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_marked(folder: Path) -> None:
    """Delete a folder of ours, its marker file last: a build killed half way through
    leaves it marked, so the next one still knows it may finish the job."""
    for entry in os.scandir(folder):
        if entry.name == MARKER:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    (folder / MARKER).unlink(missing_ok=True)
    folder.rmdir()


class StagingFolder:
    """A temporary folder beside `output` that becomes `output` on commit()."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.path = output.parent / f".{output.name}.tmp-{os.getpid()}"
        output.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            shutil.rmtree(self.path)
        self.path.mkdir()
        (self.path / MARKER).touch()
        self._folders: set[str] = {""}  # made so far (each file need not ask again)

    def target(self, relative: str) -> str:
        """Where `relative` goes in the staging folder, its folder made.

        The folder is new and holds only what we put there (no symlinks), so a lexical
        check keeps every path inside it; resolving each one cost more than the write."""
        check_relative(relative)
        folder = posixpath.dirname(relative)
        if folder not in self._folders:
            os.makedirs(os.path.join(self.path, folder), exist_ok=True)
            self._folders.add(folder)
        return os.path.join(self.path, relative)

    def write(self, relative: str, data: bytes | str) -> str:
        target = self.target(relative)
        with open(target, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
        return target

    def reuse(self, relative: str) -> None:
        """Take `relative` from the current output unchanged (a hard link: no bytes copied)."""
        # The output folder is checked (check_output_folder) and was written by us.
        target = self.target(relative)
        source = os.path.join(self.output, relative)
        try:
            os.link(source, target)
        except OSError:  # a file system without hard links
            shutil.copy2(source, target)

    def commit(self) -> None:
        if self.output.exists():
            # Mark the old site as ours to delete, then trade places with it in one
            # step: the output folder never stops existing, and a kill at any point
            # leaves a whole site there (at worst holding a stray marker file).
            (self.output / MARKER).touch()
            if exchange(self.path, self.output):
                (self.output / MARKER).unlink()
                remove_marked(self.path)
                return
            old = self.output.parent / f".{self.output.name}.old-{os.getpid()}"
            self.output.rename(old)  # no atomic exchange here: recover() undoes a kill
            (self.path / MARKER).unlink()
            self.path.rename(self.output)
            remove_marked(old)
            return
        (self.path / MARKER).unlink()
        self.path.rename(self.output)

    def discard(self) -> None:
        if self.path.exists():
            remove_marked(self.path)


def replace_folder(target: Path, new: Path) -> None:
    """Put folder `new` in place of `target` (a folder inside the live output) in one
    step where the system can, so a reader gets the old folder's files or the new
    one's, never a mix; then delete the old one."""
    if target.exists() and exchange(new, target):
        shutil.rmtree(new)  # the old folder, now under the new one's name
        return
    if target.exists():
        shutil.rmtree(target)
    new.rename(target)


def exchange(first: Path, second: Path) -> bool:
    """Swap two folders atomically (Linux renameat2 with RENAME_EXCHANGE).

    False where the system or file system cannot, so the caller falls back to
    two renames."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is None:
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0:
        return True
    error = ctypes.get_errno()
    if error in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(error, os.strerror(error), str(second))


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def check_relative(relative: str) -> None:
    """Refuse an output path that could leave the output folder (lexically)."""
    if (
        relative.startswith("/")
        or "\\" in relative
        or ".." in relative.split("/")
        or not relative.strip("/")
    ):
        raise ValueError(f"output path {relative!r} leaves the output folder")


@dataclass(frozen=True)
class FileStamp:
    """What says that a file is still the one we wrote: its size, time and inode."""

    size: int
    mtime_ns: int
    inode: int

    @staticmethod
    def of(path: Path | str) -> FileStamp:
        st = os.stat(path)
        return FileStamp(st.st_size, st.st_mtime_ns, st.st_ino)


def scan_folder(folder: Path) -> dict[str, FileStamp]:
    """Every file under `folder` (relative POSIX path -> stamp), in one walk."""
    found: dict[str, FileStamp] = {}
    if not folder.is_dir():
        return found
    stack = [("", str(folder))]
    while stack:
        prefix, path = stack.pop()
        with os.scandir(path) as entries:
            for entry in entries:
                name = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    stack.append((name + "/", entry.path))
                elif entry.is_file(follow_symlinks=False):
                    st = entry.stat(follow_symlinks=False)
                    found[name] = FileStamp(st.st_size, st.st_mtime_ns, st.st_ino)
    return found


def write_in_place(output: Path, relative: str, data: bytes) -> FileStamp:
    """Replace one file of a live output folder atomically (write beside it, rename)."""
    check_relative(relative)
    target = os.path.join(output, relative)
    folder, name = os.path.split(target)
    os.makedirs(folder, exist_ok=True)
    temporary = os.path.join(folder, f".{name}.tmp-{os.getpid()}")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return FileStamp.of(target)


def remove_in_place(output: Path, relative: str) -> None:
    """Delete one file of a live output folder, and the folders it leaves empty."""
    target = inside(output, relative)
    target.unlink(missing_ok=True)
    root = output.resolve()
    folder = target.parent
    while folder != root and folder.is_relative_to(root):
        try:
            folder.rmdir()
        except OSError:  # not empty (or already gone)
            break
        folder = folder.parent
