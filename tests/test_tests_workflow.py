"""The macOS and Windows test workflow (issue 18): lints clean, pinned, tests, deploys nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.workflow_lint import actionlint, zizmor

WORKFLOW = Path(".github/workflows/tests.yml")
PINNED = re.compile(r"^([\w.-]+/[\w.-]+)@[0-9a-f]{40}$")
# The first major of each action that runs on Node 24 (the Node 20 ones are being retired).
FIRST_NODE24_MAJOR = {"actions/checkout": 5, "actions/setup-python": 6, "actions/setup-node": 5}


@pytest.fixture(scope="module")
def text(project_root: Path) -> str:
    return (project_root / WORKFLOW).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def workflow(text: str) -> dict[str, Any]:
    return yaml.safe_load(text)


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return workflow["jobs"]["test"]["steps"]


def test_actionlint_passes(project_root: Path) -> None:
    result = actionlint(project_root / WORKFLOW, cwd=project_root)
    output = result.stdout + result.stderr
    assert "Checking 1 workflow file" in output, output
    assert result.returncode == 0, output


def test_zizmor_finds_nothing(project_root: Path) -> None:
    result = zizmor(project_root / WORKFLOW, cwd=project_root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_zizmor_would_catch_credentials_left_behind(
    project_root: Path, text: str, tmp_path: Path
) -> None:
    """Guards the test above: zizmor runs and reads the workflow."""
    broken = tmp_path / ".github" / "workflows" / "tests.yml"
    broken.parent.mkdir(parents=True)
    without = text.replace("        with:\n          persist-credentials: false\n", "")
    assert without != text
    broken.write_text(without)
    result = zizmor(broken, cwd=project_root)
    assert result.returncode != 0
    assert "artipacked" in result.stdout + result.stderr


def test_runs_on_macos_and_windows_for_pushes_and_pull_requests(workflow: dict[str, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads `on` as True
    assert set(triggers) == {"push", "pull_request"}
    job = workflow["jobs"]["test"]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"]["matrix"]["os"] == ["macos-latest", "windows-latest"]
    assert job["strategy"]["fail-fast"] is False  # one system's failure hides no other's


def test_it_only_reads_and_deploys_nothing(workflow: dict[str, Any], text: str) -> None:
    assert workflow["permissions"] == {"contents": "read"}
    assert list(workflow["jobs"]) == ["test"] and "permissions" not in workflow["jobs"]["test"]
    assert not re.search(r"deploy|pages|upload|release|secrets\.", text.split("jobs:", 1)[1])
    (checkout,) = [s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout["with"]["persist-credentials"] is False


def test_it_runs_the_test_suite_with_the_pinned_dependencies(workflow: dict[str, Any]) -> None:
    scripts = "\n".join(s["run"] for s in steps(workflow) if "run" in s)
    assert "pip install --disable-pip-version-check -c requirements.lock -e '.[dev]'" in scripts
    assert "npm ci" in scripts
    assert scripts.rstrip().endswith("python -m pytest -n 2")


def test_actions_are_pinned_to_commits_of_node24_majors(
    workflow: dict[str, Any], text: str
) -> None:
    uses = [s["uses"] for s in steps(workflow) if "uses" in s]
    assert {PINNED.match(u).group(1) for u in uses if PINNED.match(u)} == set(FIRST_NODE24_MAJOR)
    assert all(PINNED.match(u) for u in uses), uses
    for line in text.splitlines():
        if found := re.search(r"uses: ([\w/.-]+)@[0-9a-f]{40} # v(\d+)\.\d+\.\d+$", line):
            action, major = found.group(1), int(found.group(2))
            assert major >= FIRST_NODE24_MAJOR[action], line
    assert len(re.findall(r"uses: .+ # v\d+\.\d+\.\d+$", text, re.M)) == len(uses)
