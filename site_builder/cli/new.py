"""`site-builder new content/x.md --title "…"`: a new draft page from an archetype.

The archetype is `archetypes/default.md` in the project, or the built-in one below. Its
`{title}`, `{summary}` and `{date}` are filled by plain replacement (never `str.format`:
the archetype is a writer's file), as quoted YAML in the front matter and as written in
the body; a misspelt one (`{titel}`) is an error at its line, other braces stay as written. A path the build would refuse is
refused, and no file is overwritten without `--force`. With `--from SOURCE_ID` the page
starts from a source record instead (new_from.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import os
import sys
from pathlib import Path
from types import SimpleNamespace

from site_builder.errors import BuildFailed, Diagnostic, SiteError

ARCHETYPE_DIR = "archetypes"
DEFAULT_ARCHETYPE = """---
title: {title}
summary: {summary}
date: {date}
draft: true
---

## {title}
"""


def run_new(args: argparse.Namespace) -> int:
    target = Path(args.path)
    if not target.is_absolute():
        target = args.source / target
    try:
        check_target(args, target)
        text = page_text(args)
    except SiteError as exc:
        print(exc.diagnostic.format(), file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    # Mode "x" fails if the file appeared since the check above: never clobber a writer's file.
    with target.open("w" if args.force else "x", encoding="utf-8") as handle:
        handle.write(text)
    if not args.quiet:
        print(f"created {args.path} (draft: true; preview with --drafts)")
    return 0


def check_target(args: argparse.Namespace, target: Path) -> None:
    """Raise ValueError if the page may not be written at `target`."""
    content = (args.source / "content").resolve()
    resolved = target.resolve()
    if not resolved.is_relative_to(content) or target.suffix != ".md":
        raise ValueError(f"{args.path}: a new page must be a .md file under content/")
    if problem := new_page_problem(resolved.relative_to(content).as_posix()):
        raise ValueError(f"{args.path}: {problem}")
    if target.exists() and not args.force:
        raise ValueError(f"{args.path} already exists; use --force to replace it")


def page_text(args: argparse.Namespace) -> str:
    """The new page's text, checked to parse."""
    from site_builder.content.files import split_front_matter
    from site_builder.content.yamlsafe import load_yaml

    record = None
    if args.from_source:
        from site_builder.cli.new_from import find_record
        from site_builder.content.sources import load_sources

        loaded = load_sources(args.source / "content" / "sources", args.source)
        if args.from_source in loaded.broken:
            raise BuildFailed(loaded.problems)  # the record's own errors, said once
        record = find_record(loaded.records, args.from_source)
        args.title = args.title or record.title
    if not args.title:
        raise ValueError("--title is required (or --from SOURCE_ID)")
    for option, value in (("--title", args.title), ("--summary", args.summary or "")):
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise ValueError(f"{option} must be one line of text")
    shown = f"{ARCHETYPE_DIR}/default.md"
    if record is not None:
        from site_builder.cli.new_from import draft_from

        text = draft_from(record, args.title, args.summary, yaml_text)
    else:
        summary = args.summary or f"What {args.title} covers, in one or two sentences."
        slots = {"title": args.title, "summary": summary, "date": today()}
        text = fill_archetype(archetype(args.source), slots, shown)
    front, _, _ = split_front_matter(text, shown)
    load_yaml(front, shown, 1)  # the scaffold itself must be valid
    return text


def archetype(project: Path) -> str:
    path = project / ARCHETYPE_DIR / "default.md"
    return path.read_text(encoding="utf-8") if path.is_file() else DEFAULT_ARCHETYPE


def new_page_problem(rel: str) -> str | None:
    """Why the build would refuse a page at content/`rel`, or None."""
    from site_builder.content.urls import page_location
    from site_builder.project import SOURCES_DIR

    if rel.split("/")[0] == SOURCES_DIR:
        return f"content/{SOURCES_DIR}/ holds source records, not pages; choose another folder"
    stub = SimpleNamespace(
        rel=rel, is_404=rel == "404.md", front=SimpleNamespace(slug=None), source_path=rel
    )
    location = page_location(stub)  # type: ignore[arg-type]
    return location.message if isinstance(location, Diagnostic) else None


def fill_archetype(template: str, slots: dict[str, str], shown: str) -> str:
    """The archetype with its slots filled: as YAML strings in the front matter, as
    written in the body. An unknown `{name}` is an error at its line."""
    from site_builder.theme.strings import fill_slots, slot_names

    for name, line, column in slot_names(template):
        # Other braces stay as written; one that looks like a misspelt placeholder is
        # a mistake to point out, not text to copy into every new page.
        close = difflib.get_close_matches(name, list(slots), n=1, cutoff=0.6)
        if name not in slots and close:
            known = ", ".join(f"{{{key}}}" for key in slots)
            raise SiteError(
                shown, line, column,
                f"unknown placeholder {{{name}}}; did you mean {{{close[0]}}}? (known: {known})",
            )  # fmt: skip
    lines = template.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), 0)
    front = "\n".join(lines[: end + 1])
    body = "\n".join(lines[end + 1 :])
    # The date is ours (YYYY-MM-DD) and stays a YAML date; the writer's words are quoted.
    quoted = {key: value if key == "date" else yaml_text(value) for key, value in slots.items()}
    return fill_slots(front, quoted) + ("\n" if end else "") + fill_slots(body, slots)


def yaml_text(value: str) -> str:
    """A YAML double-quoted scalar (safe for colons, quotes, #)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def today() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
    return dt.date.today().isoformat()
