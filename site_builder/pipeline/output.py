"""Writing the site atomically: build in a temporary folder, then swap it in.

The new site is written to `.NAME.tmp-PID` beside the output folder. Only when
every file is written does it trade places with the old folder, in one atomic
step where the system has one (Linux: renameat2 with RENAME_EXCHANGE; macOS:
renamex_np with RENAME_SWAP), so a failed or killed build leaves the previous
output as it was and the output folder never goes missing. Where the system or
file system cannot exchange (Windows, or an old kernel), two renames are used:
the old site becomes `.NAME.old-PID`, then the new one becomes the output. A
build killed between them leaves no output folder but the whole old site under
that name, and the next build puts it back before it starts (`recover`). Only
folders carrying our marker file are ever deleted.

An incremental build stages the same way, but takes each unchanged file from
the current output as a hard link (a copy where links are not possible) instead
of writing it again. The preview server's rebuilds instead update the live
folder in place, one file at a time: each file is written beside its target and
renamed over it, so a request gets either the old page or the new one, whole.

Two builds never write into one output folder at once (a `make build` while
`make serve` runs, say): each holds a lock while it writes (`output_lock`), and
one that finds it taken waits its turn. Where fcntl exists it is an flock on the
folder's parent; elsewhere (Windows) a lock file beside the output folder,
through filelock.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import posixpath
import shutil
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from site_builder.content.urls import inside

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

MARKER = ".site-builder-partial"


class UnsafeOutput(Exception):
    pass


@contextlib.contextmanager
def output_lock(output: Path, waiting: Callable[[str], None]) -> Iterator[None]:
    """Hold the lock on `output` for as long as the block runs.

    Where fcntl exists the lock is an flock on the output's parent folder: the
    output folder itself is swapped for a new one by every build, and a lock file
    beside it would be one more file to leave behind. (So builds into sibling
    folders take turns too.) Elsewhere it is `lock_file(output)`, locked through
    filelock (msvcrt on Windows). Either way the lock goes with the process: a
    killed build never leaves it held."""
    output.parent.mkdir(parents=True, exist_ok=True)
    message = f"waiting for another build writing into {output.parent} to finish"
    if fcntl is None:
        with _file_lock(output, lambda: waiting(message)):
            yield
        return
    folder = os.open(output.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            waiting(message)
            fcntl.flock(folder, fcntl.LOCK_EX)
        yield
    finally:
        os.close(folder)  # releases the lock


def lock_file(output: Path) -> Path:
    """The lock file of `output` where there is no flock on folders."""
    return output.parent / f".{output.name}.lock"


@contextlib.contextmanager
def _file_lock(output: Path, waiting: Callable[[], None]) -> Iterator[None]:
    # Imported only here, where there is no flock: tens of ms of every start-up otherwise.
    with warnings.catch_warnings():
        # Where neither fcntl nor msvcrt exists it warns that only its lock file with the
        # owner's process id (which it breaks once that process is gone) is there: fine.
        warnings.simplefilter("ignore", UserWarning)
        import filelock

    lock = filelock.FileLock(lock_file(output))
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        waiting()
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


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
            rename_folder(leftover, output)
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
    if sys.platform == "win32":  # there, os.kill(pid, 0) would send Ctrl-C to the process
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _windows_process_alive(pid: int) -> bool:
    query_limited_information, access_denied, still_active = 0x1000, 5, 259
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:
        return ctypes.get_last_error() == access_denied  # type: ignore[attr-defined]
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == still_active
    finally:
        kernel32.CloseHandle(handle)


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

    # For a file that two worker processes may put at the same time (with the same
    # bytes): each makes it beside its place and renames it there, so it is never seen
    # half made and neither fails because the other came first.

    def write_whole(self, relative: str, data: bytes) -> None:
        target = self.target(relative)
        temporary = f"{target}.tmp-{os.getpid()}"
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, target)

    def reuse_whole(self, relative: str) -> None:
        target = self.target(relative)
        temporary = f"{target}.tmp-{os.getpid()}"
        source = os.path.join(self.output, relative)
        try:
            os.link(source, temporary)
        except OSError:  # a file system without hard links
            shutil.copy2(source, temporary)
        os.replace(temporary, target)

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
            # No atomic exchange here (Windows): two renames, and recover() puts the
            # old site back if a kill comes between them.
            old = self.output.parent / f".{self.output.name}.old-{os.getpid()}"
            rename_folder(self.output, old)
            (self.path / MARKER).unlink()
            rename_folder(self.path, self.output)
            remove_marked(old)
            return
        (self.path / MARKER).unlink()
        rename_folder(self.path, self.output)

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
    rename_folder(new, target)


# What an exchange call returns when the file system cannot swap: fall back to renames.
CANNOT_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP}


def exchange(first: Path, second: Path) -> bool:
    """Swap two folders atomically, with the call this system has for it.

    False where the system or file system cannot, so the caller falls back to
    two renames."""
    swap = exchange_call()
    if swap is None:
        return False
    if swap(os.fsencode(first), os.fsencode(second)) == 0:
        return True
    error = ctypes.get_errno()
    if error in CANNOT_EXCHANGE:
        return False
    raise OSError(error, os.strerror(error), str(second))


@functools.cache
def exchange_call() -> Callable[[bytes, bytes], int] | None:
    """The C library's atomic exchange of two paths, as f(first, second) -> 0 or -1
    (the error in ctypes.get_errno()); None where the system has none (Windows)."""
    if sys.platform not in ("linux", "darwin"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    if sys.platform == "darwin":
        renamex_np = getattr(libc, "renamex_np", None)  # macOS 10.12 and later
        if renamex_np is None:
            return None
        rename_swap = 0x2
        return lambda first, second: renamex_np(first, second, rename_swap)
    renameat2 = getattr(libc, "renameat2", None)  # glibc 2.28 and later
    if renameat2 is None:
        return None
    at_fdcwd, rename_exchange = -100, 2
    return lambda first, second: renameat2(at_fdcwd, first, at_fdcwd, second, rename_exchange)


def rename_folder(source: Path, target: Path) -> None:
    """Rename a folder. On Windows a virus scanner or the search indexer may hold a
    file in it open for a moment, which makes the rename fail: try again for a while."""
    deadline = time.monotonic() + (5 if sys.platform == "win32" else 0)
    while True:
        try:
            source.rename(target)
            return
        except PermissionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


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
                    # On Windows a scan's stat has no inode (0); entry.inode() asks for it.
                    inode = st.st_ino or entry.inode()
                    found[name] = FileStamp(st.st_size, st.st_mtime_ns, inode)
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
