"""Static assets: copied from static/, with CSS and JS named by a content hash.

The default theme's static files (site_builder/theme/static/) come first; a project
file with the same name replaces the theme's, file by file. Images beside the pages
(`content/guide/map.png`, for `![…](map.png)` in `content/guide/index.md`) are assets
too, named by their path under content/ (`guide/map.png`).

A fingerprinted name (`site.3f2a9c1b0d.css`) changes when the file does, so the
host and the browser may cache assets forever. Templates ask for an asset by
its source name with `asset('css/site.css')` and get the hashed URL.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from site_builder.content.files import discover, relpath
from site_builder.errors import Diagnostic
from site_builder.project import CONTENT_DIR, STATIC_DIR
from site_builder.theme import STATIC as THEME_STATIC

FINGERPRINTED = (".css", ".js")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg")
SOURCES_FOLDER = "content/sources/"  # source records, never copied


@dataclass(frozen=True)
class Asset:
    source: Path
    name: str  # relative to static/, e.g. "css/site.css"
    output_name: str  # e.g. "css/site.3f2a9c1b0d.css"
    data: bytes


def collect_assets(project: Path) -> tuple[dict[str, Asset], list[Diagnostic]]:
    """The theme's static files, then the project's static/ over them, then the images
    under content/ (one with the name of a static/ file is an error)."""
    theme_files, _ = discover(THEME_STATIC.parent, THEME_STATIC.name)
    files, diagnostics = discover(project, STATIC_DIR)
    assets: dict[str, Asset] = {}
    for folder, paths in ((THEME_STATIC, theme_files), (project / STATIC_DIR, files)):
        for path in paths:
            asset = read_asset(path, relpath(path, folder))
            assets[asset.name] = asset
    own = {relpath(path, project / STATIC_DIR) for path in files}
    content_files, _ = discover(project, CONTENT_DIR)  # content.py reports its problems
    for path in content_files:
        rel = relpath(path, project)
        if rel.startswith(SOURCES_FOLDER) or not path.name.lower().endswith(IMAGE_SUFFIXES):
            continue
        asset = read_asset(path, relpath(path, project / CONTENT_DIR))
        if asset.name in own:
            diagnostics.append(
                Diagnostic(
                    rel,
                    None,
                    None,
                    f"static/{asset.name} has the same name; rename or move one of them",
                )  # fmt: skip
            )
            continue
        assets[asset.name] = asset
    return dict(sorted(assets.items())), diagnostics


def read_asset(path: Path, name: str) -> Asset:
    data = path.read_bytes()
    output_name = name
    if path.suffix in FINGERPRINTED:
        digest = hashlib.sha256(data).hexdigest()[:10]
        pure = PurePosixPath(name)
        output_name = str(pure.with_name(f"{pure.stem}.{digest}{pure.suffix}"))
    return Asset(path, name, output_name, data)


def check_collisions(
    assets: dict[str, Asset], generated: set[str], reserved_prefixes: tuple[str, ...]
) -> list[Diagnostic]:
    """A static file must not take the place of a page or a file the build makes, nor
    differ from one only by case (`static/Index.html` beside the generated `index.html`
    is one file on macOS and Windows)."""
    problems = []
    generated_by_folded = {name.casefold(): name for name in generated}
    folded_prefixes = tuple(prefix.casefold() for prefix in reserved_prefixes)
    for asset in assets.values():
        name = asset.output_name
        clash = generated_by_folded.get(name.casefold())
        if clash is None and not name.casefold().startswith(folded_prefixes):
            continue
        message = f"would overwrite the generated {clash or name}"
        if clash is not None and clash != name:
            message += " (names that differ only by case are one file on macOS and Windows)"
        problems.append(
            Diagnostic(
                f"{STATIC_DIR}/{asset.name}", None, None, message + "; rename or move the file"
            )
        )
    return problems
