"""Validate HTML files with the Nu HTML Checker (vnu.jar from the pinned vnu-jar npm package)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlparse

from tests.support import linux_only, missing_tool

REPO_ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = REPO_ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


class VnuError(NamedTuple):
    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def require_vnu(jar: Path = VNU_JAR) -> str:
    """Return the java executable, or skip (fail under CI=true) when java or the jar is missing."""
    linux_only("HTML validity tests")
    java = shutil.which("java")
    if java is None:
        missing_tool("no `java` on PATH; install it with `apt-get install default-jre-headless`")
    if not jar.is_file():
        missing_tool(f"no {jar}; run `npm ci` (make test does)")
    return java


def validate_html(files: Sequence[Path], jar: Path = VNU_JAR) -> list[VnuError]:
    """Return every validation error in `files`, checked by ONE java process.

    One JVM for all files matters: a JVM start costs ~1-2 s, per-file calls would dominate the
    test run.
    """
    if not files:
        raise ValueError("validate_html needs at least one file")
    java = require_vnu(jar)
    command = [java, "-jar", str(jar), "--format", "json", "--errors-only", "--exit-zero-always"]
    command += [str(Path(f).resolve()) for f in files]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"vnu exited {result.returncode}:\n{result.stderr}{result.stdout}")
    return _parse_report(result.stderr)


def _parse_report(report: str) -> list[VnuError]:
    """Turn vnu's JSON report (which it writes to stderr) into VnuErrors."""
    try:
        messages = json.loads(report)["messages"]
    except (json.JSONDecodeError, KeyError) as exc:
        raise RuntimeError(f"unreadable vnu report: {report[:2000]!r}") from exc
    # --errors-only already drops warnings; "non-document-error" (e.g. an unreadable file)
    # is kept because it means a page was not checked at all.
    return [
        VnuError(
            file=_file_of(message.get("url", "")),
            line=int(message.get("lastLine", message.get("firstLine", 0))),
            message=message.get("message", ""),
        )
        for message in messages
        if message.get("type") in {"error", "non-document-error"}
    ]


def _file_of(url: str) -> Path:
    """vnu names files as `file:/abs/path`; turn that back into a Path."""
    parsed = urlparse(url)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(url)
