"""The write phase's priority outputs (pipeline/write_phase.py `Priority`): a rebuild with
many pages to render puts the ones the preview's tabs show in place first, then the rest.

Each test watches the output folder at the moment the priority pages are reported
written, so the order is checked, not timed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from site_builder.errors import BuildFailed
from site_builder.pipeline.build import Builder, BuildOptions
from site_builder.pipeline.write_phase import AHEAD_OF_AT_LEAST, Priority
from tests.sitefactory import BASE_HTML, make_site, page, snapshot

PAGES = AHEAD_OF_AT_LEAST + 10
SHOWN = "p07/index.html"
OTHER = "p30/index.html"


def site_of(root: Path, pages: int) -> Builder:
    files: dict[str, str | bytes] = {
        f"content/p{number:02d}.md": page(f"Page {number}") for number in range(pages)
    }
    project = make_site(root / "site", files)
    builder = Builder(BuildOptions(project=project, output=root / "out", cache=False, jobs=2))
    builder.build()
    return builder


def edit_base(builder: Builder, new: str) -> Path:
    base = builder.options.project / "templates" / "base.html"
    base.write_text(BASE_HTML.replace("<main>", new + "<main>"), encoding="utf-8")
    return base


class Watcher:
    """`Priority.written`: notes what was reported, and the output as it was then."""

    def __init__(self, output: Path) -> None:
        self.output = output
        self.calls: list[list[str]] = []
        self.seen: dict[str, str] = {}

    def __call__(self, paths: list[str]) -> None:
        self.calls.append(paths)
        for path in (SHOWN, OTHER):
            self.seen[path] = (self.output / path).read_text(encoding="utf-8")


@pytest.fixture
def builder(tmp_path: Path) -> Builder:
    return site_of(tmp_path, PAGES)


def test_a_template_edit_puts_the_shown_page_in_place_before_the_rest(builder: Builder) -> None:
    watcher = Watcher(builder.options.output)
    base = edit_base(builder, "<p>Edited layout</p>")

    result = builder.rebuild([base], Priority(frozenset({SHOWN}), watcher))

    assert watcher.calls == [[SHOWN]]
    assert "Edited layout" in watcher.seen[SHOWN]
    assert "Edited layout" not in watcher.seen[OTHER]  # the rest came after
    assert SHOWN in result.written and len(result.rendered) > PAGES
    clean = builder.options.output.parent / "clean"
    Builder(BuildOptions(builder.options.project, clean, cache=False)).build()
    assert snapshot(builder.options.output) == snapshot(clean)


def test_a_failure_among_the_rest_puts_the_shown_page_back(builder: Builder) -> None:
    output = builder.options.output
    before = (output / SHOWN).read_bytes()
    watcher = Watcher(output)
    broken = '{% if page.title == "Page 30" %}{{ page.no_such_field.nested }}{% endif %}'
    base = edit_base(builder, "<p>Edited layout</p>" + broken)

    with pytest.raises(BuildFailed) as failure:
        builder.rebuild([base], Priority(frozenset({SHOWN}), watcher))

    assert any(d.path.endswith("base.html") for d in failure.value.diagnostics)
    assert watcher.calls == [[SHOWN]]
    assert "Edited layout" in watcher.seen[SHOWN]
    # A failed build leaves the folder as it was: the shown page is put back.
    assert (output / SHOWN).read_bytes() == before
    assert "Edited layout" not in (output / OTHER).read_text(encoding="utf-8")
    # The state agrees: fixing the template renders the shown page again.
    base = edit_base(builder, "<p>Edited layout</p>")
    builder.rebuild([base])
    assert "Edited layout" in (output / SHOWN).read_text(encoding="utf-8")
    base.write_text(BASE_HTML, encoding="utf-8")
    builder.rebuild([base])
    assert (output / SHOWN).read_bytes() == before


def test_a_broken_shown_page_writes_nothing_and_reports_every_page(builder: Builder) -> None:
    output = builder.options.output
    before = snapshot(output)
    watcher = Watcher(output)
    broken = (
        '{% if page.title in ("Page 7", "Page 30") %}{{ page.no_such_field.nested }}{% endif %}'
    )
    base = edit_base(builder, broken)

    with pytest.raises(BuildFailed) as failure:
        builder.rebuild([base], Priority(frozenset({SHOWN}), watcher))

    assert watcher.calls == []
    assert snapshot(output) == before
    where = " ".join(d.format() for d in failure.value.diagnostics)
    assert "Page 7" in where or "p07" in where, where
    assert "Page 30" in where or "p30" in where, where


def test_with_few_pages_to_render_nothing_goes_ahead(tmp_path: Path) -> None:
    builder = site_of(tmp_path, AHEAD_OF_AT_LEAST // 2)
    watcher = Watcher(builder.options.output)
    base = edit_base(builder, "<p>Edited layout</p>")

    builder.rebuild([base], Priority(frozenset({SHOWN}), watcher))

    assert watcher.calls == []
    assert "Edited layout" in (builder.options.output / SHOWN).read_text(encoding="utf-8")


def test_a_shown_page_that_did_not_change_is_not_reported(builder: Builder) -> None:
    watcher = Watcher(builder.options.output)
    base = edit_base(builder, '{% if page.title != "Page 7" %}<p>Edited layout</p>{% endif %}')

    builder.rebuild([base], Priority(frozenset({SHOWN}), watcher))

    assert watcher.calls == [[]]


LINKED_BASE = BASE_HTML.replace(
    "</head>", '<link rel="stylesheet" href="{{ asset(\'css/site.css\') }}"></head>'
)


def styled_site(root: Path) -> Builder:
    """PAGES pages whose layout links a stylesheet (named by a digest of it), built."""
    files: dict[str, str | bytes] = {
        f"content/p{number:02d}.md": page(f"Page {number}") for number in range(PAGES)
    }
    files["static/css/site.css"] = "body { color: black; }\n"
    files["templates/base.html"] = LINKED_BASE
    project = make_site(root / "site", files)
    builder = Builder(BuildOptions(project=project, output=root / "out", cache=False, jobs=2))
    builder.build()
    return builder


def test_a_stylesheet_edit_puts_the_new_stylesheet_in_place_with_the_shown_page(
    tmp_path: Path,
) -> None:
    """A stylesheet's name is a digest of it, so an edit renders every page that links it;
    the new stylesheet goes ahead with the shown page, which names it."""
    builder = styled_site(tmp_path)
    project, output = builder.options.project, builder.options.output
    css = project / "static" / "css" / "site.css"
    css.write_text("body { color: navy; }\n", encoding="utf-8")
    seen: dict[str, str] = {}
    calls: list[list[str]] = []

    def written(paths: list[str]) -> None:
        calls.append(paths)
        shown = (output / SHOWN).read_text(encoding="utf-8")
        linked = re.search(r'href="/repo/(css/site\.[0-9a-f]+\.css)"', shown)
        assert linked is not None, shown
        seen["css"] = (output / linked.group(1)).read_text(encoding="utf-8")

    result = builder.rebuild([css], Priority(frozenset({SHOWN}), written))

    assert seen["css"] == "body { color: navy; }\n"
    assert len(calls) == 1 and len(calls[0]) == 2 and SHOWN in calls[0]
    assert set(calls[0]) <= set(result.written)  # what went ahead was written by this build
    clean = tmp_path / "clean"
    Builder(BuildOptions(project, clean, cache=False)).build()
    assert snapshot(output) == snapshot(clean)


def test_a_failure_among_the_rest_takes_the_new_stylesheet_back_too(tmp_path: Path) -> None:
    builder = styled_site(tmp_path)
    project, output = builder.options.project, builder.options.output
    before = snapshot(output)
    css = project / "static" / "css" / "site.css"
    css.write_text("body { color: navy; }\n", encoding="utf-8")
    broken = '{% if page.title == "Page 30" %}{{ page.no_such_field.nested }}{% endif %}'
    base = project / "templates" / "base.html"
    base.write_text(LINKED_BASE.replace("<main>", broken + "<main>"), encoding="utf-8")
    calls: list[list[str]] = []

    with pytest.raises(BuildFailed):
        builder.rebuild([base, css], Priority(frozenset({SHOWN}), calls.append))

    assert len(calls) == 1 and len(calls[0]) == 2  # the page and its stylesheet went ahead
    assert snapshot(output) == before  # and were taken back
