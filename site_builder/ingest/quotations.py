"""An item's quotations and who said each, read from its plain text.

Every passage between “ and ” (or between two " in one paragraph) is a quotation, in order,
with the marks left out; `text[position:position + len(quotation)]` is the quotation. A “ left
open at the end of a paragraph (the convention for a quotation running on into the next
paragraph) closes there. Single quotes are not read as quotations: ’ is also an apostrophe.
The speaker comes from the first of these rules that applies, else null:

1. attribution after the quote: `“…,” said Professor Lena Holt, …` (or `said the analyst
   Lena Holt`) or `“…,” Duarte said`;
2. attribution before it: `Duarte said: “…”`, `According to Lena Holt, “…”`;
3. the subject of a sentence that embeds the quote after a verb of saying:
   `Beijing has kept the agenda vague, stating that talks will continue “…”`;
4. a quote that opens its own sentence right after an attributed quote in the same paragraph
   continues that speaker: `“…,” Duarte said, noting …. “And yet, …”`.

A name is a run of capitalised words (content/names.py): titles before it are dropped, a
surname alone is completed from a fuller mention elsewhere in the article ("Duarte" →
"Ana Duarte"), "he"/"she" is the last person named before the quote (outside quotations),
and a possessive ("Trump’s spokesman") is nobody. Words capitalised only because they open a
sentence ("Judges called it “…”") are not names.

Linear time: each paragraph is scanned once for its quotations, sentences, capitalised runs
and verbs of saying, and kept in sorted lists and tables; each quote then looks only at what
is next to it (by bisection and lookup), and attribution before a quote is looked for in the
`_REACH` characters before it — so a 400 KB paragraph costs what 400 short ones do.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from site_builder.content.names import (
    OPENING_MARKS,
    bare_word,
    ends_sentence,
    is_abbreviation,
    person_name,
)
from site_builder.content.sources import Quotation

__all__ = ["extract_quotations"]

# A word: a letter, then letters, digits, apostrophes, dots (U.S.) and hyphens (Trump-Xi).
_WORD = re.compile(r"[^\W\d_][\w'’.\-]*")
_SAID = (
    r"(?:said|says|say|told|tells|added|adds|asked|asks|explained|explains|noted|notes|stated|"
    r"states|wrote|writes|warned|warns|argued|argues|insisted|insists|replied|replies|recalled|"
    r"recalls|continued|continues|acknowledged|declared|declares|announced|tweeted|posted)"
)
# Verbs that make a sentence's subject the speaker of a quote embedded in it (rule 3).
_SAYING = re.compile(
    r"\b(?:said|says|saying|stated|stating|states|told|telling|added|adding|wrote|writing|"
    r"expressed|expressing|called|calling|described|describing|declared|declaring|warned|"
    r"warning|insisted|insisting|promised|promising|vowed|vowing|pledged|pledging|announced|"
    r"announcing|noted|noting|argued|arguing|urged|urging|claimed|claiming|tweeted|posted)\b"
)
# Up to three lowercase words describing the speaker: `said the chief librarian Omar Haddad`.
# Not prepositions: in `said on Tuesday` or `said in Paris` what follows is no speaker.
_DESCRIPTION = (
    r"(?:(?!(?:on|in|at|during|after|before|to|of|for|with|by|from|while|when|as|that|it|"
    r"this|last|next)\b)[a-z][\w'’-]*\s+){0,3}"
)
_PRONOUNS = {"he", "she"}
_SENTENCE_GAP = re.compile(r"(?<=[.!?])[”\"’)]?\s+(?=\S)")
_NOT_SPACE = re.compile(r"\S")
# Rule 1, matched where the quotation closes.
_AFTER_PRONOUN = re.compile(rf"[\s,]*(?:(he|she)\s+{_SAID}|{_SAID}\s+(he|she))\b")
_AFTER_VERB_FIRST = re.compile(rf"[\s,]*{_SAID}\s+{_DESCRIPTION}")
_LEAD = re.compile(r"[\s,]*")
_SAID_NEXT = re.compile(rf"\s+{_SAID}\b")
# Rule 2, matched in the text just before the quotation.
_BEFORE_PRONOUN = re.compile(rf"\b(he|she)\s+{_SAID}(?:\s+[a-z]+)?\s*[:,]?\s*$", re.I)
_BEFORE_VERB = re.compile(rf"\s+{_SAID}(?:\s+[a-z]+)?\s*[:,]?\s*$")
_ACCORDING = re.compile(r"\b[Aa]ccording to\s+")
_REACH = 300  # characters before a quote where "according to NAME," may stand (rule 2)
_SAID_REACH = 80  # characters before a quote where "NAME said:" or "he told reporters," may


@dataclass(frozen=True)
class _Span:
    """A quotation in a paragraph: its marks at `open` and `close` (close may be the end)."""

    open: int
    close: int
    start: int  # first character of the quoted text
    end: int


@dataclass(frozen=True)
class _Run:
    """Capitalised words in a row, e.g. "Deputy Finance Minister Ana Duarte"."""

    start: int
    end: int
    words: tuple[str, ...]


@dataclass
class _Paragraph:
    text: str
    offset: int  # in the item's text
    spans: list[_Span]
    sentence_starts: list[int]  # sorted
    runs: list[_Run]  # sorted
    runs_by_start: dict[int, _Run] = field(init=False)
    runs_by_end: dict[int, _Run] = field(init=False)
    saying: list[tuple[int, int]] = field(init=False)  # (start, end) of verbs of saying

    def __post_init__(self) -> None:
        self.runs_by_start = {run.start: run for run in self.runs}
        self.runs_by_end = {run.end: run for run in self.runs}
        self.saying = [m.span() for m in _SAYING.finditer(self.text)]

    def inside_quotation(self, at: int) -> bool:
        """Whether `at` lies strictly between a quotation's marks (spans are in order)."""
        index = bisect_right(self.spans, at, key=lambda s: s.open) - 1
        return index >= 0 and self.spans[index].open < at < self.spans[index].close

    def sentence_around(self, at: int) -> tuple[int, int]:
        """(start, end) of the sentence holding the character at `at`."""
        index = bisect_right(self.sentence_starts, at) - 1
        start = self.sentence_starts[max(index, 0)]
        later = index + 1
        end = self.sentence_starts[later] if later < len(self.sentence_starts) else len(self.text)
        return start, end

    def says_between(self, start: int, end: int) -> bool:
        """Whether a verb of saying stands wholly within text[start:end]."""
        index = bisect_left(self.saying, (start, -1))
        return index < len(self.saying) and self.saying[index][1] <= end


def _quotation_spans(paragraph: str) -> list[_Span]:
    spans: list[_Span] = []
    i = 0
    while i < len(paragraph):
        mark = paragraph[i]
        if mark not in '“"':
            i += 1
            continue
        closing = "”" if mark == "“" else '"'
        close = paragraph.find(closing, i + 1)
        if close == -1 and mark == '"':
            break  # an odd straight quote: no way to tell which text it opens
        close = len(paragraph) if close == -1 else close
        inner = paragraph[i + 1 : close]
        start = i + 1 + (len(inner) - len(inner.lstrip()))
        end = i + 1 + len(inner.rstrip())
        if end > start:
            spans.append(_Span(i, close, start, end))
        i = close + 1
    return spans


def _last_word(text: str, end: int) -> str:
    """The word ending at `end` (a bounded look back: no word is longer than _REACH)."""
    before = text[max(0, end - _REACH) : end].split()
    return before[-1] if before else ""


def _sentence_starts(paragraph: str, spans: list[_Span]) -> list[int]:
    """Where sentences begin: after . ! ? (and any closing mark) and a space, before a capital
    or an opening mark — never inside a quotation, after an abbreviation or after an initial."""
    starts = [0]
    span_index = 0
    for match in _SENTENCE_GAP.finditer(paragraph):
        nxt = match.end()
        if not (paragraph[nxt].isupper() or paragraph[nxt] in OPENING_MARKS):
            continue
        at = match.start()
        while span_index < len(spans) and spans[span_index].close <= at:
            span_index += 1  # matches come in order: the spans behind them are done with
        if span_index < len(spans) and spans[span_index].open < at < spans[span_index].close:
            continue
        if is_abbreviation(_last_word(paragraph, at)):
            continue
        starts.append(nxt)
    return starts


def _name_runs(paragraph: str) -> list[_Run]:
    runs: list[_Run] = []
    current: list[re.Match[str]] = []
    for match in _WORD.finditer(paragraph):
        joined = current and paragraph[current[-1].end() : match.start()] == " "
        continues = joined and not ends_sentence(current[-1].group())
        if match.group()[0].isupper() and (continues or not current):
            current.append(match)
            continue
        if current:
            runs.append(_make_run(current))
        current = [match] if match.group()[0].isupper() else []
    if current:
        runs.append(_make_run(current))
    return runs


def _make_run(matches: list[re.Match[str]]) -> _Run:
    return _Run(matches[0].start(), matches[-1].end(), tuple(m.group() for m in matches))


def _proper_words(paragraphs: list[_Paragraph]) -> set[str]:
    """Capitalised words seen somewhere other than the start of a sentence or a quotation:
    names, not words capitalised only by their place ("Last month, …")."""
    proper: set[str] = set()
    for p in paragraphs:
        starts = set(p.sentence_starts)
        for match in _WORD.finditer(p.text):
            word = match.group()
            if not word[0].isupper() or match.start() in starts:
                continue
            before = match.start() - 1
            while before >= 0 and p.text[before].isspace():
                before -= 1
            if before >= 0 and p.text[before] not in OPENING_MARKS + ":":
                proper.add(bare_word(word))
    return proper


class _SpeakerFinder:
    """Applies the attribution rules to one item's paragraphs (see the module docstring)."""

    def __init__(self, paragraphs: list[_Paragraph]) -> None:
        self.paragraphs = paragraphs
        self.proper = _proper_words(paragraphs)
        self._names: dict[tuple[str, ...], str | None] = {}
        self.full_names = self._full_names()
        self.mentions = self._mentions()  # in order of (paragraph, offset)
        self.found: dict[tuple[int, int], str | None] = {}  # (paragraph, quote) → speaker

    def name(self, words: tuple[str, ...]) -> str | None:
        """`person_name` of a run's words, worked out once per distinct run."""
        if words not in self._names:
            self._names[words] = person_name(words, self.proper)
        return self._names[words]

    def _full_names(self) -> dict[str, str]:
        """Surname → the first fuller name ending in it ("Duarte" → "Ana Duarte")."""
        names: dict[str, str] = {}
        for p in self.paragraphs:
            for run in p.runs:
                name = self.name(tuple(bare_word(w) for w in run.words))
                if name and " " in name:
                    names.setdefault(name.rsplit(" ", 1)[1], name)
        return names

    def _mentions(self) -> list[tuple[int, int, str]]:
        """(paragraph, offset, full name) of every person named outside a quotation — a name
        of two words or more, or a surname known from one."""
        mentions = []
        for number, p in enumerate(self.paragraphs):
            for run in p.runs:
                if p.inside_quotation(run.start):
                    continue
                name = self.name(tuple(bare_word(w) for w in run.words))
                if name and (" " in name or name in self.full_names):
                    mentions.append((number, run.start, self.full_names.get(name, name)))
        return mentions

    def resolve(self, name: str | None, paragraph: int, offset: int) -> str | None:
        """A surname made a full name; "he"/"she" made the last person named before `offset`."""
        if name is None:
            return None
        if name.lower() in _PRONOUNS:
            earlier = bisect_left(self.mentions, (paragraph, offset, ""))
            return self.mentions[earlier - 1][2] if earlier else None
        return self.full_names.get(name, name) if " " not in name else name

    def speaker(self, paragraph: int, index: int) -> str | None:
        p = self.paragraphs[paragraph]
        span = p.spans[index]
        sentence_start, sentence_end = p.sentence_around(span.open)
        opens_sentence = _NOT_SPACE.search(p.text, sentence_start, span.open) is None
        name = (
            self._said_after(p, span, sentence_end)
            or self._said_before(p, span, sentence_start)
            or (None if opens_sentence else self._subject(p, span, sentence_start))
        )
        speaker = self.resolve(name, paragraph, span.open)
        if speaker is None and opens_sentence:
            # Rule 4: a quote opening its sentence continues the paragraph's previous speaker.
            speaker = self.found.get((paragraph, index - 1))
        self.found[(paragraph, index)] = speaker
        return speaker

    def _said_after(self, p: _Paragraph, span: _Span, sentence_end: int) -> str | None:
        """Rule 1: `“…,” said Professor Lena Holt` / `“…,” Duarte said` / `“…,” he said`."""
        offset = span.close + 1
        pronoun = _AFTER_PRONOUN.match(p.text, offset, sentence_end)
        if pronoun:
            return pronoun.group(1) or pronoun.group(2)
        verb_first = _AFTER_VERB_FIRST.match(p.text, offset, sentence_end)
        if verb_first:
            run = p.runs_by_start.get(verb_first.end())
            return self.name(run.words) if run else None
        lead = _LEAD.match(p.text, offset, sentence_end)
        run = p.runs_by_start.get(lead.end()) if lead else None
        if run and _SAID_NEXT.match(p.text, run.end):
            return self.name(run.words)
        return None

    def _said_before(self, p: _Paragraph, span: _Span, sentence_start: int) -> str | None:
        """Rule 2: `Duarte said: “…”`, `He told reporters, “…”`, `According to Lena Holt, “…”`."""
        reach = max(sentence_start, span.open - _SAID_REACH)
        before = p.text[reach : span.open]
        pronoun = _BEFORE_PRONOUN.search(before)
        if pronoun:
            return pronoun.group(1)
        verb = _BEFORE_VERB.search(before)
        if verb:
            run = p.runs_by_end.get(reach + verb.start())
            return self.name(run.words) if run else None
        reach = max(sentence_start, span.open - _REACH)
        according = _ACCORDING.search(p.text, reach, span.open)
        run = p.runs_by_start.get(according.end()) if according else None
        # The name must be all that stands between "according to" and the quote.
        if run and p.text[run.end : span.open].strip() == ",":
            return self.name(run.words)
        return None

    def _subject(self, p: _Paragraph, span: _Span, sentence_start: int) -> str | None:
        """Rule 3: the quote sits in a sentence whose subject says it:
        `Beijing has kept the agenda vague, stating that talks will continue “…”`."""
        if not p.says_between(sentence_start, span.open):
            return None
        run = p.runs_by_start.get(sentence_start)
        return person_name(run.words, self.proper, strict=True) if run else None


def _paragraphs(text: str) -> list[_Paragraph]:
    paragraphs: list[_Paragraph] = []
    offset = 0
    for chunk in text.split("\n\n"):
        spans = _quotation_spans(chunk)
        paragraphs.append(
            _Paragraph(chunk, offset, spans, _sentence_starts(chunk, spans), _name_runs(chunk))
        )
        offset += len(chunk) + 2
    return paragraphs


def extract_quotations(text: str) -> tuple[Quotation, ...]:
    """Every quotation in an item's plain text with its speaker (null when no rule applies)."""
    paragraphs = _paragraphs(text)
    finder = _SpeakerFinder(paragraphs)
    quotations: list[Quotation] = []
    for number, p in enumerate(paragraphs):
        for index, span in enumerate(p.spans):
            speaker = finder.speaker(number, index)
            quotations.append(
                Quotation(p.text[span.start : span.end], speaker, p.offset + span.start)
            )
    return tuple(quotations)
