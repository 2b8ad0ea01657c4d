"""A slow stand-in for Pagefind, for the tests of what gives way to it.

While its marker file exists, the stand-in writes its process id and sleeps for a
minute instead of indexing; otherwise it runs the real Pagefind. The preview must end
it when a save comes (site_builder/render/search.py `run_pagefind`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from site_builder.render.search import pagefind_executable

SCRIPT = """#!/bin/sh
if [ -e "{marker}" ]; then echo $$ > "{pid}"; exec sleep 60; fi
exec "{real}" "$@"
"""


@dataclass(frozen=True)
class SlowPagefind:
    executable: Path  # the stand-in
    marker: Path  # while it exists, the stand-in sleeps
    pid_file: Path  # where a sleeping stand-in writes its process id

    def sleeping_pid(self) -> int | None:
        """The id of the stand-in sleeping now (or that slept), once it has written it."""
        try:
            text = self.pid_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return int(text) if text else None

    def package(self, root: Path) -> Path:
        """A folder holding a `pagefind_bin_extended` package that gives the stand-in:
        put first on a server's PYTHONPATH, it replaces the real one."""
        package = root / "pagefind_bin_extended"
        package.mkdir(parents=True)
        source = f"def get_executable():\n    return {str(self.executable)!r}\n"
        (package / "__init__.py").write_text(source, encoding="utf-8")
        return root


def slow_pagefind(root: Path) -> SlowPagefind:
    """The stand-in, written into `root` (Pagefind runs normally until the marker exists)."""
    slow = SlowPagefind(root / "pagefind", root / "slow", root / "pagefind.pid")
    script = SCRIPT.format(marker=slow.marker, pid=slow.pid_file, real=pagefind_executable())
    slow.executable.write_text(script, encoding="utf-8")
    slow.executable.chmod(0o755)
    return slow
