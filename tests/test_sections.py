"""Section pages: a content folder without index.md gets a generated list page.

Built through the real command line (and, for incremental rebuilds, the Builder the
preview uses, asserting which outputs are made again); the page lists the folder's
pages in reading order with their titles, summaries and dates, through the theme's
`section.html` (or the project's), and is in the sitemap, the search index and nav.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from site_builder.pipeline.build import Builder, BuildOptions
from site_builder.render.search import BUNDLE_DIR
from tests.sitefactory import SITE_YAML, make_site, page, record, run_cli, snapshot, write

DIVES = {
    "content/deep-dives/first.md": page("First dive", date="2025-07-01"),
    "content/deep-dives/second.md": page("Second dive", order="1"),
}


def build(project: Path, output: Path) -> str:
    result = run_cli("build", "--source", project, "--output", output)
    assert result.returncode == 0, result.stderr
    return result.stderr


def main_of(html: str) -> str:
    return html[html.index("<main>") : html.index("</main>")]


def test_a_folder_without_index_gets_a_list_of_its_pages(tmp_path: Path) -> None:
    project = make_site(tmp_path / "site", DIVES)
    build(project, tmp_path / "out")

    html = (tmp_path / "out" / "deep-dives" / "index.html").read_text(encoding="utf-8")
    assert "<title>Deep dives</title>" in html
    body = main_of(html)
    # Reading order (`order: 1` first), as the home page's lists; each with its summary
    # and, when it has one, its date in the theme's words.
    assert body.index("Second dive") < body.index("First dive")
    assert '<a href="/repo/deep-dives/second/">Second dive</a>' in body
    assert "<p>About First dive.</p>" in body
    assert '<time datetime="2025-07-01">1 July 2025</time>' in body
    assert '<h2 id="sb-section-pages">Pages in this section</h2>' in body
    assert "Every page in “Deep dives”, in reading order." in html
    sitemap = (tmp_path / "out" / "sitemap.xml").read_text(encoding="utf-8")
    assert "<loc>https://example.github.io/repo/deep-dives/</loc>" in sitemap
    # Not one of `pages`: the feed and previous/next are those of the pages alone.
    assert "deep-dives/</id>" not in (tmp_path / "out" / "feed.xml").read_text(encoding="utf-8")


def test_a_site_without_folders_is_built_as_before(tmp_path: Path) -> None:
    project = make_site(tmp_path / "site", {"content/a.md": page("A")})
    build(project, tmp_path / "before")
    before = snapshot(tmp_path / "before")
    assert not any(name.endswith("/index.html") and name != "a/index.html" for name in before)


def test_nav_names_a_section_as_its_folders_index(tmp_path: Path) -> None:
    files = dict(DIVES)
    files["site.yaml"] = SITE_YAML + "nav:\n  - index.md\n  - deep-dives/index.md\n"
    project = make_site(tmp_path / "site", files)
    build(project, tmp_path / "out")
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert '<a href="/repo/deep-dives/">Deep dives</a>' in html


def test_the_project_template_and_words_replace_the_themes(tmp_path: Path) -> None:
    files = dict(DIVES)
    files["templates/section.html"] = (
        '{% extends "base.html" %}{% block main %}<ol>{% for p in section_pages %}'
        "<li>{{ p.title }}</li>{% endfor %}</ol>{% endblock %}"
    )
    files["site.yaml"] = SITE_YAML + 'strings:\n  section_summary: "All of {section}."\n'
    project = make_site(tmp_path / "site", files)
    build(project, tmp_path / "out")
    html = (tmp_path / "out" / "deep-dives" / "index.html").read_text(encoding="utf-8")
    assert "<ol><li>Second dive</li><li>First dive</li></ol>" in html
    assert 'content="All of Deep dives."' in html


def test_a_folder_with_index_keeps_it_and_its_template_may_list_the_pages(
    tmp_path: Path,
) -> None:
    files = dict(DIVES)
    files["content/deep-dives/index.md"] = page("Our deep dives", template="list.html")
    files["templates/list.html"] = (
        '{% extends "base.html" %}{% block main %}{{ page.content|safe }}<ul>'
        "{% for p in section_pages %}<li>{{ p.title }}</li>{% endfor %}</ul>{% endblock %}"
    )
    project = make_site(tmp_path / "site", files)
    build(project, tmp_path / "out")
    html = (tmp_path / "out" / "deep-dives" / "index.html").read_text(encoding="utf-8")
    assert "<title>Our deep dives</title>" in html
    assert "<ul><li>Second dive</li><li>First dive</li></ul>" in html


def test_the_section_page_is_searchable_and_checks_clean(tmp_path: Path) -> None:
    """The default theme, search on: Pagefind indexes the section page; check passes it
    (a list of pages makes no claim that needs a source)."""
    project = tmp_path / "site"
    init = run_cli("init", project)
    assert init.returncode == 0, init.stderr
    write(project / "content" / "sources" / "talks.yaml", record("talks"))
    for name, title in (("one", "One"), ("two", "Two")):
        body = f"{title} is cited [@talks].\n"
        write(project / "content" / "deep-dives" / f"{name}.md", page(title, body=body))
    build(project, project / "output")
    urls = set()
    for fragment in (project / "output" / BUNDLE_DIR / "fragment").iterdir():
        data = gzip.decompress(fragment.read_bytes()).removeprefix(b"pagefind_dcd")
        urls.add(json.loads(data)["url"])
    assert any(url.endswith("/deep-dives/") for url in urls), urls
    checked = run_cli("check", "--source", project)
    assert checked.returncode == 0, checked.stdout + checked.stderr


# -- incremental rebuilds -------------------------------------------------------------------


@pytest.fixture
def builder(tmp_path: Path) -> Builder:
    project = make_site(tmp_path / "site", DIVES | {"content/a.md": page("A")})
    built = Builder(BuildOptions(project=project, output=tmp_path / "out", cache=False))
    built.build()
    return built


def rebuilt(builder: Builder, *paths: Path) -> tuple[list[str], list[str]]:
    """(rendered, removed) by a rebuild, whose output must be a clean build's."""
    result = builder.rebuild(paths)
    options = builder.options
    clean = options.output.parent / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    Builder(BuildOptions(project=options.project, output=clean, cache=False)).build()
    assert snapshot(options.output) == snapshot(clean)
    return result.rendered, result.removed


def test_a_body_edit_does_not_render_the_section_again(builder: Builder) -> None:
    path = builder.options.project / "content/deep-dives/first.md"
    path.write_text(page("First dive", body="New text.\n", date="2025-07-01"), encoding="utf-8")
    assert rebuilt(builder, path) == (["deep-dives/first/index.html"], [])


def test_a_retitled_page_renders_its_section_again(builder: Builder) -> None:
    path = builder.options.project / "content/deep-dives/first.md"
    path.write_text(page("First look", date="2025-07-01"), encoding="utf-8")
    rendered, _ = rebuilt(builder, path)
    assert "deep-dives/index.html" in rendered
    assert "First look" in (builder.options.output / "deep-dives/index.html").read_text()


def test_a_page_added_to_the_folder_renders_its_section_again(builder: Builder) -> None:
    path = builder.options.project / "content/deep-dives/third.md"
    path.write_text(page("Third dive"), encoding="utf-8")
    rendered, removed = rebuilt(builder, path)
    assert {"deep-dives/index.html", "deep-dives/third/index.html"} <= set(rendered)
    assert removed == []
    assert "Third dive" in (builder.options.output / "deep-dives/index.html").read_text()


def test_a_page_added_elsewhere_leaves_the_section_alone(builder: Builder) -> None:
    path = builder.options.project / "content/b.md"
    path.write_text(page("B"), encoding="utf-8")
    rendered, _ = rebuilt(builder, path)
    assert "b/index.html" in rendered
    assert "deep-dives/index.html" not in rendered


def test_a_new_folder_gets_its_section_and_an_emptied_one_loses_it(builder: Builder) -> None:
    project = builder.options.project
    new = project / "content/notes/n.md"
    new.parent.mkdir()
    new.write_text(page("Note"), encoding="utf-8")
    rendered, _ = rebuilt(builder, new.parent, new)
    assert {"notes/index.html", "notes/n/index.html"} <= set(rendered)

    new.unlink()
    new.parent.rmdir()
    _, removed = rebuilt(builder, new.parent, new)
    assert removed == ["notes/index.html", "notes/n/index.html"]


def test_an_index_added_to_the_folder_takes_the_sections_place(builder: Builder) -> None:
    index = builder.options.project / "content/deep-dives/index.md"
    index.write_text(page("Our deep dives"), encoding="utf-8")
    rendered, removed = rebuilt(builder, index)
    assert "deep-dives/index.html" in rendered and removed == []
    assert (
        "<title>Our deep dives</title>"
        in (builder.options.output / "deep-dives/index.html").read_text()
    )

    index.unlink()
    rendered, removed = rebuilt(builder, index)
    assert "deep-dives/index.html" in rendered and removed == []
    assert (
        "<title>Deep dives</title>"
        in (builder.options.output / "deep-dives/index.html").read_text()
    )


def test_the_cli_build_after_adding_a_page_equals_a_clean_build(tmp_path: Path) -> None:
    """`site-builder build` keeps a cache between runs: the section page follows the folder."""
    project = make_site(tmp_path / "site", DIVES)
    build(project, tmp_path / "out")
    write(project / "content" / "deep-dives" / "third.md", page("Third dive"))
    build(project, tmp_path / "out")
    shutil.rmtree(project / ".site-builder-cache")
    build(project, tmp_path / "clean")
    assert snapshot(tmp_path / "out") == snapshot(tmp_path / "clean")
    assert "Third dive" in (tmp_path / "out" / "deep-dives" / "index.html").read_text()
