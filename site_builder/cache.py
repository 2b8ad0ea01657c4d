"""The build cache: what the last build learned, kept for the next one.

`.site-builder-cache/` in the project (git-ignored) holds one file per output
folder and option set. It keeps each page's parsed front matter and rendered
Markdown, keyed by the SHA-256 of the page's text, and the trace of every output
(deps.py), so the next build re-parses only changed pages and re-renders only
outputs whose recorded facts changed.

A cache is used only if everything that could make it wrong matches:
- the file's header: format, and a fingerprint of the generator — the source of
  every site_builder module and the versions of Python, markdown-it-py, its
  plugins, Jinja2, PyYAML, MarkupSafe and nh3 (so any code or Markdown-setting
  change starts afresh);
- the build's output folder and options (drafts, base URL);
- a SHA-256 of the payload, checked before it is unpickled (a truncated or
  corrupted file is ignored, never half-read).
Anything else — a missing, unreadable, stale or damaged file — means a full build;
the reason is logged. The file is replaced atomically, so a killed build leaves
the previous cache or none.
"""

from __future__ import annotations

import gc
import hashlib
import importlib
import importlib.metadata
import json
import os
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

CACHE_DIR = ".site-builder-cache"
FORMAT = 1
MAGIC = b"site_builder build cache\n"
LIBRARIES = (  # (module, distribution) of the libraries that shape the output
    ("markdown_it", "markdown-it-py"),
    ("mdit_py_plugins", "mdit-py-plugins"),
    ("jinja2", "jinja2"),
    ("yaml", "pyyaml"),
    ("markupsafe", "markupsafe"),
    ("nh3", "nh3"),
)
CHUNK = 1 << 20
KEEP = 4  # caches kept per project (one per output folder and options), newest first


@cache
def generator_fingerprint() -> str:
    """Changes whenever the code that turns inputs into outputs could have changed."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version}".encode())
    for module_name, distribution in LIBRARIES:
        # A module's own __version__ is cheaper than the package metadata (milliseconds
        # each, at every build); MarkupSafe deprecated its __version__.
        version = None
        if distribution != "markupsafe":
            version = getattr(importlib.import_module(module_name), "__version__", None)
        if version is None:
            try:
                version = importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                version = "-"
        digest.update(f" {distribution}={version}".encode())
    package = Path(__file__).resolve().parent
    for module in sorted(package.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_file(project: Path, options_key: dict[str, Any]) -> Path:
    """The cache of one (output folder, options) pair."""
    key = hashlib.sha256(json.dumps(options_key, sort_keys=True).encode()).hexdigest()[:16]
    return project / CACHE_DIR / f"build-{key}.pickle"


def _header(options_key: dict[str, Any]) -> bytes:
    meta = {"format": FORMAT, "generator": generator_fingerprint(), "options": options_key}
    return MAGIC + json.dumps(meta, sort_keys=True).encode() + b"\n"


def load(path: Path, options_key: dict[str, Any]) -> tuple[Any | None, str]:
    """(payload, "") or (None, why the cache was not used)."""
    try:
        with open(path, "rb") as file:
            header = file.read(len(MAGIC))
            if header != MAGIC:
                return None, "not a build cache"
            meta = file.readline()
            if MAGIC + meta != _header(options_key):
                return None, "made by another version of site_builder or other options"
            expected = file.readline().strip().decode("ascii", "replace")
            start = file.tell()
            digest = hashlib.sha256()
            while block := file.read(CHUNK):
                digest.update(block)
            if digest.hexdigest() != expected:
                return None, "damaged (checksum mismatch)"
            file.seek(start)
            with _gc_paused():
                return pickle.load(file), ""
    except FileNotFoundError:
        return None, "none yet"
    except Exception as exc:  # noqa: BLE001 - any failure to read means: build without it
        return None, f"unreadable ({type(exc).__name__}: {exc})"


@contextmanager
def _gc_paused() -> Iterator[None]:
    """(Un)pickling makes many objects and no garbage: the cycle collector would
    only walk them again and again (a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _HashingWriter:
    """A file wrapper that hashes what passes through (pickle streams into it)."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.file.write(data)


def save(path: Path, options_key: dict[str, Any], payload: Any) -> str:
    """Write the cache atomically; "" or why it could not be written (never fatal)."""
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    placeholder = b"0" * 64 + b"\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(_header(options_key))
            digest_at = file.tell()
            file.write(placeholder)
            writer = _HashingWriter(file)
            with _gc_paused():
                pickle.dump(payload, writer, protocol=pickle.HIGHEST_PROTOCOL)
            file.seek(digest_at)
            file.write(writer.digest.hexdigest().encode("ascii") + b"\n")
        os.replace(temporary, path)
        _prune(path.parent)
        return ""
    except Exception as exc:  # noqa: BLE001 - a read-only project still builds
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass
        return f"{type(exc).__name__}: {exc}"


def _prune(folder: Path) -> None:
    """Keep the KEEP most recently written caches (builds into throwaway folders, as
    tests do, would otherwise leave one each)."""
    found = []
    for path in folder.glob("build-*.pickle"):
        try:
            found.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    for _, path in sorted(found, reverse=True)[KEEP:]:
        path.unlink(missing_ok=True)
