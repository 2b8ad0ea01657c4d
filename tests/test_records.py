"""Source records as a build reads them (issue 11, classes 5 and 6), through the real CLI.

One bad record reports its own error once, at its line, and the valid records stay usable;
a symlinked record is reported once; a bad `published` is the record's error, not a
template's; control characters in a file name cannot forge a line of output; a static file
whose name differs from a generated one only by case is a collision.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.sitefactory import CITING_TEMPLATES, make_site, page, record, run_cli, snapshot, write


def build(project: Path, output: Path) -> tuple[int, list[str]]:
    done = run_cli("build", "--source", project, "--output", output)
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    return done.returncode, done.stderr.splitlines()


@pytest.fixture
def citing_site(tmp_path: Path) -> tuple[Path, Path, dict[str, bytes]]:
    """Two records, each cited by pages in all the ways a page cites, already built once."""
    body = "Claim [@{0}].\n\n> “We will talk again.”\n>\n> — Ana Lima [@{0}]\n"
    files: dict[str, str | bytes] = {
        **CITING_TEMPLATES,
        "content/sources/good.yaml": record("good"),
        "content/sources/other.yaml": record("other"),
    }
    for n, cited in enumerate(["good", "good", "other", "other"]):
        front = f"[{cited}]"
        files[f"content/p{n}.md"] = page(f"P{n}", body.format(cited), sources=front)
    project = make_site(tmp_path / "site", files)
    output = tmp_path / "out"
    code, lines = build(project, output)
    assert code == 0, lines
    return project, output, snapshot(output)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("  position: 10\n", ""), "content/sources/other.yaml:7:3: a quotation's 'position' is required"),
        (("  position: 10", "  position: -3"), "content/sources/other.yaml:9:13: a quotation's 'position' must be 0 or more"),
        (("outlet: News\n", ""), "content/sources/other.yaml:1:1: 'outlet' is required"),
        (("outlet: News", "outlet: [News]"), "content/sources/other.yaml:2:9: 'outlet' must be text"),
        (("title: Article other", "titel: Article other"), "content/sources/other.yaml:3:1: unknown source record key 'titel'; did you mean 'title'?"),
        (("id: other", "id: another"), "content/sources/other.yaml:1:5: id 'another' differs from the file name 'other'"),
        (("2025-07-27T09:57:00+03:00", "July 27th"), "content/sources/other.yaml:4:12: 'published' must be an ISO 8601 date"),
        (("2025-07-27T09:57:00+03:00", "2025-13-45"), "content/sources/other.yaml:4:12: '2025-13-45' is not a real date"),
        (("speaker: Ana Lima", "speaker: [Ana]"), "content/sources/other.yaml:8:12: 'speaker' must be text"),
        (("quotations:", "quotes:"), "content/sources/other.yaml:7:1: unknown source record key 'quotes'; did you mean 'quotations'?"),
    ],
)  # fmt: skip
def test_one_bad_record_is_one_error_and_the_others_stay_usable(
    citing_site: tuple[Path, Path, dict[str, bytes]], change: tuple[str, str], where: str
) -> None:
    project, output, before = citing_site
    path = project / "content/sources/other.yaml"
    text = path.read_text()
    assert change[0] in text
    write(path, text.replace(change[0], change[1], 1))
    code, lines = build(project, output)
    assert code == 1
    errors = lines[:-1]
    assert any(line.startswith(where) for line in errors), lines
    # Only the record's own errors: nothing about the pages citing it, or citing `good`.
    assert all(line.startswith("content/sources/other.yaml:") for line in errors), lines
    assert not any("unknown source '" in line for line in lines)
    assert snapshot(output) == before


def test_a_bad_published_date_is_the_records_error_not_a_templates(
    citing_site: tuple[Path, Path, dict[str, bytes]],
) -> None:
    project, output, before = citing_site
    path = project / "content/sources/good.yaml"
    write(path, path.read_text().replace("2025-07-27T09:57:00+03:00", "'27.07.2025'"))
    write(project / "templates/page.html", CITING_TEMPLATES["templates/page.html"].replace(  # type: ignore[union-attr]
        "{{ c.title }}", "{{ c.title }} {{ format_date(c.published) }}"))  # fmt: skip
    code, lines = build(project, output)
    assert code == 1
    assert lines[0].startswith("content/sources/good.yaml:4:12: 'published' must be an ISO 8601")
    assert not any(line.startswith("templates/") for line in lines), lines


def test_the_fixed_record_is_used_again(citing_site: tuple[Path, Path, dict[str, bytes]]) -> None:
    project, output, _ = citing_site
    path = project / "content/sources/other.yaml"
    good = path.read_text()
    write(path, good.replace("speaker: Ana Lima", "speaker: [Ana]"))
    assert build(project, output)[0] == 1
    write(path, good.replace("We will talk again.", "We will talk later."))
    code, lines = build(project, output)
    # The quote of it is checked again: it no longer matches.
    assert code == 1 and any("content/p2.md:8: misquote of other" in line for line in lines), lines


def test_a_symlinked_record_is_reported_once(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere/x.yaml", record("x"))
    project = make_site(tmp_path / "site", {"content/a.md": page("A", "See [@x].")})
    (project / "content/sources").mkdir(parents=True)
    (project / "content/sources/x.yaml").symlink_to(outside)
    (project / "content/sources/folder").symlink_to(outside.parent)
    code, lines = build(project, tmp_path / "out")
    assert code == 1
    assert lines == [
        "content/sources/folder: symlink points outside the project; copy the file in instead",
        "content/sources/x.yaml: symlink points outside the project; copy the file in instead",
        "failed: 2 error(s), 0 warning(s)",
    ]


@pytest.mark.parametrize("record_id", ["missing", "goo"])
def test_an_unknown_source_is_one_message_with_its_did_you_mean(
    citing_site: tuple[Path, Path, dict[str, bytes]], record_id: str
) -> None:
    project, output, _ = citing_site
    hint = "; did you mean 'good'?" if record_id == "goo" else " (site-builder ingest FEED"
    expected = f"unknown source '{record_id}': no content/sources/{record_id}.yaml{hint}"
    # Named in front matter (checked before any Markdown is rendered)...
    write(project / "content/p7.md", page("P7", sources=f"[{record_id}]"))
    code, lines = build(project, output)
    assert code == 1 and lines[0].startswith("content/p7.md:4: " + expected), lines
    # ...cited in the text, and quoted: the same message, with the closest passage.
    (project / "content/p7.md").unlink()
    write(
        project / "content/p8.md",
        page("P8", f"> “We will talk.”\n>\n> — Ana Lima [@{record_id}]\n"),
    )
    write(project / "content/p9.md", page("P9", f"As said [@{record_id}]."))
    code, lines = build(project, output)
    assert code == 1
    for where in ("content/p8.md:5: ", "content/p9.md:5: "):
        assert any(line.startswith(where + expected) for line in lines), (where, lines)
    quoted = next(line for line in lines if line.startswith("content/p8.md:5: "))
    assert quoted.endswith("The closest passage is “We will talk again.” in good."), quoted


# -- smaller holes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Index.html", "INDEX.HTML", "Feed.xml", "Sitemap.XML", "a/Index.html"]
)
def test_a_static_file_differing_from_a_generated_one_by_case_collides(
    tmp_path: Path, name: str
) -> None:
    project = make_site(tmp_path / "site", {"content/a.md": page("A"), f"static/{name}": "x"})
    output = tmp_path / "out"
    code, lines = build(project, output)
    assert code == 1 and not output.exists()
    assert lines[0].startswith(f"static/{name}: would overwrite the generated ")
    assert "differ only by case" in lines[0]


@pytest.mark.parametrize(
    "name",
    [
        "bad\nsite.yaml:1: everything is fine.md",
        "bad\x1b[31mred.md",
        "bad\u202eevil.md",
        "bad\x85x.md",
    ],
)
def test_control_characters_in_a_file_name_are_printed_escaped(tmp_path: Path, name: str) -> None:
    project = make_site(tmp_path / "site", {f"content/{name}": page("Bad")})
    code, lines = build(project, tmp_path / "out")
    assert code == 1
    [line, summary] = lines
    escaped = re.escape(name.encode("unicode_escape").decode("ascii"))
    assert re.match(rf"content/{escaped}:1:1: '.*' can't be part of a URL", line), line
    assert summary == "failed: 1 error(s), 0 warning(s)"
