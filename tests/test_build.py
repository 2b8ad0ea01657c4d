"""Whole builds through the real CLI: golden output, atomicity, determinism, URLs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.regenerate_expected import FIXTURES, build_fixture
from tests.sitefactory import make_site, page, run_cli, snapshot


def test_basic_fixture_matches_expected_output(tmp_path: Path) -> None:
    result = build_fixture("basic", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    expected = snapshot(FIXTURES / "basic" / "expected")
    actual = snapshot(tmp_path / "out")
    assert sorted(actual) == sorted(expected), "run `make expected` if the change is intended"
    for name in expected:
        assert actual[name] == expected[name], f"{name} differs; run `make expected` if intended"


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    first = build_fixture("basic", tmp_path / "a")
    second = build_fixture("basic", tmp_path / "b")
    assert first.returncode == second.returncode == 0
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_pretty_urls_and_base_path_everywhere(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build_fixture("basic", out).returncode == 0
    guide = (out / "guide" / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://example.github.io/repo/guide/">' in guide
    assert '<a href="/repo/nested/">Nested section</a>' in guide
    assert 'href="/repo/css/site.00749060c9.css"' in guide
    deep = (out / "nested" / "deeper" / "index.html").read_text(encoding="utf-8")
    assert 'href="/repo/guide/#tables"' in deep
    assert (out / "404.html").exists() and (out / ".nojekyll").exists()


def test_base_url_override_moves_every_link(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli(
        "build", "--source", FIXTURES / "basic", "--output", out,
        "--base-url", "https://user.github.io/other",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = (out / "guide" / "index.html").read_text(encoding="utf-8")
    assert "/repo/" not in html
    assert 'href="https://user.github.io/other/guide/"' in html
    assert "https://user.github.io/other/sitemap.xml" in (out / "robots.txt").read_text()


def test_drafts_only_with_flag(tmp_path: Path) -> None:
    assert build_fixture("basic", tmp_path / "a").returncode == 0
    assert not (tmp_path / "a" / "draft").exists()
    result = run_cli(
        "build", "--source", FIXTURES / "basic", "--output", tmp_path / "b", "--drafts"
    )
    assert result.returncode == 0
    assert "Draft" in (tmp_path / "b" / "draft" / "index.html").read_text(encoding="utf-8")


def test_failed_build_leaves_output_byte_identical(tmp_path: Path) -> None:
    project = make_site(
        tmp_path / "site", {"content/a.md": page("A", "[b](b.md)"), "content/b.md": page("B")}
    )
    out = tmp_path / "out"
    assert run_cli("build", "--source", project, "--output", out).returncode == 0
    before = snapshot(out)
    (project / "content" / "b.md").unlink()
    result = run_cli("build", "--source", project, "--output", out)
    assert result.returncode == 1
    assert "content/a.md:5: link to 'b.md': there is no page content/b.md" in result.stderr
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_missing_anchor_is_an_error_with_suggestion(tmp_path: Path) -> None:
    project = make_site(
        tmp_path,
        {
            "content/a.md": page("A", "See [b](b.md#tarifs)."),
            "content/b.md": page("B", "## Tariffs\n"),
        },
    )
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert (
        "content/a.md:5:1: link to 'b.md#tarifs': no heading or anchor 'tarifs' on that page; "
        "did you mean '#tariffs'?"
    ) in result.stderr


def test_two_pages_with_one_url_name_both_files(tmp_path: Path) -> None:
    project = make_site(
        tmp_path,
        {"content/truce.md": page("A"), "content/other.md": page("B", slug="truce")},
    )
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert (
        "content/other.md:1:1: content/other.md and content/truce.md would both be written to truce/index.html; give one of them another slug"
        in result.stderr
    )


def test_paths_that_differ_only_by_case_collide(tmp_path: Path) -> None:
    project = make_site(tmp_path, {"content/Truce.md": page("A"), "content/truce.md": page("B")})
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert "would both be written to truce/index.html" in result.stderr


def test_file_name_that_cannot_be_a_url(tmp_path: Path) -> None:
    project = make_site(tmp_path, {"content/my page.md": page("A")})
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert "content/my page.md:1:1: 'my page' can't be part of a URL" in result.stderr


def test_template_error_names_template_line_and_page(tmp_path: Path) -> None:
    project = make_site(
        tmp_path,
        {"templates/page.html": '{% extends "base.html" %}\n{% block main %}\n{{ page.nope }}\n{% endblock %}\n',
         "content/a.md": page("A")},
    )  # fmt: skip
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert (
        "templates/page.html:3: page has no attribute 'nope' (rendering content/a.md)"
        in result.stderr
    )


def test_template_syntax_error(tmp_path: Path) -> None:
    project = make_site(tmp_path, {"templates/page.html": "{% if %}\n", "content/a.md": page("A")})
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert (
        "templates/page.html:1: Expected an expression, got 'end of statement block' (rendering content/a.md)"
        in result.stderr
    )


def test_front_matter_is_never_a_template(tmp_path: Path) -> None:
    evil = '"{{ 7 * 7 }} </title><script>alert(1)</script> \\"q\\""'
    project = make_site(tmp_path, {"content/a.md": page(evil, "{{ 7 * 7 }} {% raw %}")})
    out = tmp_path / "out"
    assert run_cli("build", "--source", project, "--output", out).returncode == 0
    html = (out / "a" / "index.html").read_text(encoding="utf-8")
    assert "49" not in html
    assert "<script>" not in html
    assert "<title>{{ 7 * 7 }} &lt;/title&gt;&lt;script&gt;" in html
    assert "{{ 7 * 7 }} {% raw %}" in html


def test_unknown_config_key_suggests(tmp_path: Path) -> None:
    project = make_site(
        tmp_path,
        {"site.yaml": "title: T\ndescription: D\nbase_url: https://e.org/\nlangauge: en\n"},
    )
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert (
        "site.yaml:4:1: unknown site.yaml key 'langauge'; did you mean 'language'?" in result.stderr
    )


def test_nav_entry_without_page(tmp_path: Path) -> None:
    project = make_site(
        tmp_path,
        {
            "site.yaml": "title: T\ndescription: D\nbase_url: https://e.org/\nnav:\n  - index.md\n  - gone.md\n"
        },
    )
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert "site.yaml:6: nav: there is no page content/gone.md" in result.stderr


def test_a_deleted_page_reports_its_nav_entry_and_the_links_to_it(tmp_path: Path) -> None:
    """All errors of a build: the nav entry of a deleted page does not hide the pages
    that still link to it."""
    project = make_site(
        tmp_path,
        {
            "site.yaml": "title: T\ndescription: D\nbase_url: https://e.org/\nsearch: false\n"
            "nav:\n  - index.md\n  - gone.md\n",
            "content/index.md": page("Home", body="See [the gone page](gone.md).\n"),
        },
    )
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert "site.yaml:7: nav: there is no page content/gone.md" in result.stderr
    assert "content/index.md:" in result.stderr
    assert "link to 'gone.md': there is no page content/gone.md" in result.stderr
    assert "Traceback" not in result.stderr


def test_static_assets_are_fingerprinted_and_symlinks_outside_refused(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    project = make_site(
        tmp_path / "site", {"static/app.js": "console.log(1)\n", "static/img/a.txt": "a"}
    )
    os.symlink(outside, project / "static" / "leak.txt")
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert (
        "static/leak.txt: symlink points outside the project; copy the file in instead"
        in result.stderr
    )
    (project / "static" / "leak.txt").unlink()
    assert run_cli("build", "--source", project, "--output", tmp_path / "out").returncode == 0
    names = sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert "app.js" not in names and any(n.startswith("app.") and n.endswith(".js") for n in names)
    assert (tmp_path / "out" / "img" / "a.txt").read_text() == "a"


@pytest.mark.parametrize("output", [".", "content", ".."])
def test_output_folder_that_would_delete_the_project_is_refused(
    tmp_path: Path, output: str
) -> None:
    project = make_site(tmp_path / "site")
    result = run_cli("build", "--source", project, "--output", project / output)
    assert result.returncode == 1
    assert result.stderr.startswith("error: output folder")
    assert (project / "content" / "index.md").exists()


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    project = make_site(
        tmp_path, {"content/a.md": page("A", "An [old link](http://example.org/).")}
    )
    relaxed = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert relaxed.returncode == 0
    warning = "content/a.md:5: warning: insecure link 'http://example.org/': use https:// if the site offers it"
    assert warning in relaxed.stderr
    strict = run_cli("build", "--strict", "--source", project, "--output", tmp_path / "out2")
    assert strict.returncode == 1
    assert warning in strict.stderr
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize("name", ["index.html", "feed.xml", "a/index.html", "pagefind/notes.txt"])
def test_a_static_file_cannot_replace_a_generated_one(tmp_path: Path, name: str) -> None:
    project = make_site(tmp_path, {"content/a.md": page("A"), f"static/{name}": "x"})
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 1
    assert (
        f"static/{name}: would overwrite the generated {name}; rename or move the file"
        in result.stderr
    )


def test_nav_entries_say_draft_and_add_nothing_to_a_broken_page(tmp_path: Path) -> None:
    """No knock-on errors (issue 17, item 9): a nav entry for a draft says it is a draft;
    one for a page whose front matter is broken adds nothing to that page's own error."""
    project = make_site(
        tmp_path,
        {
            "site.yaml": "title: T\ndescription: D.\nbase_url: https://example.github.io/repo/\n"
            "search: false\nnav:\n  - index.md\n  - later.md\n  - broken.md\n  - gone.md\n",
            "content/later.md": page("Later", draft="true"),
            "content/broken.md": "---\ntitle: [unclosed\n---\nText.\n",
        },
    )
    result = run_cli("build", "--source", project)
    assert result.returncode == 1
    assert (
        "site.yaml:7: nav: content/later.md is a draft (draft: true), left out of this build; "
        "publish it or take it out of nav" in result.stderr
    )
    assert "nav: there is no page content/gone.md" in result.stderr
    assert "broken.md" in result.stderr  # its own error…
    assert "nav: there is no page content/broken.md" not in result.stderr  # …and no other
    assert run_cli("build", "--drafts", "--source", project).stderr.count("nav:") == 1
