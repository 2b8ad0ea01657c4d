"""`make bench`: how fast site_builder builds, and how fast a save reaches the browser.

    python bench/bench.py [--pages 1000] [--runs 5] [--edits 20] [--no-serve]
                          [--update-results]

On a generated site (bench/gen_site.py) of --pages articles, built on tmpfs when
there is one, it measures — each as the median of several runs, with min and max:

- cold build: `site-builder build` with no output and no cache (a new process,
  timed from start to exit, like the peers in /work/shared/bench);
- warm build, nothing changed: the same command again;
- CLI build after a one-page edit, and after an edit of base.html (every page's layout);
- preview rebuild after a one-page edit and after a template edit: what the preview
  server runs on a save (`Builder.rebuild` in the build process it forks before its
  threads, preview/build_process.py), asked for as its session asks;
- write → reload: from writing the file to the browser being told to reload, as a
  tab on the home page connected to `site-builder serve` sees it
  (bench/reload_latency.py); after a base.html edit the server sends the pages tabs
  show ahead of the rest, and this is the first of its two updates;
- save → visible: from writing a page, or base.html, to its new words showing in a
  Chromium tab on `site-builder serve` (bench/visible_latency.py), the writer's
  figure; each edit waits until the last one's build has ended;
- peak RSS of the cold build (the largest process, as GNU time reports), and pages
  per second (cold);
- the engine floor (issue 16): on the peer corpus (../shared/bench/gen_corpus.py beside the repo, or
  --peer-generator), bench/engine_floor.py (markdown-it-py and the same plugins alone,
  over all cores, imports included) and a cold `site-builder build` of the same corpus
  as the peer harness sets it up (bench/peers/site_builder.sh), alternating in one run,
  and the build's median as a ratio to the floor's.

It prints a table, appends the figures as one JSON line to bench/results/results.jsonl
(git-ignored) and, with --update-results, writes the table into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from gen_site import generate  # noqa: E402

RESULTS = BENCH / "results" / "results.jsonl"
RESULTS_MD = BENCH / "RESULTS.md"
EDITED_PAGE = "content/blog/page-00005.md"
EDITED_TEMPLATE = "templates/base.html"
# shared/ lies beside the repository (as in CI and on the developers' machines).
PEER_GENERATOR = BENCH.parent.parent / "shared" / "bench" / "gen_corpus.py"
FLOOR = BENCH / "engine_floor.py"
PEER_CONFIG = """title: bench
description: The peer benchmark corpus.
base_url: https://example.org/
search: false
"""
# The peer harness's one template (bench/peers/site_builder.sh writes the same).
PEER_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }}</title></head>
<body><article>
<h1>{{ page.title }}</h1>
<p class="date">{{ page.date }}</p>
<ul class="tags">{% for t in page.tags %}<li>{{ t }}</li>{% endfor %}</ul>
<div class="content">
{{ page.content|safe }}
</div>
</article></body></html>
"""


# -- running builds ------------------------------------------------------------------


def env() -> dict[str, str]:
    variables = dict(os.environ)
    variables["PYTHONPATH"] = str(ROOT) + os.pathsep + variables.get("PYTHONPATH", "")
    return variables


def build_command(site: Path, output: Path) -> list[str]:
    command = [sys.executable, "-m", "site_builder", "build", "-q"]
    return command + ["--source", str(site), "--output", str(output)]


def measured(command: list[str]) -> tuple[float, float, float]:
    """Run a command in a new process: wall seconds, peak RSS MiB of its largest process,
    and CPU seconds (user + system) of it and the processes it waited for, which the
    machine's other work does not inflate the way it does the wall time."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        errors = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{' '.join(command[1:3])} failed: {errors}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime  # KiB on Linux


def cli_build(site: Path, output: Path) -> tuple[float, float]:
    """One `site-builder build` in a new process: (wall seconds, peak RSS MiB)."""
    return measured(build_command(site, output))[:2]


def timed(command: list[str]) -> tuple[float, float]:
    """Run a command in a new process: (wall seconds, peak RSS MiB of its largest process)."""
    return measured(command)[:2]


def clean(site: Path, output: Path) -> None:
    shutil.rmtree(output, ignore_errors=True)
    shutil.rmtree(site / ".site-builder-cache", ignore_errors=True)


class Editor:
    """Alternating edits that each change the file (and so the output)."""

    def __init__(self, path: Path, marker: str, first: str, second: str) -> None:
        self.path = path
        self.original = path.read_text(encoding="utf-8")
        assert marker in self.original, f"{marker!r} not in {path}"
        self.texts = [self.original.replace(marker, marker + first, 1)]
        self.texts.append(self.original.replace(marker, marker + second, 1))
        self.count = 0

    def __call__(self) -> Path:
        self.path.write_text(self.texts[self.count % 2], encoding="utf-8")
        self.count += 1
        return self.path

    def restore(self) -> None:
        self.path.write_text(self.original, encoding="utf-8")


def page_editor(site: Path) -> Editor:
    return Editor(site / EDITED_PAGE, "\n## ", "Edited once. ", "Edited twice. ")


def template_editor(site: Path) -> Editor:
    return Editor(site / EDITED_TEMPLATE, "<footer>", "<!-- one -->", "<!-- two -->")


# -- preview rebuilds (run in a child process of their own) -------------------------------


def inprocess(site: Path, output: Path, edits: int) -> dict[str, list[float]]:
    """The preview's own build path, without the watcher and the socket: the builds
    `serve` runs in the build process it forks before its threads (all cores), or in
    its own process where it cannot fork one (preview/build_process.py), each timed
    from the session's request to its answer."""
    from site_builder.preview.build_process import start_builds
    from site_builder.preview.builds import Settings

    settings = Settings(project=site, output=output, origin="http://127.0.0.1:8000", cache=False)
    builds = start_builds(settings)
    times: dict[str, list[float]] = {}
    try:
        assert builds.build(set()).failure is None, "the first build failed"
        for name, editor in (("page", page_editor(site)), ("template", template_editor(site))):
            times[name] = []
            try:
                for _ in range(edits):
                    path = editor()
                    started = time.perf_counter()
                    outcome = builds.build({path})
                    times[name].append(time.perf_counter() - started)
                    assert outcome.result and outcome.result.rendered, "re-rendered nothing"
            finally:
                editor.restore()
                builds.build({editor.path})
    finally:
        builds.close()
    return times


def run_inprocess(site: Path, output: Path, edits: int) -> dict[str, list[float]]:
    command = [sys.executable, __file__, "--inprocess", str(site), str(output), str(edits)]
    done = subprocess.run(command, env=env(), capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


# -- the preview server ------------------------------------------------------------------


@contextlib.contextmanager
def server(site: Path, output: Path) -> Iterator[str]:
    command = [sys.executable, "-m", "site_builder", "serve", "--source", str(site)]
    command += ["--output", str(output), "--port", "0", "-q"]
    process = subprocess.Popen(
        command, env=env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 600
        url = None
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("the server stopped before serving")
            if found := re.search(r"Serving (\S+)", line):
                url = found.group(1)
        assert url is not None
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def reload_latency(site: Path, output: Path, edits: int) -> dict[str, list[float]] | None:
    from reload_latency import measure_reload_latency  # bench/reload_latency.py

    times: dict[str, list[float]] = {}
    with server(site, output) as url:
        for name, editor in (("page", page_editor(site)), ("template", template_editor(site))):
            times[name] = []
            try:
                for _ in range(edits):
                    # As a tab on the home page: after a base.html edit it is told first,
                    # then again once every page is rendered (on a loaded machine at 5,000
                    # pages that takes longer than the default 10 s).
                    updates = 2 if name == "template" else 1
                    measured = measure_reload_latency(url, editor, 120, urlsplit(url).path, updates)
                    times[name].append(measured)
                    time.sleep(0.1)  # let the watcher settle: each edit is its own save
            finally:
                editor.restore()
                time.sleep(0.5)
    return times


# -- the engine floor ----------------------------------------------------------------------


def peer_project(work: Path, pages: int, generator: Path) -> Path:
    """The peer corpus as a site_builder project, as the peer harness prepares it."""
    site = work / "peer"
    subprocess.run([sys.executable, str(generator), str(site / "content"), str(pages)],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    (site / "templates").mkdir()
    (site / "site.yaml").write_text(PEER_CONFIG, encoding="utf-8")
    (site / "templates" / "page.html").write_text(PEER_TEMPLATE, encoding="utf-8")
    # Byte-compiled, as `pip install` leaves a package (the peer adapter does the same).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "site_builder")],
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    return site


def floor_figures(
    work: Path, pages: int, runs: int, generator: Path, log: Callable[[str], None]
) -> dict[str, list[float]]:
    """The floor and the cold build of the peer corpus, alternating, `runs` of each."""
    log(f"engine floor: peer corpus of {pages} pages")
    site = peer_project(work, pages, generator)
    output = work / "peer-out"
    floor_command = [sys.executable, str(FLOOR), str(site / "content")]
    timed(floor_command)  # warm the OS's file cache
    cli_build(site, output)
    figures: dict[str, list[float]] = {name: [] for name in FLOOR_FIGURES}
    for _ in range(runs):
        seconds, _, cpu = measured(floor_command)
        figures["floor"].append(seconds)
        figures["floor_cpu"].append(cpu)
        clean(site, output)
        seconds, mib, cpu = measured(build_command(site, output))
        figures["peer_cold"].append(seconds)
        figures["peer_cold_cpu"].append(cpu)
        figures["peer_rss"].append(mib)
    return figures


def visible_latency(site: Path, output: Path, edits: int) -> dict[str, list[float]]:
    """Save → visible, after a one-page edit and after a base.html edit (every page's
    layout: the tab's page is rendered ahead of the rest)."""
    from visible_latency import measure_visible_latency  # bench/visible_latency.py

    times = {}
    with server(site, output) as url:
        editor = page_editor(site)
        try:
            words = ("Edited once.", "Edited twice.")
            times["page"] = measure_visible_latency(url, editor, words, edits)
        finally:
            editor.restore()
        editor = Editor(site / EDITED_TEMPLATE, "<footer>", "Layout once. ", "Layout twice. ")
        try:
            words = ("Layout once.", "Layout twice.")
            times["template"] = measure_visible_latency(
                url, editor, words, edits, where="footer", updates=2
            )
        finally:
            editor.restore()
    return times


# -- the whole benchmark -------------------------------------------------------------------


def measure(
    pages: int, runs: int, edits: int, serve: bool, generator: Path | None, only_floor: bool,
    log: Callable[[str], None],
) -> dict:  # fmt: skip
    root = Path("/dev/shm") if os.access("/dev/shm", os.W_OK) else None
    work = Path(tempfile.mkdtemp(prefix="site-builder-bench-", dir=root))
    site, output = work / "site", work / "out"
    figures: dict[str, list[float]] = {}
    try:
        if generator is not None:
            figures.update(floor_figures(work, pages, runs, generator, log))
        else:
            log(f"no peer corpus generator at {PEER_GENERATOR}: no engine floor (--peer-generator)")
        if only_floor:
            return {"pages": pages, "total_pages": pages, "runs": runs, "edits": 0, **figures}
        log(f"generating {pages} pages in {work}")
        generate(site, pages)
        total = sum(1 for _ in (site / "content").rglob("*.md"))
        log("cold builds")
        cli_build(site, output)  # warm the OS's file cache, as the peer harness does
        cold, rss = [], []
        for _ in range(runs):
            clean(site, output)
            seconds, mib = cli_build(site, output)
            cold.append(seconds)
            rss.append(mib)
        figures["cold"], figures["rss"] = cold, rss
        log("warm builds")
        figures["warm"] = [cli_build(site, output)[0] for _ in range(runs)]
        for name, editor in (
            ("cli_page", page_editor(site)),
            ("cli_template", template_editor(site)),
        ):
            log(name)
            figures[name] = []
            for _ in range(runs):
                editor()
                figures[name].append(cli_build(site, output)[0])
            editor.restore()
            cli_build(site, output)
        log("preview rebuilds (build process)")
        for name, times in run_inprocess(site, work / "out-rebuild", edits).items():
            figures[f"rebuild_{name}"] = times
        if serve:
            log("write → reload through site-builder serve")
            latency = reload_latency(site, work / "out-serve", edits)
            for name, times in (latency or {}).items():
                figures[f"reload_{name}"] = times
            log("save → visible in Chromium through site-builder serve")
            for name, times in visible_latency(site, work / "out-visible", edits).items():
                figures[f"visible_{name}"] = times
        return {"pages": pages, "total_pages": total, "runs": runs, "edits": edits, **figures}
    finally:
        shutil.rmtree(work, ignore_errors=True)


ROWS = (
    ("cold", "cold full build (new process, no cache)", "s"),
    ("warm", "warm full build, nothing changed", "s"),
    ("cli_page", "CLI build after a one-page edit", "s"),
    ("cli_template", "CLI build after a base.html edit (every page)", "s"),
    ("rebuild_page", "preview rebuild after a one-page edit (build process)", "ms"),
    ("rebuild_template", "preview rebuild after a base.html edit (build process)", "ms"),
    ("reload_page", "write → reload, one-page edit (serve)", "ms"),
    ("reload_template", "write → reload, base.html edit (serve; the tab's page first)", "ms"),
    ("visible_page", "save → new text visible in Chromium, one-page edit (serve)", "ms"),
    ("visible_template", "save → new text visible in Chromium, base.html edit (serve)", "ms"),
    ("rss", "peak RSS, cold build", "MiB"),
    ("floor", "engine floor, peer corpus (markdown-it-py alone, all cores)", "s"),
    ("peer_cold", "cold build, peer corpus (same run, alternating with the floor)", "s"),
    ("peer_rss", "peak RSS, cold build, peer corpus", "MiB"),
    ("floor_cpu", "engine floor, CPU time (user + system, every process)", "s"),
    ("peer_cold_cpu", "cold build, CPU time (user + system, every process)", "s"),
)
FLOOR_FIGURES = ("floor", "floor_cpu", "peer_cold", "peer_cold_cpu", "peer_rss")


def table(result: dict) -> str:
    lines = [
        f"{result['pages']} articles ({result['total_pages']} pages), "
        f"{result['runs']} runs, {result['edits']} edits per rebuild/reload figure",
        "",
        "| measure | median | min | max |",
        "|---|---|---|---|",
    ]
    for key, label, unit in ROWS:
        values = result.get(key)
        if not values:
            continue
        scale = 1000 if unit == "ms" else 1
        shown = [f"{v * scale:.0f} {unit}" if unit != "s" else f"{v:.3f} s" for v in values]
        low, high = (
            min(range(len(values)), key=values.__getitem__),
            max(range(len(values)), key=values.__getitem__),
        )
        median = statistics.median(values) * scale
        middle = f"{median:.0f} {unit}" if unit != "s" else f"{median:.3f} s"
        lines.append(f"| {label} | {middle} | {shown[low]} | {shown[high]} |")
    if result.get("floor") and result.get("peer_cold"):
        ratio = statistics.median(result["peer_cold"]) / statistics.median(result["floor"])
        lines.append(f"| cold build ÷ engine floor (medians, peer corpus) | {ratio:.2f}× | | |")
    if result.get("floor_cpu") and result.get("peer_cold_cpu"):
        cpu = statistics.median(result["peer_cold_cpu"]) / statistics.median(result["floor_cpu"])
        lines.append(
            f"| the same in CPU time (medians; the load inflates it less) | {cpu:.2f}× | | |"
        )
    if result.get("cold"):
        cold = statistics.median(result["cold"])
        lines.append(f"| pages per second (cold) | {result['total_pages'] / cold:.0f} | | |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def git_revision() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() or "?"


def update_results_md(result: dict, text: str) -> None:
    """Replace the table for this page count between its markers in RESULTS.md."""
    start, end = f"<!-- bench {result['pages']} -->", f"<!-- /bench {result['pages']} -->"
    block = f"{start}\n{text}\n{end}"
    current = RESULTS_MD.read_text(encoding="utf-8") if RESULTS_MD.exists() else ""
    if start in current and end in current:
        before, rest = current.split(start, 1)
        current = before + block + rest.split(end, 1)[1]
    else:
        current = current.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS_MD.write_text(current, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000, help="articles (default 1000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per build figure")
    parser.add_argument("--edits", type=int, default=20, help="edits per rebuild figure")
    parser.add_argument("--no-serve", action="store_true", help="skip the server figures")
    parser.add_argument("--update-results", action="store_true", help="write RESULTS.md")
    parser.add_argument(
        "--peer-generator",
        type=Path,
        default=PEER_GENERATOR,
        help="the peer harness's gen_corpus.py (for the engine floor)",
    )
    parser.add_argument("--floor-only", action="store_true",
                        help="only the engine floor and the peer corpus's cold build")  # fmt: skip
    parser.add_argument("--inprocess", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inprocess:
        site, output, edits = args.inprocess
        print(json.dumps(inprocess(Path(site), Path(output), int(edits))))
        return 0

    def log(message: str) -> None:
        # The load average beside each step: on a shared machine it says what a figure is worth.
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"… {message} (load average {load})", file=sys.stderr, flush=True)

    generator = args.peer_generator if args.peer_generator.is_file() else None
    result = measure(
        args.pages, args.runs, args.edits, not args.no_serve, generator, args.floor_only, log
    )
    result.update(
        date=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        revision=git_revision(),
        machine=machine(),
        load=os.getloadavg()[0],
    )
    text = table(result)
    print(f"site_builder {result['revision']} on {result['machine']}")
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as file:
        file.write(json.dumps(result) + "\n")
    if args.update_results and not args.floor_only:
        update_results_md(result, f"Measured {result['date']} at {result['revision']} "
                          f"on {result['machine']}:\n\n{text}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
