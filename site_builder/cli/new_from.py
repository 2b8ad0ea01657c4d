"""`site-builder new content/x.md --from SOURCE_ID`: a draft that starts from the article.

The page's title, date and `sources:` come from the source record; each of the record's
quotations is laid out as a checked block quote with its speaker (docs/format.md,
"Quoting"), ready to keep, cut or move. The summary and the text are the writer's: the
draft asks for them and says nothing of its own about the article.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from site_builder.content.sources import SourceRecord
from site_builder.errors import SiteError

# Characters that would make Markdown of a quotation's words: each is written escaped.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>{}|~])")


def find_record(records: dict[str, SourceRecord], source_id: str) -> SourceRecord:
    if source_id in records:
        return records[source_id]
    close = difflib.get_close_matches(source_id, sorted(records), n=1, cutoff=0.4)
    hint = (
        f"; did you mean '{close[0]}'?" if close else "; ingest a feed first (site-builder ingest)"
    )
    raise SiteError(
        f"content/sources/{source_id}.yaml", None, None, f"no source record '{source_id}'{hint}"
    )


def draft_from(
    record: SourceRecord, title: str, summary: str | None, yaml_text: Callable[[str], str]
) -> str:
    """The page's text: front matter from the record, then the writer's part, then the
    record's quotations as block quotes checked against it."""
    summary_text = summary or f"What {title} covers, in one or two sentences of your own."
    lines = [
        "---",
        f"title: {yaml_text(title)}",
        f"summary: {yaml_text(summary_text)}",
        f"date: {record.published[:10]}",
        "draft: true",
        "sources:",
        f"  - {record.id}",
        "---",
        "",
        f"Write the summary of {record.outlet}’s article here, in your own words, citing "
        f"each fact with [@{record.id}]. Keep the quotations below that you need, as they "
        "are: the build checks each one’s words and speaker against the record.",
        "",
    ]
    quoted = [q for q in record.quotations if q.speaker]
    if quoted:
        lines += ["## In their words", ""]
    for quotation in quoted:
        words = MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(quotation.text.split()))
        speaker = MARKDOWN_SPECIAL.sub(r"\\\1", quotation.speaker or "")
        lines += [f"> “{words}”", ">", f"> — {speaker} [@{record.id}]", ""]
    return "\n".join(lines)
