"""Issue 7: hostile content, broken input and attacks.

One parametrised test per case of the issue:
1. front matter and YAML: safe loading, no aliases, duplicate keys, YAML 1.1
   surprises, size and depth limits — every problem a `file:line` diagnostic;
2. Markdown: pathological nesting and the published markdown-it crash inputs stay
   fast (CPU time, so a loaded machine does not fail them), raw HTML, event
   handlers and script URLs never reach the output, ids never name DOM globals;
3. escaping: front-matter strings that try to leave <title>, attributes, JSON-LD,
   the feed and the sitemap stay text, and `{{ … }}` is never evaluated;
4. paths: bad slugs and file names are refused before anything is written,
   symlinks out of the project are refused, no output path leaves output/;
6. nothing lost: a build killed at any point leaves the old or the new output,
   never a mixture, the next build cleans up; `new`/`ingest` keep writers' files.

(Case 5, the preview server, is tested with the server.)
What is and is not trusted is written down in docs/security.md.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
import tracemalloc
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest

from site_builder.content.files import MAX_FILE_BYTES, load_data
from site_builder.content.markdown import (
    RESERVED_IDS,
    PageEnv,
    Rendered,
    make_parser,
    render,
    render_inline,
)
from site_builder.content.urls import inside, page_location
from site_builder.errors import Diagnostic
from site_builder.incremental import store as cache
from tests.sitefactory import PROJECT_ROOT, run_cli, snapshot, write
from tests.support.pages import load_page

FIXTURES = Path(__file__).parent / "fixtures" / "security"
SITE = FIXTURES / "site"
CPU_SECONDS = 2.0  # the bound for one pathological input


# -- helpers -------------------------------------------------------------------------


def copy_site(tmp_path: Path, name: str = "site") -> Path:
    return Path(shutil.copytree(SITE, tmp_path / name))


def build(project: Path, output: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("build", "--source", project, "--output", output, *args)


def page_env(source_ids: frozenset[str] = frozenset({"src"})) -> PageEnv:
    return PageEnv(
        source_path="content/x.md",
        rel="x.md",
        line_offset=4,
        page_url=lambda rel: "/repo/other/" if rel == "other.md" else None,
        source_ids=source_ids,
        check_quote=lambda text, speaker, source_id: None,
    )


def cpu_time(work: Callable[[], object]) -> float:
    """CPU seconds `work` takes: other processes on the machine do not count."""
    started = time.process_time()
    work()
    return time.process_time() - started


# Attributes whose value a browser loads or navigates to.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "action", "formaction", "poster", "data", "background", "cite",
     "srcset", "ping", "xlink:href", "longdesc", "manifest", "icon", "lowsrc", "dynsrc"}
)  # fmt: skip
UNSAFE_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")


def unsafe_url(value: str) -> bool:
    """Whether a browser would run or embed `value` (already entity-decoded) as a script,
    data or local-file URL: it drops leading spaces and C0 controls and every tab and
    newline before it reads the scheme."""
    cleaned = re.sub("[\t\n\r]", "", value).lstrip("".join(map(chr, range(0x21))))
    return cleaned.lower().startswith(UNSAFE_SCHEMES)


class _HtmlAudit(HTMLParser):
    """Collects what would make a fragment of rendered content unsafe."""

    def __init__(self, allow_json_ld: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.allow_json_ld = allow_json_ld
        self.problems: list[str] = []
        self.texts: dict[str, list[str]] = {}  # tag -> its text, for page checks
        self.attrs: list[tuple[str, str, str]] = []  # (tag, name, value)
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "script" and not (
            self.allow_json_ld and values.get("type") == "application/ld+json"
        ):
            self.problems.append(f"<script> element: {attrs}")
        if tag in ("iframe", "object", "embed", "base", "form", "frame", "frameset", "style"):
            self.problems.append(f"<{tag}> element")
        for name, value in values.items():
            self.attrs.append((tag, name, value))
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES and unsafe_url(value):
                self.problems.append(f"unsafe URL {name}={value!r} on <{tag}>")
            if name == "style" and "url(" in value.replace(" ", "").lower():
                self.problems.append(f"style loads a URL on <{tag}>: {value!r}")
            if tag == "meta" and name == "content" and "url=" in value.replace(" ", "").lower():
                target = value.lower().split("url=", 1)[1]
                if unsafe_url(target):
                    self.problems.append(f"meta refresh to {value!r}")
        self._open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        self._open.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._open:
            self.texts.setdefault(self._open[-1], []).append(data)


def html_problems(html: str, allow_json_ld: bool = False) -> list[str]:
    """Everything in `html` that could run a script; [] when it is safe."""
    audit = _HtmlAudit(allow_json_ld)
    audit.feed(html)
    audit.close()
    problems = list(audit.problems)
    if not allow_json_ld and "<script" in html.lower():
        problems.append("the text '<script' appears unescaped")
    return problems


def assert_located(diagnostics: list[Diagnostic]) -> None:
    """The issue: every problem carries a file and a line."""
    for diagnostic in diagnostics:
        assert diagnostic.path and diagnostic.line is not None, diagnostic.format()


# == 1. Front matter and YAML =========================================================


def load_one(tmp_path: Path, text: str | bytes, name: str = "bad.md") -> tuple[object, list[str]]:
    """Load content/NAME as the build does: (page or None, formatted diagnostics)."""
    path = write(tmp_path / "content" / name, text)
    diagnostics: list[Diagnostic] = []
    page = load_page(tmp_path, path, diagnostics)
    assert_located(diagnostics)
    return page, [d.format() for d in diagnostics]


def front(*lines: str) -> str:
    return "---\n" + "\n".join(["title: A", "summary: B", *lines]) + "\n---\nBody\n"


# (front matter, the expected "file:line:col: …" start, a phrase of the message)
YAML_ERRORS = {
    "python object tag": (
        front("tags: !!python/object/apply:os.system ['touch /tmp/pwned']"),
        "content/bad.md:4:7:",
        "is not allowed",
    ),
    "python name tag": (front("template: !!python/name:os.system"), "content/bad.md:4:11:", "tag"),
    "python tag, verbatim": (
        front("nav_title: !<tag:yaml.org,2002:python/object/new:os.system> [ls]"),
        "content/bad.md:4:12:",
        "is not allowed",
    ),
    "local tag": (front("nav_title: !shell ls"), "content/bad.md:4:12:", "is not allowed"),
    "set tag": (front("tags: !!set {a, b}"), "content/bad.md:4:7:", "is not allowed"),
    "binary tag": (front("nav_title: !!binary aGVsbG8="), "content/bad.md:4:12:", "not allowed"),
    "anchor": (front("nav_title: &x A"), "content/bad.md:4:12:", "anchor '&x' is not allowed"),
    "alias": (
        front("tags: [a]", "sources: *x"),
        "content/bad.md:5:10:",
        "alias '*x' is not allowed",
    ),
    "merge key": (front("key_facts:", "  - <<: {text: a}"), "content/bad.md:5:5:", "merge"),
    "duplicate key names both lines": (
        "---\ntitle: A\nsummary: B\ntitle: C\n---\n",
        "content/bad.md:4:1:",
        "duplicate key 'title' (first given on line 2)",
    ),
    "duplicate nested key": (
        front("key_facts:", "  - text: a", "    source: s", "    text: b"),
        "content/bad.md:7:5:",
        "first given on line 5",
    ),
    "draft: yes": (front("draft: yes"), "content/bad.md:4:8:", "must be true or false"),
    "draft: on": (front("draft: on"), "content/bad.md:4:8:", "must be true or false"),
    "draft: no": (front("draft: no"), "content/bad.md:4:8:", "must be true or false"),
    "order in octal": (front("order: 0o17"), "content/bad.md:4:8:", "whole number"),
    "order in hex": (front("order: 0x10"), "content/bad.md:4:8:", "whole number"),
    "order sexagesimal": (front("order: 1:20"), "content/bad.md:4:8:", "whole number"),
    "order too long": (front("order: " + "9" * 5000), "content/bad.md:4:8:", "too long"),
    "date with a time": (front("date: 2025-07-27 10:00:00"), "content/bad.md:4:7:", "time"),
    "impossible date": (front("date: 2025-02-30"), "content/bad.md:4:7:", "not a real date"),
    "title: null": (
        "---\ntitle: null\nsummary: B\n---\n",
        "content/bad.md:2:8:",
        "'title' must be text",
    ),
    "control character": (front("nav_title: a\x07b"), "content/bad.md:4:13:", "U+0007"),
    "NUL character": (front("nav_title: a\x00b"), "content/bad.md:4:13:", "U+0000"),
    "escaped control character": (front('nav_title: "a\\eb"'), "content/bad.md:4:12:", "U+001B"),
    "escaped lone surrogate": (front('nav_title: "\\ud800"'), "content/bad.md:4:12:", "U+D800"),
    "escape out of range": (
        front('nav_title: "\\U00110000"'),
        "content/bad.md:4:",
        "invalid YAML",
    ),
    "nested too deeply": (front("tags: " + "[" * 5000), "content/bad.md:4:", "nested more than"),
    "tab indentation": (front("tags:", "\t- a"), "content/bad.md:5:1:", "tab"),
    "unclosed quote": (
        front('nav_title: "abc'),
        "content/bad.md:4:12:",
        'this quote (") is never closed',
    ),
    "complex key": (front("? [a, b]", ": c"), "content/bad.md:4:3:", "plain text"),
    "front matter too long": (
        front("nav_title: " + "x" * (65 * 1024)),
        "content/bad.md:1:1:",
        "front matter is longer than 64 KiB",
    ),
    "not UTF-8": (b"---\ntitle: Caf\xe9\nsummary: B\n---\n", "content/bad.md:2:11:", "UTF-8"),
}


@pytest.mark.parametrize("text, where, phrase", YAML_ERRORS.values(), ids=YAML_ERRORS.keys())
def test_bad_front_matter_is_a_located_error(
    tmp_path: Path, text: str | bytes, where: str, phrase: str
) -> None:
    page, messages = load_one(tmp_path, text)
    assert page is None
    assert any(m.startswith(where) and phrase in m for m in messages), messages


def test_python_tag_is_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = front(f"tags: !!python/object/apply:os.system ['touch {marker}']")
    load_one(tmp_path, text)
    data = write(
        tmp_path / "data" / "x.yaml", f"x: !!python/object/apply:os.system ['touch {marker}']"
    )
    assert data.exists()
    load_data(tmp_path)
    assert not marker.exists()


# How the schema documents YAML 1.1 surprises: text fields take the text as written.
YAML_CONVERSIONS = {
    "slug: no stays the text no": ("slug: no", "slug", "no"),
    "slug: yes stays the text yes": ("slug: yes", "slug", "yes"),
    "a version-like number stays as written": ("nav_title: 1.10", "nav_title", "1.10"),
    "a bare date in a text field stays as written": ("nav_title: 2025-07-27", "nav_title", "2025-07-27"),
    "octal-looking order is decimal": ("order: 010", "order", 10),
    "quoted date is a date": ("date: '2025-07-27'", "date", "2025-07-27"),
    "list items stay as written": (
        "sources: [1.10, 2025-07-27, no, on, 0x10]",
        "sources",
        ("1.10", "2025-07-27", "no", "on", "0x10"),
    ),
}  # fmt: skip


@pytest.mark.parametrize(
    "line, key, expected", YAML_CONVERSIONS.values(), ids=YAML_CONVERSIONS.keys()
)
def test_yaml_11_surprises_convert_as_documented(
    tmp_path: Path, line: str, key: str, expected: object
) -> None:
    page, messages = load_one(tmp_path, front(line))
    assert page is not None, messages
    value = getattr(page.front, key)  # type: ignore[attr-defined]
    assert (value.isoformat() if key == "date" else value) == expected


def test_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    text = front() + "x" * MAX_FILE_BYTES
    page, messages = load_one(tmp_path, text)
    assert page is None
    assert messages == [
        f"content/bad.md:1: file is {len(text.encode())} bytes; the limit is {MAX_FILE_BYTES}"
    ]


ALIAS_BOMB = "\n".join(
    ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
)  # fmt: skip


@pytest.mark.parametrize(
    "text, where, limit",
    [
        # billion laughs: 9^9 strings if expanded; refused at the first anchor
        (ALIAS_BOMB, "data/x.yaml:1:4:", 0.05),
        # PyYAML's scanner looks ahead up to 1024 characters per open bracket
        ("a: " + "[" * 2_000 + "]" * 2_000, "data/x.yaml:1:", 1.0),
        ("".join("  " * i + f"k{i}:\n" for i in range(500)) + "  " * 500 + "v", "data/x.yaml:", 1.0),
        ("%TAG !p! tag:yaml.org,2002:python/\n---\nx: !p!object/apply:os.system [ls]\n", "data/x.yaml:3:4:", 0.05),
    ],
    ids=["alias bomb", "flow nesting", "block nesting", "tag directive"],
)  # fmt: skip
def test_hostile_data_file_fails_fast_with_bounded_memory(
    tmp_path: Path, text: str, where: str, limit: float
) -> None:
    write(tmp_path / "data" / "x.yaml", text)
    seconds = cpu_time(lambda: load_data(tmp_path))
    tracemalloc.start()  # separately: tracing slows everything down
    try:
        data, diagnostics = load_data(tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert data == {}
    assert_located(diagnostics)
    assert [d.format()[: len(where)] for d in diagnostics] == [where]
    assert seconds < limit, f"{seconds:.3f} s"
    assert peak < 16 * 1024 * 1024 + 2 * len(text), f"{peak} bytes"


# == 2. Markdown ======================================================================

# Inputs that crashed or stalled markdown-it or its ports, and what this project adds.
# Sizes stay under the 1 MiB file limit; a quadratic blow-up on any of them takes far
# more than the bound.
PATHOLOGICAL = {
    # the list
    "> x 10,000": ">" * 10_000 + " deep",
    "[ x 50,000": "[" * 50_000,
    "'- ' x 5,000": "- " * 5_000 + "x",
    "indented list x 1,000": "".join("  " * i + "- a\n" for i in range(1_000)),
    "emphasis run": "*" * 30_000 + "a" + "*" * 30_000,
    "emphasis, _ runs": "_a" * 30_000,
    # markdown-it #583/#735: pairs and emphasis combinations
    "emphasis *a_": "*a_" * 20_000,
    "emphasis **_": "**_" * 20_000,
    # markdown-it #732/#734: links
    "links [](": "[](" * 20_000,
    "links []((": "[]((" * 20_000,
    # markdown-it #733: backticks
    "backticks": "`a``" * 20_000,
    "backtick runs": "".join("`" * i + "a" for i in range(1, 500)),
    # markdown-it #1208 (GHSA-6v5v-wf23-fmfq, CVE-2026-48988): smartquotes
    "smartquotes, unmatched kinds": '"a ' * 20_000 + "b' " * 20_000,
    "smartquotes, quote run": '"' * 50_000,
    # markdown-it #1000: table cells autocompleted
    "table autocompletion": "a|" * 250 + "\n" + "-|" * 250 + "\n" + "x\n" * 130,
    "table columns": "|a" * 10_000 + "\n" + "|-" * 10_000 + "\n" + "|x" * 10_000,
    # markdown-it #996, GHSA-gfr2-rv44-r23c: unclosed multi-line reference definitions
    "reference, unclosed title": "[a]: <b> '" + "\nx" * 20_000,
    "reference, unclosed label": "[" + "a\n" * 20_000,
    # markdown-it-py 4.3.0 (#411, #423): runs that start an inline rule and never finish
    "ampersands": "&" * 100_000,
    "entity starts": "&#" * 50_000,
    "angle brackets": "<" * 100_000,
    "tildes": "~" * 100_000,
    # oss-fuzz 55363, 55367, 55371, 55401 (markdown-it-py tests/test_fuzzer.py)
    "oss-fuzz 55363": ">```\n>",
    "oss-fuzz 55367": ">-\n>\n>",
    "oss-fuzz 55371": "[](so&#4H0;!",
    "oss-fuzz 55401": "?c_" * 50_000 + "c_",
    "NUL characters": "\x00" * 10_000,
    "block quotes and lists alternating": "".join(
        ">" * i + " " + "- " * i + "item\n" for i in range(1, 300)
    ),
    # this project's syntax: citations, footnotes, attributes, quotes
    "citations [@ x 25,000": "[@" * 25_000,
    "footnotes [^ x 25,000": "[^" * 25_000,
    "images ![ x 25,000": "![" * 25_000,
    "inline footnote syntax ^[ x 25,000": "^[" * 25_000,
    "attribute braces": "{" * 50_000,
    "spans [x]{ x 25,000": "[x]{" * 25_000,
    "nested spans": "[" * 5_000 + "x" + ']{.quote cite="src"}' * 5_000,
    "quote spans": '[x]{.quote by="A" cite="src"} ' * 10_000,
    "attributed block quotes": "> “x”\n>\n> — A [@src]\n\n" * 3_000,
    "footnote definitions": "".join(f"[^{i}]: x\n" for i in range(3_000))
    + "".join(f"[^{i}]" for i in range(3_000)),
}  # fmt: skip

# Raw HTML is parsed only with raw_html: sanitize; these are the inputs where it matters.
PATHOLOGICAL_SANITIZE = {
    "unterminated comments": "<!--" * 20_000,
    "unterminated processing instructions": "<?" * 20_000 + "<![CDATA[" * 5_000,
    "angle brackets": "<" * 100_000,
    "open tags": "<div>" * 10_000,
    "html blocks": "<div>\n" * 10_000,
}


@pytest.mark.parametrize("text", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_pathological_markdown_is_fast_and_never_recurses_too_deep(text: str) -> None:
    md = make_parser("escape")
    results: list[Rendered] = []
    seconds = cpu_time(lambda: results.append(render(md, text, page_env())))
    assert seconds < CPU_SECONDS, f"{seconds:.2f} s of CPU"
    assert isinstance(results[0].html, str)
    assert_located(results[0].diagnostics)


@pytest.mark.parametrize("text", PATHOLOGICAL_SANITIZE.values(), ids=PATHOLOGICAL_SANITIZE.keys())
def test_pathological_raw_html_is_fast(text: str) -> None:
    md = make_parser("sanitize")
    results: list[Rendered] = []
    seconds = cpu_time(lambda: results.append(render(md, text, page_env())))
    assert seconds < CPU_SECONDS, f"{seconds:.2f} s of CPU"
    assert html_problems(results[0].html) == []


@pytest.mark.parametrize(
    "text",
    ["[" * 50_000, '"a ' * 20_000 + "b' " * 20_000, "[@" * 25_000],
    ids=["brackets", "smartquotes", "citations"],
)
def test_pathological_inline_markdown_is_fast(text: str) -> None:
    """Key facts are rendered inline (render_inline): the same bounds hold."""
    md = make_parser("escape")
    seconds = cpu_time(lambda: render_inline(md, text, page_env()))
    assert seconds < CPU_SECONDS, f"{seconds:.2f} s of CPU"


def test_content_nested_past_the_cap_is_reported_not_silently_dropped() -> None:
    result = render(make_parser(), ">" * 100 + " the deepest line", page_env())
    assert "the deepest line" not in result.html
    assert [(d.line, d.severity) for d in result.diagnostics] == [(5, "warning")]
    assert "nested more than" in result.diagnostics[0].message


# Markdown that tries to put a script, an event handler or a script URL in the page.
XSS = {
    "script element": "<script>alert(1)</script>",
    "script in a paragraph": "Hello <script>alert(1)</script> world",
    "img onerror": "<img src=x onerror=alert(1)>",
    "svg onload": "<svg onload=alert(1)>",
    "details ontoggle": "<details open ontoggle=alert(1)>",
    "anchor with script URL": '<a href="javascript:alert(1)">x</a>',
    "iframe": '<iframe src="javascript:alert(1)"></iframe>',
    "object": '<object data="javascript:alert(1)"></object>',
    "base": '<base href="javascript:/">',
    "form action": '<form action="javascript:alert(1)"><button>x</button></form>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "style url": '<div style="background:url(javascript:alert(1))">x</div>',
    "nested script tags": "<scr<script>ipt>alert(1)</script>",
    "comment hiding script": "<!--<script>-->alert(1)<!--</script>-->",
    "mutation XSS": "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "uppercase tags": '<SCRIPT>alert(1)</SCRIPT><IMG SRC=x ONERROR="alert(1)">',
    "javascript link": "[x](javascript:alert(1))",
    "mixed case": "[x](JaVaScRiPt:alert(1))",
    "leading space": "[x]( javascript:alert(1))",
    "decimal entity": "[x](&#106;avascript:alert(1))",
    "hex entity": "[x](&#x6A;avascript:alert(1))",
    "entity without semicolon": "[x](&#106avascript:alert(1))",
    "named colon entity": "[x](javascript&colon;alert(1))",
    "tab entity": "[x](java&#x09;script:alert(1))",
    "newline entity": "[x](java&#10;script:alert(1))",
    "percent-encoded": "[x](%6A%61vascript:alert(1))",
    "percent-encoded tab": "[x](java%09script:alert(1))",
    "NUL first": "[x](\x00javascript:alert(1))",
    "zero-width space": "[x](java\u200bscript:alert(1))",
    "angle brackets": "[x](<javascript:alert(1)>)",
    "autolink": "<javascript:alert(1)>",
    "reference definition": "[x][r]\n\n[r]: javascript:alert(1)",
    "image": "![x](javascript:alert(1))",
    "data image": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "data link": "[x](data:text/html,<script>alert(1)</script>)",
    "vbscript": "[x](vbscript:msgbox(1))",
    "file URL": "[x](file:///etc/passwd)",
    "link title breaking out": '[x](https://example.org/ "a\\" onmouseover=\\"alert(1)")',
    "span onclick": "[x]{onclick=alert(1)}",
    "heading onmouseover": "# Title {onmouseover=alert(1)}",
    "block attributes": '{onload="alert(1)" style="x"}\nA paragraph.',
    "quote span onclick": '[x]{.quote by="A" cite="src" onclick="alert(1)"}',
    "link attributes": "[x](https://example.org/){onclick=alert(1)}",
    "href attribute": '[x]{href="javascript:alert(1)"}',
    "image onerror attribute": "![i](https://example.org/i.png){onerror=alert(1)}",
    "class with quotes": '[x]{class="a\\" onclick=\\"alert(1)"}',
    "code span": "`<script>alert(1)</script>`",
    "fenced code": "```html\n<script>alert(1)</script>\n```",
    "footnote label": "x[^<script>]\n\n[^<script>]: <script>alert(1)</script>",
    "citation id": "[@<script>alert(1)</script>]",
    "table cell": "| a |\n|---|\n| <script>alert(1)</script> |",
    "definition list": "Term\n: <img src=x onerror=alert(1)>",
}


@pytest.mark.parametrize("raw_html", ["escape", "sanitize"])
@pytest.mark.parametrize("text", XSS.values(), ids=XSS.keys())
def test_no_script_reaches_the_output(raw_html: str, text: str) -> None:
    result = render(make_parser(raw_html), text, page_env())
    assert html_problems(result.html) == [], result.html
    assert_located(result.diagnostics)
    if raw_html == "escape" and "![" not in text:
        assert "<img" not in result.html and "<svg" not in result.html.lower(), result.html


REFUSED_LINKS = [
    "javascript link", "mixed case", "leading space", "decimal entity", "hex entity",
    "named colon entity", "tab entity", "newline entity", "percent-encoded",
    "percent-encoded tab", "zero-width space", "angle brackets", "autolink",
    "reference definition", "image", "data image", "data link", "vbscript", "file URL",
]  # fmt: skip


@pytest.mark.parametrize("name", REFUSED_LINKS)
def test_refused_link_is_reported_at_its_line(name: str) -> None:
    result = render(make_parser(), "Intro.\n\n" + XSS[name], page_env())
    messages = [d.format() for d in result.diagnostics]
    assert any(m.startswith("content/x.md:7: link to ") and "refused" in m for m in messages), (
        messages
    )


HOSTILE_IDS = {
    "__proto__ heading": ("# __proto__", "escape"),
    "constructor heading": ("## constructor", "escape"),
    "prototype heading": ("## Prototype", "escape"),
    "toString heading": ("### toString", "escape"),
    "location heading": ("## Location", "escape"),
    "explicit id": ("## Safe {#__proto__}", "escape"),
    "span id": ("[x]{#constructor}", "escape"),
    "block id": ("{#hasOwnProperty}\nA paragraph.", "escape"),
    "raw HTML id": ('<div id="__proto__">x</div>\n\n<img id="location" src="a.png">', "sanitize"),
}


@pytest.mark.parametrize("text, raw_html", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
def test_ids_never_name_dom_globals(text: str, raw_html: str) -> None:
    result = render(make_parser(raw_html), text, page_env())
    audit = _HtmlAudit(allow_json_ld=False)
    audit.feed(result.html)
    ids = [value for _, name, value in audit.attrs if name == "id"]
    assert ids, result.html
    for value in ids:
        bare = value.lower().replace("-", "").replace("_", "")
        assert bare not in RESERVED_IDS, value
    assert all(anchor.replace("-", "") not in RESERVED_IDS for anchor in result.anchors)


# == 3. Escaping everywhere ===========================================================

PAYLOAD_TITLE = (
    '</title><script>alert("t")</script> "q" \'a\' & {{ 7*7 }} {% if true %}T{% endif %}'
)
PAYLOAD_SUMMARY = '</script><script>alert(1)</script>" onmouseover="alert(1)" {{ config }} <!--'
PAYLOAD_NAV = "{{ page.__class__ }}</a><script>alert(2)</script>"


@pytest.fixture(scope="module")
def escaped_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture site with one page whose every string is hostile, built once."""
    root = tmp_path_factory.mktemp("escaping")
    project = copy_site(root)
    write(
        project / "content" / "evil.md",
        "---\n"
        f"title: {json.dumps(PAYLOAD_TITLE)}\n"
        f"summary: {json.dumps(PAYLOAD_SUMMARY)}\n"
        f"nav_title: {json.dumps(PAYLOAD_NAV)}\n"
        "date: 2025-07-27\n"
        "---\n"
        "## {{ 7*7 }} </h2><script>alert(3)</script>\n\n"
        "{% set x = 1 %} and {{ site.title }} stay text.\n",
    )
    with (project / "site.yaml").open("a", encoding="utf-8") as config:
        config.write("nav:\n  - index.md\n  - evil.md\n")
    output = root / "output"
    result = build(project, output)
    assert result.returncode == 0, result.stderr
    return output


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.json_ld: list[str] = []
        self.metas: dict[str, str] = {}
        self.data_attrs: dict[str, str] = {}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in ("title", "script"):
            self._in = tag
        if tag == "meta":
            key = values.get("name") or values.get("property") or ""
            self.metas[key] = values.get("content", "")
        for name, value in values.items():
            if name.startswith("data-"):
                self.data_attrs[name] = value

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.json_ld.append(data)


def read_page(path: Path) -> tuple[str, _Page]:
    html = path.read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(html)
    return html, parsed


@pytest.mark.parametrize("name", ["evil/index.html", "index.html"])
def test_hostile_strings_never_become_markup(escaped_site: Path, name: str) -> None:
    html, _ = read_page(escaped_site / name)
    assert html_problems(html, allow_json_ld=True) == []
    assert "<script>alert" not in html.lower() and "<img" not in html
    # Template syntax in content is printed, never evaluated.
    expected = ["{{ page.__class__ }}", "{{ config }}"]
    if name == "evil/index.html":
        expected += ["{{ 7*7 }}", "{% if true %}T{% endif %}", "{% set x = 1 %}"]
    assert [text for text in expected if text not in html] == []


def test_title_meta_attributes_and_json_ld_round_trip(escaped_site: Path) -> None:
    """Parsed back, each context holds exactly the writer's text: escaped, not altered."""
    html, page = read_page(escaped_site / "evil" / "index.html")
    assert page.title.startswith(PAYLOAD_TITLE + " · ")
    assert page.metas["description"] == PAYLOAD_SUMMARY
    assert page.metas["og:title"] == PAYLOAD_TITLE
    assert page.data_attrs == {"data-title": PAYLOAD_TITLE, "data-summary": PAYLOAD_SUMMARY}
    (json_ld,) = page.json_ld
    assert "</" not in json_ld and "<!--" not in json_ld
    data = json.loads(json_ld)
    assert (data["headline"], data["description"]) == (PAYLOAD_TITLE, PAYLOAD_SUMMARY)
    assert "{{ 7*7 }}" in page.title and "{% if true %}T{% endif %}" in page.title


def test_feed_and_sitemap_hold_the_text_escaped(escaped_site: Path) -> None:
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.parse(escaped_site / "feed.xml").getroot()
    entries = {e.findtext(f"{atom}title"): e for e in feed.iter(f"{atom}entry")}
    assert PAYLOAD_TITLE in entries
    assert entries[PAYLOAD_TITLE].findtext(f"{atom}summary") == PAYLOAD_SUMMARY
    sitemap = ET.parse(escaped_site / "sitemap.xml").getroot()
    locations = {
        loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")
    }
    assert locations == {"https://example.github.io/repo/", "https://example.github.io/repo/evil/"}
    for name in ("feed.xml", "sitemap.xml"):
        assert "<script" not in (escaped_site / name).read_text(encoding="utf-8")


# == 4. Paths =========================================================================

# (front matter slug, what the message names)
BAD_SLUGS = {
    "dot dot": "../escape",
    "slash": "a/b",
    "absolute": "/etc/passwd",
    "backslash": "a\\\\b",
    "percent-encoded dot dot": "%2e%2e",
    "drive letter": "C:",
    "drive path": "c:\\\\windows",
    "control character": "a\\tb",
    "bidi override": "abc\\u202egpj",
    "zero-width": "a\\u200bb",
    "uppercase": "About",
    "non-ASCII": "caf\\u00e9",
    "hidden": ".nojekyll",
    "too long": "a" * 81,
}
RESERVED_SLUGS = ["index", "404", "cname", "assets", "pagefind", "con", "nul", "com1"]


@pytest.mark.parametrize("slug", BAD_SLUGS.values(), ids=BAD_SLUGS.keys())
def test_bad_slug_is_refused_at_its_line(tmp_path: Path, slug: str) -> None:
    page, messages = load_one(tmp_path, front(f'slug: "{slug}"'))
    assert page is None
    assert any(m.startswith("content/bad.md:4:7: slug ") for m in messages), messages


@pytest.mark.parametrize("slug", RESERVED_SLUGS)
def test_reserved_slug_is_refused(tmp_path: Path, slug: str) -> None:
    page, messages = load_one(tmp_path, front(f"slug: {slug}"))
    assert page is not None, messages
    location = page_location(page)  # type: ignore[arg-type]
    assert isinstance(location, Diagnostic)
    assert location.format().startswith("content/bad.md:1:1: ") and "reserve" in location.message


BAD_FILE_NAMES = {
    "dot dot in a name": "a..b.md",
    "backslash": "a\\b.md",
    "percent-encoding": "a%2e%2e.md",
    "drive letter": "C:x.md",
    "control character": "a\x01b.md",
    "bidi override": "abc\u202egpj.md",
    "space": "a b.md",
    "non-ASCII": "Über.md",
    "too long": "a" * 120 + ".md",
    "reserved CNAME": "CNAME.md",
    "reserved assets": "assets/x.md",
    "reserved index folder": "index/index.md",
    "reserved 404 folder": "404/x.md",
    "Windows device name": "aux.md",
}


@pytest.mark.parametrize("name", BAD_FILE_NAMES.values(), ids=BAD_FILE_NAMES.keys())
def test_bad_file_name_is_refused(tmp_path: Path, name: str) -> None:
    page, messages = load_one(tmp_path, front(), name=name)
    assert page is not None, messages
    location = page_location(page)  # type: ignore[arg-type]
    assert isinstance(location, Diagnostic), location
    assert location.path == unicodedata.normalize("NFC", f"content/{name}")
    assert location.line == 1


def test_bad_paths_stop_the_build_before_anything_is_written(tmp_path: Path) -> None:
    project = copy_site(tmp_path)
    output = tmp_path / "output"
    assert build(project, output).returncode == 0
    before = snapshot(output)
    write(project / "content" / "a..b.md", front())
    write(project / "content" / "escape.md", front("slug: ../../escape"))
    result = build(project, output)
    assert result.returncode == 1
    assert "content/a..b.md:1:1:" in result.stderr and "content/escape.md:4:7:" in result.stderr
    assert snapshot(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["output", "site"]


def test_unicode_file_names_are_nfc_normalised(tmp_path: Path) -> None:
    project = copy_site(tmp_path)
    decomposed = unicodedata.normalize("NFD", "café.md")
    write(project / "content" / decomposed, front("slug: cafe"))
    write(project / "content" / "index.md", front() + "\nSee [the café](café.md).\n")
    with (project / "site.yaml").open("a", encoding="utf-8") as config:
        config.write("nav:\n  - café.md\n")
    output = tmp_path / "output"
    result = build(project, output)
    assert result.returncode == 0, result.stderr
    assert (output / "cafe" / "index.html").is_file()
    assert 'href="/repo/cafe/"' in (output / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "folder, name, text",
    [
        ("content", "leak.md", front()),
        ("templates", "leak.html", "<p>{{ page.title }}</p>"),
        ("static", "leak.css", "body { color: red }"),
        ("data", "leak.yaml", "secret: hunter2"),
    ],
)
def test_symlink_out_of_the_project_is_refused(
    tmp_path: Path, folder: str, name: str, text: str
) -> None:
    project = copy_site(tmp_path)
    secret = write(tmp_path / "outside" / name, text)
    (project / folder).mkdir(exist_ok=True)
    (project / folder / name).symlink_to(secret)
    output = tmp_path / "output"
    result = build(project, output)
    assert result.returncode == 1
    assert f"{folder}/{name}: symlink points outside the project" in result.stderr
    assert not output.exists()


def test_symlinked_folder_out_of_the_project_is_refused(tmp_path: Path) -> None:
    project = copy_site(tmp_path)
    write(tmp_path / "outside" / "notes" / "secret.md", front())
    (project / "content" / "notes").symlink_to(tmp_path / "outside" / "notes")
    result = build(project, tmp_path / "output")
    assert result.returncode == 1
    assert "content/notes: symlink points outside the project" in result.stderr


@pytest.mark.parametrize(
    "relative",
    [
        "../x.html",
        "a/../../x.html",
        "/etc/passwd",
        "../output-evil/x.html",  # shares the prefix "output": a string check would pass it
        "link/x.html",  # output/link is a symlink out of the folder
        "a/b/../../../x.html",
    ],
)
def test_no_output_path_leaves_the_output_folder(tmp_path: Path, relative: str) -> None:
    root = tmp_path / "output"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match="leaves the output folder"):
        inside(root, relative)


def test_output_paths_inside_the_folder_are_resolved(tmp_path: Path) -> None:
    root = tmp_path / "output"
    root.mkdir()
    assert inside(root, "a/b/../c/index.html") == root.resolve() / "a" / "c" / "index.html"


# == 6. Nothing lost ==================================================================


def tree(folder: Path) -> dict[str, bytes]:
    """Every file, hidden ones too, with its bytes; folders as None."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        found[rel] = path.read_bytes() if path.is_file() else b"<dir>"
    return found


def leftovers(output: Path) -> list[str]:
    return sorted(p.name for p in output.parent.iterdir() if p.name.startswith(f".{output.name}."))


def write_pages(project: Path, version: str, count: int) -> None:
    paragraph = (
        "A paragraph about the talks, with *emphasis*, a [link](https://example.org/) "
        "and “quotes”. "
    ) * 6
    for number in range(count):
        body = "".join(f"## Part {part}\n\n{paragraph}\n\n" for part in range(8))
        write(
            project / "content" / f"page-{number:04d}.md",
            f"---\ntitle: Page {number}, {version}\nsummary: Summary {number}.\n"
            f"order: {number}\n---\n{body}",
        )


def start_build(project: Path, output: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT), SOURCE_DATE_EPOCH="1753574400")
    return subprocess.Popen(
        [sys.executable, "-m", "site_builder", "build", "-q", "--source", str(project),
         "--output", str(output)],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: workers it forks can be ended too
    )  # fmt: skip


def end_group(process: subprocess.Popen[bytes]) -> None:
    """Reap the build and any worker it forked (they share its process group)."""
    process.wait(timeout=60)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_for_staging(output: Path, process: subprocess.Popen[bytes]) -> bool:
    """Poll until the build creates its staging folder (True) or ends (False)."""
    while process.poll() is None:
        if any(name.startswith(f".{output.name}.tmp-") for name in leftovers(output)):
            return True
        time.sleep(0.001)
    return False


PAGES = 120  # enough that writing the site takes a good part of a second


@pytest.fixture(scope="module")
def old_and_new(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A site built as version A (the output to keep) and B (the next one, whose
    content is left in place), and how long B's build spends with its staging folder."""
    root = tmp_path_factory.mktemp("killed")
    project = copy_site(root)
    write_pages(project, "old", PAGES)
    output = root / "output"
    run_to_end(start_build(project, output))
    pristine = Path(shutil.copytree(output, root / "pristine", symlinks=True))
    write_pages(project, "new", PAGES)
    reference = root / "reference"
    run_to_end(start_build(project, reference))
    # Time a build of B over A, as the tests run it: from the staging folder to the end.
    reset(output, pristine)
    process = start_build(project, output)
    assert wait_for_staging(output, process)
    staged = time.perf_counter()
    run_to_end(process)
    return {
        "project": project,
        "output": output,
        "pristine": pristine,
        "old": tree(pristine),
        "new": tree(reference),
        "window": time.perf_counter() - staged,
    }


def run_to_end(process: subprocess.Popen[bytes]) -> None:
    end_group(process)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""


def reset(output: Path, pristine: Path) -> None:
    shutil.rmtree(output, ignore_errors=True)
    for name in leftovers(output):
        shutil.rmtree(output.parent / name)
    shutil.copytree(pristine, output, symlinks=True)


@pytest.mark.skipif(
    sys.platform == "win32",
    reason="kills a process group (os.killpg, SIGKILL): POSIX only; Windows' two-rename swap "
    "is killed between its renames in tests/test_portable.py",
)
@pytest.mark.parametrize(
    "signal_number, when",
    [
        (signal.SIGKILL, None),  # while loading: before the staging folder exists
        (signal.SIGKILL, 0.0),  # as the staging folder appears
        (signal.SIGKILL, 0.25),  # fractions of the time the build spends staging
        (signal.SIGKILL, 0.5),
        (signal.SIGKILL, 0.75),  # about when the new folder is swapped in
        (signal.SIGINT, 0.2),  # Ctrl-C while writing
    ],
    ids=["kill-loading", "kill-at-staging", "kill-25%", "kill-50%", "kill-75%", "interrupt-20%"],
)
def test_killed_build_leaves_old_or_new_output(
    old_and_new: dict, signal_number: int, when: float | None
) -> None:
    project, output, pristine = (
        old_and_new["project"],
        old_and_new["output"],
        old_and_new["pristine"],
    )
    reset(output, pristine)
    process = start_build(project, output)
    if when is None:
        time.sleep(0.2)
    elif wait_for_staging(output, process):
        time.sleep(when * old_and_new["window"])
    process.send_signal(signal_number)
    end_group(process)
    after = tree(output) if output.exists() else None
    assert after in (old_and_new["old"], old_and_new["new"]), (
        "output/ is neither the old site nor the new one: "
        f"{len(after or {})} files; leftovers {leftovers(output)}"
    )
    if signal_number == signal.SIGINT and process.returncode != 0:
        assert process.returncode == 130
        assert leftovers(output) == []  # an interrupted build cleans up after itself
    # The next build cleans up what the killed one left, and finishes the job.
    run_to_end(start_build(project, output))
    assert leftovers(output) == []
    assert tree(output) == old_and_new["new"]


def test_new_never_overwrites_without_force(tmp_path: Path) -> None:
    project = copy_site(tmp_path)
    page = write(project / "content" / "mine.md", front() + "A writer's words.\n")
    result = run_cli("new", "content/mine.md", "--title", "T", "--source", project)
    assert result.returncode == 1 and "--force" in result.stderr
    assert page.read_text(encoding="utf-8").endswith("A writer's words.\n")
    result = run_cli("new", "content/mine.md", "--title", "T", "--force", "--source", project)
    assert result.returncode == 0, result.stderr
    assert "A writer's words." not in page.read_text(encoding="utf-8")


def test_new_never_writes_through_a_symlink_out_of_content(tmp_path: Path) -> None:
    project = copy_site(tmp_path)
    target = write(project / "README.md", "The project's readme.\n")
    (project / "content" / "link.md").symlink_to(target)
    result = run_cli("new", "content/link.md", "--title", "T", "--force", "--source", project)
    assert result.returncode == 1
    assert target.read_text(encoding="utf-8") == "The project's readme.\n"


def test_ingest_never_overwrites_an_edited_record_without_force(tmp_path: Path) -> None:
    project = copy_site(tmp_path)
    feed = Path(__file__).parent / "fixtures" / "feeds" / "rss.xml"
    assert run_cli("ingest", feed, "--source", project).returncode == 0
    (record,) = (project / "content" / "sources").glob("*.yaml")
    edited = record.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1)
    record.write_text(edited, encoding="utf-8")
    result = run_cli("ingest", feed, "--source", project)
    assert result.returncode == 1 and "--force" in result.stderr
    assert record.read_text(encoding="utf-8") == edited
    assert run_cli("ingest", feed, "--force", "--source", project).returncode == 0
    assert record.read_text(encoding="utf-8") != edited


# == Found elsewhere (reported; each test turns into a failure once fixed) =============


def test_a_planted_build_cache_cannot_run_code(tmp_path: Path) -> None:
    project = copy_site(tmp_path)
    output = tmp_path / "output"
    marker = tmp_path / "pwned"

    class Planted:
        def __reduce__(self) -> tuple[object, tuple[str, str]]:
            return (open, (str(marker), "w"))

    key = {"output": str(output.resolve()), "drafts": False, "base_url": None}
    # What a pickle-based cache would have run on loading; signed with this machine's key.
    planted = pickle.dumps(Planted())
    assert cache.write_signed(cache.cache_file(project, key), key, [planted]) == ""
    build(project, output)
    assert not marker.exists()
