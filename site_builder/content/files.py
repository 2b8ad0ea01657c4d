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

import csv
import io
import json
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


MAX_JSON_DEPTH = 64


def load_data(project: Path) -> tuple[dict[str, object], list[Diagnostic]]:
    """data/NAME.yaml, NAME.json or NAME.csv → {"NAME": parsed}. YAML through the safe
    loader; JSON with duplicate keys refused; CSV as a list of rows, each a mapping from
    the header line's names to the row's text. Two files for one NAME are an error."""
    files, diagnostics = discover(project, DATA_DIR)
    data: dict[str, object] = {}
    origin: dict[str, str] = {}
    for path in files:
        if path.suffix.lower() not in DATA_SUFFIXES:
            continue
        rel = relpath(path, project)
        # data/people.yaml is data.people; data/zh/people.yaml is data["zh/people"] (a
        # translation's data, content/translations.py), so the two never collide.
        name = path.relative_to(project / DATA_DIR).with_suffix("").as_posix()
        if name in origin:
            diagnostics.append(
                Diagnostic(rel, None, None, f"{origin[name]} is also data.{name}; keep one of them")
            )
            continue
        origin[name] = rel
        try:
            text = read_text(path, rel)
            suffix = path.suffix.lower()
            if suffix == ".json":
                data[name] = load_json(text, rel)
            elif suffix == ".csv":
                data[name] = load_csv(text, rel)
            else:
                data[name] = load_yaml(text, rel)
        except SiteError as exc:
            diagnostics.append(exc.diagnostic)
            continue
        diagnostics += data_url_problems(data[name], rel)
    return data, diagnostics


def load_json(text: str, rel: str) -> object:
    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        mapping: dict[str, object] = {}
        for key, value in pairs:
            if key in mapping:
                raise ValueError(f"the key {key!r} appears twice in one object")
            mapping[key] = value
        return mapping

    depth = max_nesting(text)
    if depth > MAX_JSON_DEPTH:
        raise SiteError(rel, 1, 1, f"nested {depth} deep; the limit is {MAX_JSON_DEPTH}")
    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise SiteError(rel, exc.lineno, exc.colno, f"not valid JSON: {exc.msg}") from None
    except ValueError as exc:
        raise SiteError(rel, None, None, f"not valid data: {exc}") from None


def max_nesting(text: str) -> int:
    """How deep the brackets of a JSON text go (strings skipped), in one pass: the
    parser recurses, so a deep text is refused before it is parsed."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def load_csv(text: str, rel: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[dict[str, str]] = []
    try:
        header = next(reader, None)
        if not header or not any(name.strip() for name in header):
            raise SiteError(rel, 1, 1, "the first line must name the columns, e.g. name,value")
        names = [name.strip() for name in header]
        for index, name in enumerate(names):
            if not name or name in names[:index]:
                what = "an empty column name" if not name else f"the column {name!r} twice"
                raise SiteError(rel, 1, None, f"the header line has {what}")
        for row in reader:
            if not row:
                continue  # a blank line
            if len(row) != len(names):
                raise SiteError(
                    rel,
                    reader.line_num,
                    None,
                    f"{len(row)} values for {len(names)} columns ({', '.join(names)})",
                )
            rows.append(dict(zip(names, row, strict=True)))
    except csv.Error as exc:
        raise SiteError(rel, reader.line_num, None, f"not valid CSV: {exc}") from None
    return rows
