"""Rebuild the committed expected output of every golden fixture site.

    make expected        (or: python -m tests.regenerate_expected)

Run it after an intended change to the generator's output, then review the
diff of tests/fixtures/*/expected/ before committing it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN_SITES = ("basic",)


def build_fixture(name: str, output: Path) -> subprocess.CompletedProcess[str]:
    """Build tests/fixtures/NAME with drafts off, as the golden test does."""
    return subprocess.run(
        [sys.executable, "-m", "site_builder", "build", "-q",
         "--source", str(FIXTURES / name), "--output", str(output)],
        capture_output=True, text=True, check=False, env={"SOURCE_DATE_EPOCH": "1753600000", "PATH": ""},
        cwd=FIXTURES.parent.parent,
    )  # fmt: skip


def main() -> int:
    for name in GOLDEN_SITES:
        with tempfile.TemporaryDirectory() as tmp:
            output = Path(tmp) / "out"
            result = build_fixture(name, output)
            if result.returncode != 0:
                print(result.stderr, file=sys.stderr)
                return 1
            expected = FIXTURES / name / "expected"
            shutil.rmtree(expected, ignore_errors=True)
            shutil.copytree(output, expected)
            print(f"wrote {expected.relative_to(FIXTURES.parent.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
