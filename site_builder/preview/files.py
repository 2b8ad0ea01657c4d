"""Reading the built site for a request: URL path → file in the preview's output folder.

Nothing outside that folder is ever read: request paths that could name something
outside it are refused before any file is opened, and no symlink is followed."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".pdf": "application/pdf",
    ".wasm": "application/wasm",
    ".webmanifest": "application/manifest+json",
}


def content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")


@dataclass(frozen=True)
class Target:
    """What a request path asks for: `kind` is file, redirect, outside or bad."""

    kind: str
    parts: tuple[str, ...] = ()
    directory: bool = False  # the URL ends in `/`
    location: str = ""


def parse_target(raw_path: str, base_path: str) -> Target:
    """Map a raw (still percent-encoded) request path to path segments under base_path.

    Anything that could name a file outside the output folder is refused outright
    (400) rather than normalised: `..` and `.` segments in any encoding, encoded
    slashes and backslashes, NUL and other control characters, invalid UTF-8."""
    if not raw_path.startswith("/") or "\\" in raw_path:
        return Target("bad")
    lowered = raw_path.lower()
    if "%2f" in lowered or "%5c" in lowered:
        return Target("bad")
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return Target("bad")
    if "\\" in path or any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        return Target("bad")
    segments = path.split("/")
    if any(segment in (".", "..") for segment in segments):
        return Target("bad")
    base = unquote(base_path)
    if path != base and path in ("/", base.rstrip("/")):
        return Target("redirect", location=base_path)
    if not path.startswith(base):
        return Target("outside")
    rest = path[len(base) :]
    parts = tuple(segment for segment in rest.split("/") if segment)
    return Target("file", parts, directory=rest == "" or rest.endswith("/"))


@dataclass(frozen=True)
class Found:
    data: bytes
    name: str  # the file's name, for its content type


RETRY = "retry"  # the output folder was swapped while we looked: look again
NO_OUTPUT = "no output"
MISSING = "missing"
ADD_SLASH = "add slash"

# Windows has neither O_DIRECTORY, O_NOFOLLOW nor opening relative to a folder handle.
_OPENS_RELATIVE = os.open in os.supports_dir_fd and hasattr(os, "O_NOFOLLOW")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must not hang the server


def read_output(root: Path, parts: tuple[str, ...], directory: bool) -> Found | str:
    """Read `root/parts…` without ever following a symlink or leaving `root`."""
    if _OPENS_RELATIVE:
        return _read_relative(root, parts, directory)
    return _read_by_path(root, parts, directory)


def _read_relative(root: Path, parts: tuple[str, ...], directory: bool) -> Found | str:
    """Each segment is opened relative to the folder opened before it (openat with
    O_NOFOLLOW), all from one open handle on the output folder: if a build swaps a
    new output folder in meanwhile, we still read the old one whole, never a mix."""
    try:
        root_fd = os.open(root, os.O_RDONLY | _DIRECTORY)
    except OSError:
        return NO_OUTPUT
    opened: list[int] = []
    try:
        folder = root_fd
        for name in parts[:-1]:
            folder = os.open(name, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=folder)
            opened.append(folder)
        name = parts[-1] if parts else "."
        fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=folder)
        opened.append(fd)
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            if not directory:
                return ADD_SLASH
            name = "index.html"
            fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=fd)
            opened.append(fd)
            info = os.fstat(fd)
        elif directory:
            return MISSING  # `file.html/`
        if not stat.S_ISREG(info.st_mode):
            return MISSING
        with os.fdopen(os.dup(fd), "rb") as file:
            return Found(file.read(), name)
    except OSError:
        return MISSING if _is_current(root, root_fd) else RETRY
    finally:
        for fd in reversed(opened):
            os.close(fd)
        os.close(root_fd)


def _is_current(root: Path, root_fd: int) -> bool:
    """Is the folder we opened still the output folder (not swapped out by a build)?"""
    try:
        now, then = os.stat(root), os.fstat(root_fd)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (then.st_dev, then.st_ino)


def _read_by_path(root: Path, parts: tuple[str, ...], directory: bool) -> Found | str:
    """The same by path, for systems without openat: each segment is checked with lstat
    (no links, no reparse points) before the next is looked at."""
    if not root.is_dir():
        return NO_OUTPUT
    path = root
    try:
        for name in parts:
            path = path / name
            if stat.S_ISLNK(os.lstat(path).st_mode) or _is_junction(path):
                return MISSING
        info = os.lstat(path)
        if stat.S_ISDIR(info.st_mode):
            if not directory:
                return ADD_SLASH
            path = path / "index.html"
            info = os.lstat(path)
        elif directory:
            return MISSING
        if not stat.S_ISREG(info.st_mode):
            return MISSING
        return Found(path.read_bytes(), path.name)
    except OSError:
        return MISSING if root.is_dir() else RETRY


def _is_junction(path: Path) -> bool:
    """A Windows junction, which lstat does not call a link (Path.is_junction is 3.12+)."""
    is_junction = getattr(os.path, "isjunction", None)
    return bool(is_junction and is_junction(path))
