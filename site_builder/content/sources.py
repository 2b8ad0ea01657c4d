"""Source records: what a page may quote from an article, and checking its quotes against them.

A record, `content/sources/<id>.yaml`, holds what a page needs to cite an article and to prove its
quotes — outlet, title, author, date, URL, categories and every quotation with its speaker and
position — but not the article's text, which is not ours to republish. `site-builder ingest`
writes records from a feed (see ingest.py, which only that command loads); writers may also write
them by hand. This module is what every build needs of them:

* **the model** — `SourceRecord` and its `Quotation`s (text, speaker or null, character offset
  in the article's text).
* **loading** — `load_sources` reads every `content/sources/*.yaml` with the writers' YAML rules
  (size limit, UTF-8, no tags, anchors, aliases or duplicate keys) and checks each value,
  reporting a problem at the line of the value: `id`, `outlet`, `title`, `published`, `url` and
  `quotations` are required, an unknown key gets a “did you mean”, the id must be the file's
  name, and a record symlinked from outside the project is refused. Every problem of every
  record is reported at once (`BuildFailed`). The keys a record may hold are `RECORD_KEYS`, in
  the order ingest writes them, then `record_hash`: the sha256 of everything above it, which
  tells ingest whether the record was edited by hand since it was written.
* **checking** — `check_quote`: a page's quote must be verbatim from one of the record's
  quotations, or part of one (typographic quote marks made straight, `...` read as `…`,
  whitespace runs as one space; each `…` stands for any run of text left out, and the words at
  every edge must be whole words), and the speaker the page names must be the recorded one —
  in full, with titles ("Treasury Secretary Scott Bessent"), or by surname alone ("Bessent").
  A quote given without a speaker is checked for its words only. A misquote names the closest
  recorded passage; `unknown_source_message` suggests the nearest id for a citation of an id
  with no record.
* **names** — `person_name` reads the name in a run of capitalised words, for ingest's speakers
  and for a page's alike (titles dropped, the list is `_TITLES`; a possessive is nobody).
"""

from __future__ import annotations

import difflib
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from site_builder.content.files import read_text
from site_builder.content.yamlsafe import load_yaml
from site_builder.errors import BuildFailed, Diagnostic, SiteError

__all__ = [
    "KNOWN_RECORD_KEYS",
    "OPENING_MARKS",
    "RECORD_KEYS",
    "Quotation",
    "SourceRecord",
    "bare_word",
    "check_quote",
    "display_path",
    "ends_sentence",
    "is_abbreviation",
    "load_sources",
    "person_name",
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


# --------------------------------------------------------------------------------------------
# Ids


def source_id(guid_or_link: str) -> str:
    """The stable id of an item: a slug of its guid (or of its link when it has no guid)."""
    # Decompose accents first so "Café" gives "cafe" rather than "caf".
    ascii_text = unicodedata.normalize("NFKD", guid_or_link).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if not slug:
        raise ValueError(f"cannot derive an id from {guid_or_link!r}")
    return slug


# --------------------------------------------------------------------------------------------
# Record keys and paths

# The keys ingest writes, in the order it writes them; `record_hash` follows them.
RECORD_KEYS = (
    "id", "guid", "outlet", "title", "author", "published", "url", "url_from", "categories",
    "feed", "content_hash", "quotations",
)  # fmt: skip
_REQUIRED_KEYS = ("id", "outlet", "title", "published", "url", "quotations")
KNOWN_RECORD_KEYS = frozenset(RECORD_KEYS) | {"record_hash"}


def display_path(path: Path | str, project_dir: Path) -> str:
    """A path as diagnostics show it: relative to the project, with forward slashes."""
    relative = os.path.relpath(os.path.abspath(path), os.path.abspath(project_dir))
    return Path(relative).as_posix()


# --------------------------------------------------------------------------------------------
# Names (of a quotation's speaker, in a record or on a page)

_TITLES = {
    "admiral", "alderman", "ambassador", "analyst", "attorney", "bishop", "capt", "captain",
    "ceo", "chair", "chairman", "chairwoman", "chancellor", "chief", "coach", "col", "colonel",
    "commissioner", "congressman", "congresswoman", "councillor", "councilor", "councilman",
    "councilwoman", "dame", "deputy", "detective", "director", "doctor", "dr", "economist",
    "envoy", "gen", "general", "gov", "governor", "inspector", "judge", "justice", "king",
    "lord", "mayor", "minister", "miss", "mr", "mrs", "ms", "officer", "pope", "premier",
    "president", "prime", "prince", "princess", "prof", "professor", "queen", "rabbi", "rep",
    "representative", "rev", "reverend", "sec", "secretary", "sen", "senator", "sergeant",
    "sgt", "sir", "speaker", "spokesman", "spokesperson", "spokeswoman", "state", "vice",
}  # fmt: skip
# Words capitalised at the start of a sentence that never begin a name.
_FUNCTION_WORDS = {
    "a", "according", "after", "ahead", "also", "although", "an", "and", "as", "at", "before",
    "but", "by", "despite", "during", "earlier", "for", "from", "however", "if", "in", "last",
    "later", "meanwhile", "now", "on", "or", "since", "so", "still", "that", "the", "then",
    "these", "this", "those", "though", "today", "tomorrow", "under", "until", "when", "while",
    "with", "without", "yesterday", "yet",
}  # fmt: skip
# Words ending in a dot that do not end a sentence.
_ABBREVIATIONS = {
    "capt", "co", "col", "corp", "dr", "gen", "gov", "hon", "inc", "jr", "lt", "ltd", "mr",
    "mrs", "ms", "no", "prof", "rep", "rev", "sec", "sen", "sgt", "sr", "st", "vs",
}  # fmt: skip
OPENING_MARKS = '“"‘('


def is_abbreviation(word: str) -> bool:
    """Whether the dot after `word` does not end a sentence: "Mr.", "U.S.", "J."."""
    bare = word.lstrip(OPENING_MARKS).rstrip(".")
    return bare.lower() in _ABBREVIATIONS or "." in bare or len(bare) == 1


def ends_sentence(word: str) -> bool:
    return word.endswith(".") and not is_abbreviation(word)


def bare_word(word: str) -> str:
    """A word without a sentence-ending dot or a possessive ’s."""
    if ends_sentence(word):
        word = word[:-1]
    return re.sub(r"['’]s$", "", word)


def person_name(words: Iterable[str], proper: set[str], *, strict: bool = False) -> str | None:
    """The name in a run of capitalised words: what follows the last title, without a leading
    function word ("In Beijing") or, in a run of three or more, words capitalised only because
    they open the sentence ("Stallholder Rosa Diaz"; but "Ana Costa" keeps both words).
    `strict` refuses a single such word: a sentence's first word is a poor guess at a subject."""
    words = list(words)
    if not words or re.search(r"['’]s$", words[-1]):
        return None  # "Trump’s spokesman said": the speaker is not Trump
    words = [bare_word(w) for w in words]
    titles = [i for i, w in enumerate(words) if w.lower().rstrip(".") in _TITLES]
    if titles:
        words = words[titles[-1] + 1 :]
    while words and words[0].lower() in _FUNCTION_WORDS:
        words.pop(0)
    while len(words) > 2 and words[0] not in proper:
        words.pop(0)
    if not words or (strict and words[0] not in proper):
        return None
    return " ".join(words)


# --------------------------------------------------------------------------------------------
# Loading records


def load_sources(sources_dir: Path, project_dir: Path) -> dict[str, SourceRecord]:
    """Every `*.yaml` record in `sources_dir`, by id. Raises BuildFailed listing every problem."""
    records: dict[str, SourceRecord] = {}
    diagnostics: list[Diagnostic] = []
    if not sources_dir.is_dir():
        return records
    project_real = project_dir.resolve()
    for path in sorted(sources_dir.glob("*.yaml")):
        shown = display_path(path, project_dir)
        if path.is_symlink() and not path.resolve().is_relative_to(project_real):
            diagnostics.append(
                Diagnostic(
                    shown, None, None, "symlink points outside the project; copy the file in"
                )
            )
            continue
        record, problems = _load_record(path, shown)
        diagnostics += problems
        if record is not None:
            records[record.id] = record
    if diagnostics:
        raise BuildFailed(diagnostics)
    return records


def _load_record(path: Path, shown: str) -> tuple[SourceRecord | None, list[Diagnostic]]:
    try:
        # The writers' rules first (size limit, UTF-8, no tags, anchors, aliases or
        # duplicate keys); then PyYAML's nodes, for the line of each value.
        text = read_text(path, shown)
        load_yaml(text, shown)
    except SiteError as error:
        return None, [error.diagnostic]
    except OSError as error:
        return None, [Diagnostic(shown, message=f"cannot read the source record: {error}")]
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        problem = getattr(error, "problem", None) or str(error)
        return None, [Diagnostic(shown, line, col, f"invalid YAML: {problem}")]
    if not isinstance(node, yaml.MappingNode) or not isinstance(data, dict):
        return None, [Diagnostic(shown, 1, None, "a source record must be a YAML mapping")]
    return _RecordReader(shown, path.stem, node, data).read()


class _RecordReader:
    """Checks one record's values, each problem reported at the line of the value."""

    def __init__(self, shown: str, stem: str, node: yaml.MappingNode, data: dict) -> None:
        self.shown, self.stem, self.data = shown, stem, data
        self.nodes = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        self.problems: list[Diagnostic] = []

    def error(self, node: yaml.Node | None, message: str) -> None:
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, None)
        self.problems.append(Diagnostic(self.shown, line, col, message))

    def read(self) -> tuple[SourceRecord | None, list[Diagnostic]]:
        for key in self.data:
            if key not in KNOWN_RECORD_KEYS:
                close = difflib.get_close_matches(str(key), sorted(KNOWN_RECORD_KEYS), n=1)
                hint = f"; did you mean “{close[0]}”?" if close else ""
                self.error(self.nodes.get(key), f"unknown key “{key}” in a source record{hint}")
        missing = [k for k in _REQUIRED_KEYS if k not in self.data]
        if missing:
            self.error(None, "source record is missing " + ", ".join(f"“{k}”" for k in missing))
            return None, self.problems
        record = SourceRecord(
            id=self.text("id"),
            outlet=self.text("outlet"),
            title=self.text("title"),
            author=self.text("author", optional=True) or None,
            published=self.published(),
            url=self.text("url"),
            categories=self.categories(),
            quotations=self.quotations(),
            path=self.shown,
        )
        if record.id and record.id != self.stem:
            self.error(
                self.nodes["id"], f"id “{record.id}” differs from the file name “{self.stem}”"
            )
        return (None if self.problems else record), self.problems

    def text(self, key: str, *, optional: bool = False) -> str:
        value = self.data.get(key)
        if value is None and optional:
            return ""
        if not isinstance(value, str) or not value.strip():
            self.error(self.nodes.get(key), f"“{key}” must be a non-empty string")
            return ""
        return value

    def published(self) -> str:
        value = self.data["published"]
        # An unquoted date is read by YAML as a date; it means the same thing.
        if isinstance(value, datetime | date):
            return value.isoformat()
        return self.text("published")

    def categories(self) -> tuple[str, ...]:
        value = self.data.get("categories") or []
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            self.error(self.nodes.get("categories"), "“categories” must be a list of strings")
            return ()
        return tuple(value)

    def quotations(self) -> tuple[Quotation, ...]:
        value, node = self.data["quotations"], self.nodes["quotations"]
        if value is None:
            return ()
        if not isinstance(value, list) or not isinstance(node, yaml.SequenceNode):
            self.error(node, "“quotations” must be a list of {text, speaker, position}")
            return ()
        quotations = []
        for entry, entry_node in zip(value, node.value, strict=True):
            quotation = self.quotation(entry, entry_node)
            if quotation is not None:
                quotations.append(quotation)
        return tuple(quotations)

    def quotation(self, entry: Any, node: yaml.Node) -> Quotation | None:
        if not isinstance(entry, dict):
            self.error(node, "a quotation must be a mapping with text, speaker and position")
            return None
        text, speaker, position = entry.get("text"), entry.get("speaker"), entry.get("position")
        problems = []
        if not isinstance(text, str) or not text.strip():
            problems.append("its “text” must be a non-empty string")
        if speaker is not None and (not isinstance(speaker, str) or not speaker.strip()):
            problems.append("its “speaker” must be a name or null")
        if isinstance(position, bool) or not isinstance(position, int) or position < 0:
            problems.append("its “position” must be a whole number ≥ 0")
        unknown = sorted(str(k) for k in entry if k not in {"text", "speaker", "position"})
        if unknown:
            problems.append("unknown key " + ", ".join(f"“{k}”" for k in unknown))
        for problem in problems:
            self.error(node, f"quotation: {problem}")
        return None if problems else Quotation(text, speaker, position)


# --------------------------------------------------------------------------------------------
# Checking quotes

_DOUBLE_MARKS = str.maketrans({c: '"' for c in "“”„‟″«»"} | {c: "'" for c in "‘’‚‛′"})
_EDGE = ' ,;:."'  # terminal punctuation and marks a page may add or drop around a quote


def _normalise(text: str) -> str:
    """Typographic quote marks made straight, `...` made `…`, whitespace runs made one space."""
    return " ".join(text.translate(_DOUBLE_MARKS).replace("...", "…").split())


def _quote_pattern(text: str) -> re.Pattern[str] | None:
    """A regex for a page's quote: verbatim words, each `…` any run of text, whole words at
    every edge (so "fragile cease" does not match "fragile ceasefire")."""
    pieces = [p.strip(_EDGE) for p in _normalise(text).split("…")]
    pieces = [p for p in pieces if p]
    if not pieces:
        return None
    parts = []
    for piece in pieces:
        left = r"(?<!\w)" if re.match(r"\w", piece) else ""
        right = r"(?!\w)" if re.search(r"\w$", piece) else ""
        parts.append(left + re.escape(piece) + right)
    return re.compile(".*?".join(parts), re.DOTALL)


def _same_speaker(named: str, recorded: str | None) -> bool:
    """Case aside, the page's speaker is the recorded one — titles dropped ("Treasury Secretary
    Scott Bessent"), or just the surname ("Bessent")."""
    if recorded is None:
        return False
    page = (person_name(named.split(), proper=set(named.split())) or named).casefold()
    record = " ".join(recorded.split()).casefold()
    return page == record or page == record.rsplit(" ", 1)[-1]


_WHOLE_QUOTATION_WORDS = 25  # show shorter quotations whole: more useful than a fragment


def _closest_passage(text: str, quotations: Iterable[Quotation]) -> tuple[str, Quotation] | None:
    """The recorded passage most like `text` by difflib's ratio: the whole quotation when it is
    short, else its stretch of as many words as `text`."""
    target = " ".join(_normalise(text).replace("…", " ").strip(_EDGE).split())
    size = max(1, len(target.split()))
    best: tuple[float, str, Quotation] | None = None
    for quotation in quotations:
        words = _normalise(quotation.text).split()
        windows = [" ".join(words[i : i + size]) for i in range(max(1, len(words) - size + 1))]
        for window in [" ".join(words), *windows]:
            ratio = difflib.SequenceMatcher(None, target, window, autojunk=False).ratio()
            if best is None or ratio > best[0]:
                best = (ratio, window, quotation)
    if best is None:
        return None
    _, window, quotation = best
    if len(quotation.text.split()) <= _WHOLE_QUOTATION_WORDS:
        window = _normalise(quotation.text)
    return window, quotation


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
    pattern = _quote_pattern(text)
    if pattern is None:
        return f"empty quotation of {record.id}"
    matches = [q for q in record.quotations if pattern.search(_normalise(q.text))]
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
    """The error for a citation of an id with no record: the nearest id, and when a quote is
    given, the closest passage among all records."""
    message = f"unknown source “{source}”"
    close = difflib.get_close_matches(source, sorted(sources), n=1, cutoff=0.6)
    if close:
        message += f"; did you mean “{close[0]}”?"
    if quote and sources:
        everything = [q for record in sources.values() for q in record.quotations]
        closest = _closest_passage(quote, everything)
        if closest:
            owner = next(r.id for r in sources.values() if closest[1] in r.quotations)
            message += f" The closest passage is “{closest[0]}” in {owner}"
    return message
