"""incremental/codec.py: build data as plain bytes and back, the declared types only."""

from __future__ import annotations

import datetime as dt
import io
import pickle

import pytest
from markupsafe import Markup

from site_builder.content.schema import FrontMatter, KeyFact
from site_builder.errors import Diagnostic
from site_builder.incremental.codec import (
    DecodeError,
    decode_state,
    encode_state,
    pack_parts,
    pack_trace,
    unpack_parts,
    unpack_trace,
)
from site_builder.incremental.facts import MISSING, Digest, norm, page_ref
from site_builder.incremental.records import MarkdownOut, OutputRecord, PageInput, State
from site_builder.model import Heading, KeyFactView, LinkRef
from site_builder.pipeline.output import FileStamp


def test_every_kind_of_fact_value_comes_back_equal_and_of_its_type() -> None:
    trace = {
        ("page", "a.md", "title"): "A",
        ("page", "a.md", "url"): norm("/a/"),
        ("page", "a.md", "date"): dt.date(2025, 7, 28),
        ("page", "a.md", "stamp"): dt.datetime(2025, 7, 28, 9, 30, tzinfo=dt.UTC),
        ("page", "a.md", "order"): 3,
        ("page", "a.md", "weight"): 0.5,
        ("page", "a.md", "draft"): False,
        ("page", "a.md", "slug"): None,
        ("page", "a.md", "prev"): page_ref("b.md"),
        ("page", "a.md", "content"): Digest("ab" * 32),
        ("page", "gone.md", "url"): MISSING,
        ("list", "pages", ""): norm(["a.md", "b.md"]),
        ("nav", "", ""): ((1, ("x", None)), ()),
    }
    back = unpack_trace(pack_trace(trace))
    assert back == trace
    for key, value in trace.items():
        assert type(back[key]) is type(value), key
    assert back[("page", "gone.md", "url")] is MISSING


def test_a_value_that_is_not_a_fact_is_refused_when_packed() -> None:
    with pytest.raises(TypeError):
        pack_trace({("data", "x", ""): object()})


def test_markdown_parts_come_back_with_their_markup() -> None:
    toc = [Heading(2, "one", "One")]
    links = [LinkRef("b.md", "top", 3, 5)]
    facts = [KeyFactView(Markup("<em>x</em>"), "src")]
    packed = pack_parts(toc, {"one", "fn-1"}, links, facts)
    assert packed == pack_parts(toc, {"fn-1", "one"}, links, facts)  # sets in one order
    back_toc, anchors, back_links, back_facts = unpack_parts(packed)
    assert (back_toc, anchors, back_links) == (toc, {"one", "fn-1"}, links)
    assert back_facts == facts and isinstance(back_facts[0].html, Markup)


def test_a_state_comes_back_as_the_same_dataclasses() -> None:
    front = FrontMatter(
        title="T", summary="S", date=dt.date(2025, 7, 1), updated=None, as_of=None,
        draft=False, slug=None, template=None, nav_title=None, order=2,
        sources=("s",), key_facts=(KeyFact("k", "s", 4),), source_lines={"s": 3}, tags=("a",),
    )  # fmt: skip
    state = State(
        inputs={"a.md": PageInput("d", front, 9, [Diagnostic("content/a.md", 1, 2, "m")])},
        markdown={
            "a.md": MarkdownOut(
                "d",
                "escape",
                b"html",
                "hd",
                b"parts",
                "pd",
                [LinkRef("b.md", "x", 1, 1)],
                ["s"],
                [],
                pack_trace({("source", "s", "known"): True}),
                (("source", "s"),),
            )
        },  # fmt: skip
        outputs={"a/index.html": OutputRecord("o", FileStamp(1, 2, 3), "a.md", b"t", ())},
    )
    assert decode(b"".join(encode_state(state))) == state


def decode(data: bytes) -> State:
    return decode_state(io.BytesIO(data).read)


def test_a_state_is_written_in_frames_of_bounded_size() -> None:
    state = State(
        outputs={f"p{n}.html": OutputRecord("o", FileStamp(1, 2, 3), "", None) for n in range(1000)}
    )
    frames = list(encode_state(state))
    assert len(frames) == 2 * 4  # 256 entries each, a head and a payload
    assert decode(b"".join(frames)) == state


def test_an_empty_state_is_no_frames() -> None:
    assert list(encode_state(State())) == [] and decode(b"") == State()


@pytest.mark.parametrize(
    "planted",
    [
        pickle.dumps(KeyFactView(Markup("<script>"), "x")),  # what a pickle cache held
        b"\x93\x01\x02",  # a list where a state should be
        b"\x01\x00\x00\x00\x03\x93\x01\x02",  # a frame of inputs holding a list of ints
        b"\x01\x00\x00\x10\x00\x90",  # a frame longer than the file
    ],
)
def test_bytes_that_are_not_a_state_are_refused(planted: bytes) -> None:
    with pytest.raises(DecodeError):
        decode(planted)
    with pytest.raises(DecodeError):
        unpack_trace(planted)
