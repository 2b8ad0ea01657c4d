"""Build data as plain bytes, and back: MessagePack (msgspec), never pickle.

Traces and a page's Markdown parts are kept encoded until they are needed (one
bytes object instead of hundreds of small ones), travel that way from worker
processes, and are stored that way in the cache, whose whole `State` is encoded
here too. Decoding only ever makes the declared types: the dataclasses of
records.py and the values a fact can have (facts.norm). Bytes planted in a cache
can make a decoding error, never a call.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import msgspec
from markupsafe import Markup

from site_builder.incremental.facts import MISSING, Digest, PageRef, Trace, page_ref
from site_builder.incremental.records import State
from site_builder.model import Heading, KeyFactView, LinkRef

SCHEMA = 1  # of everything encoded here; a cache of another schema is not read

# The kinds of fact values that are not plain MessagePack, as extension types.
_PAGE, _DIGEST, _MISSING, _DATE, _DATETIME = 1, 2, 3, 4, 5

_encoder = msgspec.msgpack.Encoder()
_state_decoder = msgspec.msgpack.Decoder(State)
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


_trace_decoder = msgspec.msgpack.Decoder(list[tuple[str, str, str, Any]], ext_hook=_fact_value)


def pack_trace(trace: Trace) -> bytes:
    return _encoder.encode([[*key, _plain(value)] for key, value in trace.items()])


def unpack_trace(packed: Trace | bytes) -> Trace:
    """A trace, decoded if it is still packed."""
    if not isinstance(packed, bytes):
        return packed
    rows = _decode(_trace_decoder.decode, packed)
    return {(kind, name, attr): _tuples(value) for kind, name, attr, value in rows}


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


def encode_state(state: State) -> bytes:
    return _encoder.encode(state)


def decode_state(data: bytes) -> State:
    return _decode(_state_decoder.decode, data)


def _decode(decode: Callable[[bytes], Any], data: bytes) -> Any:
    try:
        return decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(str(exc)) from None
