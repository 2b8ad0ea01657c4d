"""When the preview's rebuilds gain from more than one process (site_builder/preview/).

    python bench/preview_pool.py [--pages 10,20,40,80,160,320] [--edits 9]

For each size, a generated site (bench/gen_site.py) is previewed three ways at once, each
built as `serve` builds it (preview/build_process.py's `start_builds`, then the session's
`build(changed)` per save), and the same edits are timed on each, alternating:

- pool: the build process, its workers forked for a rebuild (--jobs 2);
- one: the build process, rendering alone (--jobs 1 inside it);
- here: no build process, in the calling process (what `serve --jobs 1` and a 1-core
  machine do).

It prints the medians of a `base.html` edit (every page) and of a one-page edit, and the
load average before and after: on a shared machine a figure means little without it.
pool ÷ one at each size shows where forking the workers starts to pay
(parallel.MIN_ITEMS_PER_JOB); one ÷ here is the cost of asking another process.

Beside each wall-clock median it prints the CPU time on the critical path, which a busy
machine changes far less: for the pool the larger of the build process's own CPU time
and its worker's (its children's, from /proc), else the one process's. On an idle
machine with a core per process, the wall-clock time comes down to about that.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from gen_site import generate  # noqa: E402

from bench import page_editor, template_editor  # noqa: E402
from site_builder.preview.build_process import RemoteBuilds  # noqa: E402
from site_builder.preview.builds import Settings, SiteBuilds  # noqa: E402


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def previews(site: Path, work: Path) -> dict[str, SiteBuilds | RemoteBuilds]:
    def settings(name: str, jobs: int) -> Settings:
        return Settings(site, work / name, "http://127.0.0.1:8000", jobs=jobs, cache=False)

    return {
        "pool": RemoteBuilds(settings("pool", 2), ()),
        "one": RemoteBuilds(settings("one", 1), ()),
        "here": SiteBuilds(settings("here", 1)),
    }


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(builds: SiteBuilds | RemoteBuilds) -> tuple[float, float]:
    """(own, children's) CPU seconds of the process the builds run in."""
    if isinstance(builds, SiteBuilds):
        return time.process_time(), 0.0
    fields = Path(f"/proc/{builds.pid}/stat").read_text().rsplit(")", 1)[1].split()
    own, children = int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])
    return own / TICK, children / TICK


def timed_build(builds: SiteBuilds | RemoteBuilds, path: Path) -> tuple[float, float, int]:
    """One build after `path` was saved: (wall seconds, critical-path CPU seconds, outputs)."""
    own, children = cpu_seconds(builds)
    started = time.perf_counter()
    outcome = builds.build({path})
    wall = time.perf_counter() - started
    own_after, children_after = cpu_seconds(builds)
    assert outcome.result is not None and outcome.result.rendered, "re-rendered nothing"
    cpu = max(own_after - own, children_after - children)
    return wall, cpu, len(outcome.result.rendered)


def measure(site: Path, work: Path, edits: int) -> dict[str, dict[str, float]]:
    ways = previews(site, work)
    medians: dict[str, dict[str, float]] = {}
    try:
        for builds in ways.values():
            assert builds.build(set()).failure is None, "the first build failed"
        for edit, editor in (("template", template_editor(site)), ("page", page_editor(site))):
            walls: dict[str, list[float]] = {name: [] for name in ways}
            cpus: dict[str, list[float]] = {name: [] for name in ways}
            try:
                for _ in range(edits):
                    path = editor()
                    for name, builds in ways.items():
                        wall, cpu, outputs = timed_build(builds, path)
                        walls[name].append(wall)
                        cpus[name].append(cpu)
            finally:
                editor.restore()
                for builds in ways.values():
                    builds.build({editor.path})
            medians[edit] = {name: statistics.median(found) for name, found in walls.items()}
            medians[edit] |= {f"{name} cpu": statistics.median(cpus[name]) for name in ways}
            medians[edit]["outputs"] = outputs
    finally:
        for builds in ways.values():
            builds.close()
    return medians


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default="10,20,40,80,160,320", help="site sizes (articles)")
    parser.add_argument("--edits", type=int, default=9, help="edits per figure")
    args = parser.parse_args()
    root = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else None
    work = Path(tempfile.mkdtemp(prefix="site-builder-pool-", dir=root))
    print("wall-clock medians, (critical-path CPU) beside them")
    print("| articles | edit | outputs | pool | one | here | pool ÷ one | one ÷ here | load |")
    print("|---|---|---|---|---|---|---|---|---|")
    try:
        for pages in (int(size) for size in args.pages.split(",")):
            site = work / f"site-{pages}"
            generate(site, pages)
            before = load()
            for edit, figures in measure(site, work / f"out-{pages}", args.edits).items():
                shown = {
                    name: f"{1000 * figures[name]:.0f} ms ({1000 * figures[name + ' cpu']:.0f})"
                    for name in ("pool", "one", "here")
                }
                print(
                    f"| {pages} | {edit} | {figures['outputs']:.0f} | {shown['pool']} "
                    f"| {shown['one']} | {shown['here']} | {figures['pool'] / figures['one']:.2f} "
                    f"| {figures['one'] / figures['here']:.2f} | {before} → {load()} |",
                    flush=True,
                )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
