"""Which pages a build looks at: every page, or only those a few saves changed."""

from __future__ import annotations

from dataclasses import dataclass

from site_builder.incremental.changes import Summary
from site_builder.pipeline.assemble import Assembler
from site_builder.pipeline.read import Reading, Scope


@dataclass
class Focus:
    """Which pages a build looks at. A rebuild after saves of pages, templates, data or
    assets keeps the site's shape: only the pages read again (`changed`) are looked at,
    not every page of the site; and unless the reading order changed, only their places
    may differ."""

    changed: set[str]  # rels read again or gone
    only_changed: bool
    reordered: bool = False  # the reading order was worked out again

    @staticmethod
    def of(
        scope: Scope, reading: Reading, assembler: Assembler, before: Summary | None, config: str
    ) -> Focus:
        only_changed = (
            not scope.everything
            and not scope.sources
            and assembler.order is not None
            and before is not None
            and before.config == config
        )
        return Focus(reading.changed, only_changed)

    def moved(self) -> set[str] | None:
        """The only pages whose places may differ (None: any of them)."""
        return self.changed if self.only_changed and not self.reordered else None
