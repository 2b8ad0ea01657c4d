"""Share cards (site_builder/render/share_card.py): the 1200×630 PNG behind each page's
og:image, drawn at build time, byte-identical from build to build."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from site_builder.render.share_card import HEIGHT, WIDTH, CardText, card_name, render_card
from tests.sitefactory import run_cli, snapshot

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
