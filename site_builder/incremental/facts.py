"""Facts: what each output read while it was being made, and what they are worth now.

A template never sees the site's objects directly. It sees views that note every
fact they hand out, as a key and the value it had:

    ("page", "a.md", "title")   → "A"            page a.md's title
    ("page", "a.md", "url")     → "/a/"          also what page_url('a.md') answered
    ("list", "pages", "")       → ("a.md", …)    the listed pages, in order
    ("list", "all", "")         → ("a.md", …)    every page, the not-found page too
    ("list", "sections", "")    → ("d/", …)      the generated section pages
    ("section", "d", "")        → ("d/a.md", …)  the pages of folder d (section_pages)
    ("nav", "", "")             → (NavItem, …)
    ("data", "people", "")      → fingerprint    data/people.yaml ("*": the names)
    ("source", ID, "")          → fingerprint    a source record ("*": all of them)
    ("source", ID, "known")     → True/False     whether the record exists
    ("cites", ID, "")           → ("a.md", …)    the pages citing ID ("*": the ids)
    ("template", "base.html", "") → fingerprint  a template that was loaded
    ("asset", "css/site.css", "") → output name
    ("env", NAME, "")           → value          an environment variable

Those facts are the output's *trace*. After a change, an output is made again
only if one of its recorded facts now has another value (`stale`), so a page is
re-rendered exactly when something it used changed — never on a guess. The first
two parts of a key are its *subject*: a change is described as a set of subjects
(`touched`), and an index from subject to outputs finds the few traces to check.

Values are recorded through `norm`: small values as they are, large ones as a
digest, pages as a `PageRef`, so traces stay small and cheap to store (codec.py).
The views that record them are in recording.py; what changed between two builds
is in changes.py.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from site_builder.model import NavItem, Page

Key = tuple[str, str, str]  # (kind, name, attribute)
Subject = tuple[str, str]  # (kind, name): what one change touches
Trace = dict[Key, Any]
ALL: Subject = ("*", "*")  # touched when everything must be made again (e.g. site.yaml)

SMALL = 64  # strings up to this length, and sequences up to 8 items, are kept as they are
_PLAIN = frozenset({bool, int, float, dt.date})


class _Missing:
    """The value of a fact that does not exist (a page that is gone, an attribute it lacks)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __reduce__(self) -> str:
        return "MISSING"

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


@dataclass(frozen=True)
class PageRef:
    """A page, as a fact: which page it is, not what it holds."""

    rel: str


@dataclass(frozen=True)
class Digest:
    """A large value, as a fact: its fingerprint."""

    hex: str


def digest_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def sha256(data: bytes) -> str:
    """The digest of an output file's bytes, or of a page's encoded Markdown parts."""
    return hashlib.sha256(data).hexdigest()


def norm(value: Any) -> Any:
    """The form in which a value is recorded and compared."""
    kind = type(value)
    if kind is str:
        return value if len(value) <= SMALL else Digest(digest_text(value))
    if value is None or kind in _PLAIN:
        return value
    if isinstance(value, bool | int | float | dt.date | PageRef | _Missing):
        return value
    if isinstance(value, str):  # Markup too
        text = str(value)
        return text if len(text) <= SMALL else Digest(digest_text(text))
    if isinstance(value, Page):
        return page_ref(value.rel)
    if isinstance(value, set | frozenset):
        value = sorted(value, key=repr)  # set order changes from one process to the next
    if isinstance(value, list | tuple):
        items = tuple(norm(item) for item in value)
        return items if len(items) <= 8 else Digest(digest_text(repr(items)))
    return Digest(digest_text(repr(value)))


_REFS: dict[str, PageRef] = {}
_KEYS: dict[Key, Key] = {}  # one tuple per distinct key, shared by every trace that has it
_SUBJECTS: dict[Subject, Subject] = {}


def shared_key(key: Key) -> Key:
    """One tuple per distinct key, shared by every trace that has it (memory)."""
    return _KEYS.setdefault(key, key)


def page_ref(rel: str) -> PageRef:
    found = _REFS.get(rel)
    if found is None:
        found = _REFS[rel] = PageRef(rel)
    return found


def fingerprint(value: Any) -> str:
    """A stable fingerprint of parsed data (YAML values, records, config)."""
    return digest_text(repr(value))


def page_fingerprint(page: Page, world: World) -> str:
    """Everything a template could learn from one page, for the rare template that calls
    one of its methods (the result can depend on any of it)."""
    state = (
        page.rel, page.front, page.url, page.permalink, page.output_path, page.citations,
        page.prev and page.prev.rel, page.next and page.next.rel,
        *(fp(page) for fp in world.lazy_fps.values()),
    )  # fmt: skip
    return digest_text(repr(state))


# -- the site as the facts see it ----------------------------------------------------


@dataclass
class World:
    """The current value of every fact, for recording (views) and for checking (stale)."""

    pages: dict[str, Page]  # every page being built, by rel
    listed: list[Page]  # pages in lists and feeds (all but the not-found page)
    all_pages: list[Page]
    nav: list[NavItem]
    data: Mapping[str, Any]
    data_fps: dict[str, str]
    sources: Mapping[str, Any]
    source_fps: dict[str, str]
    cites: dict[str, list[Page]]  # source id -> the pages citing it
    template_fps: dict[str, str]
    assets: dict[str, str]  # asset name -> output name
    env: dict[str, str | None]
    # Page attributes kept outside the Page (large: its rendered content, its Markdown),
    # loaded only when a template reads them; and how to fingerprint each cheaply.
    lazy: dict[str, Callable[[Page], str]] = field(default_factory=dict)
    lazy_fps: dict[str, Callable[[Page], str]] = field(default_factory=dict)
    sections: dict[str, Page] = field(default_factory=dict)  # output path -> section page
    folders: dict[str, list[Page]] = field(default_factory=dict)  # folder -> its pages
    _memo: dict[Key, Any] = field(default_factory=dict, repr=False)
    _by_language: dict[str, list[Page]] = field(default_factory=dict, repr=False)
    _firsts: dict[tuple, tuple[Page | None, list[tuple[Key, Any]]]] = field(
        default_factory=dict, repr=False
    )
    _listed_rels: tuple[str, ...] | None = field(default=None, repr=False)
    _all_rels: tuple[str, ...] | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled for a spawned worker process (parallel.py), which shares no memory
        with the build: the lazy attributes go along worked out for every page."""
        state = dict(self.__dict__)
        for name in ("lazy", "lazy_fps"):
            state[name] = {
                attr: Materialised(get, self.all_pages) for attr, get in state[name].items()
            }
        return state

    def listed_in(self, language: str) -> list[Page]:
        """The listed pages of one language (a template's `pages`), worked out once."""
        found = self._by_language.get(language)
        if found is None:
            found = [p for p in self.listed if p.language == language]
            self._by_language[language] = found
        return found

    def first_with(
        self, pages: list[Page], attribute: str, wanted: tuple[Any, ...], memo: Any = None
    ) -> tuple[Page | None, list[tuple[Key, Any]]]:
        """The first of `pages` whose `attribute` is true (or equals `wanted[0]`), and
        the facts that finding it reads: that attribute of each page up to it. With a
        `memo` key (the same list every time), worked out once per build."""
        found = self._firsts.get((memo, attribute, wanted)) if memo is not None else None
        if found is not None:
            return found
        facts: list[tuple[Key, Any]] = []
        match = None
        for page in pages:
            value = getattr(page, attribute, MISSING)
            facts.append(
                (shared_key(("page", page.rel, attribute)), page_attribute(page, attribute, self))
            )
            if (value == wanted[0]) if wanted else (value is not MISSING and value):
                match = page
                break
        if memo is not None:
            self._firsts[(memo, attribute, wanted)] = (match, facts)
        return match, facts

    def listed_rels(self) -> tuple[str, ...]:
        if self._listed_rels is None:
            self._listed_rels = tuple(p.rel for p in self.listed)
        return self._listed_rels

    def all_rels(self) -> tuple[str, ...]:
        if self._all_rels is None:
            self._all_rels = tuple(p.rel for p in self.all_pages)
        return self._all_rels

    def _listing(self, key: Key) -> Any:
        """A list or the navigation: the same for every render of a build, worked out once."""
        found = self._memo.get(key)
        if found is None:
            kind, name, _ = key
            if kind == "nav":
                found = norm(self.nav)
            elif name == "sections":
                found = norm(self.section_rels())
            else:
                found = norm(self.listed_rels() if name == "pages" else self.all_rels())
            self._memo[key] = found
        return found

    def section_rels(self) -> tuple[str, ...]:
        return tuple(sorted(p.rel for p in self.sections.values()))

    def value(self, key: Key) -> Any:
        kind, name, attr = key
        if kind == "page":
            page = self.pages.get(name)
            return MISSING if page is None else page_attribute(page, attr, self)
        if kind in ("list", "nav"):
            return self._listing(key)
        if kind == "section":
            return norm([p.rel for p in self.folders.get(name, ())])
        if kind == "data":
            if name == "*":
                return norm(sorted(self.data_fps))
            return self.data_fps.get(name, MISSING)
        if kind == "source":
            if name == "*":
                return norm(sorted(self.source_fps.items()))
            if attr == "known":
                return name in self.source_fps
            return self.source_fps.get(name, MISSING)
        if kind == "cites":
            if name == "*":
                return norm(sorted(self.cites))
            citing = self.cites.get(name)
            return MISSING if citing is None else norm([p.rel for p in citing])
        if kind == "template":
            return self.template_fps.get(name, MISSING)
        if kind == "asset":
            return self.assets.get(name, MISSING)
        if kind == "env":
            return self.env.get(name)
        raise ValueError(f"unknown fact {key!r}")


class Materialised:
    """A lazy page attribute worked out for every page (what it raised, for a page
    whose value could not be had, raised again when asked for)."""

    def __init__(self, get: Callable[[Page], Any], pages: Iterable[Page]) -> None:
        self.values: dict[str, Any] = {}
        self.failures: dict[str, Exception] = {}
        for page in pages:
            try:
                self.values[page.rel] = get(page)
            except Exception as exc:  # noqa: BLE001 - raised again where it was asked for
                self.failures[page.rel] = exc

    def __call__(self, page: Page) -> Any:
        if page.rel in self.failures:
            raise self.failures[page.rel]
        value = self.values[page.rel]
        # A copy, as the lazy attribute gave: a template may change what it gets.
        return value if isinstance(value, str) else copy.copy(value)


def page_attribute(page: Page, attr: str, world: World) -> Any:
    fingerprint_of = world.lazy_fps.get(attr)
    if fingerprint_of is not None:
        return Digest(fingerprint_of(page))
    try:
        value = getattr(page, attr)
    except AttributeError:
        return MISSING
    if callable(value):
        return Digest(page_fingerprint(page, world))
    return norm(value)


def stale(
    trace: Trace,
    world: World,
    touched: set[Subject],
    page_keys: Callable[[], dict[Subject, list[Key]]] | None = None,
) -> bool:
    """True if a fact of `trace` about a touched subject has another value now
    (with ALL touched, any fact of the trace). `page_keys` gives the trace's keys by
    page (see `keys_by_subject`), which saves walking a large trace (a feed's) for the
    few pages touched; the other subjects have one or two keys, looked up directly."""
    if ALL in touched:
        return any(world.value(key) != recorded for key, recorded in trace.items())
    if page_keys is None:
        return any(
            (key[0], key[1]) in touched and world.value(key) != recorded
            for key, recorded in trace.items()
        )
    by_page: dict[Subject, list[Key]] | None = None
    for subject in touched:
        if subject[0] == "page":
            by_page = page_keys() if by_page is None else by_page
            keys: Iterable[Key] = by_page.get(subject, ())
        else:
            keys = [key for key in ((*subject, ""), (*subject, "known")) if key in trace]
        for key in keys:
            if world.value(key) != trace[key]:
                return True
    return False


def keys_by_subject(trace: Trace) -> dict[Subject, list[Key]]:
    found: dict[Subject, list[Key]] = {}
    for key in trace:
        found.setdefault((key[0], key[1]), []).append(key)
    return found


def subjects(trace: Trace) -> tuple[Subject, ...]:
    """The subjects of a trace's facts (one tuple per distinct subject in the process)."""
    return shared_subjects({(key[0], key[1]) for key in trace})


def shared_subjects(found: Iterable[Subject]) -> tuple[Subject, ...]:
    """The same subjects, each as the one tuple this process keeps for it (thousands
    of records name the same few hundred subjects)."""
    return tuple(_SUBJECTS.setdefault(subject, subject) for subject in found)


class Index:
    """subject -> the outputs (or pages) whose trace mentions it."""

    def __init__(self) -> None:
        self._by_subject: dict[Subject, set[str]] = {}
        self._by_owner: dict[str, set[Subject]] = {}

    def set(self, owner: str, found: Iterable[Subject]) -> None:
        self.drop(owner)
        found = set(found)
        self._by_owner[owner] = found
        for subject in found:
            self._by_subject.setdefault(subject, set()).add(owner)

    def drop(self, owner: str) -> None:
        for subject in self._by_owner.pop(owner, ()):
            owners = self._by_subject.get(subject)
            if owners is not None:
                owners.discard(owner)

    def owners(self, touched: Iterable[Subject]) -> set[str]:
        found: set[str] = set()
        for subject in touched:
            found |= self._by_subject.get(subject, set())
        return found
