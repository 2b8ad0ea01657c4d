"""`site-builder translated PATH…`: record that each translation follows its original as it
is now (content/translations.py), once the translator has brought it up to date."""

from __future__ import annotations

import argparse

from site_builder.errors import BuildFailed, SiteError


def add_command(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    translated = commands.add_parser(
        "translated",
        parents=[common],
        help="record that a translation follows the current version of its original",
    )
    translated.add_argument(
        "paths", nargs="+", metavar="PATH", help="translated pages, e.g. content/zh/x.md"
    )
    translated.set_defaults(run=run_translated)


def run_translated(args: argparse.Namespace) -> int:
    from site_builder.config import load_config
    from site_builder.content.translations import mark_translated

    config = load_config(args.source)
    problems = []
    for path in args.paths:
        try:
            version = mark_translated(args.source, path, config.languages)
        except SiteError as exc:
            problems.append(exc.diagnostic)
            continue
        if not args.quiet:
            print(f"{path}: follows {version} of its original")
    if problems:
        raise BuildFailed(problems)
    return 0
