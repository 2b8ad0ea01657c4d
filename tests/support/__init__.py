"""Helpers shared by the test suite: browser, HTML validator, axe-core, static server."""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import pytest

# The explainer is published as a GitHub Pages project site, i.e. under a sub-path; building and
# serving it with one makes the tests notice any link or asset that forgets the prefix.
SITE_BASE_URL = "https://example.github.io/stockholm-explainer/"
SITE_PREFIX = "/stockholm-explainer/"


def running_in_ci() -> bool:
    """True when the CI convention variable is set (GitHub Actions and our CI set CI=true)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def linux_only(what: str) -> None:
    """Skip a test that needs the Linux tool chain (Debian's chromium, the Nu HTML Checker's
    Java, axe-core in that browser) when running on macOS or Windows. The macOS and Windows
    CI jobs (.github/workflows/tests.yml) test the generator there; its pages are checked
    in a browser by the Linux job, where a missing tool under CI=true is still a failure."""
    if sys.platform != "linux":
        pytest.skip(f"{what}: Linux only (the Linux CI job runs them)")


def missing_tool(message: str) -> NoReturn:
    """Stop a test that needs a tool this machine lacks.

    In CI a missing tool means the CI script failed to install it, so the check must fail
    loudly instead of silently passing as a skip; on a developer's machine a skip is kinder.
    """
    if running_in_ci():
        pytest.fail(f"{message} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(message)
