"""Parallel full builds: the same bytes as a serial build, and failures reported."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from site_builder.errors import BuildFailed
from site_builder.pipeline import parallel
from site_builder.pipeline.build import Builder, BuildOptions
from site_builder.pipeline.parallel import WorkerFailed, fork_map, usable_jobs
from tests.sitefactory import snapshot

FIXTURE = Path(__file__).parent / "fixtures" / "incremental"
PAGES = 80  # enough for three workers (parallel.MIN_ITEMS_PER_JOB each)


def square(n: int) -> int:
    return n * n


TEST_PROCESS = os.getpid()  # fork_map's parent in these tests


def in_a_child() -> bool:
    return os.getpid() != TEST_PROCESS


# The parent works slowly (10 ms an item), so that the children take runs too.
def fail_in_a_child(n: int) -> int:
    if in_a_child():
        raise ValueError("failed in a child")
    time.sleep(0.01)
    return n


def die_in_a_child(n: int) -> int:
    if in_a_child():
        os._exit(3)
    time.sleep(0.01)
    return n


def fail_in_this_process(n: int) -> int:
    if not in_a_child():
        raise ValueError("failed in this process")
    time.sleep(0.2)  # a child takes one run, and leaves the rest to this process
    return n


def who_made_it(n: int) -> int:
    """This process works fast, the children slowly."""
    time.sleep(0.02 if in_a_child() else 0.002)
    return os.getpid()


@pytest.fixture(autouse=True)
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the forks; and fork even though the test runner has threads of its own
    (pytest-xdist, other tests' servers), which `usable_jobs` would refuse."""
    made: list[int] = []
    real_fork = getattr(os, "fork", None)  # None on Windows

    def fork() -> int:
        assert real_fork is not None
        pid = real_fork()
        if pid:
            made.append(pid)
        return pid

    if real_fork is not None:
        monkeypatch.setattr(parallel.os, "fork", fork)
    monkeypatch.setattr(parallel.threading, "active_count", lambda: 1)
    return made


# Forked workers are Linux's (macOS and Windows spawn them: the tests further down).
forking = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux only")


def children() -> set[int]:
    """The pids of this process's children, zombies included (Linux)."""
    found: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        found |= {int(pid) for pid in (task / "children").read_text().split()}
    return found


@forking
def test_fork_map_keeps_the_order_of_the_items() -> None:
    items = list(range(101))
    assert fork_map(square, items, 3) == [n * n for n in items]
    assert fork_map(square, items, 1) == [n * n for n in items]


@forking
@pytest.mark.parametrize("work", [fail_in_a_child, die_in_a_child])
def test_a_failing_worker_is_reported(work: object, forks: list[int]) -> None:
    with pytest.raises(WorkerFailed):
        fork_map(work, list(range(100)), 3)  # type: ignore[arg-type]
    assert len(forks) == 2 and not set(forks) & children()


@forking
def test_an_error_in_this_process_waits_for_the_children(forks: list[int]) -> None:
    with pytest.raises(ValueError, match="failed in this process"):
        fork_map(fail_in_this_process, list(range(40)), 2)
    assert len(forks) == 1
    assert not set(forks) & children()  # reaped: not even a zombie is left


@forking
def test_a_slower_process_takes_fewer_runs() -> None:
    makers = fork_map(who_made_it, list(range(200)), 2)
    # Even shares would be 100 each; a child ten times slower takes far fewer.
    assert makers.count(TEST_PROCESS) > 150
    assert len(set(makers)) == 2  # and the child took some


@forking
def test_forks_only_for_enough_work_and_without_other_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert usable_jobs(4, 10 * parallel.MIN_ITEMS_PER_JOB) == 4
    assert usable_jobs(4, parallel.MIN_ITEMS_PER_JOB) == 1
    assert usable_jobs(1, 1000) == 1
    monkeypatch.undo()  # the real thread count
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert usable_jobs(4, 1000) == 1
    finally:
        stop.set()
        thread.join()


@pytest.fixture
def big_site(tmp_path: Path) -> Path:
    """The incremental fixture plus many pages linking each other, with footnotes,
    tables and headings, so each worker gets real work."""
    project = Path(shutil.copytree(FIXTURE, tmp_path / "site"))
    for n in range(PAGES):
        target = f"p{(n * 7 + 3) % PAGES:03d}.md"
        (project / "content" / f"p{n:03d}.md").write_text(
            f"---\ntitle: Page {n}\nsummary: Summary {n}.\norder: {10 + n % 13}\n---\n"
            f"## Part {n}\n\nSee [the next one]({target}#part-{(n * 7 + 3) % PAGES}), "
            f'a footnote[^1] and "quotes" -- here.\n\n| a | b |\n|---|---|\n| {n} | x |\n\n'
            f"[^1]: Note {n}.\n",
            encoding="utf-8",
        )
    return project


def build(project: Path, output: Path, jobs: int, cache: bool = False) -> list[str]:
    options = BuildOptions(project=project, output=output, jobs=jobs, cache=cache)
    return Builder(options).build().rendered


@forking
def test_parallel_build_is_byte_identical_to_serial(
    big_site: Path, tmp_path: Path, forks: list[int]
) -> None:
    serial = build(big_site, tmp_path / "serial", jobs=1)
    assert not forks
    parallel_ = build(big_site, tmp_path / "parallel", jobs=3)
    assert len(forks) == 2 * 2  # two workers to read (and render Markdown), two to render
    assert serial == parallel_ and len(serial) > PAGES
    assert snapshot(tmp_path / "serial") == snapshot(tmp_path / "parallel")


def test_warm_parallel_build_is_byte_identical_to_cold(big_site: Path, tmp_path: Path) -> None:
    build(big_site, tmp_path / "warm", jobs=3, cache=True)
    template = big_site / "templates" / "base.html"
    template.write_text(template.read_text().replace("<footer>", "<footer class='f'>"))
    rendered = build(big_site, tmp_path / "warm", jobs=3, cache=True)
    assert len(rendered) == PAGES + 6  # every page, from cached Markdown
    build(big_site, tmp_path / "cold", jobs=1)
    assert snapshot(tmp_path / "warm") == snapshot(tmp_path / "cold")


def test_errors_from_every_worker_are_reported_together(big_site: Path, tmp_path: Path) -> None:
    for n in (0, 1, 2, 40, 41, 42):  # in every share
        page = big_site / "content" / f"p{n:03d}.md"
        page.write_text(page.read_text().replace("[the next one](", "[gone](missing-"))
    with pytest.raises(BuildFailed) as failed:
        build(big_site, tmp_path / "out", jobs=3)
    assert len(failed.value.diagnostics) == 6
    assert not (tmp_path / "out").exists()


def test_template_errors_from_workers_leave_the_output_alone(
    big_site: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out"
    build(big_site, output, jobs=3)
    before = snapshot(output)
    page = big_site / "templates" / "page.html"
    page.write_text(page.read_text().replace("{{ page.title }}", "{{ page.title.nope() }}"))
    with pytest.raises(BuildFailed) as failed:
        build(big_site, output, jobs=3)
    # Every page rendered with page.html: A, B, C, People (people.html extends it), p000…
    assert len(failed.value.diagnostics) == PAGES + 4
    assert snapshot(output) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]  # no staging left


# -- spawned workers (Windows, macOS, wherever os.fork is missing) ----------------------


def fail_at_57(n: int) -> int:
    if n == 57:
        raise ValueError("failed at 57")
    return n


def die_at_57(n: int) -> int:
    if n == 57:
        os._exit(3)
    return n


@pytest.fixture
def spawns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start workers as Windows and macOS do, and for fewer items than it takes there,
    so the test sites are big enough."""
    monkeypatch.setattr(parallel, "start_method", lambda: "spawn")
    monkeypatch.setattr(parallel, "MIN_ITEMS_PER_SPAWN", parallel.MIN_ITEMS_PER_JOB)


def test_spawned_workers_keep_the_order_of_the_items(spawns: None, forks: list[int]) -> None:
    items = list(range(101))
    assert fork_map(square, items, 3) == [n * n for n in items]
    assert not forks


@pytest.mark.parametrize("work", [fail_at_57, die_at_57])
def test_a_failing_spawned_worker_is_reported(work: object, spawns: None) -> None:
    with pytest.raises(WorkerFailed) as failed:
        fork_map(work, list(range(100)), 3)  # type: ignore[arg-type]
    if work is fail_at_57:
        assert "ValueError: failed at 57" in str(failed.value)
    else:
        assert "died" in str(failed.value)


def test_spawning_takes_more_items_than_forking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "start_method", lambda: "spawn")
    assert usable_jobs(4, 10 * parallel.MIN_ITEMS_PER_JOB) == 1
    assert usable_jobs(4, 4 * parallel.MIN_ITEMS_PER_SPAWN) == 4
    monkeypatch.setattr(parallel, "start_method", lambda: None)  # other threads
    assert usable_jobs(4, 4 * parallel.MIN_ITEMS_PER_SPAWN) == 1


def test_spawned_build_is_byte_identical_to_serial(
    big_site: Path, tmp_path: Path, spawns: None, forks: list[int]
) -> None:
    serial = build(big_site, tmp_path / "serial", jobs=1)
    spawned = build(big_site, tmp_path / "spawned", jobs=3)
    assert not forks
    assert serial == spawned and len(serial) > PAGES
    assert snapshot(tmp_path / "serial") == snapshot(tmp_path / "spawned")


def test_warm_spawned_build_is_byte_identical_to_cold(
    big_site: Path, tmp_path: Path, spawns: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(PAGES):  # every page links to p003
        page = big_site / "content" / f"p{n:03d}.md"
        page.write_text(page.read_text() + "\nAnd [the third](p003.md).\n")
    build(big_site, tmp_path / "warm", jobs=3, cache=True)
    jobs: list[str] = []
    spawn_map = parallel.spawn_map

    def noting_spawn_map(work: Any, items: Any, jobs_: int) -> Any:
        jobs.append(type(work.__self__).__name__)
        return spawn_map(work, items, jobs_)

    monkeypatch.setattr(parallel, "spawn_map", noting_spawn_map)
    # p003's URL changes: every page's Markdown is rendered again (MarkdownJob), and
    # every page with the new template (RenderJob).
    target = big_site / "content" / "p003.md"
    target.write_text(target.read_text().replace("order: ", "slug: moved\norder: "))
    template = big_site / "templates" / "base.html"
    template.write_text(template.read_text().replace("<footer>", "<footer class='f'>"))
    build(big_site, tmp_path / "warm", jobs=3, cache=True)
    assert jobs == ["MarkdownJob", "RenderJob"]
    build(big_site, tmp_path / "cold", jobs=1)
    assert snapshot(tmp_path / "warm") == snapshot(tmp_path / "cold")
    assert b"/moved/" in snapshot(tmp_path / "warm")["p000/index.html"]


def test_errors_from_spawned_workers_are_reported_together(
    big_site: Path, tmp_path: Path, spawns: None
) -> None:
    output = tmp_path / "out"
    build(big_site, output, jobs=3)
    before = snapshot(output)
    for n in (0, 1, 2, 40, 41, 42):
        page = big_site / "content" / f"p{n:03d}.md"
        page.write_text(page.read_text().replace("[the next one](", "[gone](missing-"))
    page = big_site / "templates" / "page.html"
    page.write_text(page.read_text().replace("{{ page.title }}", "{{ page.title.nope() }}"))
    with pytest.raises(BuildFailed) as failed:
        build(big_site, output, jobs=3)
    assert len(failed.value.diagnostics) == 6
    assert snapshot(output) == before


@forking
def test_share_cards_are_drawn_by_the_workers_as_a_serial_build_draws_them(
    tmp_path: Path, forks: list[int]
) -> None:
    """The default theme names a share card on every page; in a parallel build the
    process that renders a page draws its card. Two pages showing the same text name
    one card, which two processes may both put in place: the same bytes either way."""
    from tests.sitefactory import SITE_YAML, page, write

    project = tmp_path / "site"
    write(project / "site.yaml", SITE_YAML)
    write(project / "content" / "index.md", page("Home", order="0"))
    for n in range(PAGES):
        title = "Twin" if n in (3, PAGES - 3) else f"Page {n}"
        write(project / "content" / f"p{n:03d}.md", page(title, f"Text {n}.\n"))
    serial = build(project, tmp_path / "serial", jobs=1)
    parallel_ = build(project, tmp_path / "parallel", jobs=2)
    assert forks and serial == parallel_
    cards = {k: v for k, v in snapshot(tmp_path / "parallel").items() if k.startswith("share/")}
    assert len(cards) == PAGES  # one per page, the home page too; the twins share one
    assert not [k for k in snapshot(tmp_path / "parallel") if ".tmp-" in k]
    assert snapshot(tmp_path / "serial") == snapshot(tmp_path / "parallel")


@pytest.mark.parametrize(("count", "jobs"), [(1, 2), (33, 2), (1000, 2), (5000, 2), (10**6, 8)])
def test_runs_cover_every_item_once_and_shrink_towards_the_end(count: int, jobs: int) -> None:
    runs = parallel.runs_of(count, jobs)
    assert [start for start, _ in runs] == [0, *(s + n for s, n in runs[:-1])]
    assert sum(size for _, size in runs) == count and len(runs) <= parallel.MAX_TICKETS
    sizes = [size for _, size in runs]
    assert sizes == sorted(sizes, reverse=True)  # the last runs are the short ones
    assert sizes[-1] <= parallel.MIN_RUN or len(runs) == parallel.MAX_TICKETS


def test_heavy_items_are_runs_of_their_own_before_the_shrinking_runs() -> None:
    runs = parallel.runs_of(1000, 2, heavy=14)
    assert runs[:14] == [(n, 1) for n in range(14)] and runs[14][0] == 14
    assert sum(size for _, size in runs) == 1000
    assert parallel.runs_of(3, 2, heavy=14) == [(0, 1), (1, 1), (2, 1)]


@forking
def test_the_processes_share_the_heavy_items() -> None:
    """The write phase's section pages and their cards: were they one run, one process
    would do them all while the other waits. Each heavy item here waits at a barrier (up
    to a minute) for the other process to reach it, which only happens when they share
    the heavy items; a barrier that breaks returns 0, and the assertion names it."""
    both_in_one = multiprocessing.get_context("fork").Barrier(2, timeout=60)

    def heavy_or_not(n: int) -> int:
        if n < 2:
            try:
                both_in_one.wait()
            except threading.BrokenBarrierError:
                return 0
        return os.getpid()

    makers = fork_map(heavy_or_not, list(range(100)), 2, heavy=2)
    assert len(set(makers[:2])) == 2


@forking
def test_meanwhile_runs_once_in_this_process_after_the_fork(forks: list[int]) -> None:
    """The read phase compiles the templates this way while the children read."""
    calls: list[tuple[int, int]] = []
    items = list(range(100))
    done = fork_map(square, items, 2, meanwhile=lambda: calls.append((os.getpid(), len(forks))))
    assert done == [n * n for n in items]
    assert calls == [(os.getpid(), 1)]  # here, once, with the child already forked
