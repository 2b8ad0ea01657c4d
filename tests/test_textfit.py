"""Unit tests for site_builder.content.textfit: text widths without a font, and wrapping."""

from __future__ import annotations

import pytest

from site_builder.content.textfit import char_width, keep_together, text_width, wrap


def test_a_cjk_character_is_a_full_em_and_a_latin_letter_about_half() -> None:
    assert char_width("关") == 1.0
    assert char_width("，") == 1.0  # fullwidth punctuation too
    assert char_width("Ｆ") == 1.0  # a fullwidth Latin letter
    assert 0.5 <= char_width("a") <= 0.62
    assert char_width(" ") < char_width("a")
    assert char_width("\u0301") == 0.0  # a combining accent adds nothing


def test_cjk_text_is_about_twice_as_wide_as_latin_text_of_the_same_length() -> None:
    # The estimate a picture laid out for Latin text must not make for Chinese: 7 CJK
    # characters at 15 px take 105 px, where 7 Latin letters take about 55.
    assert text_width("现行贸易休战将", 15) == 105
    assert text_width("Tariffs", 15) < 60
    assert text_width("2025年8月12日", 17) > text_width("2025-08-12", 17)


def test_wrap_keeps_text_that_fits_on_one_line() -> None:
    assert wrap("关税 · 未说明", 15, 200) == ["关税 · 未说明"]
    assert wrap("  Tariffs \n · Not stated ", 15, 200) == ["Tariffs · Not stated"]


def test_wrap_breaks_cjk_between_characters_and_every_line_fits() -> None:
    text = "斯德哥尔摩谈判定于此日开始；何立峰将率领中国代表团"
    lines = wrap(text, 15, 100)
    assert "".join(lines) == text
    assert len(lines) > 1
    assert all(text_width(line, 15) <= 100 for line in lines)


def test_wrap_breaks_latin_at_spaces() -> None:
    lines = wrap("Expected · Tariffs · Not stated", 15, 150)
    assert " ".join(lines) == "Expected · Tariffs · Not stated"
    assert all(not line.startswith(("·", " ")) for line in lines)
    assert all(text_width(line, 15) <= 150 for line in lines)


@pytest.mark.parametrize("closing", ["，", "。", "、", "）", "”", "·"])
def test_no_line_starts_with_closing_punctuation(closing: str) -> None:
    # Where the break would fall just before the mark, the character before it goes with it.
    text = "甲乙丙丁" + closing + "戊己"
    for width in range(30, 100):  # from two characters: one alone cannot keep its mark
        for line in wrap(text, 15, width)[1:]:
            assert not line.startswith(closing), (width, wrap(text, 15, width))


def test_no_line_ends_with_opening_punctuation() -> None:
    text = "甲乙丙（丁戊）己庚"
    for width in range(30, 120):
        for line in wrap(text, 15, width):
            assert not line.endswith("（"), (width, wrap(text, 15, width))


def test_a_word_wider_than_the_line_is_cut_between_characters() -> None:
    lines = wrap("Supercalifragilistic", 15, 60)
    assert "".join(lines) == "Supercalifragilistic"
    assert all(text_width(line, 15) <= 60 for line in lines)


def test_empty_text_has_no_lines() -> None:
    assert wrap("   ", 15, 100) == []


def test_a_names_middle_dot_is_joined_to_both_halves() -> None:
    joined = keep_together("美国财政部长斯科特·贝森特率领美方。")
    assert joined == "美国财政部长斯科特\u2060·\u2060贝森特率领美方。"
    assert keep_together(joined) == joined  # already joined: left as it is


def test_a_citation_mark_after_chinese_text_stays_with_it() -> None:
    html = '决心<sup class="cite"><a href="#s">[1]</a></sup>。 leverage<sup class="cite">'
    assert keep_together(html) == (
        '决心\u2060<sup class="cite"><a href="#s">[1]</a></sup>。 leverage<sup class="cite">'
    )


@pytest.mark.parametrize(
    "text",
    [
        "Tariffs · Not stated",  # a separator between Latin words
        "关税 · 未说明",  # spaced: a separator, a line may break at its spaces
        '<p class="a·b">x·y</p>',
        "·贝森特",
    ],
)
def test_other_middle_dots_are_left_alone(text: str) -> None:
    assert keep_together(text) == text
