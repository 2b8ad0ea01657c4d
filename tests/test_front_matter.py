"""Bad front matter: each kind gets its exact file:line:col and leaves output/ alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sitefactory import make_site, page, run_cli, snapshot

CASES = {
    "colon in value": (
        "---\ntitle: Talks: the basics\nsummary: x\n---\nBody\n",
        "content/bad.md:2:13: a colon followed by a space cannot appear in an unquoted value; "
        'put the value in quotes, e.g. title: "Talks: the basics"',
    ),
    "duplicate key": (
        "---\ntitle: A\nsummary: x\ntitle: B\n---\n",
        "content/bad.md:4:1: duplicate key 'title' (first given on line 2); keep only one",
    ),
    "tab indentation": (
        "---\ntitle: A\nsummary: x\nsources:\n\t- a\n---\n",
        "content/bad.md:5:1: a tab character is not allowed in YAML indentation; indent with spaces",
    ),
    "unclosed quote": (
        '---\ntitle: "Talks in Stockholm\nsummary: x\n---\nBody\n',
        'content/bad.md:2:8: this quote (") is never closed; end the value with a matching " '
        "on the same line",
    ),
    "unclosed single quote": (
        "---\ntitle: A\nsummary: 'About it\ndate: 2025-07-01\n---\n",
        "content/bad.md:3:10: this quote (') is never closed; end the value with a matching ' "
        "on the same line",
    ),
    "unclosed bracket": (
        "---\ntitle: A\nsummary: x\nsources: [a, b\ndate: 2025-07-01\n---\n",
        "content/bad.md:4:10: this '[' is never closed; close it with ']' on the same line, "
        "or put the value in quotes",
    ),
    "unclosed brace": (
        "---\ntitle: A\nsummary: x\ntemplate: {a: 1\n---\n",
        "content/bad.md:4:11: this '{' is never closed; close it with '}' on the same line, "
        "or put the value in quotes",
    ),
    "indented too far": (
        "---\ntitle: A\nsummary: x\n  date: 2025-07-01\n---\n",
        "content/bad.md:4:3: this line is indented more than the line before it; line its key "
        "up with the key above, or quote the value above if it goes on here",
    ),
    "uneven indentation": (
        "---\ntitle: A\nsummary: x\nkey_facts:\n  - text: a\n   source: b\n---\n",
        "content/bad.md:6:4: this line's indentation does not match the lines above it; "
        "indent items of one list or mapping by the same number of spaces",
    ),
    "tab before a key": (
        "---\ntitle: A\n\tsummary: x\n---\n",
        "content/bad.md:3:1: a tab character is not allowed in YAML indentation; indent with spaces",
    ),
    "missing colon": (
        "---\ntitle: A\nsummary x\ndate: 2025-07-01\n---\n",
        "content/bad.md:3:1: expected 'key: value' here; a line may be missing its colon or a "
        "quote is unclosed",
    ),
    "tags not a list": (
        "---\ntitle: A\nsummary: x\ntags: trade\n---\n",
        "content/bad.md:4:7: 'tags' must be a list, e.g. [a, b]",
    ),
    "tag not text": (
        "---\ntitle: A\nsummary: x\ntags:\n  - trade\n  - {a: 1}\n---\n",
        "content/bad.md:6:5: each item of 'tags' must be text",
    ),
    "empty tag": (
        "---\ntitle: A\nsummary: x\ntags: [trade, '']\n---\n",
        "content/bad.md:4:15: an item of 'tags' is empty; remove it or fill it in",
    ),
    "long tag": (
        "---\ntitle: A\nsummary: x\ntags: [" + "x" * 41 + "]\n---\n",
        "content/bad.md:4:8: 'xxxxxxxxxxxxxxxxxxxx'… is longer than the 40 characters an "
        "item of 'tags' may have; shorten it",
    ),
    "anchor": (
        "---\ntitle: &t A\nsummary: x\n---\n",
        "content/bad.md:2:8: YAML anchor '&t' is not allowed; write each value out in full",
    ),
    "python tag": (
        "---\ntitle: !!python/object/apply:os.system [ls]\nsummary: x\n---\n",
        "content/bad.md:2:8: YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not "
        "allowed; only plain values, lists and mappings",
    ),
    "empty block": (
        "---\n---\nBody\n",
        "content/bad.md:1:1: front matter is empty; it needs at least title: and summary:",
    ),
    "unclosed block": (
        "---\ntitle: A\nsummary: x\nBody\n",
        "content/bad.md:1:1: front matter is not closed: add a '---' line after its last key",
    ),
    "no front matter": (
        "# Just Markdown\n",
        "content/bad.md:1:1: missing front matter: start the file with a '---' line, "
        "then title: and summary:",
    ),
    "not utf-8": (
        b"---\ntitle: Caf\xe9\nsummary: x\n---\n",
        "content/bad.md:2:11: bytes that are not UTF-8; save the file as UTF-8",
    ),
    "missing title": (
        "---\nsummary: x\n---\n",
        "content/bad.md:2:1: 'title' is required",
    ),
    "draft yes": (
        "---\ntitle: A\nsummary: x\ndraft: yes\n---\n",
        "content/bad.md:4:8: 'draft' must be true or false, not 'yes'",
    ),
    "unknown key": (
        "---\ntitle: A\nsummary: x\nsumary: y\n---\n",
        "content/bad.md:4:1: unknown front matter key 'sumary'; did you mean 'summary'?",
    ),
    "bad date": (
        "---\ntitle: A\nsummary: x\ndate: 27 July 2025\n---\n",
        "content/bad.md:4:7: 'date' must be a date written YYYY-MM-DD, not '27 July 2025'",
    ),
    "impossible date": (
        "---\ntitle: A\nsummary: x\ndate: 2025-13-45\n---\n",
        "content/bad.md:4:7: '2025-13-45' is not a real date; write it as YYYY-MM-DD",
    ),
    "bad slug": (
        "---\ntitle: A\nsummary: x\nslug: ../escape\n---\n",
        "content/bad.md:4:7: slug '../escape' must be lowercase letters, digits and single "
        "hyphens (at most 80 characters), e.g. 'tariff-truce'",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_front_matter_is_reported_and_output_kept(tmp_path: Path, name: str) -> None:
    text, expected = CASES[name]
    project = make_site(tmp_path / "site")
    output = tmp_path / "out"
    assert run_cli("build", "--source", project, "--output", output).returncode == 0
    before = snapshot(output)

    (project / "content" / "bad.md").write_bytes(text if isinstance(text, bytes) else text.encode())
    result = run_cli("build", "--source", project, "--output", output)

    assert result.returncode == 1
    assert expected in result.stderr.splitlines()
    assert "Traceback" not in result.stderr
    assert snapshot(output) == before


def test_every_problem_of_a_build_is_reported_at_once(tmp_path: Path) -> None:
    project = make_site(
        tmp_path,
        {
            "content/one.md": "---\ntitle: A: B\nsummary: x\n---\n",
            "content/two.md": "---\ntitle: Two\nsummary: x\ndraft: no\norder: first\n---\n",
        },
    )
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    lines = result.stderr.splitlines()
    assert result.returncode == 1
    assert any(line.startswith("content/one.md:2:") for line in lines)
    assert "content/two.md:4:8: 'draft' must be true or false, not 'no'" in lines
    assert "content/two.md:5:8: 'order' must be a whole number, not 'first'" in lines
    assert lines[-1] == "failed: 3 error(s), 0 warning(s)"


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    text = "\ufeff---\r\ntitle: Windows page\r\nsummary: Saved on Windows.\r\n---\r\nHello\r\n"
    project = make_site(tmp_path, {"content/win.md": text.encode("utf-8")})
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "win" / "index.html").read_text(encoding="utf-8")
    assert "<title>Windows page</title>" in html
    assert "\r" not in html


def test_yaml_1_1_values_are_read_as_documented(tmp_path: Path) -> None:
    """Text fields keep what was written: `slug: no` is the slug "no", `1.10` stays "1.10"."""
    project = make_site(
        tmp_path,
        {"content/v.md": page("1.10", slug="no", nav_title="yes")},
    )
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "out" / "no" / "index.html").read_text(encoding="utf-8")
    assert "<title>1.10</title>" in html
