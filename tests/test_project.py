"""project.py: one answer to "what is this file?", shared by the build, the file
listing and the preview's watcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from watchfiles import Change

from site_builder.content.files import discover
from site_builder.pipeline.build import Scope
from site_builder.preview.watch import EditorFilter
from site_builder.project import Kind, classify, is_leftover
from tests.sitefactory import make_site, page, run_cli, snapshot

LEFTOVERS = [
    "a.md~", ".a.md.swp", "a.md.swo", ".a.md.swx", "a.md.tmp", "#a.md#", ".#a.md", "4913",
    "a.md.part", "a.md.crswap", "a.md.kate-swp", ".~lock.a.md#", ".goutputstream-XYZ",
    "flycheck_a.md", "a.md.___jb_tmp___", ".hidden.md",
]  # fmt: skip


@pytest.mark.parametrize(
    ("rel", "kind"),
    [
        ("site.yaml", Kind.CONFIG),
        ("content/index.md", Kind.PAGE),
        ("content/guide/deep/page.md", Kind.PAGE),
        ("content/sources/reuters.yaml", Kind.RECORD),
        ("content/sources/notes.md", Kind.CONTENT_FILE),  # records are not pages
        ("content/sources/old/x.yaml", Kind.CONTENT_FILE),  # nor in subfolders
        ("content/image.png", Kind.CONTENT_FILE),
        ("data/people.yaml", Kind.DATA),
        ("templates/base.html", Kind.TEMPLATE),
        ("static/css/site.css", Kind.STATIC),
        ("content/.drafts/a.md", Kind.LEFTOVER),  # inside a hidden folder
        ("output/index.html", Kind.IGNORED),
        (".site-builder-cache/build-1.msgpack", Kind.IGNORED),
        ("README.md", Kind.IGNORED),
        ("content", Kind.IGNORED),
    ],
)
def test_each_path_has_one_kind(rel: str, kind: Kind) -> None:
    assert classify(rel) is kind


@pytest.mark.parametrize("name", LEFTOVERS)
def test_editor_leftovers_are_one_list_for_the_build_the_listing_and_the_watcher(
    tmp_path: Path, name: str
) -> None:
    assert is_leftover(name)
    assert classify(f"content/{name}") is Kind.LEFTOVER
    project = make_site(tmp_path, {f"content/{name}": page("Leftover")})
    files, _ = discover(project, "content")
    assert [path.name for path in files] == ["index.md"]
    assert Scope.of(project, [project / "content" / name]) == Scope()
    assert not EditorFilter()(Change.modified, str(project / "content" / name))
    assert EditorFilter()(Change.modified, str(project / "content" / "index.md"))


def test_a_build_ignores_leftovers_beside_pages_and_assets(tmp_path: Path) -> None:
    project = make_site(
        tmp_path / "site",
        {
            "content/guide.md": page("Guide"),
            "content/#guide.md#": page("Autosave"),
            "content/guide.md.part": page("Partial"),
            "static/site.css": "body {}",
            "static/site.css.crswap": "body { color: red }",
            "static/4913": "",
        },
    )
    output = tmp_path / "out"
    result = run_cli("build", "-q", "--source", project, "--output", output)
    assert result.returncode == 0, result.stderr
    built = snapshot(output)
    assert "guide/index.html" in built
    assert [name for name in built if name.endswith(".css")] != []  # site.HASH.css
    assert not [name for name in built if "crswap" in name or "4913" in name]
    assert not [name for name in built if "autosave" in name.lower()]
    assert b"Autosave" not in b"".join(built.values())


def test_a_save_is_read_as_what_it_is(tmp_path: Path) -> None:
    project = make_site(tmp_path, {"content/guide.md": page("Guide")})
    scope = Scope.of(
        project,
        [
            project / "content" / "guide.md",
            project / "data" / "people.yaml",
            project / "templates" / "base.html",
            tmp_path / "elsewhere.md",
        ],
    )
    assert scope.pages == {"guide.md"} and scope.data and scope.templates
    assert not (scope.everything or scope.sources or scope.static)
    assert Scope.of(project, ["site.yaml"]).everything
    assert Scope.of(project, [project / "content" / "sources" / "a.yaml"]).sources
