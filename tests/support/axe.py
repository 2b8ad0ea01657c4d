"""Run axe-core (from the pinned axe-core npm package) inside a Playwright page."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.support import linux_only, missing_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
AXE_JS = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2 at levels A and AA: what we promise readers.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_RUN_AXE = """async (tags) => {
    const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
    return results.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary})),
    }));
}"""


@cache
def _axe_source(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def run_axe(page: Page, tags: list[str] = WCAG_TAGS, axe_js: Path = AXE_JS) -> list[dict[str, Any]]:
    """Return axe's violations for the page's current document, restricted to `tags`.

    The script is evaluated through the DevTools protocol rather than added as a <script>
    element, so a page's Content-Security-Policy (which should forbid inline scripts) does not
    stop the audit.
    """
    linux_only("accessibility tests")
    if not axe_js.is_file():
        missing_tool(f"no {axe_js}; run `npm ci` (make test does)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source(axe_js))
    return page.evaluate(_RUN_AXE, tags)


def format_violations(violations: list[dict[str, Any]]) -> str:
    """One line per failing element, readable in a pytest failure message."""
    lines = []
    for violation in violations:
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(
                f"  [{violation['impact']}] {violation['id']}: {violation['help']}"
                f" at `{node['target']}` — {summary}"
            )
    return "\n".join(lines)
