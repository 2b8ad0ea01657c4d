"""Source records: what a page may quote from an article, and checking its quotes against them.

A record, `content/sources/<id>.yaml`, holds what a page needs to cite an article and to prove its
quotes — outlet, title, author, date, URL, categories and every quotation with its speaker and
position — but not the article's text, which is not ours to republish. `site-builder ingest`
writes records from a feed (site_builder/ingest/, which only that command loads); writers may
also write them by hand. This module is what every build needs of them:

* **the model** — `SourceRecord` and its `Quotation`s (text, speaker or null, character offset
  in the article's text).
* **loading** — `load_sources` reads every `content/sources/*.yaml` once, with the writers' YAML
  rules (size limit, UTF-8, no tags, anchors, aliases or duplicate keys), and checks each value
  with the validator front matter uses (`schema.Fields`), a problem reported at the line of the
  value: `id`, `outlet`, `title`, `published`, `url` and `quotations` are required, an unknown
  key gets a “did you mean”, the id must be the file's name, `published` an ISO 8601 date or
  date-time, `url` must pass the links' allowlist (`urls.url_problem`), and a record symlinked
  from outside the project is refused. A record with a problem is left out and its problems
  reported once; the valid records stay usable, and a page citing the broken one is not told
  again that its source is unknown (`LoadedSources.broken`). The keys a record may hold are
  `RECORD_KEYS`, in the order ingest writes them, then `record_hash`: the sha256 of everything
  above it, which tells ingest whether the record was edited by hand since it was written.
* **checking** — `check_quote`: a page's quote must be verbatim from one of the record's
  quotations, or part of one (typographic quote marks made straight, `...` read as `…`,
  whitespace runs as one space; each `…` stands for any run of text left out, and the words at
  every edge must be whole words), and the speaker the page names must be the recorded one —
  in full, with titles ("Finance Minister Ana Duarte"), or by surname alone ("Duarte").
  A quote given without a speaker is checked for its words only. The pieces between `…` are
  found in order with `str.find` in a copy of the text with its word boundaries marked, so a
  check is linear in the size of the record. A misquote names the closest recorded passage
  (a bounded search: see `_closest_passage`); `unknown_source_message` is the one message for
  a citation of an id with no record, with the nearest id and the closest passage.
"""

from __future__ import annotations

import difflib
import hashlib
import heapq
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from site_builder.content.files import MAX_FILE_BYTES, discover, read_text
from site_builder.content.names import person_name
from site_builder.content.schema import SLUG_MAX, SOURCE_ID_RE, Fields
from site_builder.content.urls import WINDOWS_DEVICE_NAMES, url_problem
from site_builder.content.yamlsafe import load_yaml
from site_builder.errors import Diagnostic, SiteError

__all__ = [
    "KNOWN_RECORD_KEYS",
    "RECORD_KEYS",
    "LoadedSources",
    "Quotation",
    "SourceRecord",
    "check_quote",
    "display_path",
    "id_problem",
    "load_sources",
    "source_id",
    "unknown_source_message",
]


@dataclass(frozen=True)
class Quotation:
    text: str
    speaker: str | None
    position: int  # character offset of `text` in the item's plain text


@dataclass(frozen=True)
class SourceRecord:
    id: str
    outlet: str
    title: str
    author: str | None
    published: str
    url: str
    categories: tuple[str, ...]
    quotations: tuple[Quotation, ...]
    path: str  # relative to the project, e.g. "content/sources/x.yaml"


@dataclass
class LoadedSources:
    """The valid records by id; the problems of the others; the ids (file names) of the
    records left out for a problem, which a citation may name without a second error."""

    records: dict[str, SourceRecord] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)
    broken: frozenset[str] = frozenset()


# --------------------------------------------------------------------------------------------
# Ids


def source_id(guid_or_link: str) -> str:
    """The stable id of an item: a slug of its guid (or of its link when it has no guid).

    An id longer than a page's slug may be (SLUG_MAX) keeps its start and ends in a hash of
    the whole guid, so it stays stable and distinct, and a file name any system can hold."""
    # Decompose accents first so "Café" gives "cafe" rather than "caf".
    ascii_text = unicodedata.normalize("NFKD", guid_or_link).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot derive an id from {guid_or_link[:60]!r}")
    if len(slug) > SLUG_MAX:
        digest = hashlib.sha256(guid_or_link.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        slug = slug[: SLUG_MAX - len(digest) - 1].rstrip("-") + "-" + digest
    return slug


def id_problem(record_id: str) -> str | None:
    """Why `record_id` cannot name a record file, or None: the rule pages' names follow
    (lowercase letters, digits, single hyphens; at most SLUG_MAX; no Windows device name)."""
    if not SOURCE_ID_RE.match(record_id) or len(record_id) > SLUG_MAX:
        return (
            f"id {record_id[:60]!r} must be lowercase letters, digits and single hyphens, "
            f"at most {SLUG_MAX} characters"
        )
    if record_id in WINDOWS_DEVICE_NAMES:
        return f"id {record_id!r} is a device name Windows cannot check out; choose another"
    return None


# --------------------------------------------------------------------------------------------
# Record keys and paths

# The keys ingest writes, in the order it writes them; `record_hash` follows them.
RECORD_KEYS = (
    "id", "guid", "outlet", "title", "author", "published", "url", "url_from", "categories",
    "feed", "content_hash", "quotations",
)  # fmt: skip
KNOWN_RECORD_KEYS = frozenset(RECORD_KEYS) | {"record_hash"}
_QUOTATION_KEYS = ("text", "speaker", "position")
_MAX_QUOTATION = MAX_FILE_BYTES  # a record file is at most that long anyway


def display_path(path: Path | str, project_dir: Path) -> str:
    """A path as diagnostics show it: relative to the project, with forward slashes."""
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(project_dir))
    return Path(relative).as_posix()


# --------------------------------------------------------------------------------------------
# Loading records


def load_sources(sources_dir: Path, project_dir: Path) -> LoadedSources:
    """Every `*.yaml` record directly in `sources_dir`: the valid ones by id, and every problem
    of the others (a symlink out of the project among them, reported here and only here)."""
    loaded = LoadedSources()
    if not sources_dir.is_dir():
        return loaded
    folder = display_path(sources_dir, project_dir)
    files, problems = discover(project_dir, folder)
    broken: set[str] = set()
    for problem in problems:
        broken.add(Path(problem.path).stem)
        loaded.problems.append(problem)
    for path in files:
        if path.parent != sources_dir or path.suffix != ".yaml":
            continue
        shown = display_path(path, project_dir)
        before = len(loaded.problems)
        record = _load_record(path, shown, loaded.problems)
        if record is None or len(loaded.problems) > before:
            broken.add(path.stem)
        else:
            loaded.records[record.id] = record
    loaded.broken = frozenset(broken - loaded.records.keys())
    return loaded


def _load_record(path: Path, shown: str, problems: list[Diagnostic]) -> SourceRecord | None:
    try:
        data = load_yaml(read_text(path, shown), shown)
    except SiteError as error:
        problems.append(error.diagnostic)
        return None
    except OSError as error:
        problems.append(Diagnostic(shown, message=f"cannot read the source record: {error}"))
        return None
    if not isinstance(data, dict):
        problems.append(Diagnostic(shown, 1, None, "a source record must be a YAML mapping"))
        return None
    return _read_record(Fields(data, shown, problems, (1, 1)), path.stem)


def _read_record(f: Fields, stem: str) -> SourceRecord | None:
    """One record's values checked with `Fields`; None when any is wrong (all reported)."""
    before = len(f.diagnostics)
    f.check_keys(tuple(sorted(KNOWN_RECORD_KEYS)), "source record")
    record_id = f.text("id", required=True, max_len=200) or ""
    if record_id and record_id != stem:
        f.error(f.where("id"), f"id '{record_id}' differs from the file name '{stem}'")
    elif record_id and (problem := id_problem(record_id)):
        f.error(f.where("id"), problem)
    url = f.text("url", required=True, max_len=2048) or ""
    if url and (problem := url_problem(url)):
        f.error(f.where("url"), f"'url': {problem}")
    record = SourceRecord(
        id=record_id,
        outlet=f.text("outlet", required=True) or "",
        title=f.text("title", required=True) or "",
        author=(f.text("author") or None) if f.data.get("author") is not None else None,
        published=_published(f),
        url=url,
        categories=f.text_list("categories"),
        quotations=_quotations(f),
        path=f.path,
    )
    return record if len(f.diagnostics) == before else None


def _published(f: Fields) -> str:
    """An ISO 8601 date or date-time, as written (an unquoted one is read by YAML as a date)."""
    written = f.text("published", required=True) or ""
    if not written:
        return ""
    try:
        datetime.fromisoformat(written)  # a date alone is read as its midnight
    except ValueError:
        f.error(
            f.where("published"),
            f"'published' must be an ISO 8601 date or date-time, e.g. 2025-07-27 or "
            f"2025-07-27T09:57:00+03:00, not {written[:40]!r}",
        )
        return ""
    return written


def _quotations(f: Fields) -> tuple[Quotation, ...]:
    if "quotations" in f.data and f.data["quotations"] is None:
        return ()
    if "quotations" not in f.data:
        f.error(f.start, "'quotations' is required (an empty list [] when there are none)")
        return ()
    quotations = []
    for q in f.mappings("quotations"):
        q.check_keys(_QUOTATION_KEYS, "quotation")
        text = q.text("text", required=True, max_len=_MAX_QUOTATION)
        speaker = q.text("speaker", required=True) if q.data.get("speaker") is not None else None
        position = q.integer("position") if "position" in q.data else None
        if "position" not in q.data:
            q.error(q.start, "a quotation's 'position' is required (its offset in the article)")
        elif position is not None and position < 0:
            q.error(q.where("position"), "a quotation's 'position' must be 0 or more")
            position = None
        if text and position is not None:
            quotations.append(Quotation(text, speaker, position))
    return tuple(quotations)


# --------------------------------------------------------------------------------------------
# Checking quotes

_DOUBLE_MARKS = str.maketrans(
    {c: '"' for c in "“”„‟″«»"} | {c: "'" for c in "‘’‚‛′"} | {"\x00": " "}
)
_EDGE = ' ,;:."'  # terminal punctuation and marks a page may add or drop around a quote
_WORD_EDGE = "\x00"  # marks a word boundary in `_marked` text (never in normalised text)
# Where a word starts or ends: the places the regex `\b` would match.
_BOUNDARY_RE = re.compile(r"\A(?=\w)|(?<=\w)(?=\W)|(?<=\W)(?=\w)|(?<=\w)\Z")


def _normalise(text: str) -> str:
    """Typographic quote marks made straight, `...` made `…`, whitespace runs made one space."""
    return " ".join(text.translate(_DOUBLE_MARKS).replace("...", "…").split())


def _marked(text: str) -> str:
    """`text` with `_WORD_EDGE` at every word boundary: a piece that must start or end a
    word then matches only where a word starts or ends, with plain `str.find`."""
    return _BOUNDARY_RE.sub(_WORD_EDGE, text)


@lru_cache(maxsize=4096)
def _marked_quotation(text: str) -> str:
    return _marked(_normalise(text))


def _quote_pieces(text: str) -> list[str]:
    """A page's quote as the marked pieces between its `…`s, each to be found in order."""
    pieces = (p.strip(_EDGE) for p in _normalise(text).split("…"))
    return [_marked(p) for p in pieces if p]


def _contains_in_order(marked_text: str, pieces: list[str]) -> bool:
    """Whether the pieces occur in `marked_text` in order without overlapping. The leftmost
    occurrence of each is as good as any: it leaves the most room for the next."""
    at = 0
    for piece in pieces:
        found = marked_text.find(piece, at)
        if found < 0:
            return False
        at = found + len(piece)
    return True


def _same_speaker(named: str, recorded: str | None) -> bool:
    """Case aside, the page's speaker is the recorded one — titles dropped on both sides
    ("Treasury Secretary Ana Duarte"; a hand-written record may say "Mayor Ana Duarte" too),
    or just the surname ("Duarte")."""
    if recorded is None:
        return False
    page = _bare_name(named)
    record = _bare_name(recorded)
    return page == record or page == record.rsplit(" ", 1)[-1]


def _bare_name(speaker: str) -> str:
    """A speaker's name without titles, whitespace normalised, case folded."""
    words = speaker.split()
    return (person_name(words, proper=set(words)) or " ".join(words)).casefold()


_WHOLE_QUOTATION_WORDS = 25  # show shorter quotations whole: more useful than a fragment
_COMPARED_WORDS = 40  # a misquote's first words are compared, whatever its length
_FINALISTS = 8  # windows most like it by shared words, then compared by difflib


def _closest_passage(text: str, quotations: Iterable[Quotation]) -> tuple[str, Quotation] | None:
    """The recorded passage most like `text`: the whole quotation when it is short, else its
    stretch of as many words as `text` (at most _COMPARED_WORDS).

    Bounded: one pass over every quotation's words keeps the _FINALISTS windows sharing the
    most words with `text` (a sliding count), and only those are compared with difflib's
    ratio, on at most _COMPARED_WORDS words each."""
    words = _normalise(text).replace("…", " ").strip(_EDGE).split()[:_COMPARED_WORDS]
    target = " ".join(words)
    wanted = Counter(word.casefold() for word in words)
    size = max(1, len(words))
    finalists: list[tuple[int, int, str, Quotation]] = []  # a heap: (shared, -order, …)
    order = 0
    for quotation in quotations:
        for shared, window in _windows(_normalise(quotation.text).split(), size, wanted):
            order += 1
            entry = (shared, -order, window, quotation)
            if len(finalists) < _FINALISTS:
                heapq.heappush(finalists, entry)
            elif entry[:2] > finalists[0][:2]:
                heapq.heapreplace(finalists, entry)
    best: tuple[float, int, str, Quotation] | None = None
    for _, negative_order, window, quotation in finalists:
        ratio = difflib.SequenceMatcher(None, target, window, autojunk=False).ratio()
        if best is None or (ratio, negative_order) > best[:2]:
            best = (ratio, negative_order, window, quotation)
    if best is None:
        return None
    _, _, window, quotation = best
    if len(quotation.text.split()) <= _WHOLE_QUOTATION_WORDS:
        window = _normalise(quotation.text)
    return window, quotation


def _windows(words: list[str], size: int, wanted: Counter[str]) -> Iterable[tuple[int, str]]:
    """(words shared with `wanted`, text) of the whole of a short quotation, then of each
    stretch of `size` words, in one pass."""
    if len(words) <= max(_WHOLE_QUOTATION_WORDS, size):
        have = Counter(word.casefold() for word in words)
        yield sum(min(count, have[word]) for word, count in wanted.items()), " ".join(words)
        if len(words) <= size:
            return
    counts: Counter[str] = Counter()
    shared = 0
    for index, word in enumerate(words):
        folded = word.casefold()
        if counts[folded] < wanted[folded]:
            shared += 1
        counts[folded] += 1
        if index >= size:
            gone = words[index - size].casefold()
            counts[gone] -= 1
            if counts[gone] < wanted[gone]:
                shared -= 1
        if index >= size - 1:
            yield shared, " ".join(words[index - size + 1 : index + 1])


def _describe_closest(text: str, quotations: Iterable[Quotation]) -> str:
    closest = _closest_passage(text, quotations)
    if closest is None:
        return "the source records no quotations"
    passage, quotation = closest
    said_by = quotation.speaker or "speaker not named"
    return f"closest passage is “{passage}” ({said_by})"


_STOPS = ",;:.!?"  # punctuation that ends or joins a sentence: a page may not change it


def _ending_problem(text: str, matches: Iterable[Quotation]) -> str | None:
    """None when the quote's closing punctuation is the source's own; otherwise why not.

    A quote may end where the source's words end, with none of the punctuation after them
    (“a fragile ceasefire”), with the source's punctuation (“a fragile ceasefire,”), or
    with `…` marking a cut; it may not put its own stop where the source has a comma
    (“a fragile ceasefire.”), which would tell the reader the sentence ended there.
    Runs after the words were matched, in time linear in the quotation's length."""
    quote = _normalise(text).strip(' "')
    words = quote.rstrip(_STOPS + ' "')
    stops = quote[len(words) :].replace(" ", "").replace('"', "")
    if not stops or words.endswith("…"):
        return None
    last = words.rsplit("…", 1)[-1].strip(_EDGE)
    source_reads = None
    for quotation in matches:
        recorded = _normalise(quotation.text)
        if last + stops in recorded:
            return None
        at = recorded.find(last)
        if source_reads is None and at >= 0:
            after = recorded[at + len(last) :]
            source_reads = last + after[: len(after) - len(after.lstrip(_STOPS))]
    if source_reads is None:
        return None  # the matcher found the words another way; nothing to compare
    return (
        f"the quotation ends “{_tail(last)}{stops}” but the source reads “{_tail(source_reads)}”: "
        "end it where the source's words end, keep the source's punctuation, "
        "or mark the cut with “…”"
    )


def _tail(text: str, words: int = 6) -> str:
    """The last few words of a passage, `…` first when some were left off."""
    kept = text.split()[-words:]
    return ("…" if len(kept) < len(text.split()) else "") + " ".join(kept)


def check_quote(text: str, speaker: str | None, record: SourceRecord) -> str | None:
    """None when `text` is verbatim from one of the record's quotations (or part of one, `…`
    marking omissions) and `speaker` is who said it; otherwise what is wrong, in one line.

    A quote given without a speaker is checked for its words only. Its closing
    punctuation must be the source's (`_ending_problem`).
    """
    pieces = _quote_pieces(text)
    if not pieces:
        return f"empty quotation of {record.id}"
    matches = [
        q for q in record.quotations if _contains_in_order(_marked_quotation(q.text), pieces)
    ]
    if not matches:
        return f"misquote of {record.id}: {_describe_closest(text, record.quotations)}"
    ending = _ending_problem(text, matches)
    if ending is not None:
        return f"misquote of {record.id}: {ending}"
    if speaker is None or any(_same_speaker(speaker, q.speaker) for q in matches):
        return None
    recorded = next((q.speaker for q in matches if q.speaker), None)
    if recorded is None:
        return f"wrong speaker: the source does not say who said this, so not {speaker}"
    return f"wrong speaker: the source attributes this to {recorded}, not {speaker}"


def unknown_source_message(
    source: str, sources: Mapping[str, SourceRecord], quote: str | None = None
) -> str:
    """The one error for a citation of an id with no record (a citation, a page's `sources`,
    a key fact, a quote, a template's `cite()`): the file that is missing, the nearest id,
    and when a quote is given, the closest passage among all records."""
    message = f"unknown source '{source}': no content/sources/{source}.yaml"
    close = difflib.get_close_matches(source, sorted(sources), n=1, cutoff=0.6)
    if close:
        message += f"; did you mean '{close[0]}'?"
    else:
        message += " (site-builder ingest FEED makes records from a feed)"
    if quote and sources:
        everything = [q for record in sources.values() for q in record.quotations]
        closest = _closest_passage(quote, everything)
        if closest:
            owner = next(r.id for r in sources.values() if closest[1] in r.quotations)
            message += f" The closest passage is “{closest[0]}” in {owner}."
    return message
