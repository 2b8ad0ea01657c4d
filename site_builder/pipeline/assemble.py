"""Phase 2 of the build (build.py): the site as a whole.

Once every page is read, the pages are put in reading order, placed (URLs and
output paths), their sources checked, the navigation made and each page linked to
its neighbours; the result is the `Site` templates render and the `World` of facts
(incremental/facts.py) the outputs' traces are checked against. After a few saves
that leave the reading order as it was, only the pages read again are looked at.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from site_builder.content.assets import check_collisions
from site_builder.content.translations import (
    check_translations,
    split_language,
    version_from_digest,
)
from site_builder.errors import Diagnostic
from site_builder.incremental.facts import World
from site_builder.incremental.state import BuildState
from site_builder.model import Page, Site
from site_builder.pipeline.load_phase import (
    check_page_sources,
    link_neighbours,
    make_nav,
    place_pages,
)
from site_builder.pipeline.markdown_phase import unpack_text
from site_builder.pipeline.plan import GENERATED, SEARCH_PREFIX
from site_builder.pipeline.read import Inputs
from site_builder.pipeline.sections import folder_pages, make_sections
from site_builder.pipeline.write_phase import ENV_READ
from site_builder.render import feeds
from site_builder.theme.strings import Strings

PARTS = ("toc", "anchors", "links", "key_facts")  # of a page's Markdown, kept encoded


@dataclass
class Assembly:
    site: Site
    world: World
    problems: list[Diagnostic]
    # Problems that do not stop the Markdown phase (the navigation, translations' originals):
    # reported with its own, so a deleted page shows its nav entry *and* the links to it.
    reported_later: list[Diagnostic]
    reordered: bool  # the reading order was worked out again


@dataclass
class Assembler:
    """Assembles the site, remembering the reading order for the next build."""

    drafts: bool
    order: list[str] | None = None  # rels of the pages built, in reading order
    keys: dict[str, tuple] = field(default_factory=dict)  # their sort keys
    chain: dict[str, int] = field(default_factory=dict)  # rel -> place among listed pages
    source_problems: dict[str, list[Diagnostic]] = field(default_factory=dict)  # by rel

    def assemble(
        self, inputs: Inputs, state: BuildState, changed: set[str], only_changed: bool
    ) -> Assembly:
        """Order, place, check and link the pages. `only_changed` (a rebuild after
        saves): only the `changed` pages are looked at, unless the order changed."""
        config = inputs.config
        assert config is not None and inputs.templates is not None
        problems = state.input_problems()
        for page in inputs.pages.values():
            language, page.original = split_language(page.rel, config.languages)
            page.language = language.code
        for kind in ("content", "data", "sources", "templates"):
            problems += inputs.problems.get(kind, [])
        pages, reordered = self._ordered(inputs.pages, changed, only_changed)
        # Pages keep their place unless they are new objects (parsed again, or from a
        # cache of another configuration) or the configuration changed.
        summary = state.summary
        same_config = summary is not None and summary.config == inputs.config_fp
        moved = {p.rel for p in pages if not p.output_path} if same_config else None
        origin = feeds.absolute_origin(config.base_url)
        problems += place_pages(pages, config.base_path, origin, moved)
        folders = folder_pages([p for p in pages if not p.is_404])
        sections = make_sections(pages, folders, partial(theme_words, config))
        made = {p.output_path for p in pages} | set(GENERATED) | set(sections)
        made |= set(feeds.feed_paths(pages))
        problems += check_collisions(inputs.assets, made, (SEARCH_PREFIX,))
        problems += self._check_sources(inputs, pages, changed, only_changed)
        drafts = {rel for rel, page in inputs.pages.items() if page.draft}
        unreadable = inputs.listed - inputs.pages.keys()
        nav, later = make_nav(config, pages, drafts, unreadable, sections.values())
        later += check_translations(
            [(p.rel, p.front.translation_of, p.front.translation_of_line) for p in pages],
            config.languages,
            inputs.project,
        )
        if reordered:
            link_neighbours(pages)
            self.chain = {p.rel: index for index, p in enumerate(p for p in pages if not p.is_404)}
        else:
            self._relink(inputs.pages, changed)
        site = Site(
            config=config,
            project=inputs.project,
            pages=pages,
            sources=inputs.sources,
            data=inputs.data,
            nav=nav,
            as_of=config.as_of,
            sections=list(sections.values()),
        )
        world = make_world(inputs, state, pages, nav)
        world.sections, world.folders = sections, folders
        return Assembly(site, world, problems, later, reordered)

    def _check_sources(
        self, inputs: Inputs, pages: list[Page], changed: set[str], only_changed: bool
    ) -> list[Diagnostic]:
        """Unknown sources named in front matter (kept by page, checked again for the
        pages looked at)."""
        if not only_changed:
            self.source_problems = {}
        looked_at = [inputs.pages.get(rel) for rel in changed] if only_changed else pages
        for page in looked_at:
            if page is not None:
                self.source_problems[page.rel] = check_page_sources(
                    [page], inputs.sources, inputs.source_fps
                )
        for rel in changed - inputs.pages.keys():
            self.source_problems.pop(rel, None)
        return [d for found in self.source_problems.values() for d in found]

    def _ordered(
        self, by_rel: dict[str, Page], changed: set[str], only_changed: bool
    ) -> tuple[list[Page], bool]:
        """The pages to build in reading order, and whether it had to be worked out
        again (always, unless only the changed pages are looked at and none of them
        moved, came or went)."""
        drafts = self.drafts

        def key(rel: str) -> tuple | None:
            page = by_rel.get(rel)
            return page.sort_key() if page is not None and (drafts or not page.draft) else None

        if only_changed and self.order is not None:
            if all(self.keys.get(rel) == key(rel) for rel in changed):
                return [by_rel[rel] for rel in self.order], False
        keyed = sorted(
            (page.sort_key(), page) for page in by_rel.values() if drafts or not page.draft
        )
        self.order = [page.rel for _, page in keyed]
        self.keys = {page.rel: sort_key for sort_key, page in keyed}
        return [page for _, page in keyed], True

    def _relink(self, by_rel: dict[str, Page], changed: set[str]) -> None:
        """Previous/next links of the changed pages (new objects) and of their neighbours,
        the reading order being the same."""
        order = self.order
        assert order is not None
        chained = [rel for rel in order if rel in self.chain]
        for rel in changed:
            page = by_rel.get(rel)
            if rel not in self.chain or page is None:
                continue
            # The reading order of the page's own language (load_phase.link_neighbours).
            listed = [
                r for r in chained if getattr(by_rel.get(r), "language", None) == page.language
            ]
            index = listed.index(rel)
            page.prev = by_rel[listed[index - 1]] if index > 0 else None
            page.next = by_rel[listed[index + 1]] if index + 1 < len(listed) else None
            if page.prev is not None:
                page.prev.next = page
            if page.next is not None:
                page.next.prev = page


def theme_words(config: Any, code: str) -> Strings:
    """The theme's words in the language `code`; `strings:` in site.yaml are the default's."""
    return Strings(code, dict(config.strings) if code == config.language else {})


def make_world(inputs: Inputs, state: BuildState, pages: list[Page], nav: list) -> World:
    """The facts of this build. A page's rendered Markdown and its parts are kept
    outside the Page (compressed, encoded) and loaded only when a template reads them."""
    assert inputs.templates is not None

    def content(page: Page) -> str:
        return "" if page.is_section else unpack_text(state.markdown[page.rel].html)

    def part(index: int, page: Page) -> Any:
        if page.is_section:  # no Markdown: no headings, anchors, links or key facts
            return set() if PARTS[index] == "anchors" else []
        # Copied: a template may change what it gets.
        return copy.copy(state.parts(page.rel)[index])

    def body(page: Page) -> str:
        return "" if page.is_section else inputs.body(page, state=state)

    def version(page: Page) -> str:
        """The page's version, as a translation records it (content/translations.py)."""
        return "" if page.is_section else version_from_digest(state.inputs[page.rel].digest)

    return World(
        pages={p.rel: p for p in pages},
        listed=[p for p in pages if not p.is_404],
        all_pages=pages,
        nav=nav,
        data=inputs.data,
        data_fps=inputs.data_fps,
        sources=inputs.sources,
        source_fps=inputs.source_fps,
        cites={},
        template_fps=inputs.templates.fingerprints,
        assets={name: asset.output_name for name, asset in inputs.assets.items()},
        env={name: os.environ.get(name) for name in ENV_READ},
        lazy={
            "content": content,
            "body": body,
            "version": version,
            **{name: partial(part, index) for index, name in enumerate(PARTS)},
        },
        lazy_fps={
            "content": lambda page: "" if page.is_section else state.markdown[page.rel].html_digest,
            "body": lambda page: "" if page.is_section else state.inputs[page.rel].digest,
            "version": version,
            **{
                name: lambda page: "" if page.is_section else state.markdown[page.rel].parts_digest
                for name in PARTS
            },
        },
    )
