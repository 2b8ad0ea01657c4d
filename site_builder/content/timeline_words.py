"""The words a timeline is written in: its dates, who acted, and the picture's own words.

English by default (`ENGLISH`); a site in another language gives its dates through the
callables (the generator passes the language's CLDR forms) and its words through a data
table's `timeline_*` keys (`TimelineWords.with_labels`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

ACTORS: dict[str, str] = {
    "us": "United States",
    "china": "China",
    "both": "Both sides",
    "other": "Other",
    "unstated": "Not stated",  # the source does not say who acted
}
MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _english_day(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _english_month(month: date) -> str:
    return f"{MONTHS[month.month - 1]} {month.year}"


def _english_month_abbr(month: date) -> str:
    return MONTHS[month.month - 1][:3]


@dataclass(frozen=True)
class TimelineWords:
    """The language a timeline is written in: its dates, its actors and the picture's words.

    `description`, `description_one` and `description_expected` have slots `{count}`,
    `{first}` and `{last}`, filled by plain replacement (never `str.format`: the words may
    be a writer's).
    """

    day: Callable[[date], str] = _english_day  # "12 August 2025"
    month: Callable[[date], str] = _english_month  # an event known to the month: "April 2025"
    month_abbr: Callable[[date], str] = _english_month_abbr  # beside the axis: "Apr"
    actors: Mapping[str, str] = dataclasses.field(default_factory=lambda: dict(ACTORS))
    expected: str = "Expected"
    title: str = "Timeline of events, drawn to scale"
    description: str = (
        "The {count} events of the list, drawn to scale on a vertical time axis "
        "from {first} to {last}."
    )
    description_one: str = (
        "The 1 event of the list, drawn to scale on a vertical time axis from {first} to {last}."
    )
    description_expected: str = (
        "{count} of them expected, drawn hollow on a dashed stretch of the axis."
    )
    no_events: str = "No events."

    def with_labels(self, labels: Mapping[str, object] | None) -> TimelineWords:
        """These words with a site's own in their place: the `timeline_*` keys of a data
        table (`timeline_expected`, `timeline_actor_us`…; other keys are the site's own
        business). ValueError for a `timeline_` key that names no word, or a value that is
        not text."""
        if not labels:
            return self
        words: dict[str, object] = {}
        actors = dict(self.actors)
        for key, value in labels.items():
            if not str(key).startswith(LABEL_PREFIX):
                continue
            name = str(key)[len(LABEL_PREFIX) :]
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"timeline words: {key!r} must be a non-empty string")
            if name.startswith("actor_") and name[len("actor_") :] in ACTORS:
                actors[name[len("actor_") :]] = value.strip()
            elif name in LABEL_WORDS:
                words[name] = value.strip()
            else:
                known = [LABEL_PREFIX + w for w in LABEL_WORDS]
                known += [f"{LABEL_PREFIX}actor_{a}" for a in ACTORS]
                raise ValueError(f"timeline words: unknown key {key!r} (known: {', '.join(known)})")
        return dataclasses.replace(self, actors=actors, **words)  # type: ignore[arg-type]


LABEL_PREFIX = "timeline_"
LABEL_WORDS: tuple[str, ...] = (
    "expected",
    "title",
    "description",
    "description_one",
    "description_expected",
    "no_events",
)
ENGLISH = TimelineWords()


def fill_slots(text: str, **slots: object) -> str:
    """`{name}` slots replaced by plain replacement, one slot at a time, so a value is
    never read for slots again."""
    pieces = re.split(r"(\{[a-z]+\})", text)
    return "".join(str(slots.get(p[1:-1], p)) if p.startswith("{") else p for p in pieces)
