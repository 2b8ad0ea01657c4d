"""Recording views: the site as a template sees it, every fact it reads noted.

A template never gets a `Page`, the data or the sources directly: it gets the
views here, which note each fact (facts.py) they hand out, with its value, in
the `Recorder` of the output being rendered. That record is the output's trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from site_builder.errors import SiteError
from site_builder.incremental.facts import (
    MISSING,
    Key,
    Trace,
    World,
    page_attribute,
    shared_key,
)
from site_builder.model import Citation, NavItem, Page


class Recorder:
    """The facts one output read, with the value each had when it was first read."""

    __slots__ = ("facts", "world", "_views")

    def __init__(self, world: World) -> None:
        self.facts: Trace = {}
        self.world = world
        self._views: dict[str, PageView] = {}

    def note(self, key: Key, value: Any) -> None:
        if key not in self.facts:
            self.facts[shared_key(key)] = value

    def read(self, key: Key) -> None:
        """Note a fact at its current value."""
        if key not in self.facts:
            self.facts[shared_key(key)] = self.world.value(key)

    def view(self, page: Page) -> PageView:
        found = self._views.get(page.rel)
        if found is None:
            found = self._views[page.rel] = PageView(page, self)
        return found

    def views(self, pages: Iterable[Page]) -> list[PageView]:
        return [self.view(page) for page in pages]


class PageView:
    """A page as a template sees it: each attribute read is noted.

    The page being rendered gets its own list of citations, which `cite()` may
    extend; what is noted is the list the page came with (its Markdown's), so the
    render stays a function of the facts in its trace."""

    # No __slots__: an attribute read once is kept in the instance's __dict__, so the
    # next read (a layout compares page.url with every navigation item) costs nothing.

    def __init__(self, page: Page, recorder: Recorder) -> None:
        self._page = page
        self._recorder = recorder
        self._citations: list[Citation] | None = None

    def own_citations(self) -> list[Citation]:
        if self._citations is None:
            self._recorder.read(("page", self._page.rel, "citations"))
            self._citations = list(self._page.citations)
        return self._citations

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        page = self._page
        if name == "citations" and self._citations is not None:
            return self._citations
        key = ("page", page.rel, name)
        world = self._recorder.world
        load = world.lazy.get(name)
        if load is not None:
            self._recorder.read(key)
            return load(page)  # not kept: it may be large, and is rarely read twice
        try:
            value = getattr(page, name)
        except AttributeError:
            self._recorder.note(key, MISSING)
            raise
        self._recorder.note(key, page_attribute(page, name, world))
        if isinstance(value, Page):
            value = self._recorder.view(value)
        if not callable(value) and name != "citations":
            self.__dict__[name] = value
        return value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PageView) and other._page is self._page

    def __hash__(self) -> int:
        return hash(self._page.rel)

    def __repr__(self) -> str:
        return f"<page {self._page.rel}>"


# Jinja names an object's type in its messages ("'site_builder.model.Page object' has no
# attribute 'x'"); a page is still a Page to the writer reading them.
PageView.__module__ = Page.__module__
PageView.__name__ = PageView.__qualname__ = "Page"


class PagesView(Sequence):
    """A list of pages whose membership and order are one fact."""

    def __init__(self, pages: list[Page], recorder: Recorder, key: Key, memo: Any = None) -> None:
        self._pages = pages
        self._recorder = recorder
        self._key = key
        self._memo = memo  # names the list for World.first_with, when it is the same all build

    def first(self, attribute: str, *equal_to: Any) -> PageView | None:
        """The first page whose `attribute` is true, or equals `equal_to`; None if none.

        What `pages|selectattr(attribute)|first` finds, with the same facts read (the
        list, and that attribute of each page up to the one found), but looked for once
        per build: a layout that finds the home page this way costs one dict per page
        rendered, not a walk over every page."""
        pages = self._read()
        found, facts = self._recorder.world.first_with(pages, attribute, equal_to, self._memo)
        for key, value in facts:
            self._recorder.note(key, value)
        return None if found is None else self._recorder.view(found)

    def _read(self) -> list[Page]:
        self._recorder.read(self._key)
        return self._pages

    def __len__(self) -> int:
        return len(self._read())

    def __getitem__(self, index: Any) -> Any:
        found = self._read()[index]
        if isinstance(index, slice):
            return self._recorder.views(found)
        return self._recorder.view(found)

    def __iter__(self) -> Iterator[PageView]:
        return iter(self._recorder.views(self._read()))

    def __bool__(self) -> bool:
        return bool(self._read())

    def __repr__(self) -> str:
        return f"<{len(self._pages)} pages>"


class RecordingMapping(Mapping):
    """`data`, `sources` and `source_pages` in templates: each entry read is a fact,
    and so is the list of names for a template that loops over them."""

    def __init__(
        self,
        values: Mapping[str, Any],
        recorder: Recorder,
        kind: str,
        wrap: Callable[[Any], Any] = lambda value: value,
    ) -> None:
        self._values = values
        self._recorder = recorder
        self._kind = kind
        self._wrap = wrap

    def __getitem__(self, name: str) -> Any:
        self._recorder.read((self._kind, str(name), ""))
        return self._wrap(self._values[name])

    def __iter__(self) -> Iterator[str]:
        self._recorder.read((self._kind, "*", ""))
        return iter(sorted(self._values))

    def __len__(self) -> int:
        self._recorder.read((self._kind, "*", ""))
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        self._recorder.read((self._kind, str(name), ""))
        return name in self._values


def recording_context(recorder: Recorder, page: Page) -> dict[str, Any]:
    """The per-page part of a template's context, every way in recorded."""
    world = recorder.world

    def page_url(rel: str) -> str:
        recorder.read(("page", rel, "url"))
        target = world.pages.get(rel)
        if target is None:
            raise SiteError("content/" + rel, None, None, "page_url(): there is no such page")
        return target.url

    def asset_name(name: str) -> str | None:
        recorder.read(("asset", name, ""))
        return world.assets.get(name)

    return {
        "page": recorder.view(page),
        # The pages of this page's language: the whole list is the fact read (a page's
        # language follows from its path, so the list of all pages decides this one).
        "pages": PagesView(
            world.listed_in(page.language),
            recorder,
            ("list", "pages", ""),
            memo=("pages", page.language),
        ),
        "section_pages": PagesView(
            world.folders.get(page.folder, []), recorder, ("section", page.folder, "")
        ),
        "data": RecordingMapping(world.data, recorder, "data"),
        "sources": RecordingMapping(world.sources, recorder, "source"),
        "source_pages": RecordingMapping(world.cites, recorder, "cites", recorder.views),
        "page_url": page_url,
        "asset_name": asset_name,
    }


def nav_of(recorder: Recorder, folder: str = "") -> list[NavItem]:
    """The navigation; for a translation's language (its content `folder`), each entry's
    translation in that language, where there is one."""
    recorder.read(("nav", "", ""))
    if not folder:
        return recorder.world.nav
    items = []
    for item in recorder.world.nav:
        rel = folder + "/" + item.source_path.removeprefix("content/")
        recorder.read(("page", rel, "url"))
        target = recorder.world.pages.get(rel)
        if target is not None:
            view = recorder.view(target)
            items.append(NavItem(view.nav_title, view.url, target.source_path))
    return items


def translations_of(recorder: Recorder, original: str, languages: tuple) -> list[dict[str, Any]]:
    """The page at content path `original` in each of `languages` that has it: code,
    name, URL and absolute URL, for hreflang links and the language switcher, and the page
    itself (a view: what a template reads of it is recorded; a not-found page shows the
    other languages' words)."""
    found = []
    for language in languages:
        rel = f"{language.folder}/{original}" if language.folder else original
        recorder.read(("page", rel, "url"))
        target = recorder.world.pages.get(rel)
        if target is not None:
            found.append(
                {
                    "code": language.code,
                    "name": language.name,
                    "url": target.url,
                    "permalink": target.permalink,
                    "page": recorder.view(target),
                }
            )
    return found


def language_homes(recorder: Recorder, languages: tuple) -> list[dict[str, Any]]:
    """The home page of each of `languages` that has one, as translations_of gives it, for a
    page that offers every language a way in (the not-found page)."""
    return translations_of(recorder, "index.md", languages)
