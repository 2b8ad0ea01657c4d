"""The command line: `site-builder init|build|new|check|serve|ingest`.

Problems are printed one per line as `file:line:col: message`, with no
traceback (unless --debug), and the exit status is 1.
"""

from __future__ import annotations

import argparse
import math
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from site_builder import __version__
from site_builder.cli import init as init_command
from site_builder.cli import translated
from site_builder.errors import BuildFailed, Diagnostic, SiteError, printable, sorted_diagnostics
from site_builder.pipeline.output import UnsafeOutput


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
        help="give up on a feed URL that takes longer than this to download (default: 30)",
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
    serve.add_argument(
        "--no-navigate",
        action="store_true",
        help="after a save, stay on the open page instead of going to the page being edited",
    )
    serve.set_defaults(run=run_serve)

    translated.add_command(commands, common)
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
        help="processes a build uses (default: one per core; 1: no parallelism)",
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
    from site_builder.cli.new import run_new as new

    return new(args)


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
