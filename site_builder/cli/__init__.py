"""The command line: `site-builder init|build|new|check|serve|ingest`.

Problems are printed one per line as `file:line:col: message`, with no
traceback (unless --debug), and the exit status is 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import math
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from site_builder import __version__
from site_builder.cli import init as init_command
from site_builder.errors import BuildFailed, Diagnostic, SiteError, printable, sorted_diagnostics
from site_builder.pipeline.output import UnsafeOutput

ARCHETYPE_DIR = "archetypes"
DEFAULT_ARCHETYPE = """---
title: {title}
summary: {summary}
date: {date}
draft: true
---

## {title}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except BuildFailed as exc:
        report(exc.diagnostics, args)
        errors = sum(1 for d in exc.diagnostics if d.is_error)
        warnings = len(exc.diagnostics) - errors
        print(f"failed: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
        return 1
    except SiteError as exc:
        report([exc.diagnostic], args)
        return 1
    except (UnsafeOutput, OSError) as exc:
        if args.debug:
            traceback.print_exc()
        print(printable(f"error: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the user sees one line; --debug shows more
        if args.debug:
            traceback.print_exc()
        message = f"internal error: {type(exc).__name__}: {exc} (run with --debug)"
        print(printable(message), file=sys.stderr)
        return 1


def report(diagnostics: list[Diagnostic], args: argparse.Namespace) -> None:
    for diagnostic in sorted_diagnostics(diagnostics):
        print(diagnostic.format(), file=sys.stderr)


def make_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--source", type=Path, default=Path("."), metavar="DIR",
        help="project folder holding site.yaml, content/ and templates/ (default: .)",
    )  # fmt: skip
    common.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    common.add_argument("-v", "--verbose", action="store_true", help="print each build step")
    common.add_argument("--debug", action="store_true", help="show a traceback on internal errors")

    parser = argparse.ArgumentParser(
        prog="site-builder", description="Build news explainer microsites from Markdown."
    )
    parser.add_argument("--version", action="version", version=f"site_builder {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    build = commands.add_parser("build", parents=[common], help="build the site into output/")
    add_build_options(build)
    build.set_defaults(run=run_build)

    init_command.add_parser(commands)

    new = commands.add_parser("new", parents=[common], help="start a new page from an archetype")
    new.add_argument("path", help="where the page goes, e.g. content/analysis.md")
    new.add_argument("--title", help="the page title (required unless --from)")
    new.add_argument(
        "--from", dest="from_source", metavar="SOURCE_ID",
        help="start from a source record: its title, date and quotations",
    )  # fmt: skip
    new.add_argument("--summary", help="one or two sentences for lists and search engines")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.set_defaults(run=run_new)

    ingest = commands.add_parser(
        "ingest", parents=[common], help="make source records from an RSS, Atom or JSON feed"
    )
    ingest.add_argument("feed", help="a feed file or URL")
    ingest.add_argument("--force", action="store_true", help="overwrite hand-edited records")
    ingest.add_argument(
        "--timeout", type=seconds, default=30.0, metavar="SECONDS",
        help="give up on a feed URL whose server sends nothing for this long (default: 30)",
    )  # fmt: skip
    ingest.add_argument(
        "--max-size", type=mebibytes, default=10.0, metavar="MIB",
        help="refuse a feed larger than this many MiB (default: 10)",
    )  # fmt: skip
    ingest.set_defaults(run=run_ingest)

    check = commands.add_parser(
        "check", parents=[common], help="check a built site: links, anchors, assets, alt text"
    )
    check.add_argument(
        "--output", type=Path, default=None, metavar="DIR", help="the built site (default: output/)"
    )
    check.add_argument(
        "--base-url",
        metavar="URL",
        help="the base URL it was built with (default: read from the output's robots.txt)",
    )
    check.add_argument("--external", action="store_true", help="also fetch external links (cached)")
    check.add_argument("--timeout", type=float, default=10.0, help="seconds per external request")
    check.set_defaults(run=run_check)

    serve = commands.add_parser(
        "serve", parents=[common], help="preview the site with live reload while you write"
    )
    add_build_options(serve, drafts_flag=False)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument("--no-drafts", action="store_true", help="hide draft pages in the preview")
    serve.set_defaults(run=run_serve)
    return parser


def seconds(text: str) -> float:
    """An argparse type: a duration in seconds, above zero."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value < math.inf):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def mebibytes(text: str) -> float:
    """An argparse type: a size in MiB, above zero."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value < 1024 * 1024):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of MiB above 0")
    return value


def add_build_options(parser: argparse.ArgumentParser, *, drafts_flag: bool = True) -> None:
    parser.add_argument(
        "--output", type=Path, default=None, metavar="DIR", help="where to write (default: output/)"
    )
    parser.add_argument("--base-url", metavar="URL", help="override base_url from site.yaml")
    if drafts_flag:  # the preview shows drafts unless --no-drafts
        parser.add_argument(
            "--drafts", action="store_true", help="include pages marked draft: true"
        )
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument(
        "--jobs", type=int, default=0, metavar="N",
        help="processes for a full build (default: one per core; 1: no parallelism)",
    )  # fmt: skip
    parser.add_argument(
        "--no-cache", action="store_true",
        help="ignore and do not write the build cache (.site-builder-cache/)",
    )  # fmt: skip


def build_options(args: argparse.Namespace) -> object:
    from site_builder.pipeline.build import BuildOptions

    def log(message: str) -> None:
        if args.verbose:
            print(message, file=sys.stderr)

    def notify(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    return BuildOptions(
        project=args.source,
        output=args.output if args.output is not None else args.source / "output",
        base_url=args.base_url,
        drafts=getattr(args, "drafts", False),
        strict=args.strict,
        log=log,
        notify=notify,
        jobs=args.jobs,
        cache=not args.no_cache,
    )


def run_build(args: argparse.Namespace) -> int:
    from site_builder.config import check_base_url
    from site_builder.pipeline.build import build

    if args.base_url and (problem := check_base_url(args.base_url)):
        print(f"error: --base-url: {problem}", file=sys.stderr)
        return 1
    result = build(build_options(args))  # type: ignore[arg-type]
    report(result.diagnostics, args)
    if not args.quiet:
        print(f"built {result.pages} pages into {result.output} in {result.seconds:.2f} s")
    return 0


def run_new(args: argparse.Namespace) -> int:
    from site_builder.content.files import split_front_matter
    from site_builder.content.yamlsafe import load_yaml

    target = Path(args.path)
    if not target.is_absolute():
        target = args.source / target
    content = (args.source / "content").resolve()
    resolved = target.resolve()
    if not resolved.is_relative_to(content) or target.suffix != ".md":
        print(f"error: {args.path}: a new page must be a .md file under content/", file=sys.stderr)
        return 1
    if problem := new_page_problem(resolved.relative_to(content).as_posix()):
        print(f"error: {args.path}: {problem}", file=sys.stderr)
        return 1
    if target.exists() and not args.force:
        print(f"error: {args.path} already exists; use --force to replace it", file=sys.stderr)
        return 1
    record = None
    if args.from_source:
        from site_builder.cli.new_from import find_record
        from site_builder.content.sources import load_sources

        try:
            loaded = load_sources(args.source / "content" / "sources", args.source)
            if args.from_source in loaded.broken:
                raise BuildFailed(loaded.problems)  # the record's own errors, said once
            record = find_record(loaded.records, args.from_source)
        except SiteError as exc:
            print(exc.diagnostic.format(), file=sys.stderr)
            return 1
        args.title = args.title or record.title
    if not args.title:
        print("error: --title is required (or --from SOURCE_ID)", file=sys.stderr)
        return 1
    for option, value in (("--title", args.title), ("--summary", args.summary or "")):
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            print(f"error: {option} must be one line of text", file=sys.stderr)
            return 1
    archetype = args.source / ARCHETYPE_DIR / "default.md"
    shown = f"{ARCHETYPE_DIR}/default.md"
    template = archetype.read_text(encoding="utf-8") if archetype.is_file() else DEFAULT_ARCHETYPE
    summary = args.summary or f"What {args.title} covers, in one or two sentences."
    slots = {"title": args.title, "summary": summary, "date": _today()}
    try:
        if record is not None:
            from site_builder.cli.new_from import draft_from

            text = draft_from(record, args.title, args.summary, _yaml_text)
        else:
            text = fill_archetype(template, slots, shown)
        front, _, _ = split_front_matter(text, shown)
        load_yaml(front, shown, 1)  # the scaffold itself must be valid
    except SiteError as exc:
        print(exc.diagnostic.format(), file=sys.stderr)
        return 1
    target.parent.mkdir(parents=True, exist_ok=True)
    # Mode "x" fails if the file appeared since the check above: never clobber a writer's file.
    with target.open("w" if args.force else "x", encoding="utf-8") as handle:
        handle.write(text)
    if not args.quiet:
        print(f"created {args.path} (draft: true; preview with --drafts)")
    return 0


def new_page_problem(rel: str) -> str | None:
    """Why the build would refuse a page at content/`rel`, or None."""
    from types import SimpleNamespace

    from site_builder.content.files import SOURCES_DIR
    from site_builder.content.urls import page_location

    if rel.split("/")[0] == SOURCES_DIR:
        return f"content/{SOURCES_DIR}/ holds source records, not pages; choose another folder"
    stub = SimpleNamespace(
        rel=rel, is_404=rel == "404.md", front=SimpleNamespace(slug=None), source_path=rel
    )
    location = page_location(stub)  # type: ignore[arg-type]
    return location.message if isinstance(location, Diagnostic) else None


def fill_archetype(template: str, slots: dict[str, str], shown: str) -> str:
    """The archetype with its `{title}`, `{summary}` and `{date}` filled: as YAML strings
    in the front matter, as written in the body. Plain replacement, never str.format
    (the archetype is a writer's file); an unknown `{name}` is an error at its line."""
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
    quoted = {key: value if key == "date" else _yaml_text(value) for key, value in slots.items()}
    return fill_slots(front, quoted) + ("\n" if end else "") + fill_slots(body, slots)


def _yaml_text(value: str) -> str:
    """A YAML double-quoted scalar (safe for colons, quotes, #)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _today() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
    return dt.date.today().isoformat()


def run_ingest(args: argparse.Namespace) -> int:
    from site_builder.ingest.feed import ingest

    project = args.source
    report_ = ingest(
        args.feed,
        project / "content" / "sources",
        project,
        force=args.force,
        timeout=args.timeout,
        max_bytes=int(args.max_size * 1024 * 1024),
    )
    for line in report_.lines:
        print(printable(line))
    return 0


def run_check(args: argparse.Namespace) -> int:
    from site_builder.check.checker import run_check as check

    return check(args)


def run_serve(args: argparse.Namespace) -> int:
    from site_builder.preview.server import run_serve as serve

    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
