"""Links between pages: every `other.md#anchor` must reach a page and a heading."""

from __future__ import annotations

import difflib

from site_builder.errors import Diagnostic
from site_builder.model import Page


def check_links(pages: list[Page]) -> list[Diagnostic]:
    """Links to missing pages were reported while rendering; here, anchors."""
    by_rel = {page.rel: page for page in pages}
    problems: list[Diagnostic] = []
    for page in pages:
        for link in page.links:
            target = by_rel.get(link.target)
            if target is None or link.anchor is None or link.anchor in target.anchors:
                continue
            close = difflib.get_close_matches(link.anchor, sorted(target.anchors), n=1)
            hint = f"; did you mean '#{close[0]}'?" if close else ""
            problems.append(
                Diagnostic(
                    page.source_path,
                    link.line,
                    link.col,
                    f"link to '{link.target}#{link.anchor}': no heading or anchor "
                    f"'{link.anchor}' on that page{hint}",
                )
            )
    return problems
