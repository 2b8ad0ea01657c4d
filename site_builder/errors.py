"""Diagnostics: every problem names the file, line and column it comes from.

Stages collect `Diagnostic`s instead of stopping at the first one, and raise
`BuildFailed` with all of them at the end of a phase; the CLI prints each one
on its own line (`content/x.md:3:7: message`) and exits with status 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

# Characters that would forge or hide part of a printed line: C0 and C1 controls (a newline
# in a file name would start a fake diagnostic), line separators and bidi controls.
_UNPRINTABLE_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """`text` with every control character written as an escape (`\\n`, `\\x1b`, `\\u202e`)."""
    return _UNPRINTABLE_RE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one place. `path` is relative to the project folder."""

    path: str
    line: int | None = None
    col: int | None = None
    message: str = ""
    severity: str = "error"  # "error" or "warning"

    def format(self) -> str:
        """One line, `path:line:col: message`; control characters in the path or the
        message (which may quote a path or a feed's text) are escaped."""
        where = printable(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.col is not None:
                where += f":{self.col}"
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{printable(self.message)}"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class SiteError(Exception):
    """A single problem with a known place; raised by loaders, caught by stages."""

    def __init__(self, path: str | Path, line: int | None, col: int | None, message: str) -> None:
        self.diagnostic = Diagnostic(str(path), line, col, message)
        super().__init__(self.diagnostic.format())

    def __reduce__(self) -> tuple[type[SiteError], tuple[str, int | None, int | None, str]]:
        # Pickled to and from worker processes (parallel.py), rebuilt from its parts.
        d = self.diagnostic
        return (SiteError, (d.path, d.line, d.col, d.message))


class BuildFailed(Exception):
    """Raised with every diagnostic of a phase when at least one is an error."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=_sort_key)
        super().__init__("\n".join(d.format() for d in self.diagnostics))


def _sort_key(d: Diagnostic) -> tuple:
    return (d.path, d.line or 0, d.col or 0, d.message)


def sorted_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=_sort_key)


def fail_on(diagnostics: list[Diagnostic], strict: bool) -> None:
    """Raise BuildFailed with all of `diagnostics` if one is an error (any, if strict)."""
    if any(d.is_error or strict for d in diagnostics):
        raise BuildFailed(diagnostics)
