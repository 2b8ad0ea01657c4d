"""Images in Markdown (issue 17, item 4): `![alt](path)` is the file beside the page,
else the one under static/, with the base path; a missing file or missing alt text is
a build error at the Markdown line. Through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sitefactory import make_site, page, run_cli, snapshot

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>\n'
)


def site_with_images(root: Path, body: str) -> Path:
    return make_site(
        root,
        {
            "content/guide/index.md": page("Guide", body),
            "content/guide/chart.svg": SVG,
            "static/img/logo.svg": SVG.replace("4", "8"),
        },
    )


def test_images_resolve_beside_the_page_then_under_static(tmp_path: Path) -> None:
    project = site_with_images(
        tmp_path,
        "![A chart of the figures](chart.svg)\n\n![The logo](img/logo.svg)\n\n"
        "![Also the logo](/img/logo.svg)\n\n![](img/logo.svg){.decorative}\n",
    )
    result = run_cli("build", "--source", project)
    assert result.returncode == 0, result.stderr
    html = (project / "output" / "guide" / "index.html").read_text(encoding="utf-8")
    assert '<img src="/repo/guide/chart.svg" alt="A chart of the figures" />' in html
    assert '<img src="/repo/img/logo.svg" alt="The logo" />' in html
    assert '<img src="/repo/img/logo.svg" alt="Also the logo" />' in html
    assert '<img src="/repo/img/logo.svg" alt="" class="decorative" />' in html
    assert (project / "output" / "guide" / "chart.svg").read_text() == SVG
    checked = run_cli("check", "--source", project)
    assert "missing asset" not in checked.stderr, checked.stderr


def test_a_missing_image_and_missing_alt_text_fail_the_build(tmp_path: Path) -> None:
    project = site_with_images(tmp_path, "Text.\n\n![](chart.svg)\n\n![A map](maps/nowhere.png)\n")
    (project / "output").mkdir()
    (project / "output" / "keep.html").write_text("previous site")
    before = snapshot(project / "output")
    result = run_cli("build", "--source", project)
    assert result.returncode == 1
    assert (
        "content/guide/index.md:7: image 'chart.svg' has no alt text: describe it in ![…], "
        "or mark it decorative with ![](…){.decorative}" in result.stderr
    )
    assert (
        "content/guide/index.md:9: image 'maps/nowhere.png' not found: there is no "
        "content/guide/maps/nowhere.png or static/maps/nowhere.png" in result.stderr
    )
    assert "Traceback" not in result.stderr
    assert snapshot(project / "output") == before


def test_an_image_may_not_climb_out_of_content(tmp_path: Path) -> None:
    project = site_with_images(tmp_path, "![The chart](../../site.yaml)\n")
    result = run_cli("build", "--source", project)
    assert result.returncode == 1
    assert "image '../../site.yaml' not found" in result.stderr


def test_a_content_image_named_like_a_static_file_is_an_error(tmp_path: Path) -> None:
    project = site_with_images(tmp_path, "![A chart](chart.svg)\n")
    (project / "static" / "guide").mkdir()
    (project / "static" / "guide" / "chart.svg").write_text(SVG)
    result = run_cli("build", "--source", project)
    assert result.returncode == 1
    assert "content/guide/chart.svg: static/guide/chart.svg has the same name" in result.stderr


def test_a_rebuild_after_the_image_arrives_renders_the_page_again(tmp_path: Path) -> None:
    """The preview's path: the writer adds an image to a page before saving the file (an
    error), then saves the file; the rebuild of that one save shows the page with it."""
    from site_builder.errors import BuildFailed
    from site_builder.pipeline.build import Builder, BuildOptions

    project = site_with_images(tmp_path, "No image yet.\n")
    builder = Builder(BuildOptions(project=project, output=tmp_path / "out", cache=False))
    builder.build()
    page_file = project / "content" / "guide" / "index.md"
    page_file.write_text(
        page_file.read_text().replace("No image yet.", "![A new chart](later.svg)")
    )
    with pytest.raises(BuildFailed) as failed:
        builder.rebuild([page_file])
    assert "image 'later.svg' not found" in failed.value.diagnostics[0].message
    image = project / "content" / "guide" / "later.svg"
    image.write_text(SVG)
    result = builder.rebuild([image])
    assert "guide/index.html" in result.rendered
    html = (tmp_path / "out" / "guide" / "index.html").read_text(encoding="utf-8")
    assert '<img src="/repo/guide/later.svg" alt="A new chart" />' in html
    assert (tmp_path / "out" / "guide" / "later.svg").read_text() == SVG
