"""The error overlay: what a failed build shows in every open tab.

Each error once, at its place, with the source around the column it points at (long
Markdown paragraphs are single lines: the excerpt is a window centred on the column,
not the line's start), a caret under that column, and for a misquote the words that
differ from the closest recorded passage. The HTML comes from
site_builder/preview/templates/overlay.html with autoescaping: every byte taken from
the project's files is escaped, and the overlay needs no JavaScript."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from site_builder.errors import Diagnostic, sorted_diagnostics

MAX_SHOWN = 50
EXCERPT_WIDTH = 100  # characters of a line shown around the column
MAX_EXCERPT_WIDTH = 240  # wider for a long quotation, shown whole up to this
NEIGHBOUR_WIDTH = 100  # characters of the lines above and below

_environment = Environment(
    loader=PackageLoader("site_builder.preview", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    keep_trailing_newline=False,
)

# `(rendering content/x.md)`: a template error is the same error on every page it breaks.
_RENDERING = re.compile(r" \(rendering (?P<page>[^()]+)\)$")
# A misquote, or a quote citing an unknown source, names the closest recorded passage.
_MISQUOTE = re.compile(r"closest passage is “(?P<passage>.+)”", re.IGNORECASE)
_NAMED = re.compile(r"[“'\"‘](?P<name>[^“”'\"‘’]{1,200})[”'\"’]")
_QUOTED = re.compile(
    r"“(?P<a>[^”]+)”|\"(?P<b>[^\"]+)\"|\[[“\"]?(?P<c>[^\]]+?)[”\"]?\]\{[^}]*\.quote"
)
_PATH = re.compile(r"(?:content|templates|data|static)/[\w./-]+")


@dataclass(frozen=True)
class Row:
    number: int
    text: str
    marked: bool = False


@dataclass
class Problem:
    """One distinct error as the overlay shows it."""

    diagnostic: Diagnostic
    column: int | None = None  # 1-based, found in the source when the build gave none
    span: int = 1  # characters from the column that the error is about
    pages: int = 1  # how many pages it broke (template errors)
    rows: list[Row] = field(default_factory=list)
    caret: int | None = None  # offset of the caret in the marked row's text
    gutter: int = 0
    diff: list[tuple[str, str]] = field(default_factory=list)  # (kind, words)

    @property
    def where(self) -> str:
        place = self.diagnostic.path
        if self.diagnostic.line is not None:
            place += f":{self.diagnostic.line}"
            if self.column is not None:
                place += f":{self.column}"
        return place


def distinct(diagnostics: Iterable[Diagnostic]) -> list[tuple[Diagnostic, int]]:
    """Each error once, with how many pages it was reported for; an error in a file
    that has errors of its own is not repeated where another file mentions it (a
    page with broken front matter is not also "no page" in site.yaml's nav)."""
    pages: dict[Diagnostic, set[str]] = {}
    for diagnostic in sorted_diagnostics(list(diagnostics)):
        rendering = _RENDERING.search(diagnostic.message)
        key = Diagnostic(
            diagnostic.path,
            diagnostic.line,
            diagnostic.col,
            _RENDERING.sub("", diagnostic.message),
            diagnostic.severity,
        )
        pages.setdefault(key, set())
        if rendering:
            pages[key].add(rendering.group("page"))
    broken = {d.path for d in pages if d.is_error}
    return [
        (d, max(1, len(rendered)))
        for d, rendered in pages.items()
        if not any(path in broken and path != d.path for path in _PATH.findall(d.message))
    ]


def summary_lines(diagnostics: Iterable[Diagnostic]) -> list[str]:
    """The distinct errors as terminal lines (`file:line:col: message (N pages)`)."""
    lines = []
    for diagnostic, pages in distinct(diagnostics):
        suffix = f" ({pages} pages)" if pages > 1 else ""
        lines.append(diagnostic.format() + suffix)
    return lines


def error_overlay(diagnostics: list[Diagnostic], project: Path, had_good_build: bool) -> str:
    """The overlay's HTML for a failed build."""
    found = distinct(diagnostics)
    problems = [_problem(d, pages, project) for d, pages in found[:MAX_SHOWN]]
    return _environment.get_template("overlay.html").render(
        problems=problems,
        errors=sum(1 for d, _ in found if d.is_error),
        more=max(0, len(found) - MAX_SHOWN),
        had_good_build=had_good_build,
    )


def no_output_page() -> str:
    """What a request gets before the first good build (with the overlay on top)."""
    return _environment.get_template("no_output.html").render()


def _problem(diagnostic: Diagnostic, pages: int, project: Path) -> Problem:
    problem = Problem(diagnostic, column=diagnostic.col, pages=pages)
    lines = _source_lines(project, diagnostic.path)
    line = diagnostic.line
    if not lines or not line or line > len(lines):
        return problem
    text = lines[line - 1]
    misquote = _MISQUOTE.search(diagnostic.message)
    quote = _find_quote(text, misquote.group("passage")) if misquote else None
    if quote is not None:
        start, words = quote
        problem.column = problem.column or start + 1
        problem.span = len(words)
        problem.diff = word_diff(words, misquote.group("passage"))
    elif problem.column in (None, 1):  # none, or the line's start for a whole-line check
        problem.column = _find_named(text, diagnostic.message) or problem.column
    _excerpt(problem, lines, line)
    return problem


def _source_lines(project: Path, path: str) -> list[str]:
    file = (project / path).resolve()
    if not file.is_relative_to(project) or not file.is_file():
        return []
    try:
        return file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []


def _excerpt(problem: Problem, lines: list[str], line: int) -> None:
    """The marked line as a window centred on what the error is about (from its column,
    `span` characters), one line either side."""
    column = problem.column or 1
    width = min(MAX_EXCERPT_WIDTH, max(EXCERPT_WIDTH, problem.span + 40))
    middle = column - 1 + problem.span // 2
    start = max(0, min(middle - width // 2, len(lines[line - 1]) - width))
    numbers = range(max(1, line - 1), min(len(lines), line + 1) + 1)
    problem.gutter = len(str(numbers[-1]))
    for number in numbers:
        text = lines[number - 1]
        if number == line:
            shown = _window(text, start, width)
            lead = 1 if start > 0 else 0  # the "…" standing for the cut start
            problem.caret = column - 1 - start + lead if problem.column else None
        else:
            shown = _window(text, start if start < len(text) else 0, NEIGHBOUR_WIDTH)
        problem.rows.append(Row(number, shown, marked=number == line))


def _window(text: str, start: int, width: int) -> str:
    shown = text[start : start + width]
    if start > 0:
        shown = "…" + shown
    if start + width < len(text):
        shown += "…"
    return shown


def _find_quote(text: str, passage: str) -> tuple[int, str] | None:
    """The quotation in `text` most like `passage`: (its 0-based offset, its words)."""
    best: tuple[float, int, str] | None = None
    for match in _QUOTED.finditer(text):
        group = next(name for name in ("a", "b", "c") if match.group(name) is not None)
        words = match.group(group)
        ratio = difflib.SequenceMatcher(None, words.casefold(), passage.casefold()).ratio()
        if best is None or ratio > best[0]:
            best = (ratio, match.start(group), words)
    return (best[1], best[2]) if best else None


def _find_named(text: str, message: str) -> int | None:
    """The column of the first thing the message names in quotes that the line holds."""
    for match in _NAMED.finditer(message):
        name = match.group("name")
        # `about.md#nope` is written `#nope` on the page it is on.
        for written in (name, "#" + name.partition("#")[2] if "#" in name else ""):
            at = text.find(written) if written else -1
            if at >= 0:
                return at + 1
    return None


def word_diff(written: str, recorded: str) -> list[tuple[str, str]]:
    """Word-level difference: ("same"|"removed"|"added", words), removed = only written."""
    ours, theirs = written.split(), recorded.split()
    matcher = difflib.SequenceMatcher(None, ours, theirs, autojunk=False)
    parts: list[tuple[str, str]] = []
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(("same", " ".join(ours[a1:a2])))
            continue
        if a2 > a1:
            parts.append(("removed", " ".join(ours[a1:a2])))
        if b2 > b1:
            parts.append(("added", " ".join(theirs[b1:b2])))
    return parts
