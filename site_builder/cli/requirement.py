"""The `requirements.txt` line `init` writes: this generator, as it is installed here.

A version pin works only if that version is on the package index CI installs from.
pip records where a distribution came from when it was not an index (PEP 610,
`direct_url.json`): a Git repository at a commit, or an archive at a URL. Those are
written as a direct reference CI can install exactly. A local path (a wheel built
here, a clone installed with `pip install .`) cannot be reached from CI, so the pin
is written with a comment saying what to put instead.
"""

from __future__ import annotations

import json
from typing import Any

from site_builder import __version__

DISTRIBUTION = "site-builder"


def generator_requirement() -> str:
    """The requirement lines (a comment, then the requirement) for the installed generator."""
    # Imported here: it costs 25 ms, and every command (a build too) imports this module.
    import importlib.metadata

    try:
        found = importlib.metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except importlib.metadata.PackageNotFoundError:
        found = None
    try:
        direct = json.loads(found) if found else None
    except ValueError:
        direct = None
    return requirement_lines(__version__, direct if isinstance(direct, dict) else None)


def requirement_lines(version: str, direct: dict[str, Any] | None) -> str:
    """What to write for `version`, installed from `direct` (PEP 610) or from an index (None)."""
    url = str((direct or {}).get("url", ""))
    remote = url.startswith(("https://", "http://", "ssh://", "git@"))
    vcs = (direct or {}).get("vcs_info")
    if remote and isinstance(vcs, dict) and vcs.get("vcs") and vcs.get("commit_id"):
        return (
            "# The generator this site is built with: the commit it was installed from.\n"
            f"{DISTRIBUTION} @ {vcs['vcs']}+{url}@{vcs['commit_id']}\n"
        )
    archive = (direct or {}).get("archive_info")
    if remote and isinstance(archive, dict):
        hashes = archive.get("hashes") or {}
        digest = hashes.get("sha256") if isinstance(hashes, dict) else None
        fragment = f"#sha256={digest}" if digest else ""
        return (
            "# The generator this site is built with: the archive it was installed from.\n"
            f"{DISTRIBUTION} @ {url}{fragment}\n"
        )
    if direct is not None:
        return (
            f"# site-builder {version} was installed here from a local path ({url}), which\n"
            "# CI cannot reach, and this version may not be on PyPI: replace the line below\n"
            "# with where CI can install it from, e.g.\n"
            "#   site-builder @ git+https://github.com/OWNER/site_builder@TAG\n"
            f"{DISTRIBUTION}=={version}\n"
        )
    return (
        "# The generator this site is built with, pinned: the CI workflow installs exactly\n"
        "# this. If your package index does not have it, replace the line with where CI can\n"
        "# install it from, e.g. site-builder @ git+https://github.com/OWNER/site_builder@TAG\n"
        f"{DISTRIBUTION}=={version}\n"
    )
