"""The error overlay's content (site_builder/preview/overlay.py), without a server: the
browser tests in test_live_reload.py show it in a tab."""

from __future__ import annotations

import re
from pathlib import Path

from site_builder.errors import Diagnostic
from site_builder.preview.overlay import distinct, error_overlay, word_diff

LINE = "Filler words go here and on. " * 23 + "See [the budget](nowhere.md) and [x](#nope)."


def test_words_that_differ_are_marked() -> None:
    assert word_diff("We are not cutting one berth.", "We are not cutting a single berth.") == [
        ("same", "We are not cutting"),
        ("removed", "one"),
        ("added", "a single"),
        ("same", "berth."),
    ]


def test_a_template_error_is_one_entry_with_its_pages() -> None:
    problems = [
        Diagnostic("templates/base.html", 20, None, f"Unexpected end (rendering content/{n}.md)")
        for n in ("a", "b", "c")
    ]
    assert distinct(problems) == [
        (Diagnostic("templates/base.html", 20, None, "Unexpected end"), 3)
    ]
    same_twice = [Diagnostic("content/a.md", 3, 1, "bad"), Diagnostic("content/a.md", 3, 1, "bad")]
    assert distinct(same_twice) == [(same_twice[0], 1)]


def test_an_error_about_a_broken_file_is_left_to_that_file() -> None:
    own = Diagnostic("content/about.md", 3, 8, "invalid YAML")
    knock_on = Diagnostic("site.yaml", 11, None, "nav: there is no page content/about.md")
    assert distinct([own, knock_on]) == [(own, 1)]


def test_errors_without_a_column_get_the_one_they_name(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "about.md").write_text(f"---\ntitle: A\n---\n{LINE}\n", "utf-8")
    problems = [
        Diagnostic("content/about.md", 4, None, "link to 'nowhere.md': there is no page"),
        Diagnostic("content/about.md", 4, 1, "link to 'about.md#nope': no heading 'nope'"),
    ]
    html = error_overlay(problems, tmp_path, had_good_build=True)
    assert f"content/about.md:4:{LINE.index('nowhere.md') + 1}: link to" in html
    assert f"content/about.md:4:{LINE.index('#nope') + 1}: link to" in html
    # The excerpt is the end of the 700-character line, not its start, and escaped.
    assert "(nowhere.md) and [x](#nope)." in html and "<x>" not in html
    assert html.count('class="caret"') == 2
    assert "Under this box is the last good build" in html


def test_a_caret_sits_under_its_column(tmp_path: Path) -> None:
    (tmp_path / "site.yaml").write_text("title: T\nbase_url: [x\n", "utf-8")
    html = error_overlay([Diagnostic("site.yaml", 2, 11, "bad")], tmp_path, had_good_build=False)
    marked = re.search(r"<mark>&gt; (.*)</mark>", html).group(1)
    caret = re.search(r'<span class="caret">  (.*)\^</span>', html).group(1)
    assert marked.index("[") == len(caret)
    assert "Nothing has been built successfully yet" in html
