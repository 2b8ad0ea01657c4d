"""Phase 4 of the build (build.py): which outputs to make, before anything is rendered.

Every output of the last build has a record (incremental/records.py) with the trace
of the facts it read. An output is rendered again if it is new, has no trace, has
another owner, was changed on disk since it was written, or read a fact about a
changed subject that now has another value; otherwise it is kept. Static assets are
copied; outputs no longer made are removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from site_builder.content.assets import Asset
from site_builder.incremental.facts import ALL, Subject, World, sha256
from site_builder.incremental.records import OutputRecord
from site_builder.incremental.state import BuildState
from site_builder.pipeline.output import FileStamp, scan_folder
from site_builder.render import feeds
from site_builder.render.search import BUNDLE_DIR
from site_builder.render.share_card import FOLDER as CARDS_DIR

GENERATED = (feeds.SITEMAP_FILE, feeds.FEED_FILE, "robots.txt", ".nojekyll")
SEARCH_PREFIX = BUNDLE_DIR + "/"  # output/pagefind/ is written by Pagefind, not planned
CARDS_PREFIX = CARDS_DIR + "/"  # output/share/: the share cards the pages name, not planned


def generated_outputs(world: World) -> list[str]:
    """The files made from the site as a whole: GENERATED, then the feed of each other
    language that has a page (render/feeds.py)."""
    return [*GENERATED, *(path for path in feeds.feed_paths(world.listed) if path not in GENERATED)]


@dataclass
class Plan:
    """What this build does with each output, worked out before anything is rendered."""

    on_disk: dict[str, FileStamp] | None  # the output folder as found (full builds)
    owners: dict[str, str] = field(default_factory=dict)  # output path -> page rel or ""
    render: list[str] = field(default_factory=list)  # output paths to render
    keep: list[str] = field(default_factory=list)  # output paths still up to date
    copy: list[Asset] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # output paths no longer made

    def unchanged(self, records: dict[str, OutputRecord]) -> bool:
        """True if the output folder already is exactly what this build would write."""
        if self.render or self.remove or self.on_disk is None:
            return False
        if self.on_disk.keys() != self.owners.keys():
            return False
        for path in self.owners:
            record = records.get(path)
            if record is None or self.on_disk[path] != record.stamp:
                return False
        return all(records[a.output_name].digest == sha256(a.data) for a in self.copy)


def output_on_disk(output: Path, state: BuildState) -> dict[str, FileStamp] | None:
    """The output folder as found (size, time, inode of every file), for a full build to
    check that it still holds what was written; None if nothing was written yet."""
    if not state.outputs:
        return None
    found = scan_folder(output)
    # The search index and the share cards are made from the pages, not planned file by file.
    return {k: v for k, v in found.items() if not k.startswith((SEARCH_PREFIX, CARDS_PREFIX))}


def plan_outputs(
    state: BuildState,
    world: World,
    assets: dict[str, Asset],
    changes: set[Subject],
    pages: set[str] | None,
    on_disk: dict[str, FileStamp] | None,
) -> Plan:
    """Which outputs to render, keep, copy and remove. `pages`: the only pages that
    changed, if known (None: look at every output of the site); then only their
    outputs and those whose traces mention a touched subject are looked at."""
    plan = Plan(on_disk=on_disk)
    suspects = state.out_index.owners(changes)
    if pages is None:
        for page in world.all_pages:
            plan.owners[page.output_path] = page.rel
        for name in (*generated_outputs(world), *world.sections):
            plan.owners[name] = ""
        looked_at = list(plan.owners)
    else:
        plan.owners = _owners(state, world, pages, suspects)
        looked_at = sorted(plan.owners)
    for path in looked_at:
        record = state.outputs.get(path)
        if (
            record is None
            or record.trace is None
            or record.owner != plan.owners[path]
            or ALL in changes
            or (on_disk is not None and on_disk.get(path) != record.stamp)
            or (path in suspects and state.output_stale(path, world, changes))
        ):
            plan.render.append(path)
        else:
            plan.keep.append(path)
    for asset in assets.values():
        plan.owners[asset.output_name] = ""
        plan.copy.append(asset)
    if pages is None:
        plan.remove = sorted(path for path in state.outputs if path not in plan.owners)
    else:
        plan.remove = _removed(state, world, assets, pages)
    return plan


def _owners(state: BuildState, world: World, pages: set[str], suspects: set[str]) -> dict[str, str]:
    """The outputs of the changed pages and those whose trace mentions a touched
    subject, each with the page it renders ("" for generated files)."""
    owners: dict[str, str] = {}
    generated = set(generated_outputs(world))
    outputs = {world.pages[rel].output_path: rel for rel in pages if rel in world.pages}
    for path in suspects | outputs.keys():
        record = state.outputs.get(path)
        owner = outputs.get(path, record.owner if record is not None else "")
        page = world.pages.get(owner)
        if path in generated or (page is not None and page.output_path == path):
            owners[path] = owner
    # Section pages and feeds, even new ones: those up to date are kept (traces unchanged).
    for path in (*world.sections, *generated_outputs(world)[len(GENERATED) :]):
        owners.setdefault(path, "")
    return owners


def _removed(
    state: BuildState, world: World, assets: dict[str, Asset], pages: set[str]
) -> list[str]:
    """Outputs no longer made, after a rebuild of a few pages: those of pages gone (or
    become drafts, or moved to another URL), and assets renamed or deleted."""
    assert state.summary is not None
    made = {page.output_path for page in world.pages.values()} if pages else set()
    made |= world.sections.keys()  # a section page may take a removed index page's place
    gone = set()
    for rel in pages:
        place = state.summary.places.get(rel)
        if place is not None and place[2] not in made:
            gone.add(place[2])
    names = {asset.output_name for asset in assets.values()}
    pages_made = {page.output_path for page in world.pages.values()}
    generated = set(generated_outputs(world))
    for path, record in state.outputs.items():
        if record.trace is None and path not in names and path not in made:
            gone.add(path)
        elif _section_gone(path, record, world, pages_made, generated):
            gone.add(path)
    return sorted(gone)


def _section_gone(
    path: str, record: OutputRecord, world: World, pages_made: set[str], generated: set[str]
) -> bool:
    """A section page or a language's feed made before (a generated output with a trace)
    that is no longer made: its folder has no page left, or an `index.md` took its place;
    the language has no page left."""
    return (
        record.owner == ""
        and record.trace is not None
        and path not in generated
        and path not in world.sections
        and path not in pages_made
    )
