"""Timeline events: validated from `data/timeline.yaml` and drawn as an inline SVG.

`timeline_events(raw, as_of)` turns the parsed YAML list into sorted `TimelineEvent`s and
marks the ones after the as-of date as expected. `timeline_svg(events)` draws them as a
vertical timeline that scales to its container (viewBox, width 100%) and takes its colours
from CSS classes and `currentColor`, so the page's light and dark schemes both apply.

Both functions are pure and deterministic: the same input always gives the same output.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

ACTORS: dict[str, str] = {
    "us": "United States",
    "china": "China",
    "both": "Both sides",
    "other": "Other",
}
REQUIRED_FIELDS: tuple[str, ...] = ("date", "label", "actor", "category", "source")

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

_DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class TimelineEvent:
    """One dated event, ready to list or draw."""

    date_label: str  # "12 August 2025" or "April 2025"
    sort_key: str  # "2025-08-12" or "2025-04" (a month sorts before its days)
    iso: str  # value for <time datetime>: "2025-08-12" or "2025-04"
    label: str
    actor: str  # us | china | both | other
    category: str
    source: str  # a source id
    expected: bool  # after the as-of date: not yet happened when written

    @property
    def actor_label(self) -> str:
        return ACTORS[self.actor]


def _parse_date(value: str, where: str) -> tuple[str, str, int, int, int | None]:
    """Return (date_label, iso, year, month, day or None) or raise ValueError."""
    m = _DAY_RE.match(value)
    if m:
        year, month, day = (int(g) for g in m.groups())
        try:
            date(year, month, day)
        except ValueError as exc:
            raise ValueError(f"{where}: 'date' {value!r} is not a real date ({exc})") from None
        return f"{day} {MONTHS[month - 1]} {year}", value, year, month, day
    m = _MONTH_RE.match(value)
    if m:
        year, month = (int(g) for g in m.groups())
        if not 1 <= month <= 12:
            raise ValueError(f"{where}: 'date' {value!r} has no month {month:02d}")
        return f"{MONTHS[month - 1]} {year}", value, year, month, None
    raise ValueError(f'{where}: \'date\' {value!r} must be "YYYY-MM-DD" or "YYYY-MM"')


def timeline_events(raw: list[dict], as_of: date) -> list[TimelineEvent]:
    """Validate the parsed `data/timeline.yaml` list and return its events in date order.

    Each item needs `date` ("YYYY-MM-DD" or "YYYY-MM", as a quoted string), `label`,
    `actor` (us, china, both or other), `category` and `source`. Events on the same date
    keep their order in the file. An event is `expected` when it falls after `as_of`
    (a month-only event when its month is after the as-of month).
    """
    if not isinstance(raw, list):
        raise ValueError(f"timeline: expected a list of events, got {type(raw).__name__}")
    if not isinstance(as_of, date):
        raise ValueError(f"timeline: as_of must be a date, got {type(as_of).__name__}")
    events: list[TimelineEvent] = []
    for index, item in enumerate(raw):
        where = f"timeline event {index}"
        if not isinstance(item, dict):
            raise ValueError(f"{where}: expected a mapping, got {type(item).__name__}")
        unknown = sorted(str(k) for k in item if k not in REQUIRED_FIELDS)
        if unknown:
            allowed = ", ".join(REQUIRED_FIELDS)
            raise ValueError(f"{where}: unknown field {unknown[0]!r} (allowed: {allowed})")
        for field in REQUIRED_FIELDS:
            if field not in item or item[field] is None:
                raise ValueError(f"{where}: missing field {field!r}")
            value = item[field]
            if isinstance(value, date):
                raise ValueError(
                    f"{where}: field {field!r} must be a quoted string such as "
                    f'"{value.isoformat()}", not an unquoted YAML date'
                )
            if not isinstance(value, str):
                raise ValueError(
                    f"{where}: field {field!r} must be a string, got {type(value).__name__}"
                )
            if not value.strip():
                raise ValueError(f"{where}: field {field!r} is empty")
        actor = item["actor"].strip()
        if actor not in ACTORS:
            raise ValueError(f"{where}: field 'actor' is {actor!r}; use one of {', '.join(ACTORS)}")
        date_label, iso, year, month, day = _parse_date(item["date"].strip(), where)
        if day is None:
            expected = (year, month) > (as_of.year, as_of.month)
        else:
            expected = date(year, month, day) > as_of
        events.append(
            TimelineEvent(
                date_label=date_label,
                sort_key=iso,
                iso=iso,
                label=" ".join(item["label"].split()),
                actor=actor,
                category=item["category"].strip(),
                source=item["source"].strip(),
                expected=expected,
            )
        )
    # sorted() is stable: same-date events keep their file order.
    return sorted(events, key=lambda e: e.sort_key)


# --- drawing -------------------------------------------------------------------------

WIDTH = 480
PAD_TOP = 24
PAD_BOTTOM = 24
AXIS_X = 28
TEXT_X = 56
LINE = 24  # line height of the label text
DATE_LINE = 26
META_LINE = 22
GAP = 22  # space between events
WRAP = 38  # characters per label line at the label's font size


def _wrap(text: str, width: int = WRAP) -> list[str]:
    """Greedy word wrap; a word longer than the width gets a line of its own."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= width:
            current += " " + word
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines or [""]


def _describe(events: list[TimelineEvent]) -> str:
    if not events:
        return "No events."
    count = len(events)
    first, last = events[0], events[-1]
    noun = "event" if count == 1 else "events"
    parts = [
        f"A vertical timeline of {count} {noun}, from {first.date_label} to {last.date_label}."
    ]
    for e in events:
        flag = " (expected)" if e.expected else ""
        parts.append(f"{e.date_label}{flag}: {e.label} ({e.actor_label}).")
    expected = sum(1 for e in events if e.expected)
    if expected:
        parts.append(
            "Events after the as-of date are expected, not yet happened; "
            "they are drawn as hollow markers on a dashed line."
        )
    return " ".join(parts)


def _axis_line(y1: float, y2: float, *, dashed: bool) -> str:
    cls = "tl-axis tl-axis-expected" if dashed else "tl-axis"
    dash = ' stroke-dasharray="6 5"' if dashed else ""
    return (
        f'<line class="{cls}" x1="{AXIS_X}" y1="{y1}" x2="{AXIS_X}" y2="{y2}" '
        f'stroke="currentColor" stroke-width="2"{dash}/>'
    )


def timeline_svg(events: list[TimelineEvent]) -> Markup:
    """Draw the events as an accessible, responsive inline SVG (deterministic)."""
    title = "Timeline of events"
    desc = _describe(events)
    digest = hashlib.sha256(desc.encode("utf-8")).hexdigest()[:8]
    title_id = f"timeline-{digest}-title"
    desc_id = f"timeline-{digest}-desc"

    body: list[str] = []
    y = PAD_TOP
    rows: list[tuple[float, TimelineEvent]] = []  # marker y per event
    for e in events:
        top = y
        marker_y = top + DATE_LINE - 8
        rows.append((marker_y, e))
        date_text = escape(e.date_label)
        flag = ""
        if e.expected:
            flag = '<tspan class="tl-flag" dx="8" font-weight="400">· expected</tspan>'
        body.append(
            f'<text class="tl-date" x="{TEXT_X}" y="{top + DATE_LINE - 4}" '
            f'font-size="18" font-weight="700" fill="currentColor">{date_text}{flag}</text>'
        )
        y = top + DATE_LINE
        for line in _wrap(e.label):
            y += LINE
            body.append(
                f'<text class="tl-label" x="{TEXT_X}" y="{y - 6}" '
                f'font-size="17" fill="currentColor">{escape(line)}</text>'
            )
        y += META_LINE
        meta = f"{e.actor_label} · {e.category}"
        body.append(
            f'<text class="tl-meta" x="{TEXT_X}" y="{y - 5}" '
            f'font-size="15" fill="currentColor">{escape(meta)}</text>'
        )
        y += GAP
    height = y - GAP + PAD_BOTTOM if events else PAD_TOP + PAD_BOTTOM

    axis: list[str] = []
    if rows:
        ys = [my for my, _ in rows]
        k = next((i for i, (_, e) in enumerate(rows) if e.expected), len(rows))
        # Solid from the first event to the last one that has happened; dashed from
        # there (or from the top, if none has) to the last expected event.
        if k >= 2:
            axis.append(_axis_line(ys[0], ys[k - 1], dashed=False))
        if k < len(rows):
            start = ys[k - 1] if k > 0 else ys[0]
            if ys[-1] > start:
                axis.append(_axis_line(start, ys[-1], dashed=True))
    markers: list[str] = []
    for marker_y, e in rows:
        cls = f"tl-dot tl-{e.actor}" + (" tl-expected" if e.expected else "")
        if e.expected:
            markers.append(
                f'<circle class="{cls}" cx="{AXIS_X}" cy="{marker_y}" r="8" '
                f'fill="none" stroke="currentColor" stroke-width="3"/>'
            )
        else:
            markers.append(
                f'<circle class="{cls}" cx="{AXIS_X}" cy="{marker_y}" r="8" fill="currentColor"/>'
            )

    svg = (
        f'<svg class="timeline-svg" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-labelledby="{title_id}" aria-describedby="{desc_id}" '
        f'preserveAspectRatio="xMinYMin meet">'
        f'<title id="{title_id}">{escape(title)}</title>'
        f'<desc id="{desc_id}">{escape(desc)}</desc>'
        + "".join(axis)
        + "".join(markers)
        + "".join(body)
        + "</svg>"
    )
    return Markup(svg)
