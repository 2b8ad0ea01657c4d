"""Reading pages on their own, as tests do (the build reads them in pipeline/read.py)."""

from __future__ import annotations

from pathlib import Path

from site_builder.content.files import discover, parse_page, read_text, relpath
from site_builder.errors import Diagnostic, SiteError
from site_builder.model import Page
from site_builder.project import CONTENT_DIR, SOURCES_DIR, Kind, classify


def load_page(project: Path, path: Path, diagnostics: list[Diagnostic]) -> Page | None:
    """Read one content file into a Page; problems go to `diagnostics`."""
    source_path = relpath(path, project)
    rel = relpath(path, project / CONTENT_DIR)
    try:
        text = read_text(path, source_path)
    except SiteError as exc:
        diagnostics.append(exc.diagnostic)
        return None
    front, _, body_line = parse_page(text, source_path, diagnostics)
    if front is None:
        return None
    return Page(source_path=source_path, rel=rel, front=front, body_line=body_line)


def load_pages(project: Path) -> tuple[list[Page], list[Diagnostic]]:
    """Every page under content/ (source records under content/sources/ excluded)."""
    files, diagnostics = discover(project, CONTENT_DIR, skip=SOURCES_DIR)
    pages = []
    for path in files:
        if classify(relpath(path, project)) is not Kind.PAGE:
            continue
        page = load_page(project, path, diagnostics)
        if page is not None:
            pages.append(page)
    return pages, diagnostics
