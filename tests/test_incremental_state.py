"""incremental/state.py: the records a build keeps and the indexes over them stay in step."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from site_builder.incremental.codec import pack_trace
from site_builder.incremental.facts import MISSING, World
from site_builder.incremental.records import MarkdownOut, OutputRecord, PageInput
from site_builder.incremental.state import BuildState
from site_builder.incremental.store import cache_file, options_key
from site_builder.pipeline.build import Builder, BuildOptions
from site_builder.pipeline.output import FileStamp

FIXTURE = Path(__file__).parent / "fixtures" / "incremental"


def markdown(deps: dict, *, diagnostics: list | None = None, anchored: list | None = None):
    return MarkdownOut(
        "d", "escape", b"", "h", b"", "p", anchored or [], [], diagnostics or [],
        pack_trace(deps), tuple({(k[0], k[1]) for k in deps}),
    )  # fmt: skip


def empty_world(**pages: object) -> World:
    return World(
        pages=dict(pages), listed=[], all_pages=[], nav=[], data={}, data_fps={},
        sources={}, source_fps={}, cites={}, template_fps={}, assets={}, env={},
    )  # fmt: skip


def test_markdown_noted_is_indexed_and_forgotten_with_its_page() -> None:
    state = BuildState()
    state.note_input("a.md", PageInput("d", None, 0, []))
    state.note_markdown("a.md", markdown({("page", "b.md", "url"): "/b/"}, anchored=[object()]))
    assert state.md_index.owners({("page", "b.md")}) == {"a.md"}
    assert state.anchored == {"a.md"} and state.dirty
    state.forget_page("a.md")
    assert state.md_index.owners({("page", "b.md")}) == set()
    assert state.anchored == set() and "a.md" not in state.inputs


def test_markdown_is_stale_when_a_fact_it_read_has_another_value() -> None:
    state = BuildState()
    state.note_markdown("a.md", markdown({("page", "b.md", "url"): MISSING}))
    assert state.markdown_stale("a.md", empty_world(), {("page", "b.md")}) is False
    world = empty_world(**{"b.md": SimpleNamespace(url="/b/")})  # the page came
    assert state.markdown_stale("a.md", world, {("page", "b.md")}) is True


def test_outputs_noted_and_dropped_keep_the_index_in_step() -> None:
    state = BuildState()
    record = OutputRecord("x", FileStamp(1, 2, 3), "", pack_trace({("data", "d", ""): "1"}))
    state.note_output(
        "feed.xml", record.__class__(**{**record.__dict__, "subjects": (("data", "d"),)})
    )
    assert state.out_index.owners({("data", "d")}) == {"feed.xml"}
    world = empty_world()
    world.data_fps = {"d": "2"}
    assert state.output_stale("feed.xml", world, {("data", "d")}) is True
    world.data_fps = {"d": "1"}
    assert state.output_stale("feed.xml", world, {("data", "d")}) is False
    state.drop_output("feed.xml")
    assert state.out_index.owners({("data", "d")}) == set() and not state.outputs


def test_a_saved_state_loads_with_the_same_records_and_indexes(tmp_path: Path) -> None:
    project = Path(shutil.copytree(FIXTURE, tmp_path / "site"))
    output = tmp_path / "out"
    builder = Builder(BuildOptions(project=project, output=output))
    builder.build()
    built = builder.state
    assert built is not None
    key = options_key(output, False, None)
    loaded, why = BuildState.load(cache_file(project, key), key)
    assert why == ""
    assert loaded.inputs == built.inputs and loaded.markdown == built.markdown
    assert loaded.summary == built.summary
    assert loaded.outputs.keys() == built.outputs.keys()
    assert loaded.anchored == built.anchored and loaded.troubled == built.troubled
    for subject in [("page", "a.md"), ("list", "pages"), ("nav", ""), ("data", "people")]:
        assert loaded.out_index.owners({subject}) == built.out_index.owners({subject})
        assert loaded.md_index.owners({subject}) == built.md_index.owners({subject})


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\x00" * 64])
def test_a_damaged_cache_loads_as_an_empty_state(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / "build-x.msgpack"
    path.write_bytes(damage)
    state, why = BuildState.load(path, {"any": "key"})
    assert why and state.inputs == {} and state.summary is None
