"""Quote checking in linear time (issue 11, class 3): sources.check_quote.

The matcher finds the pieces of a quote (between its `…`s) in order with `str.find`; it is
fuzzed here against the slow reference it replaced — one regular expression per quote, the
pieces joined by `.*?`, whole words at every edge — and the real command line is given the
inputs that made that reference take minutes: repetitive quotations with many `…`, and long
misquotes whose closest passage must be found.
"""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from site_builder.content.sources import Quotation, SourceRecord, check_quote
from tests.sitefactory import cli_cpu, make_site, page, record, run_cli, snapshot, write

TIME_BOUND = 5.0  # CPU seconds for a command on up to 1 MiB of input

_DOUBLE_MARKS = str.maketrans({c: '"' for c in "“”„‟″«»"} | {c: "'" for c in "‘’‚‛′"})
_EDGE = ' ,;:."'


def reference_matches(quote: str, quotation: str) -> bool | None:
    """The regex matcher check_quote used before (backtracking: slow, but plainly right).
    None when the quote is empty."""

    def normalise(text: str) -> str:
        return " ".join(text.translate(_DOUBLE_MARKS).replace("...", "…").split())

    pieces = [p.strip(_EDGE) for p in normalise(quote).split("…")]
    pieces = [p for p in pieces if p]
    if not pieces:
        return None
    parts = []
    for piece in pieces:
        left = r"(?<!\w)" if re.match(r"\w", piece) else ""
        right = r"(?!\w)" if re.search(r"\w$", piece) else ""
        parts.append(left + re.escape(piece) + right)
    return re.search(".*?".join(parts), normalise(quotation), re.DOTALL) is not None


def record_of(*texts: str) -> SourceRecord:
    quotations = tuple(Quotation(text, "Ana Lima", 0) for text in texts)
    return SourceRecord("s", "News", "T", None, "2025-07-27", "https://n.example/", (), quotations,
                        "content/sources/s.yaml")  # fmt: skip


# Few letters, so that pieces occur often, partly and at word edges.
words = st.text(alphabet="ab é_1", min_size=1, max_size=4)
marks = st.sampled_from([" ", " ", " ", "…", "...", ", ", ". ", "“", "”", "'", "-", "\n"])
texts = st.lists(st.one_of(words, marks), max_size=24).map("".join)


@settings(max_examples=800, deadline=None)
@given(texts, texts)
@example("fragile cease", "This is a fragile ceasefire,")
@example("a … a … a", "a a")
@example("ab…b a", "ab a")
@example("_a … é", "_a é")
def test_the_matcher_agrees_with_the_regex_it_replaced(quote: str, quotation: str) -> None:
    expected = reference_matches(quote, quotation)
    problem = check_quote(quote, None, record_of(quotation))
    if expected is None:
        assert problem == "empty quotation of s"
    elif expected:  # the words match; only a closing stop the source lacks may be refused
        assert problem is None or "the quotation ends “" in problem, problem
    else:
        assert problem is not None and problem.startswith("misquote of s: closest passage")


def test_part_of_a_quotation_matches_at_word_edges_only() -> None:
    record = record_of("This is a fragile ceasefire, he said … twice.")
    assert check_quote("a fragile ceasefire", "Lima", record) is None
    assert check_quote("fragile cease", None, record) is not None
    assert check_quote("This … ceasefire … twice", None, record) is None
    assert check_quote("ceasefire … This", None, record) is not None  # out of order


# -- the command line: the inputs that stalled the old matcher ----------------------------------


def quoting_site(tmp_path: Path, quotation: str, quote: str) -> Path:
    """A site whose record holds `quotation` and whose page quotes `quote` from it."""
    quotations = f"\n- text: {json(quotation)}\n  speaker: Ana Lima\n  position: 0"
    return make_site(
        tmp_path / "site",
        {
            "content/sources/s.yaml": record("s", quotations=quotations),
            "content/a.md": page("A", f"> “{quote}”\n>\n> — Ana Lima [@s]\n"),
        },
    )


def json(text: str) -> str:
    import json as json_module

    return json_module.dumps(text)


def test_a_repetitive_quotation_with_many_ellipses_is_checked_quickly(tmp_path: Path) -> None:
    # The old pattern backtracked over every way to place each piece: minutes for 100 words.
    quotation = " ".join(["we will talk"] * 40_000)  # about 0.5 MB
    quote = " … ".join(["we will talk"] * 8) + " … we will walk"
    project = quoting_site(tmp_path, quotation, quote)
    done, cpu = cli_cpu("build", "--source", project, "--output", tmp_path / "out")
    assert done.returncode == 1
    assert "content/a.md:5: misquote of s: closest passage is “" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert cpu < TIME_BOUND, cpu


def test_a_long_misquote_names_its_closest_passage_quickly(tmp_path: Path) -> None:
    # The old search compared every window of a quotation with difflib: minutes at 4,000 words.
    article = [f"word{i % 997} said{i % 13}" for i in range(60_000)]  # about 0.9 MB
    quotation = " ".join(article)
    misquote = " ".join(article[5_000:9_000]).replace("word42 ", "ward42 ")
    project = quoting_site(tmp_path, quotation, misquote)
    output = tmp_path / "out"
    done, cpu = cli_cpu("build", "--source", project, "--output", output)
    assert done.returncode == 1 and not output.exists()
    message = next(line for line in done.stderr.splitlines() if "misquote of s" in line)
    # The passage shown is the start of the stretch quoted (the article repeats itself every
    # 12,961 pairs of words: the first place it says the same), as many words as compared.
    start = "content/a.md:5: misquote of s: closest passage is “word15 said8 word16 said9 "
    assert message.startswith(start), message
    assert len(message.split("“")[1].split("”")[0].split()) == 40
    assert "Traceback" not in done.stderr
    assert cpu < TIME_BOUND, cpu


def test_a_right_quote_of_a_long_quotation_passes_and_renders(tmp_path: Path) -> None:
    article = " ".join(f"part{i} of it" for i in range(30_000))
    quote = "part10 of it … part20000 of it … part29999 of it"
    project = quoting_site(tmp_path, article, quote)
    done, cpu = cli_cpu("build", "--source", project, "--output", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert "part20000 of it" in (tmp_path / "out/a/index.html").read_text()
    assert cpu < TIME_BOUND, cpu


def test_a_failed_quote_check_leaves_the_output_untouched(tmp_path: Path) -> None:
    project = quoting_site(tmp_path, "We will talk again.", "We will talk again.")
    output = tmp_path / "out"
    assert run_cli("build", "--source", project, "--output", output).returncode == 0
    before = snapshot(output)
    write(project / "content/a.md", page("A", "> “We will walk … again.”\n>\n> — Ana Lima [@s]\n"))
    done = run_cli("build", "--source", project, "--output", output)
    assert done.returncode == 1 and "misquote of s" in done.stderr
    assert snapshot(output) == before
