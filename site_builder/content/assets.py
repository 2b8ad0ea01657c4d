"""Static assets: copied from static/, with CSS and JS named by a content hash.

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
from site_builder.project import STATIC_DIR

FINGERPRINTED = (".css", ".js")


@dataclass(frozen=True)
class Asset:
    source: Path
    name: str  # relative to static/, e.g. "css/site.css"
    output_name: str  # e.g. "css/site.3f2a9c1b0d.css"
    data: bytes


def collect_assets(project: Path) -> tuple[dict[str, Asset], list[Diagnostic]]:
    files, diagnostics = discover(project, STATIC_DIR)
    assets: dict[str, Asset] = {}
    for path in files:
        name = relpath(path, project / STATIC_DIR)
        data = path.read_bytes()
        output_name = name
        if path.suffix in FINGERPRINTED:
            digest = hashlib.sha256(data).hexdigest()[:10]
            pure = PurePosixPath(name)
            output_name = str(pure.with_name(f"{pure.stem}.{digest}{pure.suffix}"))
        assets[name] = Asset(path, name, output_name, data)
    return assets, diagnostics


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
