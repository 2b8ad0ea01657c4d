"""Safe YAML for writers: PyYAML's SafeLoader with the sharp edges removed.

What differs from `yaml.safe_load`, and why:
- Only `true`/`false` are booleans (YAML 1.2). YAML 1.1 reads `yes`, `no`, `on`
  and `off` as booleans, so `slug: no` would silently become `False`; here they
  stay text and the schema decides what they mean.
- Anchors and aliases are refused: content never needs them, and an alias bomb
  ("billion laughs") then fails at the first `&` instead of exhausting memory.
- A key given twice is an error naming both lines (PyYAML keeps the last one).
- Every mapping and sequence remembers where each of its values starts, so the
  schema can report `file:LINE:COL` for a bad value, and the text each scalar
  was written as, so a string field given `1.10` gets "1.10", not 1.1.
- Nesting deeper than MAX_DEPTH is refused as soon as it is seen: PyYAML
  composes recursively (RecursionError) and scans deep flow collections in
  quadratic time, so `[[[[…` must stop early.
- Only plain values, lists and mappings: `!!python/…` and every other tag
  PyYAML would construct into something else (`!!binary`, `!!set`, `!!omap`,
  `!!pairs`, merge keys) are refused.
- Text may not hold control characters or lone surrogates, even written as
  escapes (`"\\0"`, `"\\ud800"`): they could not be written out as UTF-8 HTML.
- Errors are `SiteError`s with the line counted in the whole file and a
  message a writer can act on, including the ones PyYAML raises without a
  position (a forbidden character, a number too long to convert). A parser
  error is placed where the mistake starts (the quote or bracket never closed,
  the line indented too far), not where PyYAML gave up.

Speed: every page has front matter, and PyYAML's pure-Python scanner and parser
cost a build about as much as a tenth of its Markdown. Plain front matter (no
anchor, alias, tag, directive, tab or deep nesting: what writers write) is
therefore parsed by libyaml (PyYAML's C parser) and built into values by the same
constructor as above. Anything else, and anything libyaml rejects, goes through
the checking loader, which alone reports errors: the two give the same values
and positions, and the same messages (tests/test_yamlsafe.py checks both).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.cyaml import CParser  # libyaml, which PyYAML's wheels include
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from site_builder.errors import SiteError

Position = tuple[int, int]  # (line, column), both 1-based
MAX_DEPTH = 50  # lists/mappings inside each other; real content needs under ten
# C0/C1 controls other than tab and newline, and UTF-16 surrogates.
_BAD_TEXT_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


class YamlMap(dict):
    """A dict that knows where each value was written."""

    positions: dict[Any, Position]
    raw: dict[Any, str]  # scalar values as written in the file

    def where(self, key: Any) -> Position | None:
        return self.positions.get(key)


class YamlList(list):
    """A list that knows where each item was written."""

    positions: list[Position]
    raw: list[str | None]


class _Constructor(SafeConstructor):
    """SafeConstructor + the rules on values in the module docstring."""

    def __init__(self, path: str, line_offset: int) -> None:
        self._path = path
        self._line_offset = line_offset
        super().__init__()

    def _error(self, mark: yaml.Mark | None, message: str) -> SiteError:
        line = mark.line + 1 + self._line_offset if mark else None
        col = mark.column + 1 if mark else None
        return SiteError(self._path, line, col, message)

    def construct_yaml_map(self, node: MappingNode) -> Any:
        data = YamlMap()
        data.positions = {}
        data.raw = {}
        yield data
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) or key is None:
                raise self._error(key_node.start_mark, "a key must be plain text")
            line = key_node.start_mark.line + 1 + self._line_offset
            if key in seen:
                raise self._error(
                    key_node.start_mark,
                    f"duplicate key '{key}' (first given on line {seen[key]}); keep only one",
                )
            seen[key] = line
            data[key] = self.construct_object(value_node, deep=True)
            data.positions[key] = self._position(value_node)
            if isinstance(value_node, ScalarNode):
                data.raw[key] = value_node.value

    def construct_yaml_seq(self, node: SequenceNode) -> Any:
        data = YamlList()
        data.positions = []
        data.raw = []
        yield data
        for item in node.value:
            data.append(self.construct_object(item, deep=True))
            data.positions.append(self._position(item))
            data.raw.append(item.value if isinstance(item, ScalarNode) else None)

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        # PyYAML raises a bare ValueError for a date-shaped but impossible value.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            raise self._error(
                node.start_mark, f"{node.value!r} is not a real date; write it as YYYY-MM-DD"
            ) from None

    def construct_yaml_str(self, node: ScalarNode) -> str:
        value = super().construct_yaml_str(node)
        if bad := _BAD_TEXT_RE.search(value):
            raise self._error(
                node.start_mark,
                f"the character U+{ord(bad.group()):04X} is not allowed in text; remove it",
            )
        return value

    def construct_yaml_int(self, node: ScalarNode) -> int:
        # Python refuses to convert integers of more than 4300 digits (ValueError).
        try:
            return super().construct_yaml_int(node)
        except ValueError:
            raise self._error(
                node.start_mark, f"the number {node.value[:20]}… is too long"
            ) from None

    def construct_undefined(self, node: Any) -> Any:
        raise self._error(
            node.start_mark,
            f"YAML tag '{node.tag}' is not allowed; only plain values, lists and mappings",
        )

    def _position(self, node: Any) -> Position:
        return (node.start_mark.line + 1 + self._line_offset, node.start_mark.column + 1)


_Constructor.add_constructor("tag:yaml.org,2002:map", _Constructor.construct_yaml_map)
_Constructor.add_constructor("tag:yaml.org,2002:seq", _Constructor.construct_yaml_seq)
_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)
_Constructor.add_constructor("tag:yaml.org,2002:str", _Constructor.construct_yaml_str)
_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_yaml_int)
_Constructor.add_constructor(None, _Constructor.construct_undefined)
# Types a writer never means: refuse them like any unknown tag.
for _tag in ("binary", "set", "omap", "pairs"):
    _Constructor.add_constructor(f"tag:yaml.org,2002:{_tag}", _Constructor.construct_undefined)


class _Resolver(Resolver):
    """YAML 1.2 booleans: SafeLoader's resolvers, less yes/no/on/off."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


class _Loader(Reader, Scanner, Parser, Composer, _Constructor, _Resolver):
    """The checking loader: pure Python, every event seen (anchors, aliases, depth)."""

    def __init__(self, stream: str, path: str, line_offset: int) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Constructor.__init__(self, path, line_offset)
        _Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise self._error(
                event.start_mark,
                f"YAML alias '*{event.anchor}' is not allowed; write the value out in full",
            )
        if (
            isinstance(event, ScalarEvent | MappingStartEvent | SequenceStartEvent)
            and event.anchor is not None
        ):
            raise self._error(
                event.start_mark,
                f"YAML anchor '&{event.anchor}' is not allowed; write each value out in full",
            )
        if not isinstance(event, MappingStartEvent | SequenceStartEvent):
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise self._error(
                event.start_mark,
                f"lists and mappings are nested more than {MAX_DEPTH} levels deep here",
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _FastLoader(CParser, _Constructor, _Resolver):
    """libyaml's parser and composer, with the checking loader's constructor and resolver."""

    def __init__(self, stream: str, path: str, line_offset: int) -> None:
        CParser.__init__(self, stream)
        _Constructor.__init__(self, path, line_offset)
        _Resolver.__init__(self)


# What sends a text to the checking loader: anchors and aliases (`&`, `*`), tags and
# directives (`!`, `%`), tabs, line breaks other than \n (libyaml and PyYAML count
# lines differently across them), a byte order mark past the start (libyaml drops
# it), the shapes that nest without indenting (`[`, `{`, `- -`, `? `), which libyaml
# composes recursively in C, and the two places where fuzzing found the parsers
# differ (tests/test_yamlsafe.py).
_NEEDS_CHECKING_RE = re.compile(
    r"[&*!%\t\r\x85\u2028\u2029\ufeff]|-[ ]+-(?:[ ]|$)|\?(?:[ ]|$)"
    r"|[|>][-+0-9]*#"  # `|#`: a block scalar header libyaml lets pass
    r"|:[ ]*[]},]",  # `{a: }`: libyaml places the empty value a column further
    re.M,
)
_FLOW_NESTING_RE = re.compile(r"[\[{]")


def load_yaml(text: str, path: str | Path, line_offset: int = 0) -> Any:
    """Parse one YAML document. `line_offset` is the number of lines before `text`
    in its file, so reported lines are those a writer sees in the editor."""
    if _plain_enough(text):
        try:
            return _load_fast(text, str(path), line_offset)
        except (yaml.YAMLError, SiteError, ValueError, OverflowError, _TooDeep):
            pass  # the checking loader below finds the same problem and words it
    try:
        # The reader checks every character up front, in the constructor.
        loader = _Loader(text, str(path), line_offset)
    except ReaderError as exc:
        raise _reader_error(exc, text, str(path), line_offset) from None
    try:
        return loader.get_single_data()
    except SiteError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark, message = _plain_words(exc, text)
        raise loader._error(mark, message) from None
    except ConstructorError as exc:  # pragma: no cover - MarkedYAMLError covers it
        raise SiteError(str(path), None, None, str(exc)) from None
    except (ValueError, OverflowError, RecursionError) as exc:
        # PyYAML lets a few of these out unmarked (e.g. `"\U00110000"` → chr() fails);
        # report them where the reader stopped rather than as an internal error.
        raise loader._error(loader.get_mark(), f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()


class _TooDeep(Exception):
    """Nesting past MAX_DEPTH, found after libyaml composed it: the checking loader reports it."""


def _plain_enough(text: str) -> bool:
    """True if libyaml may parse `text` (see _NEEDS_CHECKING_RE)."""
    return (
        not _NEEDS_CHECKING_RE.search(text)
        and len(_FLOW_NESTING_RE.findall(text)) <= MAX_DEPTH
        and not Reader.NON_PRINTABLE.search(text)
    )


def _load_fast(text: str, path: str, line_offset: int) -> Any:
    loader = _FastLoader(text, path, line_offset)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_depth(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _check_depth(root: Node) -> None:
    """Raise _TooDeep if lists and mappings nest more than MAX_DEPTH levels."""
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, SequenceNode):
            children: list[Node] = node.value
        elif isinstance(node, MappingNode):
            children = [child for pair in node.value for child in pair]
        else:
            continue
        if depth + 1 > MAX_DEPTH:
            raise _TooDeep
        stack.extend((child, depth + 1) for child in children)


def _reader_error(exc: ReaderError, text: str, path: str, line_offset: int) -> SiteError:
    """A forbidden character (e.g. a NUL or a bell), at its line and column."""
    position = min(exc.position, len(text))
    line = text.count("\n", 0, position) + 1 + line_offset
    col = position - (text.rfind("\n", 0, position) + 1) + 1
    code = exc.character if isinstance(exc.character, int) else 0
    return SiteError(
        path, line, col, f"the character U+{code:04X} is not allowed in YAML; remove it"
    )


def _plain_words(exc: yaml.MarkedYAMLError, text: str) -> tuple[yaml.Mark | None, str]:
    """PyYAML's parser error as advice, placed where the mistake starts.

    PyYAML notices most mistakes only where it gives up (an unclosed quote at the
    end of the front matter), so the error is moved back to what the writer must
    fix: the opening quote or bracket, the line indented too far.
    """
    problem = exc.problem or ""
    context = exc.context or ""
    start = exc.context_mark
    if "quoted scalar" in context and start is not None:
        quote = _char_at(text, start)
        return start, (
            f"this quote ({quote}) is never closed; end the value with a matching {quote} "
            "on the same line"
        )
    if "flow sequence" in context or "flow mapping" in context:
        opening, closing = ("[", "]") if "sequence" in context else ("{", "}")
        return start or exc.problem_mark, (
            f"this '{opening}' is never closed; close it with '{closing}' on the same line, "
            "or put the value in quotes"
        )
    mark = exc.problem_mark or start
    line_text, previous = _line_and_previous(text, mark)
    if "mapping values are not allowed" in problem and _indented_more(line_text, previous):
        return _first_word(mark, line_text), (
            "this line is indented more than the line before it; "
            "line its key up with the key above, or quote the value above if it goes on here"
        )
    if "expected <block end>" in problem:
        return _first_word(mark, line_text), (
            "this line's indentation does not match the lines above it; "
            "indent items of one list or mapping by the same number of spaces"
        )
    if "could not find expected ':'" in problem and start is not None:
        return start, (
            "expected 'key: value' here; a line may be missing its colon or a quote is unclosed"
        )
    return mark, _friendly(exc, line_text)


def _char_at(text: str, mark: yaml.Mark) -> str:
    lines = text.splitlines()
    if mark.line < len(lines) and mark.column < len(lines[mark.line]):
        return lines[mark.line][mark.column]
    return '"'


def _line_and_previous(text: str, mark: yaml.Mark | None) -> tuple[str, str | None]:
    """The text of the mark's line and of the nearest non-blank line before it."""
    if mark is None:
        return "", None
    lines = text.splitlines()
    line_text = lines[mark.line] if mark.line < len(lines) else ""
    before = [ln for ln in lines[: mark.line] if ln.strip() and not ln.lstrip().startswith("#")]
    return line_text, before[-1] if before else None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _indented_more(line_text: str, previous: str | None) -> bool:
    """True if a `key: value` line sits deeper than the plain `key: value` line before it."""
    if previous is None or _indent(line_text) <= _indent(previous):
        return False
    return not previous.rstrip().endswith(":") and not previous.lstrip().startswith("- ")


def _first_word(mark: yaml.Mark | None, line_text: str) -> yaml.Mark | None:
    """The mark moved to the first character of its line (where the indentation ends)."""
    if mark is None:
        return None
    column = _indent(line_text)
    return yaml.Mark(mark.name, mark.index - mark.column + column, mark.line, column, None, None)


def _friendly(exc: yaml.MarkedYAMLError, line_text: str) -> str:
    """Turn PyYAML's parser wording into advice."""
    problem = exc.problem or ""
    if "mapping values are not allowed" in problem:
        key, _, value = line_text.partition(":")
        hint = f'{key.strip()}: "{value.strip()}"' if value else 'key: "value: with colon"'
        return (
            "a colon followed by a space cannot appear in an unquoted value; "
            f"put the value in quotes, e.g. {hint}"
        )
    if "\t" in problem or "\\t" in problem or "tab" in problem.lower():
        return "a tab character is not allowed in YAML indentation; indent with spaces"
    if "found duplicate anchor" in problem or "found undefined alias" in problem:
        return "YAML anchors and aliases are not allowed; write each value out in full"
    context = f"{exc.context}, " if exc.context else ""
    return f"invalid YAML: {context}{problem}".strip()
