"""What the build keeps of each input and output from one build to the next.

Plain data, used by the phases and kept in the cache (store.py, as codec.py
encodes it): a page's parsed input, its rendered Markdown, each output file as
last written, and the summary of the last successful build (changes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from site_builder.content.schema import FrontMatter
from site_builder.errors import Diagnostic
from site_builder.incremental.changes import Summary
from site_builder.incremental.facts import Subject, Trace
from site_builder.model import LinkRef
from site_builder.pipeline.output import FileStamp

RACY_NS = 100_000_000  # a file changed this close to when it was read is read again


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
    parts: bytes  # (toc, anchors, links, key_facts), codec.pack_parts-ed: one object
    parts_digest: str
    anchored: list[LinkRef]  # the links with an #anchor, to check against their target
    cited: list[str]  # source ids cited in the body and key facts, first use first
    diagnostics: list[Diagnostic]
    deps: bytes  # codec.pack_trace-ed: link targets' URLs, the sources' existence, records
    dep_subjects: tuple[Subject, ...] = ()  # of `deps`, for the index


@dataclass
class OutputRecord:
    """One file of the output folder, as last written."""

    digest: str  # SHA-256 of its bytes
    stamp: FileStamp
    owner: str  # the page it renders ("" for generated files and assets)
    trace: Trace | bytes | None  # what it read (packed until needed); None: a copy
    subjects: tuple[Subject, ...] = ()  # of its trace, for the index


@dataclass
class State:
    """Everything a build keeps for the next one (and the cache keeps between runs)."""

    inputs: dict[str, PageInput] = field(default_factory=dict)  # content rel -> input
    markdown: dict[str, MarkdownOut] = field(default_factory=dict)  # content rel -> Markdown
    outputs: dict[str, OutputRecord] = field(default_factory=dict)  # output path -> record
    summary: Summary | None = None  # the facts of the last successful build
