"""The Markdown stage on its own: features, ids, links, citations and safety."""

from __future__ import annotations

import re

from site_builder.content.markdown import PageEnv, Rendered, make_parser, render, safe_id, slugify

PAGES = {"other.md": "/repo/other/", "index.md": "/repo/", "sub/deep.md": "/repo/sub/deep/"}


def md(
    text: str, *, rel: str = "page.md", raw_html: str = "escape", quote_ok: bool = True
) -> Rendered:
    def check_quote(text: str, speaker: str | None, source_id: str) -> str | None:
        return None if quote_ok else f"misquote of {source_id}: {text!r} by {speaker}"

    env = PageEnv(
        source_path=f"content/{rel}",
        rel=rel,
        line_offset=4,
        page_url=PAGES.get,
        source_ids=frozenset({"src-a", "src-b"}),
        check_quote=check_quote,
    )
    return render(make_parser(raw_html), text, env)


def messages(result: Rendered) -> list[str]:
    return [d.format() for d in result.diagnostics]


def test_gfm_tables_strikethrough_footnotes_deflists() -> None:
    html = md("| a |\n|---|\n| 1 |\n\n~~old~~ new[^1]\n\nTerm\n: Meaning\n\n[^1]: Note.\n").html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<s>old</s>" in html
    assert 'href="#fn1"' in html and 'id="fn1"' in html
    assert "<dt>Term</dt>" in html and "<dd>Meaning</dd>" in html


def test_typographic_quotes_and_dashes() -> None:
    assert md('"Yes" -- and --- no').html == "<p>“Yes” – and — no</p>\n"


def test_heading_ids_are_stable_deduplicated_and_listed() -> None:
    result = md("## Open issues\n\n## Open issues\n\n### Oil {#crude}\n")
    assert '<h2 id="open-issues">' in result.html
    assert '<h2 id="open-issues-2">' in result.html
    assert '<h3 id="crude">' in result.html
    assert [(h.level, h.id, h.title) for h in result.toc] == [
        (2, "open-issues", "Open issues"),
        (2, "open-issues-2", "Open issues"),
        (3, "crude", "Oil"),
    ]


def test_ids_cannot_clobber_dom_globals() -> None:
    assert safe_id("__proto__") == "section-proto"
    assert safe_id("constructor") == "section-constructor"
    assert slugify("Tariffs & the 20% levy") == "tariffs-the-20-levy"


def test_links_to_pages_become_urls_and_are_recorded() -> None:
    result = md("See [other](other.md#part) and [deep](sub/deep.md).", rel="index.md")
    assert 'href="/repo/other/#part"' in result.html
    assert 'href="/repo/sub/deep/"' in result.html
    assert [(link.target, link.anchor, link.line) for link in result.links] == [
        ("other.md", "part", 5),
        ("sub/deep.md", None, 5),
    ]


def test_link_to_missing_page_is_an_error_with_line() -> None:
    result = md("\n\n[gone](missing.md)")
    assert messages(result) == [
        "content/page.md:7: link to 'missing.md': there is no page content/missing.md"
    ]


def test_unsafe_schemes_are_refused_in_any_disguise() -> None:
    for url in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:x", "data:text/html,x",
                "java%0ascript:alert(1)", "&#106;avascript:alert(1)"):  # fmt: skip
        result = md(f"[x]({url}) ![y]({url})")
        assert "javascript:" not in result.html.lower()
        assert "vbscript:" not in result.html.lower()
        assert "data:" not in result.html.lower()
        assert len(result.diagnostics) == 2, url


def test_raw_html_is_escaped_by_default_and_sanitized_on_request() -> None:
    text = '<script>alert(1)</script>\n\n<b onclick="x()">bold</b>'
    assert "<script" not in md(text).html and "&lt;script&gt;" in md(text).html
    sanitized = md(text, raw_html="sanitize").html
    assert "<script" not in sanitized and "onclick" not in sanitized and "<b>bold</b>" in sanitized


def test_attributes_are_limited_to_id_and_class() -> None:
    html = md(
        '{#x .note onclick="evil()" style="color:red"}\nText\n\n[a](https://e.org){onmouseover=x}'
    ).html
    assert html.startswith('<p id="x" class="note">Text</p>')
    assert "onclick" not in html and "onmouseover" not in html and "style" not in html


def test_citations_are_numbered_in_order_of_first_use() -> None:
    result = md("One [@src-b]. Two [@src-a]. Again [@src-b].")
    assert result.citations == ["src-b", "src-a"]
    assert result.html.count('href="#source-1"') == 2
    assert result.html.count('href="#source-2"') == 1


def test_unknown_citation_is_an_error() -> None:
    assert messages(md("Claim [@nope].")) == [
        "content/page.md:5: unknown source 'nope': no content/sources/nope.yaml "
        "(site-builder ingest FEED makes records from a feed)"
    ]


def test_block_quote_is_checked_and_rendered_as_figure() -> None:
    text = "> “A fragile thing.”\n>\n> — A. Person [@src-a]\n"
    good = md(text)
    assert good.diagnostics == []
    assert good.html.startswith(
        '<figure class="quote">\n<blockquote>\n<p>“A fragile thing.”</p>\n</blockquote>\n<figcaption>— A. Person'
    )
    assert good.html.rstrip().endswith("</figcaption>\n</figure>")
    bad = md(text, quote_ok=False)
    assert messages(bad) == [
        "content/page.md:5: misquote of src-a: 'A fragile thing.' by A. Person"
    ]


def test_quote_without_source_is_an_error() -> None:
    assert messages(md("> “Unsourced words.”\n")) == [
        "content/page.md:5: a quotation needs its source: end it with '— Speaker [@source-id]'"
    ]


def test_quote_attributes_never_reach_the_page() -> None:
    html = md(
        '[a [b]{.quote by="X" cite="src-a"} c]{.quote by="Y" cite="src-b"} '
        'and [d]{.note by="Z" cite="src-a"}'
    ).html
    assert " by=" not in html and " cite=" not in html
    assert '<span class="quote">b</span>' in html and '<span class="note">d</span>' in html


def test_each_citation_mark_has_its_own_id_for_back_links() -> None:
    html = md("One[@src-a]. Two[@src-b]. Three[@src-a].").html
    assert re.findall(r'<sup class="cite" id="([^"]+)"><a href="#source-(\d)">', html) == [
        ("cite-1-1", "1"),
        ("cite-2-1", "2"),
        ("cite-1-2", "1"),
    ]


def test_inline_quote_span_becomes_q_with_citation() -> None:
    result = md('He spoke of [a bright future]{.quote by="A. Person" cite="src-a"}.')
    assert (
        '<q class="quote">a bright future</q>'
        '<sup class="cite" id="cite-1-1"><a href="#source-1">[1]</a></sup>' in result.html
    )
    assert result.citations == ["src-a"]
    assert messages(md('[words]{.quote by="X" cite="src-a"}', quote_ok=False)) == [
        "content/page.md:5: misquote of src-a: 'words' by X"
    ]
