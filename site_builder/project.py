"""What a path in a project is: the one place that decides it.

A project is a folder holding `site.yaml` and the folders a build reads:

    site.yaml           the configuration
    content/**.md       pages
    content/sources/    source records (*.yaml), not pages
    data/               data files (*.yaml, *.json, *.csv)
    templates/          Jinja templates
    static/             files copied to the output (some fingerprinted)

and, beside them, what the build writes (`output/`, `.site-builder-cache/`, and the
preview's `.site-builder-preview/`), which no build reads. The build (`pipeline/`), the file listing (`content/files.py`), the
link checker's cache (`check/`) and the preview's watcher (`preview/watch.py`) all
ask `classify` or `is_leftover` here, so they agree on every file.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import PurePosixPath

CONFIG_FILE = "site.yaml"
CONTENT_DIR = "content"
SOURCES_DIR = "sources"  # inside content/: content/sources/ holds records, not pages
DATA_DIR = "data"
TEMPLATES_DIR = "templates"
STATIC_DIR = "static"
OUTPUT_DIR = "output"  # the default; --output may name another folder
CACHE_DIR = ".site-builder-cache"  # the build's and the link checker's caches
PREVIEW_DIR = ".site-builder-preview"  # where `serve` builds; only `build` writes output/

INPUT_DIRS = (CONTENT_DIR, TEMPLATES_DIR, STATIC_DIR, DATA_DIR)  # the folders a build reads
PAGE_SUFFIX = ".md"
RECORD_SUFFIX = ".yaml"
DATA_SUFFIXES = (".yaml", ".yml", ".json", ".csv")


class Kind(Enum):
    CONFIG = "config"
    PAGE = "page"  # content/**.md
    RECORD = "record"  # content/sources/*.yaml
    CONTENT_FILE = "content file"  # anything else under content/ (no build reads it)
    DATA = "data"
    TEMPLATE = "template"
    STATIC = "static"
    LEFTOVER = "editor leftover"  # hidden files, swap, backup, lock and temporary files
    IGNORED = "ignored"  # outside the folders a build reads


# Files editors, and programs saving for them, leave beside the real ones. A file whose
# name starts with "." is hidden, and skipped as well (vim's .x.swp, emacs' .#x lock).
_LEFTOVER = re.compile(
    r"""
      ~$                    # backups (emacs, vim's x~)
    | \.sw[a-p]$            # vim swap files (x.swp, x.swo, ...)
    | \.swx$
    | \.tmp$                # write-then-rename savers (VS Code, many libraries)
    | \.part$               # partial downloads and copies
    | \.crswap$             # Chrome's File System Access swap files
    | \.kate-swp$
    | ^\#.*\#$              # emacs auto-save
    | ^4913$                # vim checks that it may write a folder by creating this
    | ^flycheck_            # emacs flycheck's copies
    | \.___jb_\w+___$       # JetBrains' safe-write copies
    """,
    re.VERBOSE,
)


def is_leftover(name: str) -> bool:
    """True for a file name no build should read: hidden, or an editor's leftover."""
    return name.startswith(".") or _LEFTOVER.search(name) is not None


def classify(rel: str) -> Kind:
    """What the file at `rel` (project-relative, POSIX separators) is to a build."""
    if rel == CONFIG_FILE:
        return Kind.CONFIG
    parts = PurePosixPath(rel).parts
    if len(parts) < 2 or parts[0] not in INPUT_DIRS:
        return Kind.IGNORED
    if any(part.startswith(".") for part in parts[1:-1]) or is_leftover(parts[-1]):
        return Kind.LEFTOVER
    top, name = parts[0], parts[-1]
    if top == CONTENT_DIR:
        if parts[1] == SOURCES_DIR and len(parts) > 2:
            return (
                Kind.RECORD
                if len(parts) == 3 and name.endswith(RECORD_SUFFIX)
                else (Kind.CONTENT_FILE)
            )
        return Kind.PAGE if name.endswith(PAGE_SUFFIX) else Kind.CONTENT_FILE
    if top == DATA_DIR:
        return Kind.DATA
    if top == TEMPLATES_DIR:
        return Kind.TEMPLATE
    return Kind.STATIC
