"""Lighthouse (the pinned npm package) run over pages of a served site in Debian's chromium."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support import linux_only, missing_tool
from tests.support.browser import chromium_path

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNNER = REPO_ROOT / "tests" / "support" / "lighthouse.mjs"
PACKAGE = REPO_ROOT / "node_modules" / "lighthouse"


@dataclass(frozen=True)
class Audit:
    url: str
    scores: dict[str, float | None]  # accessibility, best-practices, seo: 0..1
    failing: list[dict[str, str]]  # the audits that scored below 1
    error: str | None

    def describe(self) -> str:
        failing = ", ".join(f"{a['id']} ({a['title']})" for a in self.failing)
        return (
            f"{self.url}: {self.scores}"
            + (f" failing: {failing}" if failing else "")
            + (f" error: {self.error}" if self.error else "")
        )


def run_lighthouse(urls: list[str], processes: int = 3, timeout: float = 600) -> list[Audit]:
    """Audit each URL for accessibility, best practices and SEO; one Audit per URL, in the
    order given. A Lighthouse run mostly waits for the page, so `processes` browsers audit
    a share of the pages each, side by side."""
    linux_only("Lighthouse")
    node = shutil.which("node")
    if node is None or not PACKAGE.is_dir():
        missing_tool("Lighthouse needs node and `npm ci` (node_modules/lighthouse)")
    shares = [urls[i::processes] for i in range(processes) if urls[i::processes]]
    running = [
        subprocess.Popen(
            [node, str(RUNNER), str(chromium_path()), *share],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
            start_new_session=True,  # its own process group: stopped with its browser
        )
        for share in shares
    ]
    audits: list[Audit] = []
    failures = []
    try:
        for process in running:
            stdout, stderr = process.communicate(timeout=timeout)
            if process.returncode != 0:
                failures.append(f"exit {process.returncode}:\n{stderr}")
            audits += [Audit(**json.loads(line)) for line in stdout.splitlines() if line.strip()]
    finally:
        for process in running:  # a timed-out run is stopped, not left behind
            if process.poll() is None:
                # SIGINT: chrome-launcher closes the browser it started (in a group of its own).
                os.killpg(process.pid, signal.SIGINT)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
    if failures:
        raise AssertionError("Lighthouse failed: " + "\n".join(failures))
    return sorted(audits, key=lambda audit: urls.index(audit.url))
