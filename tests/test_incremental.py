"""Incremental rebuilds: after each kind of change, exactly the outputs that used it.

tests/fixtures/incremental is built once, then edited; `Builder.rebuild` reports in
`rendered` the outputs it made again. Its pages: a home page listing every page
(home.html, via a macro of _macros.html), pages A, B, C (page.html, which includes
_pager.html), People (people.html extends page.html and reads data/people.yaml),
and a not-found page (404.html). Every page's layout (base.html) shows the
navigation (home and B, from site.yaml), the stylesheet and a link to People.
Reading order: home, A, B, C, People.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from site_builder.errors import BuildFailed
from site_builder.pipeline import output as output_module
from site_builder.pipeline.build import Builder, BuildOptions
from tests.sitefactory import run_cli, snapshot

FIXTURE = Path(__file__).parent / "fixtures" / "incremental"
ALL_PAGES = [
    "404.html",
    "a/index.html",
    "b/index.html",
    "c/index.html",
    "index.html",
    "people/index.html",
]
FEEDS = ["feed.xml", "sitemap.xml"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "site"))


@pytest.fixture
def builder(project: Path) -> Builder:
    built = Builder(BuildOptions(project=project, output=project.parent / "out", cache=False))
    result = built.build()
    assert result.rendered == sorted(ALL_PAGES + FEEDS + [".nojekyll", "robots.txt"])
    return built


def edit(project: Path, rel: str, old: str, new: str) -> Path:
    path = project / rel
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def rebuilt(builder: Builder, *paths: Path) -> list[str]:
    result = builder.rebuild(paths)
    assert_same_as_full_build(builder)
    return result.rendered


def assert_same_as_full_build(builder: Builder) -> None:
    """The incrementally updated output is byte-identical to a clean build's."""
    options = builder.options
    clean = options.output.parent / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    Builder(BuildOptions(project=options.project, output=clean, cache=False)).build()
    assert snapshot(options.output) == snapshot(clean)


def test_body_edit_renders_only_that_page(builder: Builder, project: Path) -> None:
    path = edit(project, "content/a.md", "Text of A.", "New text of A.")
    assert rebuilt(builder, path) == ["a/index.html"]
    assert "New text of A." in (builder.options.output / "a/index.html").read_text()


def test_saving_without_a_change_renders_nothing(builder: Builder, project: Path) -> None:
    path = edit(project, "content/a.md", "Text of A.", "Text of A.")
    result = builder.rebuild([path])
    assert result.rendered == [] and result.written == []


def test_title_edit_renders_the_pages_that_show_it(builder: Builder, project: Path) -> None:
    path = edit(project, "content/a.md", "title: Page A", "title: Page A, renamed")
    # A itself; the home page lists it; home and B link to it in their pagers; the feed.
    assert rebuilt(builder, path) == ["a/index.html", "b/index.html", "feed.xml", "index.html"]


def test_summary_edit_renders_the_pages_that_show_it(builder: Builder, project: Path) -> None:
    path = edit(project, "content/c.md", "summary: About C.", "summary: All about C.")
    # page.html does not show a summary (so C itself is not rendered); home and feed do.
    assert rebuilt(builder, path) == ["feed.xml", "index.html"]


def test_nav_page_title_edit_renders_every_page(builder: Builder, project: Path) -> None:
    path = edit(project, "content/b.md", "title: Page B", "title: Page B, renamed")
    assert rebuilt(builder, path) == sorted(ALL_PAGES + ["feed.xml"])


def test_date_edit_renders_the_feeds(builder: Builder, project: Path) -> None:
    path = edit(project, "content/c.md", "date: 2025-07-03", "date: 2025-07-04")
    # The page template does not show the date; the feed and sitemap do.
    assert rebuilt(builder, path) == FEEDS


def test_order_edit_renders_old_and_new_neighbours_and_lists(
    builder: Builder, project: Path
) -> None:
    path = edit(project, "content/a.md", "order: 1", "order: 10")
    # Reading order was home, A, B, C, People; now home, B, C, People, A.
    assert rebuilt(builder, path) == sorted(
        ["a/index.html", "b/index.html", "index.html", "people/index.html"] + FEEDS
    )


def test_included_template_edit_renders_the_pages_that_include_it(
    builder: Builder, project: Path
) -> None:
    path = edit(project, "templates/_pager.html", 'class="pager"', 'class="pager pager-x"')
    # page.html includes it; people.html extends page.html; home.html and 404.html do not.
    assert rebuilt(builder, path) == [
        "a/index.html",
        "b/index.html",
        "c/index.html",
        "people/index.html",
    ]


def test_imported_macro_edit_renders_the_pages_that_import_it(
    builder: Builder, project: Path
) -> None:
    path = edit(project, "templates/_macros.html", "<li>", '<li class="card">')
    assert rebuilt(builder, path) == ["index.html"]


def test_layout_edit_renders_every_page_and_no_feed(builder: Builder, project: Path) -> None:
    path = edit(project, "templates/base.html", "<footer>", '<footer class="x">')
    assert rebuilt(builder, path) == ALL_PAGES


def test_unused_template_edit_renders_nothing(builder: Builder, project: Path) -> None:
    path = edit(project, "templates/unused.html", "No page", "Still no page")
    assert rebuilt(builder, path) == []


def test_data_edit_renders_the_pages_that_read_it(builder: Builder, project: Path) -> None:
    path = edit(project, "data/people.yaml", "role: chair", "role: president")
    assert rebuilt(builder, path) == ["people/index.html"]
    unread = edit(project, "data/other.yaml", "no template", "still no template")
    assert rebuilt(builder, unread) == []


def test_config_edit_renders_everything(builder: Builder, project: Path) -> None:
    path = edit(project, "site.yaml", "title: Incremental fixture", "title: Renamed fixture")
    assert rebuilt(builder, path) == sorted(ALL_PAGES + FEEDS + [".nojekyll", "robots.txt"])


def test_new_page_renders_it_and_the_pages_that_list_it(builder: Builder, project: Path) -> None:
    new = project / "content" / "d.md"
    new.write_text("---\ntitle: Page D\nsummary: About D.\norder: 5\n---\nText of D.\n")
    # The home page lists it; People (last before) gets a next link; feeds list it.
    assert rebuilt(builder, new) == sorted(
        ["d/index.html", "index.html", "people/index.html"] + FEEDS
    )


def test_deleted_page_output_is_removed_and_lists_updated(builder: Builder, project: Path) -> None:
    path = project / "content" / "c.md"
    path.unlink()
    result = builder.rebuild([path])
    assert result.removed == ["c/index.html"]
    assert not (builder.options.output / "c").exists()
    assert result.rendered == sorted(["b/index.html", "index.html", "people/index.html"] + FEEDS)
    assert_same_as_full_build(builder)


def test_deleting_a_page_that_is_linked_fails_and_keeps_the_output(
    builder: Builder, project: Path
) -> None:
    before = snapshot(builder.options.output)
    path = project / "content" / "people.md"  # every page's footer links to it
    path.unlink()
    with pytest.raises(BuildFailed) as failed:
        builder.rebuild([path])
    assert "page_url(): there is no such page" in str(failed.value)
    assert snapshot(builder.options.output) == before


def test_stylesheet_edit_renders_the_pages_that_link_it(builder: Builder, project: Path) -> None:
    old = sorted(p.name for p in (builder.options.output / "css").iterdir())
    path = edit(project, "static/css/site.css", "sans-serif", "serif")
    result = builder.rebuild([path])
    assert result.rendered == ALL_PAGES  # the fingerprinted name changed
    assert result.removed == [f"css/{old[0]}"]
    assert_same_as_full_build(builder)


def test_a_failed_rebuild_writes_nothing_and_the_next_one_catches_up(
    builder: Builder, project: Path
) -> None:
    before = snapshot(builder.options.output)
    page = edit(project, "content/a.md", "title: Page A", "title: [Page A")
    other = edit(project, "content/c.md", "Text of C.", "New text of C.")
    with pytest.raises(BuildFailed):
        builder.rebuild([page, other])
    assert snapshot(builder.options.output) == before
    edit(project, "content/a.md", "title: [Page A", "title: Page A, fixed")
    # The server passes every save since the last good build; A's title shows on
    # home and B, C's text changed too.
    assert rebuilt(builder, page, other) == [
        "a/index.html",
        "b/index.html",
        "c/index.html",
        "feed.xml",
        "index.html",
    ]


def test_a_draft_page_is_left_out_and_its_output_removed(builder: Builder, project: Path) -> None:
    path = edit(project, "content/c.md", "order: 3", "order: 3\ndraft: true")
    result = builder.rebuild([path])
    assert result.removed == ["c/index.html"]
    assert "b/index.html" in result.rendered and "people/index.html" in result.rendered
    assert_same_as_full_build(builder)


def test_editor_leftovers_and_unrelated_files_render_nothing(
    builder: Builder, project: Path
) -> None:
    swap = project / "content" / ".a.md.swp"
    swap.write_text("junk")
    note = project / "notes.txt"
    note.write_text("not part of the site")
    assert builder.rebuild([swap, note]).rendered == []


def test_no_temporary_files_are_left_in_the_output(builder: Builder, project: Path) -> None:
    path = edit(project, "content/a.md", "Text of A.", "New text of A.")
    builder.rebuild([path])
    names = [p.name for p in builder.options.output.rglob("*")]
    assert not [name for name in names if ".tmp-" in name]


def test_a_build_killed_while_deleting_the_old_output_is_cleaned_up_later(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The swap deletes the previous site last; killed then, the next build finishes it."""
    output = tmp_path / "out"
    old = tmp_path / ".out.old-123"
    (old / "a").mkdir(parents=True)
    for name in ("a/index.html", "b.html", "c.html", output_module.MARKER):
        (old / name).write_text("x")
    output.mkdir()
    (output / "index.html").write_text("the new site")
    real_unlink = os.unlink
    deleted: list[str] = []

    def killed_after_one(path: str) -> None:
        if deleted:
            raise KeyboardInterrupt  # the build dies here
        deleted.append(path)
        real_unlink(path)

    monkeypatch.setattr(output_module.os, "unlink", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        output_module.remove_marked(old)
    monkeypatch.undo()
    assert (old / output_module.MARKER).exists()  # still ours, as far as the next build knows
    output_module.recover(output)
    assert not old.exists()
    assert (output / "index.html").read_text() == "the new site"


def test_a_new_slug_renders_the_pages_linking_to_it(builder: Builder, project: Path) -> None:
    path = edit(project, "content/a.md", "order: 1", "order: 1\nslug: page-a")
    # A moves to /page-a/: the home page links to it in its body and its list, B in its
    # pager; the old /a/ is removed.
    result = builder.rebuild([path])
    assert result.removed == ["a/index.html"]
    assert result.rendered == sorted(["b/index.html", "index.html", "page-a/index.html"] + FEEDS)
    assert 'href="/inc/page-a/"' in (builder.options.output / "index.html").read_text()
    assert_same_as_full_build(builder)


EDITS = (
    ("content/a.md", "Text of A.", "Text of A, edited."),
    ("content/b.md", "title: Page B", "title: Page B2"),
    ("content/c.md", "order: 3", "order: 0"),
    ("content/c.md", "summary: About C.", "summary: About C, again."),
    ("content/a.md", "order: 1", "order: 1\nslug: first"),
    ("content/b.md", "order: 2", "order: 2\ndraft: true"),
    ("content/people.md", "The people", "[A](a.md) and the people"),
    ("templates/_pager.html", 'class="pager"', 'class="pager p"'),
    ("templates/home.html", "<ul>", '<ul class="all">'),
    ("data/people.yaml", "role: member", "role: secretary"),
    ("static/css/site.css", "sans-serif", "serif"),
    ("content/index.md", "title: Home", "title: Start"),
)


@pytest.mark.parametrize("seed", range(8))
def test_any_sequence_of_saves_gives_the_clean_build(
    builder: Builder, project: Path, seed: int
) -> None:
    """Edits, undos, new and deleted pages in a random order: after each rebuild the
    output is what a clean build of the same files gives, byte for byte; a rebuild
    fails exactly when a clean build would (B as a draft leaves the nav without it)."""
    rng = random.Random(seed)
    for _ in range(14):
        if rng.random() < 0.15:
            path = project / "content" / f"new{rng.randrange(3)}.md"
            if path.exists():
                path.unlink()
            else:
                order = rng.randrange(6)
                path.write_text(f"---\ntitle: New\nsummary: New.\norder: {order}\n---\nNew.\n")
        else:
            rel, old, new = rng.choice(EDITS)
            path = project / rel
            text = path.read_text(encoding="utf-8")
            if new in text:
                text = text.replace(new, old, 1)  # undo
            else:
                text = text.replace(old, new, 1)
            path.write_text(text, encoding="utf-8")
        before = snapshot(builder.options.output)
        try:
            builder.rebuild([path])
        except BuildFailed:
            assert snapshot(builder.options.output) == before
            with pytest.raises(BuildFailed):
                Builder(BuildOptions(project=project, output=project / "x", cache=False)).build()
            continue
        assert_same_as_full_build(builder)


def test_a_rebuild_after_another_build_replaced_the_output_builds_it_all_again(
    builder: Builder, project: Path
) -> None:
    # `make build` while the preview runs: the CLI swaps in its own output folder
    # (here with another base URL), which the preview's state no longer describes.
    options = builder.options
    other = run_cli(
        "build", "-q", "--no-cache", "--base-url", "https://elsewhere.example/",
        "--source", project, "--output", options.output,
    )  # fmt: skip
    assert other.returncode == 0, other.stderr
    assert "elsewhere.example" in (options.output / "feed.xml").read_text()
    path = edit(project, "content/a.md", "Text of A.", "New text of A.")
    result = builder.rebuild([path])
    assert "a/index.html" in result.rendered
    assert "elsewhere.example" not in (options.output / "feed.xml").read_text()
    assert_same_as_full_build(builder)


def test_a_page_found_with_pages_first_is_looked_for_again_when_it_may_change(
    project: Path,
) -> None:
    """`pages.first(...)` in a layout reads what `pages|selectattr(...)|first` would: the
    list, and the attribute of each page up to the one found. So a title edit before C
    (in reading order) renders every page again, one after C only what shows that title,
    and renaming C makes every page lose the link (each time the same as a clean build)."""
    edit(
        project,
        "templates/base.html",
        "<footer>",
        '{% set c = pages.first("title", "Page C") %}<footer>{{ c.url if c else "no C" }} ',
    )
    builder = Builder(BuildOptions(project=project, output=project.parent / "out", cache=False))
    builder.build()
    assert "<footer>/inc/c/ " in (project.parent / "out" / "a" / "index.html").read_text("utf-8")

    after_c = edit(project, "content/people.md", "title: People", "title: Everyone")
    # C links to People in its pager; the home page lists it; the feed.
    assert rebuilt(builder, after_c) == [
        "c/index.html",
        "feed.xml",
        "index.html",
        "people/index.html",
    ]
    before_c = edit(project, "content/a.md", "title: Page A", "title: Page A, renamed")
    assert rebuilt(builder, before_c) == sorted(ALL_PAGES + ["feed.xml"])
    c = edit(project, "content/c.md", "title: Page C", "title: Page C, renamed")
    assert rebuilt(builder, c) == sorted(ALL_PAGES + ["feed.xml"])
    assert "<footer>no C " in (project.parent / "out" / "b" / "index.html").read_text("utf-8")
