"""Unit tests for site_builder.content.timeline: event validation and the SVG drawing."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest
from markupsafe import Markup, escape

from site_builder.content.textfit import text_width
from site_builder.content.timeline import TimelineEvent, timeline_events, timeline_svg
from site_builder.content.timeline_words import ENGLISH, TimelineWords
from site_builder.render.locale import timeline_words
from tests.sitefactory import SITE_YAML, make_site, page, run_cli

AS_OF = date(2025, 7, 27)
SVG_NS = "{http://www.w3.org/2000/svg}"


def ev(**over: object) -> dict:
    base = {
        "date": "2025-07-28",
        "label": "Talks open in Stockholm",
        "actor": "both",
        "category": "talks",
        "source": "src-1",
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not ...}


# --- timeline_events -----------------------------------------------------------------


def test_day_event_fields() -> None:
    [e] = timeline_events([ev()], AS_OF)
    assert e == TimelineEvent(
        date_label="28 July 2025",
        sort_key="2025-07-28",
        iso="2025-07-28",
        label="Talks open in Stockholm",
        actor="both",
        category="talks",
        source="src-1",
        expected=True,
    )


def test_month_event_fields() -> None:
    [e] = timeline_events([ev(date="2025-04", actor="us")], AS_OF)
    assert e.date_label == "April 2025"
    assert e.iso == "2025-04"
    assert e.sort_key == "2025-04"
    assert e.expected is False


def test_sorted_by_date_stable_for_ties_and_month_before_its_days() -> None:
    raw = [
        ev(date="2025-08-12", label="c"),
        ev(date="2025-05-03", label="b1"),
        ev(date="2025-05", label="a"),
        ev(date="2025-05-03", label="b2"),
    ]
    labels = [e.label for e in timeline_events(raw, AS_OF)]
    assert labels == ["a", "b1", "b2", "c"]


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("2025-07-26", False),
        ("2025-07-27", False),  # the as-of day itself has happened
        ("2025-07-28", True),
        ("2025-08-12", True),
        ("2025-07", False),  # the as-of month
        ("2025-08", True),
        ("2024-12", False),
        ("2026-01", True),
    ],
)
def test_expected_relative_to_as_of(when: str, expected: bool) -> None:
    [e] = timeline_events([ev(date=when)], AS_OF)
    assert e.expected is expected


def test_label_whitespace_normalised_and_fields_stripped() -> None:
    [e] = timeline_events([ev(label="  two\n  lines ", actor=" us ", source=" s ")], AS_OF)
    assert e.label == "two lines"
    assert e.actor == "us"
    assert e.source == "s"
    assert e.actor_label == "United States"


def test_empty_list() -> None:
    assert timeline_events([], AS_OF) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"date": "2025-01"}, r"timeline: expected a list"),
        (["nope"], r"timeline event 0: expected a mapping"),
        ([ev(), ev(label=...)], r"timeline event 1: missing field 'label'"),
        ([ev(source=None)], r"timeline event 0: missing field 'source'"),
        ([ev(actor="eu")], r"timeline event 0: field 'actor' is 'eu'; use one of"),
        ([ev(category="  ")], r"timeline event 0: field 'category' is empty"),
        ([ev(label=3)], r"timeline event 0: field 'label' must be a string, got int"),
        (
            [ev(date=date(2025, 8, 12))],
            r"timeline event 0: field 'date' must be a quoted string such as \"2025-08-12\"",
        ),
        ([ev(date="12 August")], r"timeline event 0: 'date' '12 August' must be"),
        ([ev(date="2025-13")], r"timeline event 0: 'date' '2025-13' has no month 13"),
        ([ev(date="2025-02-30")], r"timeline event 0: 'date' '2025-02-30' is not a real date"),
        ([ev(), ev(), ev(colour="red")], r"timeline event 2: unknown field 'colour'"),
    ],
)
def test_invalid_events_raise_clear_errors(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        timeline_events(raw, AS_OF)  # type: ignore[arg-type]


# --- timeline_svg --------------------------------------------------------------------


def sample() -> list[TimelineEvent]:
    return timeline_events(
        [
            ev(date="2025-04", label="Sweeping tariffs introduced", actor="us"),
            ev(date="2025-05", label="90-day reprieve agreed in Geneva"),
            ev(date="2025-07-28", label="Talks open in Stockholm"),
            ev(date="2025-08-12", label="Truce due to expire <unless extended> & more"),
        ],
        AS_OF,
    )


def parse(svg: Markup) -> ET.Element:
    return ET.fromstring(str(svg))


def test_svg_is_markup_and_well_formed() -> None:
    svg = timeline_svg(sample())
    assert isinstance(svg, Markup)
    root = parse(svg)
    assert root.tag == f"{SVG_NS}svg"


def test_svg_accessible_name_and_description() -> None:
    root = parse(timeline_svg(sample()))
    assert root.get("role") == "img"
    title = root.find(f"{SVG_NS}title")
    desc = root.find(f"{SVG_NS}desc")
    assert title is not None and desc is not None
    assert root.get("aria-labelledby") == title.get("id")
    assert root.get("aria-describedby") == desc.get("id")
    assert title.text
    text = desc.text or ""
    assert "4 events" in text
    assert "April 2025" in text and "12 August 2025" in text
    assert "expected" in text


def test_svg_responsive_no_fixed_width() -> None:
    root = parse(timeline_svg(sample()))
    assert root.get("width") == "100%"
    assert re.fullmatch(r"0 0 \d+ \d+(\.\d)?", root.get("viewBox") or "")
    assert root.get("height") is None


def test_svg_escapes_text() -> None:
    events = timeline_events([ev(category="Tariffs <b> & more")], AS_OF)
    svg = str(timeline_svg(events))
    assert "<b>" not in svg
    assert "Tariffs &lt;b&gt; &amp; more" in svg


def test_svg_colours_come_from_css_and_currentcolor() -> None:
    svg = str(timeline_svg(sample()))
    # no hard-coded colours: everything is currentColor, none, or a CSS class
    fills = set(re.findall(r'(?:fill|stroke)="([^"]+)"', svg))
    assert fills <= {"currentColor", "none"}
    assert 'class="tl-month-mark tl-us"' in svg
    assert 'class="tl-dot tl-both tl-expected"' in svg


def marks(root: ET.Element) -> list[ET.Element]:
    lines = [
        ln for ln in root.findall(f"{SVG_NS}line") if "tl-month-mark" in (ln.get("class") or "")
    ]
    return root.findall(f"{SVG_NS}circle") + lines


def test_svg_marks_expected_events() -> None:
    root = parse(timeline_svg(sample()))
    assert len(marks(root)) == 4
    hollow = [c for c in marks(root) if "tl-expected" in (c.get("class") or "")]
    assert len(hollow) == 2
    assert all(c.get("fill") == "none" for c in hollow)
    dashed = [ln for ln in root.findall(f"{SVG_NS}line") if "tl-axis" in (ln.get("class") or "")]
    assert [bool(ln.get("stroke-dasharray")) for ln in dashed] == [False, True]
    metas = [t.text or "" for t in root.findall(f"{SVG_NS}text") if t.get("class") == "tl-meta"]
    assert sum(m.startswith("Expected") for m in metas) == 2


def test_svg_day_events_are_dots_and_month_events_are_ticks_at_the_month_start() -> None:
    events = timeline_events(
        [ev(date="2025-04", actor="us"), ev(date="2025-05"), ev(date="2025-05-01")], AS_OF
    )
    root = parse(timeline_svg(events))
    assert root.findall(f"{SVG_NS}rect") == []  # no bar that would read as a duration
    ticks = [ln for ln in marks(root) if ln.tag == f"{SVG_NS}line"]
    [dot] = root.findall(f"{SVG_NS}circle")
    assert len(ticks) == 2
    # a tick is short and horizontal, at the first day of its month: May's tick is level
    # with the dot of 1 May
    for tick in ticks:
        assert tick.get("y1") == tick.get("y2")
        assert float(tick.get("x2") or 0) - float(tick.get("x1") or 0) < 30
    assert ticks[1].get("y1") == dot.get("cy")


def test_svg_labels_are_in_the_list_not_drawn_again() -> None:
    root = parse(timeline_svg(sample()))
    drawn = " ".join(t.text or "" for t in root.iter(f"{SVG_NS}text"))
    desc = root.find(f"{SVG_NS}desc")
    assert desc is not None
    for e in sample():
        assert e.label not in drawn and e.label not in (desc.text or "")
        assert e.date_label in drawn and e.category in drawn


def test_svg_text_is_at_least_14_px_in_a_375_px_phone() -> None:
    root = parse(timeline_svg(sample()))
    width = float((root.get("viewBox") or "").split()[2])
    drawn_width = 375 - 2 * 16  # the page's side padding
    sizes = [float(t.get("font-size") or 0) for t in root.iter(f"{SVG_NS}text")]
    assert sizes and min(sizes) * drawn_width / width >= 14


def test_svg_drawn_to_scale_and_text_never_overlaps() -> None:
    events = timeline_events(
        [
            ev(date="2025-07-01", label="a"),
            ev(date="2025-07-02", label="b"),
            ev(date="2025-07-30", label="c"),
        ],
        AS_OF,
    )
    root = parse(timeline_svg(events))
    ys = [float(c.get("cy") or 0) for c in root.findall(f"{SVG_NS}circle")]
    # dots at day 0, 1 and 29: equal spacing per day
    assert abs((ys[2] - ys[0]) / (ys[1] - ys[0]) - 29) < 0.01
    texts = root.findall(f"{SVG_NS}text")
    dates = [float(t.get("y") or 0) for t in texts if t.get("class") == "tl-date"]
    metas = [float(t.get("y") or 0) for t in texts if t.get("class") == "tl-meta"]
    assert dates == sorted(dates)
    # each event's text block ends before the next one's starts (17 px date text)
    for meta, next_date in zip(metas, dates[1:], strict=False):
        assert next_date - 17 > meta
    # every text line fits inside the viewBox height
    height = float((root.get("viewBox") or "").split()[3])
    assert all(float(t.get("y") or 0) < height for t in texts)


def test_svg_month_ticks() -> None:
    root = parse(timeline_svg(sample()))
    months = [t.text for t in root.findall(f"{SVG_NS}text") if t.get("class") == "tl-month"]
    assert months == ["Apr", "May", "Jun", "Jul", "Aug"]


def test_svg_deterministic_and_ids_depend_on_content() -> None:
    a = timeline_svg(sample())
    assert a == timeline_svg(sample())
    other = timeline_svg(sample()[:2])
    id_a = parse(a).get("aria-labelledby")
    id_b = parse(other).get("aria-labelledby")
    assert id_a != id_b


# --- hostile labels through the real command line ---------------------------------------

# Labels a writer (or an attacker with write access to data/) might put in timeline.yaml.
# Under the old code the SVG's opening tag was a format string holding the escaped labels,
# so format fields in a label were expanded after escaping: the first rebuilt <script>,
# the others crashed the build.
HOSTILE_LABELS = (
    "{height:<<1.0}script{height:><1.0}alert(1){height:<<1.0}/script{height:><1.0}",
    "An opening brace { alone",
    "A field {x} by name",
    "{0.__class__} and {0.__class__.__mro__}",
    "{height} {} {{ doubled }} }",
    "<script>alert(2)</script> & {!r}",
)


def hostile_site(root: Path) -> Path:
    events = "".join(
        f'- date: "2025-07-{10 + i:02d}"\n  label: {json.dumps(label)}\n'
        f"  actor: other\n  category: {json.dumps(label)}\n  source: src\n"
        for i, label in enumerate(HOSTILE_LABELS)
    )
    template = (
        '{% extends "base.html" %}{% block main %}'
        "{% set events = timeline_events(data.timeline, site.as_of) %}"
        '<ol>{% for e in events %}<li class="label">{{ e.label }}</li>{% endfor %}</ol>'
        "{{ timeline_svg(events) }}{% endblock %}"
    )
    return make_site(
        root,
        {
            "site.yaml": SITE_YAML + "as_of: 2025-07-27\n",
            "data/timeline.yaml": events,
            "templates/timeline.html": template,
            "content/timeline.md": page("Timeline", template="timeline.html"),
        },
    )


def test_hostile_labels_are_shown_as_written_never_run(tmp_path: Path) -> None:
    project = hostile_site(tmp_path / "site")
    result = run_cli("build", "--source", project, "--output", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    text = (tmp_path / "out" / "timeline" / "index.html").read_text(encoding="utf-8")
    assert "<script" not in text.lower()
    svg = text[text.index("<svg") :]
    root = ET.fromstring(svg[: svg.index("</svg>") + len("</svg>")])
    # The picture wraps a long category line: its lines, joined, are the text as written.
    metas = [t.text or "" for t in root.iter(f"{SVG_NS}text") if t.get("class") == "tl-meta"]
    drawn = "".join(metas).replace(" ", "")
    for label in HOSTILE_LABELS:
        assert escape(label) in text  # the list shows it, escaped, braces and all
        assert f"{label} · Other".replace(" ", "") in drawn  # the picture draws it as written


# --- another language: dates, words, and CJK text that fits ------------------------------

ZH_LABELS = {
    "timeline_actor_both": "双方",
    "timeline_actor_unstated": "未说明",
    "timeline_expected": "预期",
    "timeline_title": "事件时间线，按比例绘制",
    "timeline_description": "列表中的{count}个事件，从{first}到{last}。",
    "timeline_description_expected": "其中{count}个为预期事件。",
    "whos_who": "人物一览",  # a key of the site's own: not the timeline's business
}


def zh_words() -> TimelineWords:
    return timeline_words("zh-Hans").with_labels(ZH_LABELS)


def test_dates_and_words_in_the_language_given() -> None:
    events = timeline_events(
        [ev(date="2025-04", actor="unstated"), ev(date="2025-08-12")], AS_OF, zh_words()
    )
    assert [e.date_label for e in events] == ["2025年4月", "2025年8月12日"]
    assert [e.actor_label for e in events] == ["未说明", "双方"]
    root = parse(timeline_svg(events, zh_words()))
    title, desc = root.find(f"{SVG_NS}title"), root.find(f"{SVG_NS}desc")
    assert title is not None and title.text == "事件时间线，按比例绘制"
    assert (
        desc is not None
        and desc.text == "列表中的2个事件，从2025年4月到2025年8月12日。其中1个为预期事件。"
    )
    months = [t.text for t in root.findall(f"{SVG_NS}text") if t.get("class") == "tl-month"]
    assert months == ["4月", "5月", "6月", "7月", "8月"]
    metas = [t.text for t in root.findall(f"{SVG_NS}text") if t.get("class") == "tl-meta"]
    assert metas == ["talks · 未说明", "预期 · talks · 双方"]


def test_the_default_words_are_the_english_ones() -> None:
    assert timeline_words(None) is ENGLISH
    assert ENGLISH.with_labels({}) is ENGLISH
    assert ENGLISH.with_labels(None) is ENGLISH


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (
            {"timeline_expectd": "预期"},
            r"unknown key 'timeline_expectd' \(known: timeline_expected",
        ),
        ({"timeline_actor_eu": "欧盟"}, r"unknown key 'timeline_actor_eu'"),
        ({"timeline_title": 3}, r"'timeline_title' must be a non-empty string"),
        ({"timeline_title": "  "}, r"'timeline_title' must be a non-empty string"),
    ],
)
def test_bad_timeline_words_are_refused(labels: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ENGLISH.with_labels(labels)


def drawn_lines(root: ET.Element) -> list[ET.Element]:
    return [t for t in root.iter(f"{SVG_NS}text") if t.get("class") in ("tl-date", "tl-meta")]


def test_cjk_text_that_would_overflow_wraps_and_every_line_fits_the_picture() -> None:
    # 14 CJK characters at 15 px are 210 px: with the date and actor the line is wider than
    # the text column, though a Latin estimate (about half an em a character) says it fits.
    category = "欧盟与中国举行高级别峰会之后的贸易局势"
    events = timeline_events(
        [ev(date="2025-07", category=category, actor="unstated"), ev(date="2025-08-12")],
        AS_OF,
        zh_words(),
    )
    root = parse(timeline_svg(events, zh_words()))
    width = float((root.get("viewBox") or "").split()[2])
    metas = [t for t in drawn_lines(root) if t.get("class") == "tl-meta"]
    assert len(metas) > len(events)  # the long one takes two lines
    assert "".join(t.text or "" for t in metas).startswith(category)
    for text in drawn_lines(root):
        right = float(text.get("x") or 0) + text_width(
            text.text or "", float(text.get("font-size") or 0)
        )
        assert right <= width, (text.text, right, width)
    # the lines of one event and the next never overlap: each baseline at least a line below
    ys = [float(t.get("y") or 0) for t in drawn_lines(root)]
    assert all(b - a >= 15 for a, b in zip(ys, ys[1:], strict=False)), ys
