"""Share cards (site_builder/render/share_card.py): the 1200×630 PNG behind each page's
og:image, drawn at build time, byte-identical from build to build."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from site_builder.render import share_card
from site_builder.render.share_card import (
    HEIGHT,
    WIDTH,
    CardText,
    card_name,
    cjk_face,
    find_cjk_font,
    lacks_font,
    render_card,
)
from site_builder.render.share_card import _cjk_font as cjk_font
from site_builder.render.share_card import _plain_font as plain_font
from site_builder.render.share_card import _wrap as wrap
from tests.sitefactory import cli_env, run_cli, snapshot
from tests.support import linux_only, missing_tool

TEXT = CardText(
    site_title="A site about talks",
    title="Who is at the table",
    summary="Two delegations meet. " * 20,
    status="Current to 27 July 2025; later events are not covered.",
)


def png_chunks(data: bytes) -> list[bytes]:
    """The chunk types of a PNG, in order."""
    chunks, at = [], 8
    while at < len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunks.append(data[at + 4 : at + 8])
        at += 12 + length
    return chunks


def test_a_card_is_a_1200_by_630_png_with_no_metadata() -> None:
    data = render_card(TEXT)
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("PNG", (WIDTH, HEIGHT)) == ("PNG", (1200, 630))
    # no time, software or text chunks that would differ between builds
    assert set(png_chunks(data)) <= {b"IHDR", b"IDAT", b"IEND"}


def test_the_same_text_gives_the_same_bytes_and_name() -> None:
    assert render_card(TEXT) == render_card(CardText(**TEXT.__dict__))
    assert card_name(TEXT) == card_name(CardText(**TEXT.__dict__))


def test_a_change_to_any_text_changes_the_name() -> None:
    names = {card_name(TEXT)}
    for field in ("site_title", "title", "summary", "status"):
        changed = CardText(**{**TEXT.__dict__, field: getattr(TEXT, field) + "!"})
        names.add(card_name(changed))
    assert len(names) == 5
    assert all(name.startswith("share/") and name.endswith(".png") for name in names)


def test_long_and_empty_text_still_draws_a_card() -> None:
    for text in (
        CardText("S" * 300, "word " * 400, "x" * 5000, "s " * 200),
        CardText("", "", "", ""),
        CardText("Ünïcödé “quotes” — dashes", "中文标题 and Arabic العربية", "{0} {x} {", ""),
    ):
        with Image.open(io.BytesIO(render_card(text))) as image:
            assert image.size == (1200, 630)


def test_two_builds_write_byte_identical_cards(
    tmp_path: Path, project_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = []
    for name, epoch in (("one", "1700000000"), ("two", "1800000000")):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        project = copy_project(project_root, tmp_path / f"site-{name}")
        output = tmp_path / f"out-{name}"
        result = run_cli("build", "--source", project, "--output", output)
        assert result.returncode == 0, result.stderr
        outputs.append({k: v for k, v in snapshot(output).items() if k.startswith("share/")})
    assert outputs[0] and outputs[0] == outputs[1]


def test_an_edited_title_gets_a_new_card_and_the_old_one_goes(
    tmp_path: Path, project_root: Path
) -> None:
    project = copy_project(project_root, tmp_path / "site")
    output = tmp_path / "out"
    assert run_cli("build", "--source", project, "--output", output).returncode == 0
    before = {k for k in snapshot(output) if k.startswith("share/")}
    page = project / "content" / "timeline.md"
    page.write_text(page.read_text(encoding="utf-8").replace('title: "Timeline"', 'title: "Dates"'))
    result = run_cli("build", "--source", project, "--output", output)
    assert result.returncode == 0, result.stderr
    after = {k for k in snapshot(output) if k.startswith("share/")}
    assert len(after) == len(before) and len(after - before) == 1
    html = (output / "timeline" / "index.html").read_text(encoding="utf-8")
    [new] = after - before
    assert new in html


def copy_project(root: Path, to: Path) -> Path:
    """The explainer's own project files (not the repository around them)."""
    to.mkdir(parents=True)
    shutil.copy2(root / "site.yaml", to / "site.yaml")
    for folder in ("content", "data", "templates", "static"):
        shutil.copytree(root / folder, to / folder)
    return to


def test_the_preview_serves_the_card_of_a_page_just_edited(
    tmp_path: Path, project_root: Path
) -> None:
    from tests.test_server import get, start, wait_until

    project = copy_project(project_root, tmp_path / "site")
    server = start(project)
    try:

        def card_path() -> str:
            _, _, body = get(server.url, urlsplit(server.url).path + "timeline/")
            found = re.search(
                rb'<meta property="og:image" content="[^"]*/(share/[0-9a-f]+\.png)"', body
            )
            return found.group(1).decode() if found else ""

        def served(path: str) -> bytes:
            status, headers, body = get(server.url, urlsplit(server.url).path + path)
            return body if status == 200 and headers.get("Content-Type") == "image/png" else b""

        before = card_path()
        assert before and served(before).startswith(b"\x89PNG")
        page = project / "content" / "timeline.md"
        page.write_text(
            page.read_text(encoding="utf-8").replace('title: "Timeline"', 'title: "Dates"')
        )
        wait_until(lambda: card_path() not in ("", before), timeout=30, what="the page's new card")
        after = card_path()
        wait_until(lambda: served(after), timeout=10, what=f"{after} served")
        with Image.open(io.BytesIO(served(after))) as image:
            assert image.size == (1200, 630)
    finally:
        server.stop()


def test_a_one_page_rebuild_reads_no_other_pages_output_and_draws_its_card(
    tmp_path: Path, project_root: Path
) -> None:
    """The preview's save of one page: its new card is drawn (the same bytes a fresh build
    draws), and no other page's HTML is opened to find the cards it names."""
    import sys

    from site_builder.pipeline.build import Builder, BuildOptions

    project = copy_project(project_root, tmp_path / "site")
    output = tmp_path / "out"
    builder = Builder(BuildOptions(project=project, output=output, cache=False))
    builder.build()
    opened: list[str] = []
    watching = [False]

    def note_open(event: str, args: tuple) -> None:
        if watching[0] and event == "open" and isinstance(args[0], str | Path):
            opened.append(str(args[0]))

    sys.addaudithook(note_open)
    page = project / "content" / "timeline.md"
    page.write_text(page.read_text(encoding="utf-8").replace('title: "Timeline"', 'title: "Dates"'))
    watching[0] = True
    try:
        builder.rebuild([page])
    finally:
        watching[0] = False
    html_read = {
        Path(path).relative_to(output).as_posix()
        for path in opened
        if path.endswith(".html") and Path(path).is_relative_to(output)
    }
    assert html_read <= {"timeline/index.html"}, sorted(html_read)
    html = (output / "timeline" / "index.html").read_text(encoding="utf-8")
    [name] = re.findall(r"share/[0-9a-f]+\.png", html)[:1]
    fresh = tmp_path / "fresh"
    assert run_cli("build", "--source", project, "--output", fresh).returncode == 0
    assert (output / name).read_bytes() == (fresh / name).read_bytes()


# -- Chinese, Japanese and Korean -------------------------------------------------------------

HIDE = Path(__file__).parent / "support" / "hide"
BILINGUAL = Path(__file__).parent / "fixtures" / "bilingual"
CHINESE = CardText(
    site_title="港口笔记",
    title="潮汐：潮水每天上涨两次，每天稍晚一些，引航员把每月最高的潮水称为大潮",
    summary="两次大潮之间是小潮，那时潮水几乎不动。" * 4,
    status="内容截至2025年3月1日。",
    language="zh-Hans",
)
NOT_A_CHARACTER = "\U0010fffd"  # no font has it: what a font draws for a missing glyph


def needs_cjk_font() -> None:
    linux_only("the share cards' CJK font")
    if find_cjk_font("regular") is None or find_cjk_font("bold") is None:
        missing_tool("Noto Sans CJK is not installed (Debian: apt-get install fonts-noto-cjk)")


def drawn_as_missing(font: object, character: str) -> bool:
    """True if `font` draws `character` as it draws a character it lacks (a tofu box)."""
    mask, missing = font.getmask(character), font.getmask(NOT_A_CHARACTER)  # type: ignore[attr-defined]
    return (mask.size, bytes(mask)) == (missing.size, bytes(missing))


@pytest.mark.parametrize(
    ("language", "text", "face"),
    [
        ("zh-Hans", "Tides", "SC"),
        ("zh-Hant", "潮汐", "TC"),
        ("ja", "潮汐", "JP"),
        ("ko", "조수", "KR"),
        ("en", "The 潮汐 of the harbour", "SC"),
        ("en", "Tides", None),
    ],
)
def test_a_card_in_a_cjk_language_or_with_cjk_text_takes_that_face(
    language: str, text: str, face: str | None
) -> None:
    assert cjk_face(CardText("Site", text, "", "", language)) == face


def test_every_character_of_a_chinese_title_is_drawn_with_a_real_glyph() -> None:
    needs_cjk_font()
    font, name = cjk_font("bold", 68, "SC")
    assert name == "NotoSansCJK-Bold.ttc#SC"
    assert font.getname() == ("Noto Sans CJK SC", "Bold")
    characters = set(CHINESE.title + CHINESE.summary + CHINESE.status) - {" "}
    assert not [c for c in characters if drawn_as_missing(font, c)]
    # The check can fail: DejaVu, the Latin cards' font, draws these as boxes.
    dejavu, _ = plain_font("bold", 68)
    assert all(drawn_as_missing(dejavu, c) for c in "潮汐港口")


def test_a_chinese_card_differs_from_the_one_drawn_without_the_font(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    needs_cjk_font()
    with_font = render_card(CHINESE)
    assert render_card(CHINESE) == with_font  # deterministic
    named = card_name(CHINESE)
    monkeypatch.setattr(share_card, "find_cjk_font", lambda weight: None)
    monkeypatch.setattr(share_card, "_cjk_font", share_card._cjk_font.__wrapped__)
    assert lacks_font(CHINESE)
    assert render_card(CHINESE) != with_font and card_name(CHINESE) != named


def test_chinese_lines_break_between_characters_never_before_a_closing_mark() -> None:
    needs_cjk_font()
    font, _ = cjk_font("regular", 30, "SC")
    lines = wrap(CHINESE.summary, font, 500)
    assert len(lines) > 3 and "".join(lines) == CHINESE.summary
    assert all(font.getlength(line) <= 500 for line in lines)
    assert not [line for line in lines if line[0] in "，。、；：！？）」』”"]
    mixed = wrap("定于2025年7月28日在 Stockholm 开始", font, 200)
    assert " ".join(mixed).replace(" ", "") == "定于2025年7月28日在Stockholm开始"
    assert "2025" in "".join(mixed) and not any(line.startswith("025") for line in mixed)


def build_bilingual(tmp_path: Path, hide: str = "", *args: str) -> tuple[Path, str, int]:
    site = tmp_path / "site"
    shutil.copytree(BILINGUAL, site)
    env = cli_env()
    if hide:
        env["PYTHONPATH"] = os.pathsep.join([str(HIDE), env["PYTHONPATH"]])
        env["SITE_BUILDER_HIDE"] = hide
    result = subprocess.run(
        [sys.executable, "-m", "site_builder", "build", "--source", str(site), *args],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    return site / "output", result.stderr, result.returncode


def og_image(output: Path, page: str) -> Path:
    html = (output / page / "index.html").read_text(encoding="utf-8")
    found = re.search(r'<meta property="og:image" content="[^"]+/(share/[0-9a-f]+\.png)">', html)
    assert found
    return output / found[1]


def test_a_chinese_pages_card_is_built_in_chinese_with_the_cjk_font(tmp_path: Path) -> None:
    needs_cjk_font()
    output, stderr, status = build_bilingual(tmp_path, "", "--strict")
    assert status == 0, stderr
    card = og_image(output, "zh/tides")
    expected = CardText(
        "港口笔记", "潮汐", "潮水每天上涨两次，每天稍晚一些。", "内容截至2025年3月1日。", "zh-Hans"
    )
    assert card.read_bytes() == render_card(expected)
    assert og_image(output, "tides") != card


def test_without_a_cjk_font_the_build_warns_and_strict_fails(tmp_path: Path) -> None:
    output, stderr, status = build_bilingual(tmp_path, "cjk-font")
    assert status == 0, stderr
    [warning] = [line for line in stderr.splitlines() if "CJK font" in line]
    assert (
        warning.startswith("content/zh/")
        and ": warning: the share card of this page and" in warning
    )
    assert "fonts-noto-cjk" in warning
    assert og_image(output, "zh/tides").is_file()
    _, stderr, status = build_bilingual(tmp_path / "strict", "cjk-font", "--strict")
    assert status == 1 and "CJK font" in stderr and "Traceback" not in stderr
