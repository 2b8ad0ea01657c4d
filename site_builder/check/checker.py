"""`site-builder check`: read a built site and report what a reader would trip over.

Every HTML file in the output folder is parsed (stdlib html.parser, so each problem keeps
its line and column) and checked for:

- internal references that do not resolve: every href/src/srcset/action (and og:url,
  JSON-LD URLs, CSS url()) that points into the site must name a file of the output,
  under the base path, and its #anchor must be an id in the target page;
- relative URLs in 404.html, which the host serves at any depth, where they would break;
- assets loaded over plain http: (mixed content, blocked by browsers);
- images without alt, links without text, duplicate ids, invalid JSON-LD;
- pages without a <title> or a meta description;
- pages that cite no source (issue 6): see PAGES_WITHOUT_SOURCES;
- a site built for a placeholder or local host (`example.github.io`, `localhost`…), a
  warning: its canonical URLs, feed and sitemap point there (built_for.py).

The base URL the site was built for is read from the output's robots.txt, unless
`--base-url` is given.

External links are listed, not fetched; `--external` fetches them (HEAD, then GET for
servers that refuse HEAD) with a timeout, and remembers the ones that worked for a week in
`.site-builder-cache/external-links.json` in the project, so a re-run only asks again
about new and failing links.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from site_builder.check.built_for import built_base_url, placeholder_warning
from site_builder.check.external import CACHE_FILE, LinkCache, LinkStatus, check_external
from site_builder.check.site import scan_site
from site_builder.errors import sorted_diagnostics
from site_builder.project import CACHE_DIR

__all__ = ["CACHE_DIR", "CACHE_FILE", "run_check", "scan_site"]


# -- the command -------------------------------------------------------------------------


def shown_path(folder: Path) -> str:
    """The output folder as diagnostics name it: relative to the working folder if inside."""
    try:
        return folder.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(folder)


def run_check(args: argparse.Namespace) -> int:
    from site_builder.config import check_base_url, load_config

    output: Path = args.output if args.output is not None else args.source / "output"
    if not output.is_dir():
        print(f"error: no built site in {output}; run site-builder build first", file=sys.stderr)
        return 1
    base_url = args.base_url or built_base_url(output) or load_config(args.source).base_url
    if problem := check_base_url(base_url):
        print(f"error: --base-url: {problem}", file=sys.stderr)
        return 1
    if not base_url.endswith("/"):
        base_url += "/"
    report = scan_site(output, base_url, shown_path(output))
    diagnostics = placeholder_warning(base_url, shown_path(output)) + report.diagnostics
    statuses: dict[str, LinkStatus] = {}
    if args.external and report.external:
        cache = LinkCache(args.source / CACHE_DIR / CACHE_FILE)
        found, statuses = check_external(report.external, args.timeout, cache)
        cache.save()
        diagnostics = sorted_diagnostics(diagnostics + found)
    for diagnostic in diagnostics:
        print(diagnostic.format(), file=sys.stderr)
    if args.verbose:
        for link in report.external:
            status = statuses.get(link.url)
            suffix = f" [{status.detail}]" if status else ""
            print(f"{link.path}:{link.line}:{link.col}: external link {link.url}{suffix}")
    errors = sum(1 for d in diagnostics if d.is_error)
    if not args.quiet:
        distinct = len({link.url for link in report.external})
        fetched = "checked" if args.external else "not fetched; --external checks them"
        print(
            f"checked {report.pages} pages in {shown_path(output)}: {errors} error(s), "
            f"{len(diagnostics) - errors} warning(s); {distinct} external link(s) ({fetched})"
        )
    return 1 if errors else 0
