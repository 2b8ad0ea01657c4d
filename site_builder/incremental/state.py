"""The incremental state: what the last build knows, and the indexes over it, in one place.

`BuildState` holds the records a build keeps (records.State: each page's input and
rendered Markdown, each output, the last summary) and the indexes worked out from
them (which pages' Markdown and which outputs depend on each subject; which pages
have problems). Every change goes through its methods, so the records and the
indexes never disagree; a state read from the cache (store.py) is indexed once.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from site_builder.errors import Diagnostic
from site_builder.incremental import store
from site_builder.incremental.changes import Summary
from site_builder.incremental.codec import Parts, pack_trace, unpack_parts, unpack_trace
from site_builder.incremental.facts import (
    Index,
    Key,
    Subject,
    Trace,
    World,
    keys_by_subject,
    stale,
)
from site_builder.incremental.records import MarkdownOut, OutputRecord, PageInput, State


class BuildState:
    def __init__(self, records: State | None = None) -> None:
        self.records = records if records is not None else State()
        self.md_index = Index()  # subject -> pages whose Markdown depends on it
        self.out_index = Index()  # subject -> outputs whose trace mentions it
        self.troubled: set[str] = set()  # rels whose input has problems
        self.md_troubled: set[str] = set()  # rels whose Markdown has diagnostics
        self.anchored: set[str] = set()  # rels whose Markdown links to an #anchor
        self.dirty = False  # whether the records differ from the cache's
        self._trace_keys: dict[str, dict[Subject, list[Key]]] = {}  # output -> its keys
        self._unpacked: tuple[str, Any, Any] = ("", None, None)  # the last page's parts
        for rel, known in self.records.inputs.items():
            if known.problems:
                self.troubled.add(rel)
        for rel, out in self.records.markdown.items():
            self._index_markdown(rel, out)
        for path, record in self.records.outputs.items():
            self.out_index.set(path, record.subjects)

    # -- the cache --

    @classmethod
    def load(cls, path: Path, key: dict[str, Any]) -> tuple[BuildState, str]:
        """The state kept in the cache file, or an empty one ("" or why)."""
        records, why = store.load(path, key)
        return cls(records), why

    def save(self, path: Path, key: dict[str, Any]) -> str:
        """Write the records to the cache ("" or why not). Traces unpacked to be checked
        (or rendered here) are packed again: the cache stores each as one bytes object."""
        outputs = {
            name: record
            if not isinstance(record.trace, dict)
            else replace(record, trace=pack_trace(record.trace))
            for name, record in self.records.outputs.items()
        }
        return store.save(path, key, replace(self.records, outputs=outputs))

    # -- what it knows --

    @property
    def inputs(self) -> dict[str, PageInput]:
        return self.records.inputs

    @property
    def markdown(self) -> dict[str, MarkdownOut]:
        return self.records.markdown

    @property
    def outputs(self) -> dict[str, OutputRecord]:
        return self.records.outputs

    @property
    def summary(self) -> Summary | None:
        return self.records.summary

    @summary.setter
    def summary(self, summary: Summary) -> None:
        self.records.summary = summary

    def parts(self, rel: str) -> Parts:
        """toc, anchors, links and key facts of a page's Markdown (the last one decoded
        is kept: a template reads several in a row)."""
        out = self.records.markdown[rel]
        if self._unpacked[0] != rel or self._unpacked[1] is not out:
            self._unpacked = (rel, out, unpack_parts(out.parts))
        return self._unpacked[2]

    def page_digests(
        self, built: dict[str, Any], changed: set[str], before: Summary | None
    ) -> dict[str, str]:
        """The digest of the text of every page `built`; from `before`, if given, only
        the `changed` ones are looked up."""
        inputs = self.records.inputs
        if before is None:
            return {rel: inputs[rel].digest for rel in built}
        digests = dict(before.digests)
        for rel in changed:
            if rel in built:
                digests[rel] = inputs[rel].digest
            else:
                digests.pop(rel, None)
        return digests

    def input_problems(self) -> list[Diagnostic]:
        return [d for rel in sorted(self.troubled) for d in self.records.inputs[rel].problems]

    def markdown_problems(self, built: dict[str, Any]) -> list[Diagnostic]:
        """The diagnostics of the Markdown of the pages in `built`."""
        markdown = self.records.markdown
        return [
            d for rel in sorted(self.md_troubled) if rel in built
            for d in markdown[rel].diagnostics
        ]  # fmt: skip

    def markdown_stale(self, rel: str, world: World, changes: set[Subject]) -> bool:
        return stale(unpack_trace(self.records.markdown[rel].deps), world, changes)

    def output_stale(self, path: str, world: World, changes: set[Subject]) -> bool:
        """Whether a fact the output at `path` read about a changed subject has another
        value now (the trace is decoded, and kept so, the first time it is looked at)."""
        record = self.records.outputs[path]
        assert record.trace is not None
        if isinstance(record.trace, bytes):
            record.trace = unpack_trace(record.trace)
        trace: Trace = record.trace

        def page_keys() -> dict[Subject, list[Key]]:
            keys = self._trace_keys.get(path)
            if keys is None:
                keys = self._trace_keys[path] = keys_by_subject(trace)
            return keys

        return stale(trace, world, changes, page_keys)

    # -- changes --

    def note_input(self, rel: str, found: PageInput) -> None:
        self.dirty = True
        self.records.inputs[rel] = found
        if found.problems:
            self.troubled.add(rel)
        else:
            self.troubled.discard(rel)

    def note_read_again(self, rel: str, stat: tuple[int, int, int, int], read_at: int) -> None:
        """A file read again with the same text: only when it was read is new."""
        self.dirty = True
        known = self.records.inputs[rel]
        known.stat, known.read_at = stat, read_at

    def note_markdown(self, rel: str, out: MarkdownOut) -> None:
        self.dirty = True
        self.records.markdown[rel] = out
        self._index_markdown(rel, out)

    def _index_markdown(self, rel: str, out: MarkdownOut) -> None:
        self.md_index.set(rel, out.dep_subjects)
        for found, has in ((self.md_troubled, out.diagnostics), (self.anchored, out.anchored)):
            if has:
                found.add(rel)
            else:
                found.discard(rel)

    def forget_page(self, rel: str) -> None:
        self.dirty = True
        self.troubled.discard(rel)
        self.md_troubled.discard(rel)
        self.anchored.discard(rel)
        self.records.inputs.pop(rel, None)
        if self.records.markdown.pop(rel, None) is not None:
            self.md_index.drop(rel)

    def note_output(self, path: str, record: OutputRecord) -> None:
        self.records.outputs[path] = record
        self._trace_keys.pop(path, None)
        self.out_index.set(path, record.subjects)

    def drop_output(self, path: str) -> None:
        self.records.outputs.pop(path, None)
        self.out_index.drop(path)
        self._trace_keys.pop(path, None)
