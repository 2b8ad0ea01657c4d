"""Launch Debian's chromium through the pinned Python Playwright package.

Playwright's own browser download cannot run here (only package registries are reachable),
so we drive the distribution's chromium binary instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Browser, Playwright

from tests.support import linux_only, missing_tool

DEFAULT_CHROMIUM = "/usr/bin/chromium"

# Flags that keep a headless run hermetic and quiet: no sandbox (we run as root in CI), no
# GPU, and none of chromium's background calls home, which would break the "no request
# leaves 127.0.0.1" check and can stall on a machine without internet access.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> Path:
    """The chromium binary to drive; CHROMIUM_PATH overrides it (e.g. Chrome on a GitHub runner)."""
    return Path(os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM)


def launch_chromium(playwright: Playwright) -> Browser:
    """Launch headless chromium, or skip (fail under CI=true) when it is not installed."""
    linux_only("browser tests")
    executable = chromium_path()
    if not os.access(executable, os.X_OK):
        missing_tool(f"no chromium at {executable}; install it with `apt-get install chromium`")
    return playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
