"""yamlsafe's two loaders: plain front matter parsed by libyaml must come out exactly
as the checking (pure-Python) loader makes it, values, types and positions alike,
and every error must be the checking loader's."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.content import yamlsafe
from site_builder.content.yamlsafe import load_yaml
from site_builder.errors import SiteError

PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def checked_load(text: str) -> Any:
    """load_yaml with the libyaml path turned off: the reference."""
    original = yamlsafe._plain_enough
    yamlsafe._plain_enough = lambda text: False
    try:
        return load_yaml(text, "content/x.md", 1)
    finally:
        yamlsafe._plain_enough = original


def outcome(load: Any, text: str) -> tuple[str, Any]:
    try:
        return "value", described(load(text))
    except SiteError as error:
        return "error", str(error)


def described(value: Any) -> Any:
    """A value with its type, and for lists and mappings each item's position and raw text."""
    if isinstance(value, dict):
        return (
            "map",
            [(described(k), described(v)) for k, v in value.items()],
            value.positions,
            value.raw,
        )
    if isinstance(value, list):
        return ("list", [described(v) for v in value], value.positions, value.raw)
    return (type(value).__name__, value)


def assert_same(text: str) -> None:
    fast = outcome(lambda t: load_yaml(t, "content/x.md", 1), text)
    assert fast == outcome(checked_load, text)


FRONT_MATTER = """\
title: "The talks, in one page"
summary: 'Officials said the truce “may be extended”: see below.'
date: 2025-07-28
updated: 2025-07-29T10:30:00+02:00
draft: false
order: 3
version: 1.10
slug: no
tags:
  - trade
  - export controls
key_facts:
  - text: Talks open in Stockholm.
    source: pukmedia
    when: 2025-07-28
  - {text: "Truce expires", source: pukmedia}
nested: {a: [1, 2, [3, {b: c}]]}
empty:
nothing: ~
block: |
  Two lines,
  kept.
folded: >
  Folded
  text.
Ünïcode key: 中文 value 😀 after
# a comment
"""


def test_plain_front_matter_is_read_by_libyaml_and_comes_out_the_same() -> None:
    assert yamlsafe._plain_enough(FRONT_MATTER)
    assert_same(FRONT_MATTER)
    data = load_yaml(FRONT_MATTER, "content/x.md", 1)
    assert data["date"] == datetime.date(2025, 7, 28)
    assert data["draft"] is False and data["slug"] == "no"  # YAML 1.2 booleans
    assert data.raw["version"] == "1.10"
    assert data.where("Ünïcode key") == (27, 14)  # line in the file, column in characters


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\nb: *x\n",  # anchors and aliases
        "a: !!python/object:os.system x\n",  # tags
        "%YAML 1.1\n---\na: 1\n",  # directives
        "a:\n\t- b\n",  # tabs
        "- - - - x\n",  # nesting without indentation
        "? a\n: b\n",  # complex keys
        "a: b\r\nc: d\n",
        "a: " + "[" * 60 + "]" * 60 + "\n",  # deep flow nesting
        "a: |#\n",  # a block scalar header only libyaml accepts
        "a: {b: }\n",  # an empty value libyaml places a column further
        "-\n\ufeff",  # a byte order mark libyaml drops
    ],
)
def test_what_libyaml_must_not_see_goes_to_the_checking_loader(text: str) -> None:
    assert not yamlsafe._plain_enough(text)
    assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        "title: A: B\n",  # the writer's classic mistake
        "a: 1\na: 2\n",  # duplicate key
        "a: 2025-02-30\n",  # not a real date
        'a: "\\x07"\n',  # a control character written as an escape
        "a: [1, 2\n",  # unclosed
        "a: 1\n b: 2\n",
        "a:\n" + "".join("  " * depth + f"k{depth}:\n" for depth in range(1, 60)),  # deep
        "- x\na: 1\n",
        "a: " + "9" * 5000 + "\n",  # too long a number
    ],
)
def test_errors_in_plain_looking_text_are_the_checking_loaders(text: str) -> None:
    kind, message = outcome(lambda t: load_yaml(t, "content/x.md", 1), text)
    assert kind == "error", message
    assert (kind, message) == outcome(checked_load, text)


# Text made of YAML's structural pieces, so most of it parses and what does not
# fails in many ways.
PIECES = st.sampled_from(
    [
        "a", "key", "Ünï", "中", "😀", "1", "1.10", "0o7", "0x1F", "-3", "1e3", ".inf", "yes",
        "no", "true", "False", "null", "~", "2025-07-28", "2025-07-28T10:00:00Z", " ", "  ",
        "\n", "\n  ", "\n    ", ": ", ":", "- ", "-", "[", "]", "{", "}", ", ", "#", " # c",
        '"', "'", '"q\\n"', "'it''s'", "|", ">", "|-", "|2", ">+", "\\", "---", "...", "=",
        "@", "`", "\n- ", "\n  - ", "\n\n", '"\\x41"', '"\\U0001F600"', '"\\ud800"', '"\\0"',
        "\n- a: b\n  c: d", "\n  # c\n", "'multi\n  line'", '"multi\n\n  line"',
        "plain\n  continued", "{a: b, c: [d]}", "\u00a0", "\ufeff", "\u200b", "\x7f", "\x0c",
    ]
)  # fmt: skip
YAMLISH = st.lists(PIECES, max_size=40).map("".join)
MAPPINGS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "title", "Ünï", "tags", "1"]),
        st.sampled_from(
            [
                "x",
                '"quoted: yes"',
                "'single'",
                "2025-07-28",
                "1.10",
                "[a, b]",
                "{c: d}",
                "\n  - one\n  - two",
                "\n  k: v\n  k2: [1]",
                "|\n  block\n  text",
                "",
            ]
        ),  # fmt: skip
    ),
    max_size=8,
).map(lambda pairs: "".join(f"{key}: {value}\n" for key, value in pairs))


@PROPERTY
@given(YAMLISH)
def test_any_yamlish_text_loads_the_same_either_way(text: str) -> None:
    assert_same(text)


@PROPERTY
@given(MAPPINGS)
def test_any_front_matter_shaped_text_loads_the_same_either_way(text: str) -> None:
    assert_same(text)
