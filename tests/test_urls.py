"""URLs that reach an attribute: one scheme allowlist for Markdown, records, data and feeds.

Issue 11, class 2. `urls.url_problem` is fuzzed against a browser's reading of a URL (the
WHATWG steps: entities decoded in the attribute, C0 controls and spaces trimmed, tabs and
newlines dropped, then the scheme), and the real command line is driven with hostile URLs
in a record, a data file, a template's attribute and a feed: each is a `file:line` error (or
the feed's name), the previous output is left as it was, no script reaches a page, and the
work stays within the time bound.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

from site_builder.content.urls import SAFE_SCHEMES, url_attributes, url_problem
from tests.sitefactory import (
    CITING_TEMPLATES,
    cli_cpu,
    make_site,
    page,
    record,
    run_cli,
    snapshot,
    write,
)

TIME_BOUND = 5.0  # CPU seconds for a command on up to 1 MiB of input (the bound)
_WHATWG_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def browser_scheme(attribute_value: str) -> str | None:
    """The scheme a browser navigates to for an attribute written `attribute_value`
    (the reference: the HTML tokenizer's entity decoding, then the URL parser)."""
    url = html.unescape(attribute_value)
    url = url.strip("".join(chr(c) for c in range(0x21)))  # C0 controls and space
    url = re.sub("[\t\n\r]", "", url)
    match = _WHATWG_SCHEME.match(url)
    return match.group(1).lower() if match else None


# -- the allowlist, fuzzed --------------------------------------------------------------------

SCHEME_PIECES = ["javascript", "vbscript", "data", "file", "JaVaScRiPt", "java", "script",
                 "http", "https", "mailto", "tel", "blob", "about"]  # fmt: skip
DISGUISES = [":", "&#58;", "&colon;", "&#x3a;", "%3A", "%253A", "\t", "\n", "\r", " ", "\x00",
             "\x1f", "\u200b", "\ufeff", "&Tab;", "&NewLine;", "&#106;", "&#x6A;", "%6A", "%0a",
             "/", "//", "#", "?", "alert(1)", "x.md", "&amp;", "&", ";"]  # fmt: skip
hostile_urls = st.lists(st.sampled_from(SCHEME_PIECES + DISGUISES), max_size=8).map("".join)


@settings(max_examples=600, deadline=None)
@given(st.one_of(hostile_urls, st.text(max_size=40)))
@example("java\tscript:alert(1)")
@example("&#106;avascript:alert(1)")
@example(" \x01javascript:alert(1)")
def test_an_accepted_url_never_has_a_scheme_outside_the_allowlist(url: str) -> None:
    if url_problem(url) is None:
        assert browser_scheme(url) in {None, *SAFE_SCHEMES}, url


def disguise(text: str, choices: list[int]) -> str:
    """`text` with each character written in one of several ways a browser still reads."""
    out = []
    for char, choice in zip(text, choices, strict=False):
        way = choice % 7
        if way == 1:
            out.append(char.upper())
        elif way == 2:
            out.append(f"&#{ord(char)};")
        elif way == 3:
            out.append(f"&#x{ord(char):x};")
        elif way == 4:
            out.append(char + "\t")
        elif way == 5:
            out.append("\n" + char)
        else:
            out.append(char)
    return "".join(out) + text[len(choices) :]


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(
        [
            "javascript:alert(1)",
            "vbscript:msgbox(1)",
            "data:text/html,<script>",
            "file:///etc/passwd",
        ]
    ),  # fmt: skip
    st.lists(st.integers(min_value=0, max_value=6), max_size=20),
    st.text(alphabet=" \x00\x01\x1f", max_size=3),
)
def test_every_disguise_of_a_script_url_is_refused(url: str, ways: list[int], lead: str) -> None:
    disguised = lead + disguise(url, ways)
    assert browser_scheme(disguised) == url.split(":")[0]  # the disguise still works...
    assert url_problem(disguised) is not None  # ...and is refused


@settings(max_examples=200, deadline=None)
@given(st.one_of(urls(), st.from_regex(r"\A(/|#|\?|\.\./)?[a-z0-9/_.#?=&-]{0,30}\Z")))
def test_web_links_and_links_within_the_site_are_accepted(url: str) -> None:
    assert url_problem(url) is None


# -- the command line -------------------------------------------------------------------------

SCRIPT_URLS = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(document.domain)",
    " java\tscript:alert(1)",
    "&#106;avascript:alert(1)",
    "javascript&colon;alert(1)",
    "java%0ascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "\u200bjavascript:alert(1)",
]


def built_site(tmp_path: Path, files: dict[str, str | bytes]) -> tuple[Path, Path, dict]:
    """A project whose first build succeeded: (project, output, the output's files)."""
    project = make_site(tmp_path / "site", {**CITING_TEMPLATES, **files})
    output = tmp_path / "out"
    done = run_cli("build", "--source", project, "--output", output)
    assert done.returncode == 0, done.stderr
    return project, output, snapshot(output)


def assert_refused(project: Path, output: Path, before: dict, where: str) -> str:
    """A build of `project` fails with an error at `where`, within the time bound, without a
    traceback, and leaves the output as it was."""
    done, cpu = cli_cpu("build", "--source", project, "--output", output)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(rf"^{re.escape(where)}: ", done.stderr, re.M), done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    assert snapshot(output) == before
    assert cpu < TIME_BOUND
    return done.stderr


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_a_script_url_in_a_record_is_an_error_at_its_line(tmp_path: Path, url: str) -> None:
    project, output, before = built_site(
        tmp_path,
        {"content/sources/good.yaml": record("good"), "content/a.md": page("A", "Said [@good].")},
    )
    write(project / "content/sources/evil.yaml", record("evil", url=url))
    write(project / "content/b.md", page("B", "Also [@evil] and [@good]."))
    stderr = assert_refused(project, output, before, "content/sources/evil.yaml:5:6")
    # One error, the record's own: the pages citing it are not told it is unknown.
    assert stderr.count("\n") == 2, stderr  # the error and the "failed:" line


@pytest.mark.parametrize(
    ("url", "key"),
    list(zip(SCRIPT_URLS, ["url", "photo_url", "link", "href", "website"] * 2, strict=False)),
)
def test_a_script_url_in_a_data_file_is_an_error_at_its_line(
    tmp_path: Path, url: str, key: str
) -> None:
    people = "- name: Ana Lima\n  url: https://ana.example/\n"
    project, output, before = built_site(tmp_path, {"data/people.yaml": people})
    hostile = people + f"- name: Bo Li\n  {key}: {json.dumps(url)}\n"
    write(project / "data/people.yaml", hostile)
    assert_refused(project, output, before, f"data/people.yaml:4:{len(key) + 5}")


@pytest.mark.parametrize("url", SCRIPT_URLS)
def test_a_script_url_a_template_prints_into_an_attribute_is_refused(
    tmp_path: Path, url: str
) -> None:
    # `note` names no URL, so loading cannot know; the page's attributes are checked.
    people = "- name: Ana Lima\n  url: https://ana.example/\n  note: fine\n"
    template = CITING_TEMPLATES["templates/home.html"].replace("p.url", "p.note")  # type: ignore[union-attr]
    project, output, before = built_site(
        tmp_path, {"data/people.yaml": people, "templates/home.html": template}
    )
    write(project / "data/people.yaml", people.replace("fine", json.dumps(url)))
    stderr = assert_refused(project, output, before, "templates/home.html")
    assert "href attribute" in stderr and "content/index.md" in stderr


def test_a_hostile_but_allowed_url_is_printed_as_text(tmp_path: Path) -> None:
    url = "https://news.example/a?q=\"><script>alert(1)</script>&x='onmouseover=alert(1)"
    project, output, _ = built_site(
        tmp_path,
        {"content/sources/s.yaml": record("s", url=url), "content/a.md": page("A", "See [@s].")},
    )
    for name, data in snapshot(output).items():
        if name.endswith(".html"):
            assert elements_and_attributes(data.decode()) <= SAFE_MARKUP, name
    assert (
        "https://news.example/a?q=&#34;&gt;&lt;script&gt;" in (output / "a/index.html").read_text()
    )


SAFE_MARKUP = {"html", "head", "meta", "title", "body", "nav", "main", "h1", "p", "a", "ol", "ul",
               "li", "sup", "link", "section", "h2", "lang", "charset", "name", "content", "href",
               "class", "id", "rel", "type", "hreflang"}  # fmt: skip


def elements_and_attributes(page_html: str) -> set[str]:
    """The names of every element and attribute in a page, as a browser's tokenizer reads it."""
    names: set[str] = set()

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            names.add(tag)
            names.update(name for name, _ in attrs)

    Collector().feed(page_html)
    return names


def rss(link: str, channel_link: str = "https://news.example/") -> str:
    return f"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>News - World</title><link>{html.escape(channel_link)}</link>
<item><title>Talks</title><link>{html.escape(link)}</link><guid>https://news.example/1</guid>
<pubDate>Sun, 27 Jul 2025 09:57:00 +0300</pubDate>
<description>“We will talk again,” Ana Lima said.</description></item></channel></rss>
"""


def json_feed(url: str) -> str:
    item = {"id": "1", "url": url, "title": "Talks", "date_published": "2025-07-27T09:57:00+03:00",
            "content_text": "“We will talk again,” Ana Lima said."}  # fmt: skip
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "News",
                       "items": [item]})  # fmt: skip


FEED_KINDS = ["rss item", "rss channel", "json feed"]


@pytest.mark.parametrize(
    ("url", "kind"),
    [(url, FEED_KINDS[(i + k) % 3]) for i, url in enumerate(SCRIPT_URLS) for k in (0, 1)],
)
def test_ingest_refuses_a_script_url_from_a_feed(tmp_path: Path, url: str, kind: str) -> None:
    project = make_site(tmp_path / "site")
    feed = {
        "rss item": lambda: rss(url),
        "rss channel": lambda: rss("", channel_link=url),
        "json feed": lambda: json_feed(url),
    }[kind]()
    write(project / "feed.xml", feed)
    done, cpu = cli_cpu("ingest", "feed.xml", "--source", project, cwd=project)
    assert "Traceback" not in done.stderr
    assert cpu < TIME_BOUND
    if done.returncode == 0:
        # feedparser read the "link" as something other than a script URL (a path, say):
        # what was written is no script to a browser either.
        [written] = (project / "content/sources").iterdir()
        [line] = [x for x in written.read_text().splitlines() if x.startswith("url: ")]
        assert browser_scheme(line.removeprefix("url: ").strip("'\"")) in {None, "https"}, line
        return
    assert "feed.xml: item 1 “Talks”: " in done.stderr and "refused" in done.stderr, done.stderr
    assert not (project / "content/sources").exists()


# The URL attributes of rendered HTML, as the one regular expression that states them
# (content/urls.py looks for them from each `=` instead, which is faster).
URL_ATTRIBUTE = re.compile(
    r"""\s(href|src|action|formaction|xlink:href|poster|srcset)\s*=\s*(?:"([^"]*)"|'([^']*)')""",
    re.IGNORECASE,
)
NAMES = ["href", "HREF", "src", "srcset", "action", "formaction", "xlink:href", "poster", "ref"]
HTML_PIECES = st.one_of(
    st.sampled_from([" ", "\n", "\t", "\u00a0", "\u2028", "=", '"', "'", "<a", ">", "x", ":"]),
    st.sampled_from(NAMES),
    st.builds(
        "{}{}{}{}{}{}".format,
        st.sampled_from([" ", "\n", "x", ""]),
        st.sampled_from(NAMES),
        st.sampled_from(["", " ", "\n\t "]),
        st.sampled_from(["=", ""]),
        st.sampled_from(["", " "]),
        st.sampled_from(['"javascript:x"', "'a, b 2x'", '"https://a.test/?q=1"', '"', "x"]),
    ),
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(HTML_PIECES, max_size=12).map("".join))
def test_url_attributes_are_found_as_the_regular_expression_finds_them(text: str) -> None:
    expected = [
        (m.group(1), m.group(2) if m.group(2) is not None else m.group(3))
        for m in URL_ATTRIBUTE.finditer(text)
    ]
    assert list(url_attributes(text)) == expected
