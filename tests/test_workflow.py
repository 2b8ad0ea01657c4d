"""The GitHub Pages workflows (issue 5 item 1, issue 17 item 8): this repository's and the one
`site-builder init` writes. Both build, test and check pull requests without deploying; only
the deploy job may publish (`pages: write`, `id-token: write`); checkouts keep no credentials;
every action is pinned by SHA to a current (Node 24) major; actionlint and zizmor (offline,
both pinned) find nothing."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.sitefactory import run_cli
from tests.support import linux_only
from tests.support.workflow_lint import actionlint, zizmor

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REPO_WORKFLOW = Path(".github/workflows/pages.yml")
# owner/repo[/path]@<40-hex commit> # v1.2.3
PINNED_USES = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses:\s*(\S+)\s+#\s*v(\d+)(\.\d+)*\s*$")
# The oldest major of each action that runs on Node 24 (the Node 20 ones are being retired).
CURRENT_MAJORS = {
    "actions/checkout": 5,
    "actions/setup-python": 6,
    "actions/setup-node": 5,
    "actions/upload-artifact": 6,
    "actions/configure-pages": 6,
    "actions/upload-pages-artifact": 5,
    "actions/deploy-pages": 5,
}
PUBLISHING = {"pages": "write", "id-token": "write"}


@pytest.fixture(scope="module")
def init_workflow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("init") / "site"
    result = run_cli("init", project)
    assert result.returncode == 0, result.stderr
    return project / ".github" / "workflows" / "pages.yml"


@pytest.fixture(params=["repo", "init"])
def workflow_file(request: pytest.FixtureRequest) -> Path:
    if request.param == "repo":
        return PROJECT_ROOT / REPO_WORKFLOW
    return request.getfixturevalue("init_workflow")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return workflow["jobs"][job]["steps"]


def step_using(workflow: dict[str, Any], job: str, action: str) -> dict[str, Any]:
    matches = [s for s in steps(workflow, job) if s.get("uses", "").startswith(action + "@")]
    assert len(matches) == 1, f"job {job} should use {action} exactly once"
    return matches[0]


def scripts(workflow: dict[str, Any], job: str) -> list[str]:
    return [step["run"] for step in steps(workflow, job) if "run" in step]


# -- the linters -------------------------------------------------------------------------------


def test_actionlint_passes(workflow_file: Path) -> None:
    result = actionlint(workflow_file)
    output = result.stdout + result.stderr
    # The CLI exits 0 when its glob matches nothing, so also make sure it read our file.
    assert "Checking 1 workflow file" in output, output
    assert result.returncode == 0, output


def test_zizmor_finds_nothing(workflow_file: Path) -> None:
    result = zizmor(workflow_file)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "No findings to report" in output, output


def test_the_linters_catch_a_broken_workflow(tmp_path: Path) -> None:
    """Guards the tests above: each linter must reject what it is there to catch."""
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    text = (PROJECT_ROOT / REPO_WORKFLOW).read_text(encoding="utf-8")
    broken.write_text(text.replace("steps.deployment.outputs", "steps.nope.outputs"))
    result = actionlint(broken)
    assert result.returncode != 0 and "nope" in result.stdout + result.stderr
    broken.write_text(text.replace("        with:\n          persist-credentials: false\n", "", 1))
    result = zizmor(broken)
    assert result.returncode != 0 and "artipacked" in result.stdout + result.stderr


# -- what both workflows promise ---------------------------------------------------------------


def test_pull_requests_are_built_and_checked_never_deployed(workflow_file: Path) -> None:
    workflow = load(workflow_file)
    triggers = workflow.get("on", workflow.get(True))  # PyYAML reads `on` as True
    assert set(triggers) == {"push", "pull_request", "workflow_dispatch"}
    assert triggers["push"]["branches"] == ["main"]
    first = next(iter(workflow["jobs"]))
    assert "if" not in workflow["jobs"][first], "the checking job must run on pull requests"
    runs = " ".join(scripts(workflow, first))
    assert "site-builder build" in runs and "site-builder check" in runs
    build = workflow["jobs"]["build"]
    assert build["needs"] == first
    assert build["if"] == "github.event_name != 'pull_request' && github.ref == 'refs/heads/main'"
    assert workflow["jobs"]["deploy"]["needs"] == "build"


def test_only_the_deploy_job_may_publish(workflow_file: Path) -> None:
    workflow = load(workflow_file)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        granted = job["permissions"]
        if name == "deploy":
            assert granted == PUBLISHING
        else:
            assert not set(granted.items()) & set(PUBLISHING.items()), f"{name}: {granted}"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    assert deploy["environment"] == {
        "name": "github-pages",
        "url": "${{ steps.deployment.outputs.page_url }}",
    }
    assert step_using(workflow, "deploy", "actions/deploy-pages")["id"] == "deployment"


def test_checkouts_keep_no_credentials(workflow_file: Path) -> None:
    workflow = load(workflow_file)
    checkouts = [
        step for job in workflow["jobs"].values() for step in job["steps"]
        if step.get("uses", "").startswith("actions/checkout@")
    ]  # fmt: skip
    assert checkouts
    assert all(step["with"]["persist-credentials"] is False for step in checkouts)


def test_the_site_is_built_for_the_pages_url_and_uploaded(workflow_file: Path) -> None:
    workflow = load(workflow_file)
    assert step_using(workflow, "build", "actions/configure-pages")["id"] == "pages"
    build = next(s for s in steps(workflow, "build") if "site-builder build" in s.get("run", ""))
    assert build["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}/"
    assert build["run"].endswith('site-builder build --base-url "$BASE_URL"')
    assert any("site-builder check" in s for s in scripts(workflow, "build"))
    upload = step_using(workflow, "build", "actions/upload-pages-artifact")
    assert upload["with"]["path"].rstrip("/") == "output"


def test_every_action_is_pinned_to_a_current_major(workflow_file: Path) -> None:
    workflow = load(workflow_file)
    uses = [
        step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step
    ]
    unpinned = [u for u in uses if not PINNED_USES.match(u)]
    assert not unpinned, f"actions not pinned to a full commit SHA: {unpinned}"
    # The YAML parser drops comments, so read the release names from the text.
    lines = workflow_file.read_text(encoding="utf-8").splitlines()
    uses_lines = [line for line in lines if re.match(r"\s*(-\s*)?uses:", line)]
    assert len(uses_lines) == len(uses)
    for line in uses_lines:
        match = VERSION_COMMENT.search(line)
        assert match, f"pinned action without a `# vX.Y.Z` comment: {line.strip()}"
        action = match.group(1).split("@")[0]
        assert int(match.group(2)) >= CURRENT_MAJORS[action], f"{action} is on a Node 20 major"


# -- this repository's workflow ----------------------------------------------------------------


def test_the_repo_tests_through_ci_run_before_building() -> None:
    workflow = load(PROJECT_ROOT / REPO_WORKFLOW)
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme, "README.md should tell contributors to run `make test`"
    runs = scripts(workflow, "test")
    # `make test` is reached through .ci/run, the script CI runs, so the two cannot drift.
    assert runs[0] == "bash .ci/run"
    ci_run = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci_run, re.MULTILINE), ".ci/run no longer runs `make test`"


def test_ci_run_falls_back_to_debian_chromium(tmp_path: Path) -> None:
    """CHROMIUM_PATH pointing at nothing: .ci/run says so and uses /usr/bin/chromium.
    Run up to the point where it would install and test (a stub `make` stops it there)."""
    linux_only(".ci/run (bash, the Linux CI script)")
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name in ("make", "sudo", "apt-get"):
        (stubs / name).write_text('#!/bin/sh\necho "$0 $*"; env | grep ^CHROMIUM_PATH=\n')
        (stubs / name).chmod(0o755)
    result = subprocess.run(
        ["bash", str(PROJECT_ROOT / ".ci" / "run")],
        env={"PATH": f"{stubs}:/usr/bin:/bin", "CHROMIUM_PATH": "/nowhere/chrome", "CI": "true"},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert "CHROMIUM_PATH=/nowhere/chrome is not an executable" in result.stdout, result.stderr
    assert "make test" in result.stdout
    assert "CHROMIUM_PATH=/usr/bin/chromium" in result.stdout
