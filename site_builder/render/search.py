"""Full-text search that needs no server: Pagefind indexes the built pages.

After the pages are written to the staging folder, the `pagefind_extended` binary (shipped
by the pinned `pagefind_bin_extended` wheel; the extended build is the one that splits
Chinese and Japanese text into words, so "咖啡因" is found inside a sentence) reads the HTML and writes its index and UI bundle to
`pagefind/` inside the site. The search page (templates/search.html) loads
`pagefind/pagefind-ui.js` from the site itself, so search works on any static host and
fetches nothing from another one.

What gets indexed:
- each page's `<main>` only, so the header, navigation and footer shared by every page do
  not make every page match every query;
- minus the citation marks and lists, the table of contents and the pager, which repeat
  the same words (the outlet's name, "[1]", neighbouring titles) on every page;
- pages that ask search engines not to index them (`<meta name="robots" content="noindex">`,
  e.g. 404.html) are left out, and so is any page whose `<main>` is all marked
  `data-pagefind-ignore="all"` (the search page: its list of every page would match
  every query).

Languages: Pagefind reads each page's `<html lang>` and keeps one index per language
(`en`, `zh-hans`); its UI loads the index of the language of the page it is on, so the
search page of each language (`/zh/search/`) searches that language's pages only.

Pagefind's output depends only on the HTML it reads: two runs over the same pages give
byte-identical files, wherever the folder is, once its list of languages is put in order
(`pagefind-entry.json` lists them in an order of its own making, which changes from run to run).
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from site_builder.errors import Diagnostic
from site_builder.render.search_cjk import copy_for_indexing

SEARCH_TEMPLATE = "search.html"
BUNDLE_DIR = "pagefind"
ENTRY_FILE = "pagefind-entry.json"  # the bundle's table of contents: version, languages
TIMEOUT_SECONDS = 120
POLL_S = 0.05  # how often a running Pagefind is asked whether to stop
ROOT_SELECTOR = "main"
EXCLUDE_SELECTORS = ("sup.cite", ".citations", ".toc", ".pager", "[hidden]")

# `<meta name="robots" content="... noindex ...">`, attributes in either order.
_NOINDEX = re.compile(
    r"""<meta\s(?=[^>]*\bname\s*=\s*["']?robots\b)(?=[^>]*\bcontent\s*=\s*["'][^"']*\bnoindex\b)""",
    re.IGNORECASE,
)
# Characters with a meaning in Pagefind's globs (the `wax` crate); a backslash escapes them.
_GLOB_META = re.compile(r"([?*$:<>!{}\[\](),\\])")


def pagefind_executable() -> Path:
    """The pagefind binary inside the installed pagefind_bin_extended package."""
    import pagefind_bin_extended  # imported here: a site with `search: false` does not need it

    return Path(pagefind_bin_extended.get_executable())


def indexed_pages(site_folder: Path) -> list[str]:
    """The HTML files to index, relative to the site folder, in a stable order."""
    pages = []
    for file in sorted(site_folder.rglob("*.html")):
        relative = file.relative_to(site_folder).as_posix()
        if relative.startswith(BUNDLE_DIR + "/"):
            continue
        head = file.read_text(encoding="utf-8", errors="replace").split("</head>", 1)[0]
        if not _NOINDEX.search(head):
            pages.append(relative)
    return pages


def page_glob(pages: list[str]) -> str:
    """A Pagefind --glob matching exactly these files."""
    escaped = [_GLOB_META.sub(r"\\\1", page) for page in pages]
    return escaped[0] if len(escaped) == 1 else "{" + ",".join(escaped) + "}"


def write_pagefind_config(folder: Path, site_folder: Path, pages: list[str], bundle: Path) -> None:
    """Pagefind's options as `folder/pagefind.json`, which it reads from the folder it
    runs in. Not on its command line: the glob names every page, and a few thousand
    pages make it longer than one argument may be (128 KiB on Linux)."""
    options: dict[str, object] = {
        "site": str(site_folder),
        "glob": page_glob(pages),
        "root_selector": ROOT_SELECTOR,
        "exclude_selectors": list(EXCLUDE_SELECTORS),
        "output_path": str(bundle),
    }
    (folder / "pagefind.json").write_text(json.dumps(options), encoding="utf-8")


class IndexingStopped(Exception):
    """`stop()` said so while Pagefind ran: it was ended, and its bundle is unfinished."""


def build_search_index(
    site_folder: Path,
    log: Callable[[str], None],
    bundle: Path | None = None,
    stop: Callable[[], bool] | None = None,
) -> list[Diagnostic]:
    """Write the Pagefind index and UI into `site_folder/pagefind/` (or into `bundle`,
    to be moved there by the caller); return any problems. While Pagefind runs, `stop()`
    is asked every POLL_S: when it says so, Pagefind is ended and IndexingStopped raised
    (the preview's refresh gives way to the next save)."""
    where = f"{site_folder.name}/{BUNDLE_DIR}"
    pages = indexed_pages(site_folder)
    if not pages:
        return [Diagnostic(where, None, None, "no pages to index for search", "warning")]
    try:
        executable = pagefind_executable()
    except (ImportError, FileNotFoundError) as exc:
        return [
            Diagnostic(
                where,
                None,
                None,
                f"Pagefind is not installed ({exc}); install pagefind_bin_extended from "
                "requirements.lock, or set `search: false` in site.yaml",
            )
        ]
    with tempfile.TemporaryDirectory(prefix="site-builder-search-") as scratch:
        # Chinese or Japanese pages are indexed from copies spaced one character a word
        # (search_cjk.py says why); the index and UI are still written into the site.
        copies = Path(scratch) / "site"
        source = copies if copy_for_indexing(site_folder, pages, copies) else None
        into = bundle or (site_folder / BUNDLE_DIR)
        write_pagefind_config(
            Path(scratch), (source or site_folder).resolve(), pages, into.resolve()
        )
        result = run_pagefind(executable, Path(scratch), stop)
    if result is None:
        return [Diagnostic(where, None, None, f"Pagefind took over {TIMEOUT_SECONDS} s; stopped")]
    for line in result.stdout.splitlines():
        # Pagefind ends with a boxed notice about its newer UI: advice for us, not for writers.
        if line.strip() and not line.lstrip().startswith(("│", "┌", "└")):
            log(f"  pagefind: {shortened(line.strip())}")
    if result.returncode != 0:
        output = (result.stderr.strip() or result.stdout.strip()).splitlines()[-5:]
        return [
            Diagnostic(
                where,
                None,
                None,
                f"Pagefind failed (exit {result.returncode}): " + " / ".join(output),
            )
        ]
    sort_languages(bundle or site_folder / BUNDLE_DIR)
    return []


def shortened(line: str, limit: int = 160) -> str:
    """A line of Pagefind's output as the log shows it: "Found 5012 files matching {…}"
    quotes the glob, which names every page."""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def run_pagefind(
    executable: Path, folder: Path, stop: Callable[[], bool] | None
) -> subprocess.CompletedProcess[str] | None:
    """Run Pagefind in `folder` (where its pagefind.json is) to the end: its output, or
    None if it took over TIMEOUT_SECONDS. Raises IndexingStopped when `stop()` says so."""
    process = subprocess.Popen(
        [str(executable)], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + TIMEOUT_SECONDS
    try:
        while True:
            try:
                stdout, stderr = process.communicate(timeout=POLL_S)
                return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
            except subprocess.TimeoutExpired:
                if stop is not None and stop():
                    raise IndexingStopped from None
                if time.monotonic() > deadline:
                    return None
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def sort_languages(bundle: Path) -> None:
    """Put the languages of the bundle's entry file in order of their codes, written as
    Pagefind writes it (compact JSON, UTF-8, no newline at the end)."""
    entry = bundle / ENTRY_FILE
    if not entry.is_file():
        return
    text = entry.read_text(encoding="utf-8")
    data = json.loads(text)
    if isinstance(data.get("languages"), dict):
        data["languages"] = dict(sorted(data["languages"].items()))
    ordered = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if ordered != text:
        entry.write_text(ordered, encoding="utf-8")
