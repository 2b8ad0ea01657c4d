"""Finding content files and splitting each into front matter and Markdown.

Documented behaviour for awkward files:
- a UTF-8 byte-order mark at the start is ignored; CRLF and CR line ends are read as LF;
- bytes that are not UTF-8 are an error naming the line of the first bad byte;
- a file must start with a `---` line and close its front matter with `---`;
  an empty block, or one never closed, is an error;
- a file larger than MAX_FILE_BYTES (1 MiB) is refused before it is read, and
  front matter longer than MAX_FRONT_MATTER_BYTES (64 KiB) before it is parsed
  (PyYAML is slow: a bound on its input is a bound on the time it takes);
- file names are NFC-normalised; a symlink that points outside the project is refused.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from site_builder.content.schema import FrontMatter, read_front_matter
from site_builder.content.urls import data_url_problems
from site_builder.content.yamlsafe import load_yaml
from site_builder.errors import Diagnostic, SiteError
from site_builder.project import DATA_DIR, DATA_SUFFIXES, is_leftover

MAX_FILE_BYTES = 1024 * 1024
MAX_FRONT_MATTER_BYTES = 64 * 1024
FENCE = "---"


def discover(
    project: Path, folder: str, skip: str | None = None
) -> tuple[list[Path], list[Diagnostic]]:
    """Every regular file under project/folder, sorted, with symlinks checked.

    Symlinks are followed only when they stay inside the project. Hidden files
    and editor leftovers (`.#x`, `x~`, `.swp`: project.is_leftover) are skipped, and so
    is the subfolder `skip` (another stage walks it)."""
    root = project / folder
    found: list[Path] = []
    problems: list[Diagnostic] = []
    if not root.is_dir():
        return found, problems
    project_real = project.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not (here == root and d == skip)
        )
        for name in list(dirnames):
            if (here / name).is_symlink():
                dirnames.remove(name)
                problems.append(_symlink_problem(project, here / name, project_real))
        for name in sorted(filenames):
            if is_leftover(name):
                continue
            path = here / name
            if path.is_symlink():
                problem = _symlink_problem(project, path, project_real)
                if problem.message.startswith("symlink points outside"):
                    problems.append(problem)
                    continue
            if path.is_file():
                found.append(path)
    return sorted(found), problems


def _symlink_problem(project: Path, path: Path, project_real: Path) -> Diagnostic:
    rel = relpath(path, project)
    target = path.resolve()
    if not target.is_relative_to(project_real):
        return Diagnostic(
            rel, None, None, "symlink points outside the project; copy the file in instead"
        )
    return Diagnostic(rel, None, None, "symlinked folders are not followed; move the folder here")


def relpath(path: Path, project: Path) -> str:
    """A project-relative POSIX path, NFC-normalised (as written in messages)."""
    return unicodedata.normalize("NFC", path.relative_to(project).as_posix())


def read_text(path: Path, rel: str) -> str:
    """Read a writer's file as text, with the documented normalisations."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SiteError(rel, 1, None, f"file is {size} bytes; the limit is {MAX_FILE_BYTES}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SiteError(
            rel, line, col, "bytes that are not UTF-8; save the file as UTF-8"
        ) from None
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str, rel: str) -> tuple[str, str, int]:
    """(front matter YAML, Markdown body, line where the body starts)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != FENCE:
        raise SiteError(
            rel,
            1,
            1,
            "missing front matter: start the file with a '---' line, then title: and summary:",
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            front = "\n".join(lines[1:index])
            if not front.strip():
                raise SiteError(
                    rel, 1, 1, "front matter is empty; it needs at least title: and summary:"
                )
            if len(front.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
                raise SiteError(
                    rel,
                    1,
                    1,
                    f"front matter is longer than {MAX_FRONT_MATTER_BYTES // 1024} KiB; "
                    "move long text into the page body",
                )
            return front, "\n".join(lines[index + 1 :]), index + 2
    raise SiteError(rel, 1, 1, "front matter is not closed: add a '---' line after its last key")


def parse_page(
    text: str, source_path: str, diagnostics: list[Diagnostic]
) -> tuple[FrontMatter | None, str, int]:
    """(checked front matter or None, Markdown body, line where the body starts) of a
    page's text; problems go to `diagnostics`."""
    try:
        front_text, body, body_line = split_front_matter(text, source_path)
        data = load_yaml(front_text, source_path, line_offset=1)
    except SiteError as exc:
        diagnostics.append(exc.diagnostic)
        return None, "", 0
    return read_front_matter(data, source_path, (2, 1), diagnostics), body, body_line


def load_data(project: Path) -> tuple[dict[str, object], list[Diagnostic]]:
    """data/NAME.yaml → {"NAME": parsed}, read with the same safe loader."""
    files, diagnostics = discover(project, DATA_DIR)
    data: dict[str, object] = {}
    for path in files:
        if path.suffix not in DATA_SUFFIXES:
            continue
        rel = relpath(path, project)
        try:
            data[path.stem] = load_yaml(read_text(path, rel), rel)
        except SiteError as exc:
            diagnostics.append(exc.diagnostic)
            continue
        diagnostics += data_url_problems(data[path.stem], rel)
    return data, diagnostics
