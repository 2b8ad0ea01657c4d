"""The packaged default theme (issue 17, item 1): a site with no templates/ or static/
builds with it, a project overrides it file by file, and its words come from per-language
tables that site.yaml's `strings:` may replace. Everything through the real CLI."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.sitefactory import PROJECT_ROOT, SITE_YAML, page, run_cli, write

THEME = PROJECT_ROOT / "site_builder" / "theme"


def bare_site(root: Path, files: dict[str, str] | None = None) -> Path:
    """A project with content only: no templates/, no static/."""
    defaults = {
        "site.yaml": SITE_YAML,
        "content/index.md": page("Home", order="0"),
        "content/guide.md": page("Guide", "## First\n\nText.\n"),
    }
    defaults.update(files or {})
    for name, text in defaults.items():
        write(root / name, text)
    return root


def build(project: Path) -> Path:
    result = run_cli("build", "--source", project, "--no-cache")
    assert result.returncode == 0, result.stderr
    return project / "output"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_a_site_without_templates_or_static_uses_the_theme(tmp_path: Path) -> None:
    output = build(bare_site(tmp_path))
    home = read(output / "index.html")
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in home
    assert re.search(r'<link rel="stylesheet" href="/repo/css/site\.[0-9a-f]{10}\.css">', home)
    assert '<link rel="icon" href="/repo/favicon.svg"' in home
    assert "custom." not in home  # no project stylesheet, no link to one
    # publisher.url defaults to the base URL (issue 17, item 8)
    assert '"name": "Test site", "url": "https://example.github.io/repo/"}' in home
    (css,) = (output / "css").glob("site.*.css")
    assert css.read_bytes() == (THEME / "static" / "css" / "site.css").read_bytes()
    assert (output / "favicon.svg").read_bytes() == (THEME / "static" / "favicon.svg").read_bytes()
    guide = read(output / "guide" / "index.html")
    assert '<nav class="pager" aria-label="Previous and next pages">' in guide
    checked = run_cli("check", "--source", tmp_path)
    assert checked.returncode == 1  # the guide cites nothing: the theme does not hide that
    assert "guide/index.html" in checked.stderr and "cites no source" in checked.stderr


def test_a_project_overrides_the_theme_file_by_file(tmp_path: Path) -> None:
    own_css = "body { color: #111; }\n"
    project = bare_site(
        tmp_path,
        {
            "templates/page.html": (
                '{% extends "base.html" %}\n{% block main %}<p class="own">{{ page.title }}'
                "</p>{% endblock %}\n"
            ),
            "static/css/site.css": own_css,
            "static/css/custom.css": ".own { font-weight: bold; }\n",
        },
    )
    output = build(project)
    guide = read(output / "guide" / "index.html")
    assert '<p class="own">Guide</p>' in guide  # the project's page.html
    assert "Skip to main content" in guide  # inside the theme's base.html
    assert "pager" not in guide  # the theme's page.html is not used
    home = read(output / "index.html")
    assert '<section class="sections"' in home  # the theme's home.html still is
    (css,) = (output / "css").glob("site.*.css")
    assert css.read_text(encoding="utf-8") == own_css
    (custom,) = (output / "css").glob("custom.*.css")
    assert f'<link rel="stylesheet" href="/repo/css/{custom.name}">' in home
    assert (output / "favicon.svg").is_file()  # not overridden: the theme's


def test_site_yaml_strings_replace_the_theme_words(tmp_path: Path) -> None:
    project = bare_site(
        tmp_path,
        {
            "site.yaml": SITE_YAML
            + 'strings:\n  skip_link: "Zum Inhalt"\n'
            + '  footer_sources: "Made from {link} <b>here</b>."\n',
            "content/sources.md": page("Sources", template="sources.html"),
        },
    )
    home = read(build(project) / "index.html")
    assert '<a class="skip-link" href="#main">Zum Inhalt</a>' in home
    # The writer's text is escaped; the slot holds the theme's markup (the link).
    assert '<p>Made from <a href="/repo/sources/">Sources</a> &lt;b&gt;here&lt;/b&gt;.</p>' in home


def test_an_unknown_strings_key_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    project = bare_site(tmp_path, {"site.yaml": SITE_YAML + "strings:\n  skip_lnk: Skip\n"})
    result = run_cli("build", "--source", project)
    assert result.returncode == 1
    assert "site.yaml:6:1: unknown strings key 'skip_lnk'; did you mean 'skip_link'?" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr


def test_an_unknown_word_names_the_template_line(tmp_path: Path) -> None:
    project = bare_site(
        tmp_path,
        {"templates/page.html": '{% extends "base.html" %}\n{% block main %}\n{{ t("nope") }}\n'
         "{% endblock %}\n"},
    )  # fmt: skip
    result = run_cli("build", "--source", project)
    assert result.returncode == 1
    assert "templates/page.html:3: t(): there is no string 'nope'" in result.stderr
    assert "rendering content/guide.md" in result.stderr


def test_a_language_without_a_table_falls_back_to_english(tmp_path: Path) -> None:
    project = bare_site(tmp_path, {"site.yaml": SITE_YAML + "language: pt-BR\n"})
    home = read(build(project) / "index.html")
    assert '<html lang="pt-BR">' in home
    assert "Skip to main content" in home


def test_every_language_table_has_only_known_keys() -> None:
    """Other languages may leave keys out (English fills in), never add unknown ones."""
    import yaml

    english = yaml.safe_load(read(THEME / "i18n" / "en.yaml"))
    used = set()
    for template in (THEME / "templates").rglob("*.html"):
        used |= set(re.findall(r"\bt\(\s*'([a-z_]+)'", read(template)))
    assert used <= set(english), f"templates use words no table has: {used - set(english)}"
    for table in (THEME / "i18n").glob("*.yaml"):
        keys = set(yaml.safe_load(read(table)))
        assert keys <= set(english), f"{table.name}: unknown keys {keys - set(english)}"


def test_the_package_names_no_site() -> None:
    """Nothing under site_builder/ knows about the explainer this repo publishes."""
    names = re.compile(r"Stockholm|PUKMEDIA|Bessent|single news article", re.IGNORECASE)
    found = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in sorted((PROJECT_ROOT / "site_builder").rglob("*"))
        if path.is_file()
        and "__pycache__" not in path.parts
        and names.search(path.read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == [], f"files naming the explainer: {found}"


def test_every_name_docs_templates_md_lists_is_there(tmp_path: Path) -> None:
    """docs/templates.md's table of what templates get, used by a real template."""
    docs = read(PROJECT_ROOT / "docs" / "templates.md")
    table = docs.split("## What every template gets", 1)[1].split("### `page`", 1)[0]
    documented = set(re.findall(r"^\| `([a-z_]+)", table, re.MULTILINE))
    uses = {
        "page": "{{ page.title }}|{{ page.url }}|{{ page.toc|length }}|{{ page.is_home }}",
        "site": "{{ site.title }}|{{ site.base_path }}|{{ site.publisher.url }}|{{ site.nav|length }}",
        "pages": "{{ pages|map(attribute='title')|join(',') }}",
        "data": "{{ data.rows[0].name }}",
        "sources": "{{ sources|length }}",
        "source_pages": "{{ 'x' in source_pages }}",
        "section_pages": "{{ section_pages|length }}",
        "url": "{{ url('feed.xml') }}",
        "abs_url": "{{ abs_url('feed.xml') }}",
        "asset": "{{ asset('favicon.svg') }}",
        "has_asset": "{{ has_asset('css/custom.css') }}",
        "page_url": "{{ page_url('guide.md') }}",
        "cite": "",  # needs a source record; tests/test_sources.py drives it
        "format_date": "{{ format_date('2025-07-27') }}|{{ '2025-07-28'|format_date }}",
        "t": "{{ t('as_of', date='today') }}",
        "timeline_events": "{{ timeline_events([], site.as_of or page.date)|length }}",
        "share_card": "{{ share_card(page).width }}",
        "cited_at": "{{ cited_at(1)|length }}",
        "translations": "{{ translations|map(attribute='code')|join(',') }}",
        "original": "{{ original is none }}",
        "homes": "{{ homes|map(attribute='url')|join(',') }}",
    }
    assert documented == set(uses), documented ^ set(uses)
    body = "\n".join(f"<p>{name}={text}</p>" for name, text in uses.items() if text)
    project = bare_site(
        tmp_path,
        {
            "templates/all.html": '{% extends "base.html" %}{% block main %}' + body
            + "{% endblock %}",
            "content/all.md": page("All", template="all.html", date="2025-07-27"),
            "data/rows.csv": "name\nfirst\n",
        },
    )  # fmt: skip
    html = read(build(project) / "all" / "index.html")
    for expected in (
        "<p>url=/repo/feed.xml</p>",
        "<p>abs_url=https://example.github.io/repo/feed.xml</p>",
        "<p>asset=/repo/favicon.svg</p>",
        "<p>has_asset=False</p>",
        "<p>page_url=/repo/guide/</p>",
        "<p>data=first</p>",
        "<p>format_date=27 July 2025|28 July 2025</p>",
        "<p>t=As of today</p>",
        "<p>translations=en</p>",
        "<p>original=True</p>",
        "<p>homes=/repo/</p>",
        "<p>site=Test site|/repo/|https://example.github.io/repo/|0</p>",
    ):
        assert expected in html, expected


def test_template_errors_never_show_internal_class_names(tmp_path: Path) -> None:
    for expression, said in (
        ("data.nope", "this mapping (data, sources or source_pages) has no attribute 'nope'"),
        ("pages.nope", "pages has no attribute 'nope'"),
        ("page.nope", "page has no attribute 'nope'"),
    ):
        project = bare_site(
            tmp_path / expression,
            {"templates/page.html": '{% extends "base.html" %}\n{% block main %}\n{{ '
             + expression + " }}\n{% endblock %}\n"},
        )  # fmt: skip
        result = run_cli("build", "--source", project)
        assert result.returncode == 1
        assert f"templates/page.html:3: {said} (rendering content/guide.md)" in result.stderr
        assert "site_builder." not in result.stderr and "object" not in result.stderr


def test_dates_are_written_with_the_tables_words(tmp_path: Path) -> None:
    """`date` and `month_N` say how format_date writes a date, for a later language."""
    project = bare_site(
        tmp_path,
        {
            "site.yaml": SITE_YAML + "as_of: 2025-07-27\nstrings:\n"
            '  date: "{day}. {month} {year}"\n  month_7: "Juli"\n',
            "templates/page.html": '{% extends "base.html" %}{% block main %}'
            "<p>{{ format_date(site.as_of) }}|{{ '2025-03-01'|format_date }}</p>{% endblock %}",
        },
    )
    output = build(project)
    guide = read(output / "guide" / "index.html")
    assert "<p>27. Juli 2025|1. March 2025</p>" in guide


def test_the_status_line_writes_its_date_in_the_sites_words(tmp_path: Path) -> None:
    """`{as_of}` in `status_line` is the date as `format_date` writes it: the language's
    `date` and `month_N` words, which `strings:` may replace."""
    site_yaml = SITE_YAML + (
        "as_of: 2025-07-27\n"
        'status_line: "Current to {as_of}."\n'
        "strings:\n"
        '  date: "{month} {day}, {year}"\n'
        '  month_7: "Jul."\n'
    )
    output = build(bare_site(tmp_path, {"site.yaml": site_yaml}))
    assert '<div class="status-line"><p class="wrap">Current to Jul. 27, 2025.</p></div>' in read(
        output / "guide" / "index.html"
    )


def test_a_page_shows_its_tags_as_a_list_under_the_theme_word(tmp_path: Path) -> None:
    """`tags:` in front matter (tests/fixtures/newsroom/content/method/index.md) is shown
    on the article, escaped, as a list labelled with the theme's `tags_label`; a page
    without tags shows no list. There are no tag pages."""
    project = Path(
        shutil.copytree(PROJECT_ROOT / "tests" / "fixtures" / "newsroom", tmp_path / "s")
    )
    output = build(project)
    method = read(output / "method" / "index.html")
    assert re.search(
        r'<p class="tags-label" id="sb-tags">Tags</p>\s*'
        r'<ul class="tags" aria-labelledby="sb-tags">\s*'
        r"<li>method</li>\s*<li>diagrams &amp; &lt;quotes&gt;</li>\s*</ul>",
        method,
    ), method
    assert 'class="tags"' not in read(output / "index.html")
    assert not (output / "tags").exists()

    write(project / "site.yaml", read(project / "site.yaml") + 'strings:\n  tags_label: "Topics"\n')
    assert '<p class="tags-label" id="sb-tags">Topics</p>' in read(
        build(project) / "method" / "index.html"
    )


def test_a_site_without_a_home_page_builds_with_the_theme(tmp_path: Path) -> None:
    """No content/index.md (the peer benchmark corpus has none): the header's site title
    links to the site's root, and the section page of a folder renders too."""
    project = tmp_path / "s"
    for name, text in {
        "site.yaml": SITE_YAML,
        "content/guides/one.md": page("One"),
        "content/guides/two.md": page("Two"),
    }.items():
        write(project / name, text)
    output = build(project)
    for built in (output / "guides" / "one" / "index.html", output / "guides" / "index.html"):
        assert '<p class="site-title"><a href="/repo/">Test site</a></p>' in read(built)
