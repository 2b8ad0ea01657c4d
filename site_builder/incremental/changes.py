"""What changed between two builds: each build's facts summed up, and compared.

`summarize` keeps the facts of a successful build (pages' digests and places,
lists, navigation, data, sources, templates, assets, environment); `touched`
compares two summaries and names the subjects (facts.py) that differ, so only
the outputs whose traces mention one of them need to be looked at.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from site_builder.incremental.facts import ALL, MISSING, Subject, World
from site_builder.model import Citation, NavItem, Page


@dataclass
class Summary:
    """The facts of one successful build, kept to compare the next one with."""

    config: str  # fingerprint of the configuration (and options) built with
    digests: dict[str, str]  # page rel -> digest of its text
    places: dict[str, tuple[str, str, str, str | None, str | None]]  # url, …, prev, next
    citations: dict[str, tuple[Citation, ...]]
    listed: tuple[str, ...]
    all_pages: tuple[str, ...]
    nav: tuple[NavItem, ...]
    cites: dict[str, tuple[str, ...]]
    data: dict[str, str]
    sources: dict[str, str]
    templates: dict[str, str]
    assets: dict[str, str]
    env: dict[str, str | None]


def place(page: Page) -> tuple[str, str, str, str | None, str | None]:
    prev, next_ = page.prev, page.next
    return (
        page.url, page.permalink, page.output_path,
        prev.rel if prev else None, next_.rel if next_ else None,
    )  # fmt: skip


def summarize(
    world: World,
    config: str,
    digests: dict[str, str],
    old: Summary | None = None,
    pages: set[str] | None = None,
) -> Summary:
    """The facts of this build. With `old` and `pages`: only those pages may have other
    places or citations than in `old` (a rebuild where the reading order stayed)."""
    if old is None or pages is None:
        places = {p.rel: place(p) for p in world.all_pages}
        citations = {p.rel: tuple(p.citations) for p in world.all_pages}
    else:
        places, citations = dict(old.places), dict(old.citations)
        for rel in pages:
            page = world.pages.get(rel)
            if page is None:
                places.pop(rel, None)
                citations.pop(rel, None)
            else:
                places[rel] = place(page)
                citations[rel] = tuple(page.citations)
    return Summary(
        config=config,
        digests=digests,
        places=places,
        citations=citations,
        listed=world.listed_rels(),
        all_pages=world.all_rels(),
        nav=tuple(world.nav),
        cites={source_id: tuple(p.rel for p in pages) for source_id, pages in world.cites.items()},
        data=dict(world.data_fps),
        sources=dict(world.source_fps),
        templates=dict(world.template_fps),
        assets=dict(world.assets),
        env=dict(world.env),
    )


def _changed(
    old: Mapping[str, Any], new: Mapping[str, Any], only: set[str] | None = None
) -> set[str]:
    keys = (old.keys() | new.keys()) if only is None else only
    if only is None and old == new:
        return set()
    return {k for k in keys if old.get(k, MISSING) != new.get(k, MISSING)}


def touched(old: Summary | None, new: Summary, pages: set[str] | None = None) -> set[Subject]:
    """The subjects whose facts may differ between two builds (ALL: anything may).
    `pages`: the only pages whose digest, place or citations may differ, if known."""
    if old is None or old.config != new.config:
        return {ALL}
    found: set[Subject] = set()
    changed = _changed(old.digests, new.digests, pages) | _changed(old.places, new.places, pages)
    changed |= _changed(old.citations, new.citations, pages)
    found |= {("page", rel) for rel in changed}
    if old.listed != new.listed:
        found.add(("list", "pages"))
    if old.all_pages != new.all_pages:
        found.add(("list", "all"))
    if old.nav != new.nav:
        found.add(("nav", ""))
    for kind, before, after in (
        ("cites", old.cites, new.cites),
        ("data", old.data, new.data),
        ("source", old.sources, new.sources),
    ):
        names = _changed(before, after)
        found |= {(kind, name) for name in names}
        if names:
            found.add((kind, "*"))
    found |= {("template", name) for name in _changed(old.templates, new.templates)}
    found |= {("asset", name) for name in _changed(old.assets, new.assets)}
    found |= {("env", name) for name in _changed(old.env, new.env)}
    return found
