"""A page's citations: the sources it cites, numbered in order of first use."""

from __future__ import annotations

from site_builder.content.sources import SourceRecord
from site_builder.model import Citation, Page


def make_citation(number: int, record: SourceRecord) -> Citation:
    return Citation(
        number=number,
        id=record.id,
        outlet=record.outlet,
        title=record.title,
        published=record.published,
        url=record.url,
        author=record.author,
    )


def page_citations(
    page: Page, cited: list[str], sources: dict[str, SourceRecord]
) -> list[Citation]:
    """The citations, numbered in order of first use: body (`cited`, as the Markdown
    cites them), key facts, then front matter."""
    citations: list[Citation] = []
    seen: set[str] = set()
    for source_id in [*cited, *page.front.sources, *(f.source for f in page.front.key_facts)]:
        if source_id in sources and source_id not in seen:
            seen.add(source_id)
            citations.append(make_citation(len(citations) + 1, sources[source_id]))
    return citations
