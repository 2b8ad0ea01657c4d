"""Issue 7, property-based: random front matter and Markdown thrown at the loader and
the renderer (hypothesis, pinned in requirements.lock).

For every input:
- nothing escapes but the project's own error (SiteError), and the loaders turn even
  that into diagnostics;
- every diagnostic names a file and a line;
- the rendered HTML has no <script>, no on*= attribute and no javascript:/vbscript:/
  data: URL (tests.test_security.html_problems parses it to check);
- a page's URL is made of slugs and its output path stays inside the output folder.

The examples lean on what breaks parsers: YAML indicators, tags, anchors, YAML 1.1
scalars, control and bidi characters, raw HTML, entities, script URLs, brackets.
"""

from __future__ import annotations

import re
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from site_builder.content.markdown import make_parser, render, render_inline
from site_builder.content.markdown_syntax import smartquotes_rule
from site_builder.content.schema import FRONT_MATTER_KEYS
from site_builder.content.urls import inside, page_location
from site_builder.content.yamlsafe import load_yaml
from site_builder.errors import Diagnostic, SiteError
from tests.support.pages import load_page
from tests.test_security import assert_located, html_problems, page_env

# Modest and without a deadline: the timing bounds are tested in test_security.py.
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- strategies ------------------------------------------------------------------------

TRICKY_CHARS = (
    "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9f\u00a0\u2028\u2029\u200b\u200d\u202e\u2066"
    "\ufeff\ud7ff\ue000\U0001f600"
)
TRICKY_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from(list(":#&*!|>'\"%@`{}[],-?~\\\t\n" + TRICKY_CHARS)),
    ),
    max_size=30,
)
YAML_SCALARS = st.sampled_from(
    [
        "yes", "no", "on", "off", "y", "n", "true", "False", "~", "null", "", "1.10", "010",
        "0o17", "0x1F", "1_000", "1:20", "1e1000", "-.inf", ".NaN", "2025-07-27",
        "2025-02-30", "2025-07-27 10:00:00", "2025-07-27T10:00:00Z", "'quoted'",
        '"double \\" quoted"', '"\\x07\\ud800\\U00110000"', "&anchor value", "*alias",
        "!!python/object/apply:os.system ['id']", "!!str 3", "!!binary aGk=", "!!set {a}",
        "!local x", "[a, b, [c]]", "{a: 1, b: [2]}", "|\n  block", ">-\n  folded", "- item",
        "a: b: c", "'unclosed", '"unclosed', "[unclosed", "{unclosed", "#comment", "@at",
        "`tick", "%percent", "../escape", "</title><script>alert(1)</script>", "{{ 7*7 }}",
        "9" * 5000, "[" * 200, "a" * 700,
    ]
)  # fmt: skip
KEYS = st.one_of(
    st.sampled_from(FRONT_MATTER_KEYS), st.sampled_from(["<<", "? x", "-", "1"]), TRICKY_TEXT
)
VALUES = st.one_of(YAML_SCALARS, TRICKY_TEXT)
INDENT = st.sampled_from(["", "", "  ", "    ", "\t", "  - ", "- "])
YAML_LINES = st.lists(
    st.tuples(INDENT, KEYS, st.sampled_from([": ", ":", " : ", ""]), VALUES), max_size=8
)


@st.composite
def front_matter(draw: st.DrawFn) -> str:
    """YAML that is sometimes valid front matter and often not quite."""
    lines = []
    if draw(st.booleans()):
        lines += ["title: A title", "summary: A summary."]
    for indent, key, colon, value in draw(YAML_LINES):
        lines.append(f"{indent}{key}{colon}{value}")
    return "\n".join(lines)


MARKDOWN_ATOMS = st.sampled_from(
    [
        # structure
        "\n", "\n\n", "# ", "## ", "> ", "- ", "1. ", "    ", "```", "~~~", "---", "|", "| - |",
        ": ", "[^1]", "[^1]: ", "*", "**", "_", "~~", "`", "\\", "{", "}", "{#", "{.", "[", "]",
        "(", ")", "![", "](", "<", ">", "&", ";", "#", '"', "'", "“", "”", "—", "=",
        # links, attributes, citations and quotes
        "[x](", "[x][r]", "[r]: ", "https://example.org/", "other.md#a", "[@src]", "[@nope]",
        "{.quote by=\"A\" cite=\"src\"}", "{onclick=alert(1)}", "{#__proto__}", "{#constructor}",
        "{style=\"color:red\"}", "{href=javascript:alert(1)}", "— A [@src]",
        # script URLs, disguised
        "javascript:alert(1)", "JaVaScRiPt:", "java\tscript:", "&#106;avascript:", "&#x6A;",
        "&#x09;", "&colon;", "%6A%61vascript:", "vbscript:", "data:text/html,", "\x00", "\u200b",
        # raw HTML
        "<script>", "</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
        "<a href=\"javascript:alert(1)\">", "</a>", "<div id=\"__proto__\">", "</div>",
        "<!--", "-->", "<?", "<![CDATA[", "<style>", "<iframe src=", "<b onmouseover=x>",
        "<math><mtext><table><mglyph><style>", "<form action=javascript:x>", " onfocus=",
        # words
        "word", "Word ", " ", "é", "\u202e", "1", "__proto__",
    ]
)  # fmt: skip


@st.composite
def script_urls(draw: st.DrawFn) -> str:
    """javascript:/vbscript:/data: URLs in the disguises browsers see through (mixed
    case, entities, a tab or newline inside, spaces before) and some they do not."""
    scheme = draw(st.sampled_from(["javascript:", "vbscript:", "data:"]))
    chars = [draw(st.sampled_from([c, c.upper()])) for c in scheme]
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(chars) - 1))
        char = scheme[at]
        chars[at] = draw(
            st.sampled_from(
                [f"&#{ord(char)};", f"&#x{ord(char):X};", char + "&#x09;", char + "&#10;",
                 char + "\t", f"%{ord(char):02x}", char + "\u200b", char + "\x00"]
            )
        )  # fmt: skip
    before = draw(st.sampled_from(["", "", " ", "&#32;", "\x01"]))
    after = draw(st.sampled_from(["alert(1)", "text/html,<script>alert(1)</script>", "x"]))
    return before + "".join(chars) + after


@st.composite
def links(draw: st.DrawFn) -> str:
    """A Markdown or HTML construct that carries a URL (or an attribute) to a browser."""
    url = draw(st.one_of(script_urls(), st.sampled_from(["https://example.org/", "other.md"])))
    form = draw(
        st.sampled_from(
            ["[x]({})", "![x]({})", "<{}>", "[x]\n\n[x]: {}", "[x](<{}>)", '[x]({} "t")',
             '<a href="{}">x</a>', "<img src='{}'>", "[x]{{href={}}}", "[x]{{onclick={}}}",
             '<a href="https://ok/" onclick="{}">x</a>', "[x]({}){{.quote cite=src}}"]
        )
    )  # fmt: skip
    return form.format(url)


MARKDOWN = st.one_of(
    st.lists(MARKDOWN_ATOMS, max_size=40).map("".join),
    st.lists(links(), min_size=1, max_size=4).map("\n\n".join),
    st.lists(st.one_of(MARKDOWN_ATOMS, links()), max_size=12).map("".join),
    st.text(max_size=80),
)


# -- front matter ----------------------------------------------------------------------


@PROPERTY
@given(yaml=front_matter())
def test_yaml_loader_raises_only_located_site_errors(yaml: str) -> None:
    try:
        load_yaml(yaml, "content/x.md", line_offset=1)
    except SiteError as error:
        assert error.diagnostic.path == "content/x.md"
        assert error.diagnostic.line is not None, error.diagnostic.format()


@PROPERTY
@given(yaml=st.one_of(front_matter(), st.text(max_size=60)), body=MARKDOWN, crlf=st.booleans())
def test_page_loader_reports_every_problem_at_a_line(yaml: str, body: str, crlf: bool) -> None:
    text = f"---\n{yaml}\n---\n{body}"
    if crlf:
        text = text.replace("\n", "\r\n")
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        path = project / "content" / "page.md"
        path.parent.mkdir()
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        diagnostics: list[Diagnostic] = []
        page = load_page(project, path, diagnostics)  # raises nothing: problems are reported
    assert_located(diagnostics)
    assert all(d.path == "content/page.md" for d in diagnostics)
    if page is not None:
        assert page.front.title and isinstance(page.front.title, str)
        assert all(isinstance(source, str) for source in page.front.sources)
        assert all(isinstance(tag, str) and 0 < len(tag) <= 40 for tag in page.front.tags)
        assert page.front.order is None or isinstance(page.front.order, int)


@PROPERTY
@given(raw=st.binary(max_size=200))
def test_any_bytes_are_a_page_or_located_problems(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        path = project / "content" / "page.md"
        path.parent.mkdir()
        path.write_bytes(b"---\n" + raw)
        diagnostics: list[Diagnostic] = []
        load_page(project, path, diagnostics)
    assert_located(diagnostics)


# -- Markdown --------------------------------------------------------------------------

PARSERS = {mode: make_parser(mode) for mode in ("escape", "sanitize")}


@PROPERTY
@given(text=MARKDOWN, mode=st.sampled_from(sorted(PARSERS)))
def test_rendered_markdown_never_holds_a_script(text: str, mode: str) -> None:
    result = render(PARSERS[mode], text, page_env())
    assert html_problems(result.html) == [], result.html
    assert_located(result.diagnostics)
    assert all(d.path == "content/x.md" and d.line >= 5 for d in result.diagnostics)  # type: ignore[operator]


@PROPERTY
@given(text=MARKDOWN, mode=st.sampled_from(sorted(PARSERS)))
def test_inline_markdown_never_holds_a_script(text: str, mode: str) -> None:
    result = render_inline(PARSERS[mode], text, page_env())
    assert html_problems(result.html) == [], result.html
    assert_located(result.diagnostics)


UPSTREAM_QUOTES = MarkdownIt("commonmark", {"typographer": True}).enable(["smartquotes"])
LINEAR_QUOTES = MarkdownIt("commonmark", {"typographer": True}).enable(["smartquotes"])
LINEAR_QUOTES.core.ruler.at("smartquotes", smartquotes_rule)
QUOTE_ATOMS = st.sampled_from(
    ['"', "'", '"', "'", "a", "1", " ", "\n", "*", "_", "**", "[", "](x)", "`", "-", ".", "é",
     "«", "\u00a0", "<b>", "&quot;", "\\'", "~~"]
)  # fmt: skip


@settings(PROPERTY, max_examples=300)
@given(text=st.lists(QUOTE_ATOMS, max_size=30).map("".join))
def test_linear_smartquotes_match_markdown_its(text: str) -> None:
    """The replacement rule (linear time) curls exactly the quotes upstream's does."""
    assert LINEAR_QUOTES.render(text) == UPSTREAM_QUOTES.render(text)


# -- paths -----------------------------------------------------------------------------

PATH_SEGMENT = st.one_of(
    st.sampled_from(
        ["..", ".", "index", "404", "CNAME", "assets", "con", "a", "b-c", "Über", "a b", "%2e",
         "C:", "\\", "a\\b", ".nojekyll", "\u202eevil", "x\x01", "a" * 90]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=12),
)  # fmt: skip
SLUGS = st.one_of(st.none(), st.sampled_from(["ok", "index", "../x", "a/b", "404"]), TRICKY_TEXT)
SAFE_URL = re.compile(r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*/)*$")


@PROPERTY
@given(segments=st.lists(PATH_SEGMENT, min_size=1, max_size=4), slug=SLUGS)
def test_page_urls_are_slugs_and_stay_inside_the_output(
    segments: list[str], slug: str | None
) -> None:
    name = "/".join(segments) + ".md"
    front = "title: T\nsummary: S" + ("" if slug is None else f"\nslug: {slug!r}")
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        path = project / "content" / name
        try:
            if not path.resolve().is_relative_to((project / "content").resolve()):
                return  # ".." in the name: such a file is not under content/ (nor written)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"---\n{front}\n---\nBody\n", encoding="utf-8")
        except (OSError, ValueError):  # a name this file system cannot hold
            return
        diagnostics: list[Diagnostic] = []
        page = load_page(project, path, diagnostics)
        assert_located(diagnostics)
        if page is None:
            return
        location = page_location(page)
        if isinstance(location, Diagnostic):
            assert location.path == unicodedata.normalize(
                "NFC", f"content/{path.relative_to(project / 'content').as_posix()}"
            )
            assert location.line is not None
            return
        url, output_path = location
        assert url == "404.html" or SAFE_URL.match(url), url
        output = project / "output"
        output.mkdir()
        assert inside(output, output_path).is_relative_to(output.resolve())
