"""Data files (issue 17, item 5): data/NAME.yaml, .json or .csv → `data.NAME` in templates,
each mistake a clear error at its line. Through the real CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sitefactory import make_site, page, run_cli

TEMPLATE = """{% extends "base.html" %}
{% block main %}
<ul>{% for row in data.figures %}<li>{{ row.place }}={{ row.count }}</li>{% endfor %}</ul>
<p>{{ data.meta.title }} / {{ data.meta.tags|join(",") }}</p>
{% endblock %}
"""


def build(root: Path, files: dict[str, str]) -> tuple[int, str, Path]:
    project = make_site(
        root,
        {"templates/data.html": TEMPLATE, "content/data.md": page("Data", template="data.html")}
        | files,
    )
    result = run_cli("build", "--source", project)
    return result.returncode, result.stderr, project / "output"


def test_json_and_csv_are_data_beside_yaml(tmp_path: Path) -> None:
    code, stderr, output = build(
        tmp_path,
        {
            "data/figures.csv": 'place,count\nNorth,"1,200"\r\nSouth <b>,3\n\n',
            "data/meta.json": '{"title": "Figures", "tags": ["a", "b"]}',
        },
    )
    assert code == 0, stderr
    html = (output / "data" / "index.html").read_text(encoding="utf-8")
    assert "<li>North=1,200</li><li>South &lt;b&gt;=3</li>" in html
    assert "<p>Figures / a,b</p>" in html


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"data/meta.json": '{"title": "x",\n "tags": [1,]}'}, "data/meta.json:2:13: not valid JSON"),
        ({"data/meta.json": '{"title": "x", "title": "y"}'}, "the key 'title' appears twice"),
        ({"data/meta.json": "[" * 5000 + "]" * 5000}, "data/meta.json:1:1: nested 5000 deep"),
        ({"data/figures.csv": "place,count\nNorth,1\nSouth\n"}, "data/figures.csv:3: 1 values for 2 columns (place, count)"),
        ({"data/figures.csv": "place,place\nNorth,1\n"}, "data/figures.csv:1: the header line has the column 'place' twice"),
        ({"data/figures.csv": 'place,count\n"North,1\n'}, "data/figures.csv:2: not valid CSV"),
        ({"data/meta.yaml": "title: x\n", "data/meta.json": "{}"}, "data/meta.yaml: data/meta.json is also data.meta; keep one of them"),
    ],
)  # fmt: skip
def test_bad_data_is_an_error_at_its_line(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    files = {
        "data/figures.csv": "place,count\n",
        "data/meta.json": '{"title": "", "tags": []}',
    } | files
    code, stderr, _ = build(tmp_path, files)
    assert code == 1
    assert message in stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
