"""The command line as a user types it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sitefactory import make_site, run_cli, snapshot


@pytest.mark.parametrize("command", ["build", "new", "check", "serve", "ingest"])
def test_every_command_has_help(command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert f"usage: site-builder {command}" in result.stdout
    assert "--source DIR" in result.stdout


def test_build_help_lists_its_options() -> None:
    out = run_cli("build", "--help").stdout
    for option in ("--output DIR", "--base-url URL", "--drafts", "--strict", "-q", "-v"):
        assert option in out


def test_version_and_bare_command() -> None:
    assert run_cli("--version").stdout.startswith("site_builder ")
    bare = run_cli()
    assert bare.returncode == 2 and "build" in bare.stdout


def test_build_defaults_to_output_in_the_project(tmp_path: Path) -> None:
    project = make_site(tmp_path)
    result = run_cli("build", cwd=project)
    assert result.returncode == 0, result.stderr
    assert (project / "output" / "index.html").exists()
    assert result.stdout.startswith("built 1 pages into output in ")
    quiet = run_cli("build", "-q", cwd=project)
    assert quiet.stdout == "" and quiet.returncode == 0


def test_verbose_build_times_each_step(tmp_path: Path) -> None:
    project = make_site(tmp_path)
    result = run_cli("build", "-v", "--source", project)
    for step in ("load", "markdown", "render", "write"):
        assert f"  {step}: " in result.stderr


def test_bad_base_url_is_refused(tmp_path: Path) -> None:
    result = run_cli("build", "--source", make_site(tmp_path), "--base-url", "ftp://x")
    assert result.returncode == 1
    assert "--base-url: base_url 'ftp://x' must be an absolute http(s) URL" in result.stderr


def test_missing_project_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli("build", "--source", tmp_path)
    assert result.returncode == 1
    assert (
        result.stderr.splitlines()[0]
        == "site.yaml: no site.yaml here; is --source the project folder?"
    )


def test_new_scaffolds_a_valid_draft_and_refuses_to_overwrite(tmp_path: Path) -> None:
    project = make_site(tmp_path)
    result = run_cli(
        "new", "content/analysis.md", "--title", 'Why: "it" matters', "--source", project
    )
    assert result.returncode == 0, result.stderr
    text = (project / "content" / "analysis.md").read_text(encoding="utf-8")
    assert text.startswith('---\ntitle: "Why: \\"it\\" matters"\n')
    assert "draft: true" in text
    built = run_cli("build", "--drafts", "--source", project)
    assert built.returncode == 0, built.stderr
    assert (
        "Why: &#34;it&#34; matters" in (project / "output" / "analysis" / "index.html").read_text()
    )

    again = run_cli("new", "content/analysis.md", "--title", "Other", "--source", project)
    assert again.returncode == 1
    assert "already exists; use --force" in again.stderr
    assert (project / "content" / "analysis.md").read_text(encoding="utf-8") == text


def test_new_uses_the_project_archetype(tmp_path: Path) -> None:
    project = make_site(
        tmp_path,
        {
            "archetypes/default.md": "---\ntitle: {title}\nsummary: {summary}\ndraft: true\ntags: [explainer]\n---\n"
        },
    )
    assert run_cli("new", "content/x.md", "--title", "X", "--source", project).returncode == 0
    assert "tags: [explainer]" in (project / "content" / "x.md").read_text(encoding="utf-8")


def test_new_never_uses_the_archetype_as_a_format_string(tmp_path: Path) -> None:
    # The archetype is the writer's text: braces other than the three fields stay as written,
    # format-field syntax is not run, and a title holding "{date}" is not filled in again.
    body = "Braces { alone, {x}, {0.__class__}, {title!r:>9}, {{doubled}} and }.\n"
    project = make_site(
        tmp_path,
        {
            "archetypes/default.md": "---\ntitle: {title}\nsummary: {summary}\ndraft: true\n---\n"
            + body
        },
    )
    result = run_cli("new", "content/x.md", "--title", "On {date} {0}", "--source", project)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    text = (project / "content" / "x.md").read_text(encoding="utf-8")
    assert 'title: "On {date} {0}"' in text
    assert text.endswith(body)


def test_new_refuses_paths_outside_content(tmp_path: Path) -> None:
    project = make_site(tmp_path)
    for target in ("../x.md", "templates/x.md", "content/x.txt"):
        result = run_cli("new", target, "--title", "X", "--source", project)
        assert result.returncode == 1
        assert "a new page must be a .md file under content/" in result.stderr


def test_jobs_and_no_cache(tmp_path: Path) -> None:
    pages = {f"content/p{i}.md": f"---\ntitle: P{i}\nsummary: S\n---\nText {i}\n" for i in range(6)}
    project = make_site(tmp_path, pages)
    cache = project / ".site-builder-cache"
    serial = run_cli(
        "build", "--jobs", "1", "--no-cache", "--source", project, "--output", tmp_path / "a"
    )
    assert serial.returncode == 0, serial.stderr
    assert not cache.exists()
    parallel = run_cli("build", "--jobs", "2", "--source", project, "--output", tmp_path / "b")
    assert parallel.returncode == 0, parallel.stderr
    assert any(cache.iterdir())
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_new_writes_the_title_unquoted_in_the_heading(tmp_path: Path) -> None:
    project = make_site(tmp_path)
    title = 'Why: "it" matters'
    assert run_cli("new", "content/a.md", "--title", title, "--source", project).returncode == 0
    text = (project / "content" / "a.md").read_text(encoding="utf-8")
    assert '\n## Why: "it" matters\n' in text  # the body gets the words, the YAML the quotes


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("content/sources/x.md", "content/sources/ holds source records, not pages"),
        ("content/Big_Name.md", "'Big_Name' can't be part of a URL"),
        ("content/con.md", "'con' is a name the site reserves"),
        ("content/pagefind/x.md", "'pagefind' is a name the site reserves"),
    ],
)
def test_new_refuses_a_path_the_build_would_reject(
    tmp_path: Path, target: str, message: str
) -> None:
    project = make_site(tmp_path)
    result = run_cli("new", target, "--title", "X", "--source", project)
    assert result.returncode == 1
    assert result.stderr == f"error: {target}: {message}" + result.stderr.split(message, 1)[1]
    assert not (project / target).exists()


def test_an_unknown_archetype_placeholder_is_a_clear_error(tmp_path: Path) -> None:
    project = make_site(
        tmp_path,
        {"archetypes/default.md": "---\ntitle: {title}\nsummary: {summary}\n---\n\nOn {dtae}\n"},
    )
    result = run_cli("new", "content/x.md", "--title", "X", "--source", project)
    assert result.returncode == 1
    assert result.stderr == (
        "archetypes/default.md:6:4: unknown placeholder {dtae}; did you mean {date}? "
        "(known: {title}, {summary}, {date})\n"
    )
    assert not (project / "content" / "x.md").exists()


RECORD = """\
id: desk-2026-01-02-harbour
outlet: Desk
title: "Harbour plan: what *was* said"
author: null
published: '2026-01-02T08:00:00+00:00'
url: https://desk.fixture.test/harbour
quotations:
- text: We will [not] rush the *dredging*,
  speaker: Lina Berg
  position: 10
- text: an unattributed line
  speaker: null
  position: 80
"""


def test_new_from_a_source_record_starts_a_checked_draft(tmp_path: Path) -> None:
    project = make_site(tmp_path, {"content/sources/desk-2026-01-02-harbour.yaml": RECORD})
    result = run_cli(
        "new", "content/harbour.md", "--from", "desk-2026-01-02-harbour", "--source", project
    )
    assert result.returncode == 0, result.stderr
    text = (project / "content" / "harbour.md").read_text(encoding="utf-8")
    assert text.startswith(
        '---\ntitle: "Harbour plan: what *was* said"\nsummary: "What Harbour plan: what *was* '
        'said covers, in one or two sentences of your own."\ndate: 2026-01-02\ndraft: true\n'
        "sources:\n  - desk-2026-01-02-harbour\n---\n"
    )
    assert (
        "> “We will \\[not\\] rush the \\*dredging\\*,”\n>\n"
        "> — Lina Berg [@desk-2026-01-02-harbour]\n" in text
    )
    assert "unattributed" not in text  # a quotation needs its speaker to be checked
    built = run_cli("build", "--drafts", "--source", project)  # the quotations check out
    assert built.returncode == 0, built.stderr
    html = (project / "output" / "harbour" / "index.html").read_text(encoding="utf-8")
    assert "We will [not] rush the *dredging*," in html


def test_new_from_an_unknown_record_suggests_one(tmp_path: Path) -> None:
    project = make_site(tmp_path, {"content/sources/desk-2026-01-02-harbour.yaml": RECORD})
    result = run_cli("new", "content/x.md", "--from", "desk-2026-01-02", "--source", project)
    assert result.returncode == 1
    assert result.stderr == (
        "content/sources/desk-2026-01-02.yaml: no source record 'desk-2026-01-02'; "
        "did you mean 'desk-2026-01-02-harbour'?\n"
    )
    assert not (project / "content" / "x.md").exists()
    missing = run_cli("new", "content/x.md", "--source", project)
    assert missing.returncode == 1 and "--title is required (or --from SOURCE_ID)" in missing.stderr
