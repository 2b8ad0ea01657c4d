"""Build data as plain bytes, and back: MessagePack (msgspec), never pickle.

Traces and a page's Markdown parts are kept encoded until they are needed (one
bytes object instead of hundreds of small ones), travel that way from worker
processes, and are stored that way in the cache, whose whole `State` is encoded
here too, in frames. Decoding only ever makes the declared types: the dataclasses of
records.py and the values a fact can have (facts.norm). Bytes planted in a cache
can make a decoding error, never a call.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
from markupsafe import Markup

from site_builder.incremental.changes import Summary
from site_builder.incremental.facts import (
    MISSING,
    Digest,
    PageRef,
    Trace,
    page_ref,
    shared_key,
    shared_subjects,
)
from site_builder.incremental.records import MarkdownOut, OutputRecord, PageInput, State
from site_builder.model import Heading, KeyFactView, LinkRef

SCHEMA = 3  # of everything encoded here; a cache of another schema is not read

# The kinds of fact values that are not plain MessagePack, as extension types.
_PAGE, _DIGEST, _MISSING, _DATE, _DATETIME = 1, 2, 3, 4, 5

_encoder = msgspec.msgpack.Encoder()
Parts = tuple[list[Heading], set[str], list[LinkRef], list[KeyFactView]]
_parts_decoder = msgspec.msgpack.Decoder(
    tuple[list[Heading], list[str], list[LinkRef], list[tuple[str, str]]]
)


class DecodeError(ValueError):
    """Bytes that are not what they should hold."""


# -- fact values ------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A fact's value (facts.norm's forms) as MessagePack can hold it."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is tuple:
        return [_plain(item) for item in value]
    if kind is PageRef:
        return msgspec.msgpack.Ext(_PAGE, value.rel.encode())
    if kind is Digest:
        return msgspec.msgpack.Ext(_DIGEST, value.hex.encode())
    if value is MISSING:
        return msgspec.msgpack.Ext(_MISSING, b"")
    if isinstance(value, dt.datetime):
        return msgspec.msgpack.Ext(_DATETIME, value.isoformat().encode())
    if isinstance(value, dt.date):
        return msgspec.msgpack.Ext(_DATE, value.isoformat().encode())
    if isinstance(value, str):  # Markup, as norm keeps it: the text
        return str(value)
    raise TypeError(f"not a fact value: {type(value).__name__}")


def _fact_value(code: int, data: memoryview) -> Any:
    text = bytes(data).decode()
    if code == _PAGE:
        return page_ref(text)
    if code == _DIGEST:
        return Digest(text)
    if code == _MISSING:
        return MISSING
    if code == _DATE:
        return dt.date.fromisoformat(text)
    if code == _DATETIME:
        return dt.datetime.fromisoformat(text)
    raise DecodeError(f"unknown kind of fact value ({code})")


def _tuples(value: Any) -> Any:
    """Sequences come back as lists; facts hold them as tuples (norm)."""
    if type(value) is list:
        return tuple(_tuples(item) for item in value)
    return value


_trace_decoder = msgspec.msgpack.Decoder(dict[tuple[str, str, str], Any], ext_hook=_fact_value)


def pack_trace(trace: Trace) -> bytes:
    return _encoder.encode({key: _plain(value) for key, value in trace.items()})


def unpack_trace(packed: Trace | bytes) -> Trace:
    """A trace, decoded if it is still packed."""
    if not isinstance(packed, bytes):
        return packed
    decoded = _decode(_trace_decoder.decode, packed)
    # Keys as the one tuple this process keeps for each (the feed's, the sitemap's and
    # the home page's traces name the same pages); lists (rare) back into tuples.
    return {
        shared_key(key): _tuples(value) if type(value) is list else value
        for key, value in decoded.items()
    }


# -- a page's Markdown parts --------------------------------------------------------------


def pack_parts(
    toc: list[Heading], anchors: set[str], links: list[LinkRef], key_facts: list[KeyFactView]
) -> bytes:
    facts = [(str(fact.html), fact.source) for fact in key_facts]
    return _encoder.encode((toc, sorted(anchors), links, facts))


def unpack_parts(packed: bytes) -> Parts:
    toc, anchors, links, facts = _decode(_parts_decoder.decode, packed)
    # The key facts' HTML was made by the Markdown renderer: markup, as it was.
    return toc, set(anchors), links, [KeyFactView(Markup(html), source) for html, source in facts]


# -- the cache's state --------------------------------------------------------------------
#
# A state is written as a sequence of frames, so that neither writing nor reading it
# ever holds the whole encoding in memory beside the objects: each frame is one byte
# (what it holds), four (its length) and MessagePack: up to FRAME_ENTRIES entries of
# one of the state's tables, or its summary.

FRAME_ENTRIES = 256
_FRAME = struct.Struct(">BI")
_INPUTS, _MARKDOWN, _OUTPUTS, _SUMMARY = 1, 2, 3, 4
_frame_decoders: dict[int, msgspec.msgpack.Decoder] = {
    _INPUTS: msgspec.msgpack.Decoder(list[tuple[str, PageInput]]),
    _MARKDOWN: msgspec.msgpack.Decoder(list[tuple[str, MarkdownOut]]),
    _OUTPUTS: msgspec.msgpack.Decoder(list[tuple[str, OutputRecord]]),
    _SUMMARY: msgspec.msgpack.Decoder(Summary),
}


def encode_state(state: State) -> Iterator[bytes]:
    """The frames of a state, one at a time."""
    for kind, table in (
        (_INPUTS, state.inputs),
        (_MARKDOWN, state.markdown),
        (_OUTPUTS, state.outputs),
    ):
        entries = list(table.items())
        for start in range(0, len(entries), FRAME_ENTRIES):
            yield from _frame(kind, entries[start : start + FRAME_ENTRIES])
    if state.summary is not None:
        yield from _frame(_SUMMARY, state.summary)


def _frame(kind: int, value: Any) -> Iterator[bytes]:
    payload = _encoder.encode(value)
    yield _FRAME.pack(kind, len(payload))
    yield payload


def decode_state(read: Callable[[int], bytes]) -> State:
    """A state from its frames, read one at a time with `read(size)`."""
    state = State()
    tables: dict[int, dict[str, Any]] = {
        _INPUTS: state.inputs,
        _MARKDOWN: state.markdown,
        _OUTPUTS: state.outputs,
    }
    while head := read(_FRAME.size):
        if len(head) != _FRAME.size:
            raise DecodeError("truncated")
        kind, size = _FRAME.unpack(head)
        decoder = _frame_decoders.get(kind)
        payload = read(size)
        if decoder is None or len(payload) != size:
            raise DecodeError("not a frame of a build state")
        value = _decode(decoder.decode, payload)
        if kind == _SUMMARY:
            state.summary = value
            continue
        for _, record in value:
            if kind == _OUTPUTS:
                record.subjects = shared_subjects(record.subjects)
            elif kind == _MARKDOWN:
                record.dep_subjects = shared_subjects(record.dep_subjects)
        tables[kind].update(value)
    return state


def _decode(decode: Callable[[bytes], Any], data: bytes) -> Any:
    try:
        return decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(str(exc)) from None
