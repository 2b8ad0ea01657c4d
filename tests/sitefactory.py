"""Throwaway projects for tests: a dict of files in, a project folder out."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SITE_YAML = """\
title: Test site
description: A site made by a test.
base_url: https://example.github.io/repo/
search: false
"""

BASE_HTML = """\
<!DOCTYPE html>
<html lang="{{ site.language }}"><head><meta charset="utf-8"><title>{{ page.title }}</title>
<meta name="description" content="{{ page.summary }}"></head>
<body><nav>{% for item in site.nav %}<a href="{{ item.url }}">{{ item.title }}</a>{% endfor %}</nav>
<main><h1>{{ page.title }}</h1>{% block main %}{{ page.content | safe }}{% endblock %}</main></body></html>
"""

PAGE = """\
---
title: {title}
summary: About {title}.
---
Text of {title}.
"""


def page(title: str, body: str = "", **front: str) -> str:
    lines = [f"title: {title}", f"summary: About {title}."]
    lines += [f"{key}: {value}" for key, value in front.items()]
    return "---\n" + "\n".join(lines) + "\n---\n" + (body or f"Text of {title}.\n")


def make_site(root: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """A project with a default site.yaml, templates and home page, plus `files`."""
    defaults: dict[str, str | bytes] = {
        "site.yaml": SITE_YAML,
        "templates/base.html": BASE_HTML,
        "templates/page.html": '{% extends "base.html" %}',
        "templates/home.html": '{% extends "base.html" %}',
        "templates/404.html": '{% extends "base.html" %}',
        "content/index.md": page("Home"),
    }
    defaults.update(files or {})
    for name, data in defaults.items():
        write(root / name, data)
    return root


def write(path: Path, data: str | bytes) -> Path:
    """Write a file (text as UTF-8), making its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real command line, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "site_builder", *map(str, args)],
        cwd=cwd or PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=cli_env(),
        check=False,
    )


def cli_env() -> dict[str, str]:
    """The environment the real command line runs in: this checkout importable."""
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes, for before/after comparisons."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# Templates that print what records and data hold into attributes, as an explainer's do:
# every citation's link, a list of every record, and the people in data/people.yaml.
CITING_TEMPLATES: dict[str, str | bytes] = {
    "templates/page.html": (
        '{% extends "base.html" %}{% block main %}{{ page.content | safe }}<ol>'
        '{% for c in page.citations %}<li><a href="{{ c.url }}">{{ c.title }}</a></li>'
        "{% endfor %}</ol>{% endblock %}"
    ),
    "templates/home.html": (
        '{% extends "base.html" %}{% block main %}<ul>'
        '{% for id, r in sources.items() %}<li><a href="{{ r.url }}">{{ r.title }}</a></li>'
        "{% endfor %}"
        '{% for p in data.get("people", []) %}<li><a href="{{ p.url }}">{{ p.name }}</a></li>'
        "{% endfor %}</ul>{% endblock %}"
    ),
}


def record(record_id: str, *, url: str = "https://news.example/a", **values: str) -> str:
    """A valid hand-written source record (YAML), with `values` replacing its lines."""
    lines = {
        "id": record_id,
        "outlet": "News",
        "title": f"Article {record_id}",
        "published": "2025-07-27T09:57:00+03:00",
        "url": json_text(url),
        "quotations": (
            "\n- text: We will talk again.\n  speaker: Ana Lima\n  position: 10"
            "\n- text: Nothing is agreed.\n  speaker: null\n  position: 40"
        ),
    }
    lines.update(values)
    return "".join(f"{key}: {value}\n" for key, value in lines.items())


def json_text(text: str) -> str:
    """A YAML double-quoted scalar for any text (JSON strings are YAML)."""
    import json

    return json.dumps(text)


def cli_cpu(
    *args: str | Path, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    """The real command line, and the CPU seconds it used (a loaded machine does not count)."""
    import os

    before = os.times()
    done = run_cli(*args, cwd=cwd)
    after = os.times()
    used = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return done, used
