"""Timeline events: validated from `data/timeline.yaml` and drawn as an inline SVG.

`timeline_events(raw, as_of)` turns the parsed YAML list into sorted `TimelineEvent`s and
marks the ones after the as-of date as expected. `timeline_svg(events)` draws them as a
vertical timeline that scales to its container (viewBox, width 100%) and takes its colours
from CSS classes and `currentColor`, so the page's light and dark schemes both apply.

Both take a `TimelineWords`: the language the dates, actors and the picture's own words are
written in (English by default; `TimelineWords.with_labels` takes a site's own words from a
data table). Text drawn in the picture is measured (a CJK character is about 1 em wide, a
Latin letter about half that) and wrapped onto more lines where it would not fit.

Both functions are pure and deterministic: the same input always gives the same output.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from site_builder.content.textfit import wrap
from site_builder.content.timeline_words import ACTORS, ENGLISH, TimelineWords, fill_slots

REQUIRED_FIELDS: tuple[str, ...] = ("date", "label", "actor", "category", "source")


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
    actor_label: str = ""  # the actor in words ("United States"); the English one if empty

    def __post_init__(self) -> None:
        if not self.actor_label:
            object.__setattr__(self, "actor_label", ACTORS[self.actor])


def _parse_date(
    value: str, where: str, words: TimelineWords
) -> tuple[str, str, int, int, int | None]:
    """Return (date_label, iso, year, month, day or None) or raise ValueError."""
    m = _DAY_RE.match(value)
    if m:
        year, month, day = (int(g) for g in m.groups())
        try:
            date(year, month, day)
        except ValueError as exc:
            raise ValueError(f"{where}: 'date' {value!r} is not a real date ({exc})") from None
        return words.day(date(year, month, day)), value, year, month, day
    m = _MONTH_RE.match(value)
    if m:
        year, month = (int(g) for g in m.groups())
        if not 1 <= month <= 12:
            raise ValueError(f"{where}: 'date' {value!r} has no month {month:02d}")
        return words.month(date(year, month, 1)), value, year, month, None
    raise ValueError(f'{where}: \'date\' {value!r} must be "YYYY-MM-DD" or "YYYY-MM"')


def timeline_events(
    raw: list[dict], as_of: date, words: TimelineWords = ENGLISH
) -> list[TimelineEvent]:
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
        date_label, iso, year, month, day = _parse_date(item["date"].strip(), where, words)
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
                actor_label=words.actors.get(actor) or ACTORS[actor],
            )
        )
    # sorted() is stable: same-date events keep their file order.
    return sorted(events, key=lambda e: e.sort_key)


# --- drawing -------------------------------------------------------------------------
#
# A vertical time axis drawn to scale: a day event is a dot at its date, a month-only event
# a tick across the axis at the start of its month (a bar spanning the month would read as
# a duration), so the picture never claims more precision than the data has. Beside each
# mark is its date and, on a second line, its category and who acted: the events' labels
# are in the list the picture accompanies, so they are not drawn twice. Each text sits as
# close to its date as the text above it allows, joined to its mark by a leader line. The
# axis is solid up to the last event that has happened and dashed beyond it; expected
# events have hollow dots or dashed ticks.
#
# Sizes are for a picture about 343 px wide (a 375 px phone): the viewBox is WIDTH wide, so
# every text is drawn at no less than 14 px there (MIN_FONT * 343 / WIDTH).

WIDTH = 360
PAD_TOP = 20
PAD_BOTTOM = 16
TICK_X = 50  # right edge of the month names
AXIS_X = 70  # day events sit on the axis...
LANE = 15  # ...or this far to its right when a neighbour's dot is in the way
DOT_R = 6
MONTH_MARK = 11  # half the length of a month-only event's tick
TEXT_X = 118
TEXT_WIDTH = WIDTH - TEXT_X - 4  # the text column, a little clear of the right edge
DATE_FONT = 17
META_FONT = 15
MIN_FONT = 15
DATE_LINE = 24  # height of an event's date line
META_LINE = 22  # height of its category line
GAP = 12  # least space between two events' text
MIN_SCALE = 3.0  # pixels per day
MAX_SCALE = 6.0


def _span(event: TimelineEvent) -> tuple[date, date]:
    """First and last day an event may fall on (the same day for a day event)."""
    parts = [int(p) for p in event.iso.split("-")]
    if len(parts) == 3:
        day = date(parts[0], parts[1], parts[2])
        return day, day
    start = date(parts[0], parts[1], 1)
    following = date(parts[0] + (parts[1] == 12), parts[1] % 12 + 1, 1)
    return start, date.fromordinal(following.toordinal() - 1)


def _fmt(value: float) -> str:
    """Coordinates with at most one decimal, no trailing zeros: stable, short output."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _describe(events: list[TimelineEvent], words: TimelineWords) -> str:
    """The picture's description: what it shows, not the events again (they are in the
    list beside it, which a screen reader reads anyway)."""
    if not events:
        return words.no_events
    count = len(events)
    sentence = words.description_one if count == 1 else words.description
    text = fill_slots(sentence, count=count, first=events[0].date_label, last=events[-1].date_label)
    expected = sum(e.expected for e in events)
    if expected:
        joiner = "" if _ends_wide(text) else " "
        text += joiner + fill_slots(words.description_expected, count=expected)
    return text


def _ends_wide(text: str) -> bool:
    return bool(text) and unicodedata.east_asian_width(text[-1]) in ("W", "F")


def _event_lines(event: TimelineEvent, words: TimelineWords) -> tuple[list[str], list[str]]:
    """The event's date and its category line, each wrapped to the text column."""
    meta = f"{event.category} · {event.actor_label}"
    if event.expected:
        meta = f"{words.expected} · {meta}"
    return wrap(event.date_label, DATE_FONT, TEXT_WIDTH), wrap(meta, META_FONT, TEXT_WIDTH)


def timeline_svg(events: list[TimelineEvent], words: TimelineWords = ENGLISH) -> Markup:
    """Draw the events as an accessible, responsive inline SVG (deterministic)."""
    desc = _describe(events, words)
    digest = hashlib.sha256(
        "\x00".join(f"{e.iso}\x01{e.label}\x01{e.actor}\x01{e.category}" for e in events).encode()
    ).hexdigest()[:8]
    title_id = f"timeline-{digest}-title"
    desc_id = f"timeline-{digest}-desc"
    # The height is known only after layout, so the opening tag is built last. Text from
    # the data is escaped and only ever concatenated, never used as a format string: a
    # label or category holding "{" or "{0}" is shown as written.
    title_text = str(escape(words.title))
    desc_text = str(escape(desc))

    def opening(height: str) -> str:
        return (
            '<svg class="timeline-svg" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
            f'aria-labelledby="{title_id}" aria-describedby="{desc_id}">'
            f'<title id="{title_id}">' + title_text + "</title>"
            f'<desc id="{desc_id}">' + desc_text + "</desc>"
        )

    if not events:
        return Markup(opening(_fmt(PAD_TOP + PAD_BOTTOM)) + "</svg>")

    spans = [_span(e) for e in events]
    first = min(start for start, _ in spans)
    last = max(end for _, end in spans)
    lines = [_event_lines(e, words) for e in events]
    heights = [DATE_LINE * len(d) + META_LINE * len(m) for d, m in lines]
    days = max(1, (last - first).days)
    scale = min(MAX_SCALE, max(MIN_SCALE, (sum(heights) + GAP * len(events)) / days))

    def y_of(day: date) -> float:
        return PAD_TOP + 10 + (day - first).days * scale

    marks: list[str] = []
    texts: list[str] = []
    leaders: list[str] = []
    ticks = _month_ticks(first, last, y_of, words)

    bottom = PAD_TOP
    lanes: list[float] = []  # the y of the last dot in each lane beside the axis
    for e, (start, end), (date_lines, meta_lines), height in zip(
        events, spans, lines, heights, strict=True
    ):
        anchor = y_of(start)
        mark, start_x = _event_mark(e, anchor, day_event=start == end, lanes=lanes)
        marks.append(mark)
        top = max(anchor - DATE_LINE + 7, bottom)
        date_y = top + DATE_LINE - 7
        bend = max(start_x + 4, TEXT_X - 22)
        leaders.append(
            f'<polyline class="tl-leader" points="{start_x},{_fmt(anchor)} '
            f'{bend},{_fmt(anchor)} {TEXT_X - 6},{_fmt(date_y - 5)}" '
            f'fill="none" stroke="currentColor" stroke-width="1"/>'
        )
        for index, text in enumerate(date_lines):
            texts.append(
                f'<text class="tl-date" x="{TEXT_X}" y="{_fmt(date_y + index * DATE_LINE)}" '
                f'font-size="{DATE_FONT}" font-weight="700" fill="currentColor">'
                + str(escape(text))
                + "</text>"
            )
        meta_top = top + DATE_LINE * len(date_lines)
        for index, text in enumerate(meta_lines):
            texts.append(
                f'<text class="tl-meta" x="{TEXT_X}" '
                f'y="{_fmt(meta_top + (index + 1) * META_LINE - 6)}" '
                f'font-size="{META_FONT}" fill="currentColor">' + str(escape(text)) + "</text>"
            )
        bottom = top + height + GAP

    axis_end = y_of(last) + scale + 10
    axis = _axis(events, [y_of(start) for start, _ in spans], y_of(first) - 10, axis_end)

    height = max(bottom - GAP, axis_end) + PAD_BOTTOM
    return Markup(
        opening(_fmt(height))
        + "".join(axis)
        + "".join(ticks)
        + "".join(leaders)
        + "".join(marks)
        + "".join(texts)
        + "</svg>"
    )


def _month_ticks(
    first: date, last: date, y_of: Callable[[date], float], words: TimelineWords
) -> list[str]:
    """Month ticks and names along the left of the axis."""
    ticks: list[str] = []
    month = date(first.year, first.month, 1)
    while month <= last:
        ty = y_of(month) if month >= first else y_of(first)
        ticks.append(
            f'<line class="tl-tick" x1="{AXIS_X - 8}" y1="{_fmt(ty)}" x2="{AXIS_X}" '
            f'y2="{_fmt(ty)}" stroke="currentColor" stroke-width="1.5"/>'
        )
        ticks.append(
            f'<text class="tl-month" x="{TICK_X - 4}" y="{_fmt(ty + 5)}" text-anchor="end" '
            f'font-size="{MIN_FONT}" fill="currentColor">'
            + str(escape(words.month_abbr(month)))
            + "</text>"
        )
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return ticks


def _event_mark(
    event: TimelineEvent, anchor: float, *, day_event: bool, lanes: list[float]
) -> tuple[str, float]:
    """An event's mark on the axis and the x its leader line starts at.

    A day event is a dot, moved into the first lane beside the axis where it clears the
    dot above it (`lanes` holds each lane's last dot and is updated); an event known only
    to the month is a short tick across the axis, not a bar that would read as a duration.
    """
    cls = f"tl-{event.actor}" + (" tl-expected" if event.expected else "")
    if day_event:
        lane = next((i for i, y in enumerate(lanes) if anchor - y >= 2 * DOT_R + 3), len(lanes))
        lanes[lane : lane + 1] = [anchor]
        x = AXIS_X + lane * LANE
        fill = 'fill="none" stroke-width="2.5"' if event.expected else 'fill="currentColor"'
        mark = (
            f'<circle class="tl-dot {cls}" cx="{x}" cy="{_fmt(anchor)}" r="{DOT_R}" '
            f'stroke="currentColor" {fill}/>'
        )
        return mark, x + DOT_R + 2
    dash = ' stroke-dasharray="4 3"' if event.expected else ""
    mark = (
        f'<line class="tl-month-mark {cls}" x1="{AXIS_X - MONTH_MARK}" '
        f'y1="{_fmt(anchor)}" x2="{AXIS_X + MONTH_MARK}" y2="{_fmt(anchor)}" '
        f'stroke="currentColor" stroke-width="5" stroke-linecap="butt"{dash}/>'
    )
    return mark, AXIS_X + MONTH_MARK + 2


def _axis(
    events: list[TimelineEvent], anchors: list[float], axis_top: float, axis_end: float
) -> list[str]:
    """The axis: solid to the last event that has happened, dashed beyond it."""
    past = [y for e, y in zip(events, anchors, strict=True) if not e.expected]
    split = max(past) if past else axis_top
    if not any(e.expected for e in events):
        split = axis_end
    axis: list[str] = []
    if split > axis_top:
        axis.append(_axis_line(axis_top, split, dashed=False))
    if axis_end > split:
        axis.append(_axis_line(split, axis_end, dashed=True))
    return axis


def _axis_line(y1: float, y2: float, *, dashed: bool) -> str:
    cls = "tl-axis tl-axis-expected" if dashed else "tl-axis"
    dash = ' stroke-dasharray="6 5"' if dashed else ""
    return (
        f'<line class="{cls}" x1="{AXIS_X}" y1="{_fmt(y1)}" x2="{AXIS_X}" y2="{_fmt(y2)}" '
        f'stroke="currentColor" stroke-width="2"{dash}/>'
    )
