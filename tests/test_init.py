"""`site-builder init DIR` (issue 17, item 2) through the real CLI: what it writes, that the
result builds and checks with no edits, and that it never writes into a folder in use.
(tests/test_wheel.py runs it from an installed wheel; tests/test_workflow.py lints the
workflow it writes.)"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.sitefactory import run_cli, snapshot

EXPECTED_FILES = {
    ".github/workflows/pages.yml",
    ".gitignore",
    "README.md",
    "archetypes/default.md",
    "content/404.md",
    "content/background.md",
    "content/index.md",
    "content/search.md",
    "content/sources.md",
    "requirements.txt",
    "site.yaml",
}


def test_init_writes_a_project_that_builds_and_checks(tmp_path: Path) -> None:
    project = tmp_path / "water-explained"
    result = run_cli("init", project, "--title", 'Water: "the" facts')
    assert result.returncode == 0, result.stderr
    assert set(snapshot(project)) == EXPECTED_FILES
    assert (project / "content" / "sources").is_dir()
    config = yaml.safe_load((project / "site.yaml").read_text(encoding="utf-8"))
    assert config["title"] == 'Water: "the" facts'
    assert config["base_url"] == "https://example.github.io/water-explained/"
    from site_builder import __version__

    assert f"site-builder=={__version__}" in (project / "requirements.txt").read_text()
    assert "output/" in (project / ".gitignore").read_text()
    built = run_cli("build", "--source", project)
    assert built.returncode == 0, built.stderr
    assert built.stderr == ""
    html = (project / "output" / "index.html").read_text(encoding="utf-8")
    assert "<title>Water: &#34;the&#34; facts</title>" in html
    assert not (project / "output" / "background").exists()  # a draft until written
    checked = run_cli("check", "--source", project)
    assert checked.returncode == 0, checked.stderr
    assert "0 error(s), 1 warning(s)" in checked.stdout  # the example base URL, and only it
    drafts = run_cli("build", "--drafts", "--source", project, "--output", tmp_path / "d")
    assert drafts.returncode == 0, drafts.stderr
    assert (tmp_path / "d" / "background" / "index.html").is_file()


def test_init_takes_the_title_from_the_folder(tmp_path: Path) -> None:
    assert run_cli("init", tmp_path / "my_new-explainer", "-q").returncode == 0
    config = (tmp_path / "my_new-explainer" / "site.yaml").read_text(encoding="utf-8")
    assert 'title: "My new explainer"' in config


def test_init_refuses_a_folder_in_use_unless_forced(tmp_path: Path) -> None:
    project = tmp_path / "busy"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    (project / "site.yaml").write_text("title: mine\n")
    result = run_cli("init", project)
    assert result.returncode == 1
    assert f"error: {project} is not empty; choose a new folder, or use --force" in result.stderr
    assert snapshot(project) == {"notes.txt": b"mine", "site.yaml": b"title: mine\n"}
    forced = run_cli("init", project, "--force", "-q")
    assert forced.returncode == 0, forced.stderr
    assert (project / "notes.txt").read_text() == "mine"
    assert "title: mine" not in (project / "site.yaml").read_text()


def test_init_refuses_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    result = run_cli("init", target)
    assert result.returncode == 1 and "is a file, not a folder" in result.stderr
