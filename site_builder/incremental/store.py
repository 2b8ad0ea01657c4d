"""The build cache on disk: what the last build learned, kept for the next one.

`.site-builder-cache/` in the project (git-ignored) holds one file per output
folder and option set. It keeps each page's parsed front matter and rendered
Markdown, keyed by the SHA-256 of the page's text, and the trace of every output
(facts.py), so the next build re-parses only changed pages and re-renders only
outputs whose recorded facts changed. The state is plain data (records.py),
encoded as MessagePack with a schema version (codec.py); never pickle.

A cache is used only if everything that could make it wrong matches:
- the file's header: format and schema, and a fingerprint of the generator — the
  source of every site_builder module and the versions of Python, markdown-it-py,
  its plugins, Jinja2, PyYAML, MarkupSafe and nh3 (so any code or Markdown-setting
  change starts afresh);
- the build's output folder and options (drafts, base URL);
- an HMAC-SHA256 of the payload under a key that never leaves this machine's user
  (~/.cache/site-builder/cache-key, made on first use), checked before anything is
  decoded: a truncated or corrupted file is ignored, and so is one that was not
  written here — the project folder comes from contributors, and a planted cache
  could otherwise hand the build pre-rendered HTML that no Markdown rule checked;
- and decoding only ever makes the declared data classes (codec.py): bytes that
  are not a build state are refused, never run.
Anything else — a missing, unreadable, stale, foreign or damaged file — means a
full build; the reason is logged. The file is replaced atomically, so a killed
build leaves the previous cache or none. Without a key (no writable home folder)
nothing is cached.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import importlib
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from site_builder.incremental.codec import SCHEMA, decode_state, encode_state
from site_builder.incremental.records import State
from site_builder.project import CACHE_DIR

FORMAT = 3
SUFFIX = ".msgpack"
CHUNK = 1 << 20
MAGIC = b"site_builder build cache\n"
LIBRARIES = (  # (module, distribution) of the libraries that shape the output
    ("markdown_it", "markdown-it-py"),
    ("mdit_py_plugins", "mdit-py-plugins"),
    ("jinja2", "jinja2"),
    ("yaml", "pyyaml"),
    ("markupsafe", "markupsafe"),
    ("nh3", "nh3"),
)
KEEP = 4  # caches kept per project (one per output folder and options), newest first
KEY_FILE = Path("site-builder") / "cache-key"


@cache
def machine_key() -> bytes | None:
    """This user's secret for signing caches, made on first use (None: no home for it)."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(home) / KEY_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            key = path.read_bytes()
        else:
            key = os.urandom(32)
            with os.fdopen(descriptor, "wb") as file:
                file.write(key)
        return key if len(key) == 32 else None
    except OSError:
        return None


@cache
def generator_fingerprint() -> str:
    """Changes whenever the code that turns inputs into outputs could have changed."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version}".encode())
    for module_name, distribution in LIBRARIES:
        module = importlib.import_module(module_name)
        # A module's own __version__ costs nothing; importlib.metadata would cost 30 ms
        # at every build. MarkupSafe deprecated its __version__: its code stands in.
        version = getattr(module, "__version__", None) if distribution != "markupsafe" else None
        if version is None:
            version = hashlib.sha256(Path(module.__file__ or "").read_bytes()).hexdigest()
        digest.update(f" {distribution}={version}".encode())
    package = Path(__file__).resolve().parent.parent
    for module in sorted(package.rglob("*.py")):
        name = module.relative_to(package).as_posix()
        digest.update(name.encode() + b"\0" + module.read_bytes() + b"\0")
    return digest.hexdigest()


def options_key(output: Path, drafts: bool, base_url: str | None) -> dict[str, Any]:
    """What a cache is valid for besides the inputs: the output folder and options."""
    return {"output": str(output.resolve()), "drafts": drafts, "base_url": base_url}


def cache_file(project: Path, options_key: dict[str, Any]) -> Path:
    """The cache of one (output folder, options) pair."""
    key = hashlib.sha256(json.dumps(options_key, sort_keys=True).encode()).hexdigest()[:16]
    return project / CACHE_DIR / f"build-{key}{SUFFIX}"


def _header(options_key: dict[str, Any]) -> bytes:
    meta = {
        "format": FORMAT,
        "schema": SCHEMA,
        "generator": generator_fingerprint(),
        "options": options_key,
    }
    return MAGIC + json.dumps(meta, sort_keys=True).encode() + b"\n"


def load(path: Path, options_key: dict[str, Any]) -> tuple[State | None, str]:
    """(state, "") or (None, why the cache was not used)."""
    key = machine_key()
    if key is None:
        return None, "no key to check it with (no writable ~/.cache)"
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
            digest = hmac.new(key, digestmod=hashlib.sha256)
            while block := file.read(CHUNK):
                digest.update(block)
            if not hmac.compare_digest(digest.hexdigest(), expected):
                return None, "damaged, or not written on this machine (signature mismatch)"
            file.seek(start)
            with _gc_paused():
                return decode_state(file.read), ""
    except FileNotFoundError:
        return None, "none yet"
    except Exception as exc:  # noqa: BLE001 - any failure to read means: build without it
        return None, f"unreadable ({type(exc).__name__}: {exc})"


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Encoding and decoding make many objects and no garbage: the cycle collector would
    only walk them again and again (a third of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def save(path: Path, options_key: dict[str, Any], state: State) -> str:
    """Write the cache atomically; "" or why it could not be written (never fatal)."""
    with _gc_paused():
        return write_signed(path, options_key, encode_state(state))


def write_signed(path: Path, options_key: dict[str, Any], body: Iterable[bytes]) -> str:
    """Write the pieces of `body` under this machine's signature, atomically, one at a
    time (the signature goes before them: its place is filled in at the end)."""
    key = machine_key()
    if key is None:
        return "no key to sign it with (no writable ~/.cache)"
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(_header(options_key))
            signature_at = file.tell()
            file.write(b"0" * 64 + b"\n")
            digest = hmac.new(key, digestmod=hashlib.sha256)
            for piece in body:
                digest.update(piece)
                file.write(piece)
            file.seek(signature_at)
            file.write(digest.hexdigest().encode("ascii"))
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
    for old in folder.glob("build-*.pickle"):  # the format before this one
        old.unlink(missing_ok=True)
    found = []
    for path in folder.glob(f"build-*{SUFFIX}"):
        try:
            found.append((path.stat().st_mtime_ns, path))
        except OSError:
            continue
    for _, path in sorted(found, reverse=True)[KEEP:]:
        path.unlink(missing_ok=True)
