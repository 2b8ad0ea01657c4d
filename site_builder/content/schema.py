"""What front matter and site.yaml may hold, checked with every problem reported.

`Fields` reads one YAML mapping key by key. Each accessor returns the value in
its documented type or None, and records a `Diagnostic` (with the value's own
line and column) when the value is wrong, so one pass reports everything.

Documented conversions (YAML 1.1 surprises):
- text fields take the value *as written*: `version: 1.10` gives "1.10",
  `title: 2025-07-27` gives "2025-07-27", `slug: no` gives "no";
- booleans are only `true`/`false`; `draft: yes` is an error saying so;
- whole numbers are decimal as written: `order: 010` is 10, while `0x10`,
  `1_000` and `1:20` (octal, hex, sexagesimal in YAML 1.1) are errors;
- dates must be `YYYY-MM-DD` (quoted or not); a date-time is refused.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any

from site_builder.content.translations import VERSION_RE
from site_builder.errors import Diagnostic

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MAX = 80
SOURCE_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
INTEGER_RE = re.compile(r"^[-+]?[0-9]{1,18}$")  # decimal, and small enough to be an order


class Fields:
    """Typed, position-aware access to one YAML mapping."""

    def __init__(
        self, data: Any, path: str, diagnostics: list[Diagnostic], start: tuple[int, int]
    ) -> None:
        self.path = path
        self.diagnostics = diagnostics
        self.start = start  # where the mapping itself is, for "missing key" errors
        if isinstance(data, dict):
            self.data = data
        else:
            self.data = {}
            self.error(start, "expected 'key: value' lines here")

    # -- reporting ---------------------------------------------------------
    def where(self, key: str) -> tuple[int, int]:
        positions = getattr(self.data, "positions", {})
        return positions.get(key, self.start)

    def error(self, position: tuple[int, int], message: str) -> None:
        self.diagnostics.append(Diagnostic(self.path, position[0], position[1], message))

    def check_keys(self, allowed: tuple[str, ...], what: str) -> None:
        """Every key must be known; suggest the closest known one."""
        for key in self.data:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
            hint = (
                f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(allowed)}"
            )
            line, _ = self.where(key)
            self.diagnostics.append(
                Diagnostic(self.path, line, 1, f"unknown {what} key '{key}'{hint}")
            )

    # -- accessors ----------------------------------------------------------
    def text(self, key: str, *, required: bool = False, max_len: int = 1000) -> str | None:
        if key not in self.data:
            if required:
                self.error(self.start, f"'{key}' is required")
            return None
        value = self.data[key]
        if isinstance(value, dict | list) or value is None:
            self.error(self.where(key), f"'{key}' must be text")
            return None
        if not isinstance(value, str):
            value = getattr(self.data, "raw", {}).get(key, str(value))
        value = value.strip()
        if required and not value:
            self.error(self.where(key), f"'{key}' must not be empty")
            return None
        if len(value) > max_len:
            self.error(self.where(key), f"'{key}' is longer than {max_len} characters")
            return None
        return value

    def flag(self, key: str, default: bool) -> bool:
        if key not in self.data:
            return default
        value = self.data[key]
        if isinstance(value, bool):
            return value
        self.error(self.where(key), f"'{key}' must be true or false, not {value!r}")
        return default

    def integer(self, key: str) -> int | None:
        """A whole number written in decimal digits, read as written: YAML 1.1 would
        read `010` as 8, `0x10` as 16 and `1:20` as 80."""
        if key not in self.data:
            return None
        value = self.data[key]
        written = getattr(self.data, "raw", {}).get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            written = str(value) if written is None else written
            if INTEGER_RE.match(written):
                return int(written)
        shown = written if written is not None else value
        self.error(self.where(key), f"'{key}' must be a whole number, not {shown!r}")
        return None

    def date(self, key: str) -> dt.date | None:
        if key not in self.data:
            return None
        return parse_date(self.data[key], self.where(key), key, self)

    def text_list(self, key: str, *, max_len: int | None = None) -> tuple[str, ...]:
        """A list of texts; with `max_len`, each must be 1 to `max_len` characters."""
        if key not in self.data:
            return ()
        value = self.data[key]
        if not isinstance(value, list):
            self.error(self.where(key), f"'{key}' must be a list, e.g. [a, b]")
            return ()
        items: list[str] = []
        raw = getattr(value, "raw", [None] * len(value))
        positions = getattr(value, "positions", [self.where(key)] * len(value))
        for item, as_written, position in zip(value, raw, positions, strict=True):
            if isinstance(item, dict | list) or item is None:
                self.error(position, f"each item of '{key}' must be text")
                continue
            text = str(as_written if as_written is not None else item).strip()
            if max_len is not None and not text:
                self.error(position, f"an item of '{key}' is empty; remove it or fill it in")
                continue
            if max_len is not None and len(text) > max_len:
                self.error(
                    position,
                    f"{text[:20]!r}… is longer than the {max_len} characters an item of "
                    f"'{key}' may have; shorten it",
                )
                continue
            items.append(text)
        return tuple(items)

    def mapping(self, key: str) -> Fields | None:
        if key not in self.data:
            return None
        value = self.data[key]
        if not isinstance(value, dict):
            self.error(self.where(key), f"'{key}' must be a mapping of 'key: value' lines")
            return None
        return Fields(value, self.path, self.diagnostics, self.where(key))

    def mappings(self, key: str) -> list[Fields]:
        """A list of mappings, e.g. key_facts."""
        if key not in self.data:
            return []
        value = self.data[key]
        if not isinstance(value, list):
            self.error(self.where(key), f"'{key}' must be a list")
            return []
        positions = getattr(value, "positions", [self.where(key)] * len(value))
        return [
            Fields(item, self.path, self.diagnostics, position)
            for item, position in zip(value, positions, strict=True)
        ]


def parse_date(value: Any, position: tuple[int, int], key: str, fields: Fields) -> dt.date | None:
    if isinstance(value, dt.datetime):
        fields.error(position, f"'{key}' must be a date (YYYY-MM-DD) without a time")
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    fields.error(position, f"'{key}' must be a date written YYYY-MM-DD, not {value!r}")
    return None


# -- front matter -------------------------------------------------------------


FRONT_MATTER_KEYS = (
    "title",
    "summary",
    "date",
    "updated",
    "as_of",
    "draft",
    "slug",
    "template",
    "nav_title",
    "order",
    "sources",
    "key_facts",
    "translation_of",
    "tags",
)
# A tag is a label shown on its page (the default theme lists them; no tag pages are
# made), so it is a word or a few, not a sentence.
TAG_MAX = 40


@dataclass(frozen=True)
class KeyFact:
    text: str  # inline Markdown
    source: str
    line: int


@dataclass(frozen=True)
class FrontMatter:
    title: str
    summary: str
    date: dt.date | None
    updated: dt.date | None
    as_of: dt.date | None
    draft: bool
    slug: str | None
    template: str | None
    nav_title: str | None
    order: int | None
    sources: tuple[str, ...]
    key_facts: tuple[KeyFact, ...]
    source_lines: dict[str, int]  # where each source id was named, for errors
    tags: tuple[str, ...] = ()
    # The version of the original a translation follows ("sha256:…", written by
    # `site-builder translated`), and its line.
    translation_of: str | None = None
    translation_of_line: int | None = None


def read_front_matter(
    data: Any, path: str, start: tuple[int, int], diagnostics: list[Diagnostic]
) -> FrontMatter | None:
    """Check one page's front matter; None if it had errors (already recorded)."""
    before = len([d for d in diagnostics if d.is_error])
    f = Fields(data, path, diagnostics, start)
    f.check_keys(FRONT_MATTER_KEYS, "front matter")
    title = f.text("title", required=True, max_len=200)
    summary = f.text("summary", required=True, max_len=600)
    date = f.date("date")
    updated = f.date("updated")
    if date and updated and updated < date:
        f.error(f.where("updated"), f"'updated' ({updated}) is before 'date' ({date})")
    slug = _slug(f)
    template = _template(f)
    sources = f.text_list("sources")
    source_lines = _source_lines(f, data, sources)
    key_facts = _key_facts(f, source_lines)
    front = FrontMatter(
        title=title or "",
        summary=summary or "",
        date=date,
        updated=updated,
        as_of=f.date("as_of"),
        draft=f.flag("draft", False),
        slug=slug,
        template=template,
        nav_title=f.text("nav_title", max_len=60),
        order=f.integer("order"),
        sources=sources,
        key_facts=tuple(key_facts),
        source_lines=source_lines,
        tags=f.text_list("tags", max_len=TAG_MAX),
        translation_of=_translation_of(f),
        translation_of_line=f.where("translation_of")[0] if "translation_of" in f.data else None,
    )
    after = len([d for d in diagnostics if d.is_error])
    return front if after == before else None


def _slug(f: Fields) -> str | None:
    slug = f.text("slug")
    if slug is not None and (not SLUG_RE.match(slug) or len(slug) > SLUG_MAX):
        f.error(
            f.where("slug"),
            f"slug {slug!r} must be lowercase letters, digits and single hyphens "
            f"(at most {SLUG_MAX} characters), e.g. 'tariff-truce'",
        )
        return None
    return slug


def _template(f: Fields) -> str | None:
    template = f.text("template")
    if template is not None and not re.match(
        r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*\.html$", template
    ):
        f.error(f.where("template"), f"template {template!r} must be a name like 'page.html'")
        return None
    return template


def _source_lines(f: Fields, data: Any, sources: tuple[str, ...]) -> dict[str, int]:
    """Where each source id of `sources:` was named (the first time), for errors."""
    source_lines: dict[str, int] = {}
    source_positions = getattr(
        data.get("sources") if isinstance(data, dict) else None, "positions", []
    )
    for index, source_id in enumerate(sources):
        line = (
            source_positions[index][0] if index < len(source_positions) else f.where("sources")[0]
        )
        source_lines.setdefault(source_id, line)
    return source_lines


def _key_facts(f: Fields, source_lines: dict[str, int]) -> list[KeyFact]:
    """The `key_facts:` entries; the line of each one's source joins `source_lines`."""
    key_facts = []
    for fact in f.mappings("key_facts"):
        fact.check_keys(("text", "source"), "key fact")
        text = fact.text("text", required=True)
        source = fact.text("source", required=True)
        if text and source:
            key_facts.append(KeyFact(text, source, fact.start[0]))
            source_lines.setdefault(source, fact.where("source")[0])
    return key_facts


def _translation_of(f: Fields) -> str | None:
    version = f.text("translation_of")
    if version is not None and not VERSION_RE.fullmatch(version):
        f.error(
            f.where("translation_of"),
            "translation_of is written by `site-builder translated PATH` (a version such as "
            "sha256:0123456789abcdef); run it rather than editing the line",
        )
        return None
    return version
