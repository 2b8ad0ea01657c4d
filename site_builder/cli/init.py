"""`site-builder init DIR`: a new explainer project that builds and checks with no edits.

The files come from site_builder/scaffold/ (package data): site.yaml, a home page, a
section page, the sources, search and 404 pages, an archetype for `new`, a README,
`.gitignore`, `requirements.txt` pinning this generator's version, and a GitHub Pages
workflow. Slots in them (`{title}`, `{version}`…) are filled by plain replacement.
The theme is not copied: the project uses the packaged one until it overrides a file.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from site_builder import __version__
from site_builder.theme.strings import fill_slots

SCAFFOLD = Path(__file__).resolve().parent.parent / "scaffold"
# Names in the scaffold that packaging tools would drop or hide, and where they go.
RENAMED = {"gitignore": ".gitignore", "github": ".github"}
MAX_TITLE = 200


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    init = commands.add_parser("init", help="start a new explainer project in DIR")
    init.add_argument("dir", type=Path, metavar="DIR", help="the new project's folder")
    init.add_argument("--title", help="the site's title (default: from the folder's name)")
    init.add_argument("--force", action="store_true", help="write into DIR even if it is not empty")
    init.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    init.add_argument("--debug", action="store_true", help="show a traceback on internal errors")
    init.set_defaults(run=run_init)


def run_init(args: argparse.Namespace) -> int:
    target: Path = args.dir
    if target.exists() and not target.is_dir():
        print(f"error: {target} is a file, not a folder", file=sys.stderr)
        return 1
    if target.is_dir() and any(target.iterdir()) and not args.force:
        print(
            f"error: {target} is not empty; choose a new folder, or use --force to add the "
            "project's files to it (files of the same name are replaced)",
            file=sys.stderr,
        )
        return 1
    title = " ".join((args.title or title_from(target)).split())
    if not title or len(title) > MAX_TITLE:
        print(f"error: --title must be 1 to {MAX_TITLE} characters", file=sys.stderr)
        return 1
    slots = {
        "title": title,
        "title_yaml": yaml_string(title),
        "name": url_name(target),
        "version": __version__,
    }
    written = []
    for source in sorted(SCAFFOLD.rglob("*")):
        if not source.is_file() or "__pycache__" in source.parts:
            continue
        relative = source.relative_to(SCAFFOLD)
        parts = [RENAMED.get(part, part) for part in relative.parts]
        destination = target.joinpath(*parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8")
        if relative.parts[0] != "archetypes":  # the archetype keeps its slots for `new`
            text = fill_slots(text, slots)
        destination.write_text(text, encoding="utf-8")
        written.append("/".join(parts))
    (target / "content" / "sources").mkdir(parents=True, exist_ok=True)
    if not args.quiet:
        print(f"created {target} ({len(written)} files). Next:")
        print(f"  cd {target} && site-builder serve")
    return 0


def title_from(folder: Path) -> str:
    """ "my-new-explainer" → "My new explainer"."""
    words = re.sub(r"[-_]+", " ", folder.resolve().name).strip()
    return words[:1].upper() + words[1:] if words else "New explainer"


def url_name(folder: Path) -> str:
    """The folder's name as a URL segment, for the example base URL."""
    slug = re.sub(r"[^a-z0-9]+", "-", folder.resolve().name.lower()).strip("-")
    return slug or "explainer"


def yaml_string(value: str) -> str:
    """A YAML double-quoted scalar (safe for colons, quotes, #)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
