"""Fixtures shared by the whole test suite."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import filelock
import pytest
from playwright.sync_api import Browser, sync_playwright

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# `make test` runs the venv's pytest script, whose sys.path holds neither the repo root nor the
# current folder; the test helpers are imported as `tests.support.*`, so put the root first.
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

# A suite started in the background by a non-interactive shell (`make test &` in a script)
# inherits SIGINT ignored, and an ignored signal stays ignored in every process it starts:
# the tests that press Ctrl-C on a build or a preview would see it do nothing. A handler
# does not survive exec, so with one here each process the tests start gets the default.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

from tests.support import SITE_BASE_URL  # noqa: E402
from tests.support.browser import launch_chromium  # noqa: E402


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless chromium per test process (each xdist worker gets its own)."""
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def built_site(project_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repo's real explainer site, built by the real CLI with a sub-path base URL.

    Under pytest-xdist every worker asks for this fixture; the build runs once in the run's
    shared temp folder, guarded by a file lock, and the other workers reuse it.
    """
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the folder common to all workers of this run
    output = shared / "built-site"
    done = shared / "built-site.done"
    failed = shared / "built-site.failed"
    with filelock.FileLock(shared / "built-site.lock"):
        if not done.exists() and not failed.exists():
            _build_site(project_root, output, done, failed)
    if failed.exists():
        pytest.fail(failed.read_text(encoding="utf-8"), pytrace=False)
    return output


def _build_site(project_root: Path, output: Path, done: Path, failed: Path) -> None:
    """Run `python -m site_builder build` and record the outcome for the other workers."""
    command = [
        sys.executable,
        "-m",
        "site_builder",
        "build",
        "--source",
        str(project_root),
        "--output",
        str(output),
        "--base-url",
        SITE_BASE_URL,
    ]
    result = subprocess.run(
        command, cwd=project_root, capture_output=True, text=True, timeout=300, check=False
    )
    if result.returncode != 0:
        failed.write_text(
            f"building the site failed (exit {result.returncode}):\n$ {' '.join(command)}\n"
            f"{result.stdout}{result.stderr}",
            encoding="utf-8",
        )
    else:
        done.write_text(result.stdout, encoding="utf-8")
