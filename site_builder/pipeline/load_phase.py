"""Phase 1 of the build (build.py): pages as the build keeps them, then the site as a whole.

A content file read and parsed becomes a `Page` (`make_page`). Once every page is
known, in reading order, the pages are placed (URLs and output paths: `place_pages`),
the sources they name are checked, the navigation is made and each page is linked
to its neighbours. The Builder decides which pages are looked at: all of them, or
after a few saves only those that changed.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Container
from pathlib import Path

from site_builder.config import CONFIG_FILE, Config
from site_builder.content.sources import SourceRecord, unknown_source_message
from site_builder.content.urls import assign_locations, page_location
from site_builder.errors import Diagnostic
from site_builder.incremental.records import PageInput
from site_builder.model import NavItem, Page
from site_builder.project import CONTENT_DIR


def make_page(rel: str, known: PageInput) -> Page:
    """A Page as this process keeps it: its body, and what rendering it gave, are kept
    aside compressed, and reach templates through the lazy attributes of facts.World."""
    assert known.front is not None
    return Page(
        source_path=f"{CONTENT_DIR}/{rel}",
        rel=rel,
        front=known.front,
        body_line=known.body_line,
    )


def file_stat(path: Path) -> tuple[int, int, int, int]:
    """(size, mtime, ctime, inode): what tells a file is the one read (PageInput.unchanged)."""
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def place_pages(
    pages: list[Page], base_path: str, origin: str, moved: set[str] | None
) -> list[Diagnostic]:
    """URLs and output paths. `moved`: the pages that may have a new one (None: all);
    the others keep theirs. Any problem: all are placed again, for exact messages."""
    if moved is None:
        return assign_locations(pages, base_path, origin)
    for page in pages:
        if page.rel not in moved:
            continue
        location = page_location(page)
        if isinstance(location, Diagnostic):
            return assign_locations(pages, base_path, origin)
        url, output_path = location
        page.url = base_path + url
        page.permalink = origin + page.url
        page.output_path = output_path
    keys = {page.output_path.lower() for page in pages}
    if len(keys) != len(pages):
        return assign_locations(pages, base_path, origin)
    return []


def check_page_sources(
    pages: list[Page], sources: dict[str, SourceRecord], known: Container[str]
) -> list[Diagnostic]:
    """An error for each source a page's front matter names that is not `known` (a record
    that failed to load is known: its own error is reported once)."""
    problems = []
    for page in pages:
        for source_id, line in page.front.source_lines.items():
            if source_id not in known:
                message = unknown_source_message(source_id, sources)
                problems.append(Diagnostic(page.source_path, line, None, message))
    return problems


def make_nav(
    config: Config,
    pages: list[Page],
    drafts: Collection[str] = (),
    unreadable: Collection[str] = (),
) -> tuple[list[NavItem], list[Diagnostic]]:
    """The navigation of `site.yaml`. An entry for a draft left out of the build says
    so; one for a page whose file has its own error adds none (that error is reported)."""
    by_rel = {page.rel: page for page in pages}
    nav: list[NavItem] = []
    problems: list[Diagnostic] = []
    for rel, line in zip(config.nav, config.nav_lines, strict=False):
        page = by_rel.get(rel)
        if page is None:
            if rel in unreadable:
                continue
            message = f"nav: there is no page content/{rel}"
            if rel in drafts:
                message = (
                    f"nav: content/{rel} is a draft (draft: true), left out of this build; "
                    "publish it or take it out of nav"
                )
            problems.append(Diagnostic(CONFIG_FILE, line, None, message))
            continue
        nav.append(NavItem(page.nav_title, page.url, page.source_path))
    return nav, problems


def link_neighbours(pages: list[Page]) -> None:
    """Previous/next links follow the reading order (front matter `order`)."""
    for page in pages:
        page.prev = page.next = None
    chains: dict[str, list[Page]] = {}  # one reading order per language
    for page in pages:
        if not page.is_404:
            chains.setdefault(page.language, []).append(page)
    for chain in chains.values():
        for before, after in zip(chain, chain[1:], strict=False):
            before.next = after
            after.prev = before
