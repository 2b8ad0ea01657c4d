"""The build's phases one at a time (pipeline/read, assemble, markdown_phase, plan), on
tests/fixtures/incremental, beside the end-to-end tests of the whole build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from site_builder.incremental.facts import ALL
from site_builder.incremental.state import BuildState
from site_builder.pipeline.assemble import Assembler, Assembly
from site_builder.pipeline.build import Builder, BuildOptions
from site_builder.pipeline.markdown_phase import MarkdownJob, render_markdown, unpack_text
from site_builder.pipeline.plan import GENERATED, output_on_disk, plan_outputs
from site_builder.pipeline.read import Inputs, Scope

FIXTURE = Path(__file__).parent / "fixtures" / "incremental"
PAGES = ["404.md", "a.md", "b.md", "c.md", "index.md", "people.md"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURE, tmp_path / "site"))


def read_all(project: Path) -> tuple[Inputs, BuildState]:
    inputs = Inputs(project, drafts=False, base_url=None, jobs=1)
    state = BuildState()
    inputs.read(Scope(everything=True), state)
    return inputs, state


def assemble(inputs: Inputs, state: BuildState) -> Assembly:
    return Assembler(drafts=False).assemble(inputs, state, set(), only_changed=False)


# -- read --------------------------------------------------------------------------------


def test_reading_everything_parses_every_page_and_renders_its_markdown(project: Path) -> None:
    inputs, state = read_all(project)
    assert sorted(inputs.pages) == PAGES
    assert sorted(state.inputs) == sorted(state.markdown) == PAGES
    assert inputs.config is not None and inputs.templates is not None
    assert "people" in inputs.data
    assert state.troubled == set()


def test_a_rebuild_reads_only_the_saved_page(project: Path) -> None:
    inputs, state = read_all(project)
    before = {rel: page for rel, page in inputs.pages.items()}
    page = project / "content" / "b.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    reading = inputs.read(Scope.of(project, [page]), state)
    assert reading.changed == reading.fresh == {"b.md"}
    assert inputs.pages["b.md"] is not before["b.md"]
    assert all(inputs.pages[rel] is before[rel] for rel in PAGES if rel != "b.md")


def test_a_deleted_page_is_forgotten_everywhere(project: Path) -> None:
    inputs, state = read_all(project)
    (project / "content" / "c.md").unlink()
    reading = inputs.read(Scope.of(project, [project / "content" / "c.md"]), state)
    assert reading.changed == {"c.md"}
    assert "c.md" not in inputs.pages and "c.md" not in state.inputs
    assert "c.md" not in state.markdown


def test_a_page_with_errors_is_kept_as_a_problem_not_a_page(project: Path) -> None:
    (project / "content" / "a.md").write_text("no front matter\n", encoding="utf-8")
    inputs, state = read_all(project)
    assert "a.md" not in inputs.pages and state.troubled == {"a.md"}
    assert [d.path for d in state.input_problems()] == ["content/a.md"]


# -- assemble ----------------------------------------------------------------------------


def test_assembling_orders_places_and_links_the_pages(project: Path) -> None:
    inputs, state = read_all(project)
    assembly = assemble(inputs, state)
    assert assembly.problems == [] and assembly.reordered
    order = [page.rel for page in assembly.site.pages]
    assert order[:4] == ["index.md", "a.md", "b.md", "c.md"]
    a = assembly.world.pages["a.md"]
    assert a.url.endswith("/a/") and a.output_path == "a/index.html"
    assert a.prev is assembly.world.pages["index.md"] and a.next is assembly.world.pages["b.md"]
    assert [item.title for item in assembly.site.nav] != []
    assert "404.md" not in [page.rel for page in assembly.world.listed]


def test_the_reading_order_is_kept_when_no_changed_page_moves(project: Path) -> None:
    inputs, state = read_all(project)
    assembler = Assembler(drafts=False)
    assembler.assemble(inputs, state, set(), only_changed=False)
    page = project / "content" / "b.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    reading = inputs.read(Scope.of(project, [page]), state)
    again = assembler.assemble(inputs, state, reading.changed, only_changed=True)
    assert not again.reordered
    b = again.world.pages["b.md"]
    assert b.prev is again.world.pages["a.md"] and again.world.pages["a.md"].next is b


# -- Markdown ----------------------------------------------------------------------------


def test_markdown_read_with_the_page_is_not_rendered_again(project: Path) -> None:
    inputs, state = read_all(project)
    assembly = assemble(inputs, state)
    job = MarkdownJob(inputs.markdown_context(), assembly.world, state.inputs, lambda p: "")
    applied, again = render_markdown(
        state, assembly.world, set(PAGES), set(), set(), False, job, 1, lambda m: None
    )
    assert applied == set(PAGES) and again == set()


def test_markdown_whose_link_target_moved_is_rendered_again(project: Path) -> None:
    inputs, state = read_all(project)
    assembly = assemble(inputs, state)
    index = assembly.world.pages["index.md"]
    index.url = "/moved/"  # a.md links to index.md: its Markdown depends on that URL
    job = MarkdownJob(
        inputs.markdown_context(),
        assembly.world,
        state.inputs,
        lambda page: inputs.body(page, state),
    )
    changes = {("page", "index.md")}
    applied, again = render_markdown(
        state, assembly.world, set(), set(), changes, True, job, 1, lambda m: None
    )
    assert "a.md" in again and "a.md" in applied
    assert 'href="/moved/"' in unpack_text(state.markdown["a.md"].html)


# -- plan --------------------------------------------------------------------------------


def test_a_first_build_plans_every_output(project: Path) -> None:
    inputs, state = read_all(project)
    assembly = assemble(inputs, state)
    plan = plan_outputs(state, assembly.world, inputs.assets, {ALL}, None, None)
    pages = {page.output_path for page in assembly.site.pages}
    assert set(plan.render) == pages | set(GENERATED)
    assert plan.keep == [] and plan.remove == []
    assert {asset.output_name for asset in plan.copy} == {
        asset.output_name for asset in inputs.assets.values()
    }


def test_after_a_build_nothing_unchanged_is_planned_again(project: Path) -> None:
    output = project.parent / "out"
    builder = Builder(BuildOptions(project=project, output=output, cache=False))
    builder.build()
    state = builder.state
    assert state is not None
    assembly = Assembler(drafts=False).assemble(builder.inputs, state, set(), False)
    on_disk = output_on_disk(output, state)
    plan = plan_outputs(state, assembly.world, builder.inputs.assets, set(), None, on_disk)
    assert plan.render == [] and plan.remove == []
    assert plan.unchanged(state.outputs)
    (output / "a" / "index.html").write_text("changed by hand", encoding="utf-8")
    on_disk = output_on_disk(output, state)
    plan = plan_outputs(state, assembly.world, builder.inputs.assets, set(), None, on_disk)
    assert plan.render == ["a/index.html"]
