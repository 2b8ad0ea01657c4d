"""`site-builder init DIR` (issue 17, item 2) through the real CLI: what it writes, that the
result builds and checks with no edits, and that it never writes into a folder in use.
(tests/test_wheel.py runs it from an installed wheel; tests/test_workflow.py lints the
workflow it writes.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from site_builder.cli.requirement import generator_requirement, requirement_lines
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


# -- the requirement init writes (cli/requirement.py) ----------------------------------------

VCS = {
    "url": "https://github.com/newsroom/site_builder",
    "vcs_info": {"vcs": "git", "commit_id": "a" * 40, "requested_revision": "v0.1.0"},
}
ARCHIVE = {
    "url": "https://example.org/site_builder-0.1.0-py3-none-any.whl",
    "archive_info": {"hashes": {"sha256": "b" * 64}},
}
LOCAL_WHEEL = {"url": "file:///tmp/dist/site_builder-0.1.0-py3-none-any.whl", "archive_info": {}}
LOCAL_CLONE = {"url": "file:///home/me/site_builder", "dir_info": {"editable": True}}


@pytest.mark.parametrize(
    ("direct", "expected"),
    [
        (VCS, f"site-builder @ git+https://github.com/newsroom/site_builder@{'a' * 40}"),
        (ARCHIVE, f"site-builder @ {ARCHIVE['url']}#sha256={'b' * 64}"),
        (LOCAL_WHEEL, "site-builder==0.1.0"),
        (LOCAL_CLONE, "site-builder==0.1.0"),
        (None, "site-builder==0.1.0"),
    ],
    ids=["git", "archive", "local wheel", "local clone", "index"],
)
def test_the_requirement_says_where_the_generator_came_from(
    direct: dict | None, expected: str
) -> None:
    lines = requirement_lines("0.1.0", direct).splitlines()
    requirements = [line for line in lines if not line.startswith("#")]
    assert requirements == [expected]
    parsed = Requirement(expected)  # what pip reads from requirements.txt
    assert parsed.name == "site-builder"
    if direct is not None and str(direct["url"]).startswith("file:"):
        # CI cannot reach a path on this machine: the file says so, and what to write.
        assert any(direct["url"] in line for line in lines)
        assert any("site-builder @ git+https://" in line for line in lines)


def test_init_writes_the_installed_generators_requirement(tmp_path: Path) -> None:
    """The checkout the tests run is installed from its folder (`pip install -e .`):
    the requirement is the version pin, with the comment that CI cannot reach it."""
    project = tmp_path / "site"
    assert run_cli("init", project, "-q").returncode == 0
    text = (project / "requirements.txt").read_text(encoding="utf-8")
    assert text == generator_requirement()
    assert Requirement(text.splitlines()[-1]).name == "site-builder"
