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
- an HMAC-SHA256 of the payload under a key that never leaves this machine's user
  (~/.cache/site-builder/cache-key, made on first use), checked before anything is
  unpickled: a truncated or corrupted file is ignored, and so is one that was not
  written here — the project folder comes from contributors, and a planted cache
  could otherwise hand the build pre-rendered HTML that no Markdown rule checked;
- and unpickling only ever makes the build's own data classes, dates and Markup
  (`loads`): a pickle naming any other callable is refused, not run.
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
import io
import json
import os
import pickle
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from site_builder.content.schema import FrontMatter
from site_builder.errors import Diagnostic
from site_builder.incremental.deps import Subject, Summary, Trace
from site_builder.model import LinkRef
from site_builder.pipeline.output import FileStamp

CACHE_DIR = ".site-builder-cache"
FORMAT = 2
RACY_NS = 100_000_000  # a file changed this close to when it was read is read again
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
KEY_FILE = Path("site-builder") / "cache-key"
# Everything a build state is made of, besides builtin containers: what the
# restricted unpickler may construct. Nothing here runs code when it is built.
ALLOWED = frozenset(
    {
        ("datetime", "date"),
        ("markupsafe", "Markup"),
        ("site_builder.incremental.cache", "MarkdownOut"),
        ("site_builder.incremental.cache", "OutputRecord"),
        ("site_builder.incremental.cache", "PageInput"),
        ("site_builder.incremental.cache", "State"),
        ("site_builder.incremental.deps", "Digest"),
        ("site_builder.incremental.deps", "MISSING"),
        ("site_builder.incremental.deps", "PageRef"),
        ("site_builder.incremental.deps", "Summary"),
        ("site_builder.errors", "Diagnostic"),
        ("site_builder.model", "Citation"),
        ("site_builder.model", "Heading"),
        ("site_builder.model", "LinkRef"),
        ("site_builder.model", "NavItem"),
        ("site_builder.pipeline.output", "FileStamp"),
        ("site_builder.content.schema", "FrontMatter"),
        ("site_builder.content.schema", "KeyFact"),
        ("site_builder.render.templates", "KeyFactView"),
    }
)


# -- what is kept -----------------------------------------------------------------------


@dataclass
class PageInput:
    """One content file, as last read and parsed."""

    digest: str  # of its text
    front: FrontMatter | None  # None: it has errors (in `problems`)
    body_line: int
    problems: list[Diagnostic]
    stat: tuple[int, int, int, int] = (0, 0, 0, 0)  # size, mtime, ctime, inode when read
    read_at: int = 0  # wall clock (ns) when it was read

    def unchanged(self, stat: tuple[int, int, int, int]) -> bool:
        """True if the file is certainly the one read: same size, times and inode, and
        its last change well before it was read. (Within a clock tick of the read, a
        second save could keep every stat field the same: such files are read again,
        as git does. The ctime cannot be set back, unlike the mtime.)"""
        return stat == self.stat and stat[2] < self.read_at - RACY_NS


@dataclass
class MarkdownOut:
    """One page's rendered Markdown, and what it depended on besides the page's text."""

    digest: str  # the text it was rendered from
    raw_html: str
    html: bytes  # zlib-compressed UTF-8: a fifth of the memory (and cache) of the text
    html_digest: str
    parts: bytes  # pickled (toc, anchors, links, key_facts): one object instead of dozens
    parts_digest: str
    anchored: list[LinkRef]  # the links with an #anchor, to check against their target
    cited: list[str]  # source ids cited in the body and key facts, first use first
    diagnostics: list[Diagnostic]
    deps: Trace  # link targets' URLs, the sources' existence and records


@dataclass
class OutputRecord:
    """One file of the output folder, as last written."""

    digest: str  # SHA-256 of its bytes
    stamp: FileStamp
    owner: str  # the page it renders ("" for generated files and assets)
    trace: Trace | bytes | None  # what it read (deps.pack-ed from workers); None: a copy
    subjects: tuple[Subject, ...] = ()  # of its trace, for the index


@dataclass
class State:
    inputs: dict[str, PageInput] = field(default_factory=dict)  # content rel -> input
    markdown: dict[str, MarkdownOut] = field(default_factory=dict)  # content rel -> Markdown
    outputs: dict[str, OutputRecord] = field(default_factory=dict)  # output path -> record
    summary: Summary | None = None  # the facts of the last successful build


# -- reading it back safely ----------------------------------------------------------


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a build state")
        return super().find_class(module, name)


def loads(data: bytes) -> Any:
    """Unpickle build data: only the classes in ALLOWED are ever made."""
    return _Unpickler(io.BytesIO(data)).load()


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


def cache_file(project: Path, options_key: dict[str, Any]) -> Path:
    """The cache of one (output folder, options) pair."""
    key = hashlib.sha256(json.dumps(options_key, sort_keys=True).encode()).hexdigest()[:16]
    return project / CACHE_DIR / f"build-{key}.pickle"


def _header(options_key: dict[str, Any]) -> bytes:
    meta = {"format": FORMAT, "generator": generator_fingerprint(), "options": options_key}
    return MAGIC + json.dumps(meta, sort_keys=True).encode() + b"\n"


def load(path: Path, options_key: dict[str, Any]) -> tuple[Any | None, str]:
    """(payload, "") or (None, why the cache was not used)."""
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
                return _Unpickler(file).load(), ""
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
    """A file wrapper that signs what passes through (pickle streams into it)."""

    def __init__(self, file: Any, key: bytes) -> None:
        self.file = file
        self.digest = hmac.new(key, digestmod=hashlib.sha256)

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.file.write(data)


def save(path: Path, options_key: dict[str, Any], payload: Any) -> str:
    """Write the cache atomically; "" or why it could not be written (never fatal)."""
    key = machine_key()
    if key is None:
        return "no key to sign it with (no writable ~/.cache)"
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    placeholder = b"0" * 64 + b"\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "wb") as file:
            file.write(_header(options_key))
            digest_at = file.tell()
            file.write(placeholder)
            writer = _HashingWriter(file, key)
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
