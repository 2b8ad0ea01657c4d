"""Unit tests for site_builder.render.search_cjk: CJK text indexed one character a word."""

from __future__ import annotations

from pathlib import Path

from site_builder.render.search_cjk import (
    ZERO_WIDTH_SPACE,
    copy_for_indexing,
    has_cjk_words,
    one_character_a_word,
)

Z = ZERO_WIDTH_SPACE


def test_cjk_text_gets_a_zero_width_space_between_characters() -> None:
    html = '<p title="芬太尼">美国因芬太尼，加征 tariffs</p>'
    assert one_character_a_word(html) == (
        f'<p title="芬太尼">美{Z}国{Z}因{Z}芬{Z}太{Z}尼，加{Z}征 tariffs</p>'
    )


def test_latin_text_tags_and_attributes_are_left_alone() -> None:
    html = '<a href="/zh/" lang="zh-Hans">English text · 2025</a><b data-x="中文">x</b>'
    assert one_character_a_word(html) == html
    assert not has_cjk_words(html.replace("中文", "x"))
    assert has_cjk_words("中文")
    assert not has_cjk_words("中 文")


def test_a_site_without_cjk_text_is_indexed_where_it_is(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text("<p>Tariffs</p>", encoding="utf-8")
    assert copy_for_indexing(site, ["a/index.html"], tmp_path / "copy") is False
    assert not (tmp_path / "copy").exists()


def test_a_site_with_cjk_text_is_copied_spaced_and_nothing_else_changes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "zh").mkdir(parents=True)
    (site / "index.html").write_text("<p>Tariffs</p>", encoding="utf-8")
    (site / "zh" / "index.html").write_text("<p>关税</p>", encoding="utf-8")
    copy = tmp_path / "copy"
    assert copy_for_indexing(site, ["index.html", "zh/index.html"], copy) is True
    assert (copy / "index.html").read_text(encoding="utf-8") == "<p>Tariffs</p>"
    assert (copy / "zh" / "index.html").read_text(encoding="utf-8") == f"<p>关{Z}税</p>"
    assert (site / "zh" / "index.html").read_text(encoding="utf-8") == "<p>关税</p>"
