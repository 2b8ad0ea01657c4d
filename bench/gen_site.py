"""A synthetic explainer site of N pages, for the benchmark (stdlib only, deterministic).

    python bench/gen_site.py OUTDIR N [SEED]

Writes a site_builder project: site.yaml, templates, a stylesheet, a data file, a
home page listing the latest pages, one listing page per section (10 sections, all
in the navigation), a not-found page, and N article pages. Each article has front
matter (title, summary, date, tags), about 800 words with headings, emphasis, inline
code, 2-3 links to other articles, lists, a table, a fenced code block, a block
quote and footnotes. The same (N, SEED) always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

SECTIONS = (
    "guides", "tutorials", "reference", "concepts", "howto",
    "blog", "news", "releases", "community", "internals",
)  # fmt: skip
TAGS = (
    "trade", "tariffs", "exports", "chips", "talks", "markets", "energy", "farm",
    "shipping", "sanctions", "currency", "jobs", "policy", "courts", "elections",
)  # fmt: skip
WORDS = """
able about above access account across action active actual address after again against
agency agreement allow almost along already also always amount analysis another answer
approach argument around article aspect author available average balance base before begin
behind benefit better between beyond board border budget build business buyer cabinet call
capital career case cause center certain chain change charge check choice claim clear close
coast commerce committee common company compare complete concern condition congress consider
contract control cost council country court cover create credit crisis current cycle data
deal debate decide decline defense deficit demand deputy design detail develop dialogue
direct discuss dispute domestic draft duty early economy effect effort election energy enforce
ensure envoy equal event every exchange expand expect export factor factory farmer federal
figure final finance firm first follow force foreign forward framework freight future general
global goods govern growth guard harbor health history import include income increase
industry inflation inside interest issue joint judge labor large later launch leader level
limit local major manage market measure meeting member minister month motion nation network
notice number offer office official order output partner party pause permit phase plan
point policy port position power press price process produce program propose protect public
quota range rate reach record reduce reform region release remain report request reserve
resolve result review revenue round rule sanction schedule sector secure senate series share
signal source speech stable staff stage state steel step stock strategy supply support surplus
system table target tariff term test trade treaty trend truce union value vote wage waiver
""".split()

SITE_YAML = """\
title: "Benchmark explainer"
description: "A synthetic site of {n} pages for measuring site_builder."
base_url: "https://example.github.io/bench/"
as_of: 2025-07-27
search: false
nav:
  - index.md
{nav}
"""

BASE_HTML = """\
{#- Every page: head, navigation, main, footer. -#}
<!doctype html>
<html lang="{{ site.language }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% if page.is_home %}{{ site.title }}{% else %}{{ page.title }} · {{ site.title }}{% endif %}</title>
<meta name="description" content="{{ page.summary }}">
<link rel="canonical" href="{{ page.permalink }}">
<link rel="stylesheet" href="{{ asset('css/site.css') }}">
<link rel="alternate" type="application/atom+xml" href="{{ url('feed.xml') }}">
</head>
<body>
<header><p class="site-title"><a href="{{ url('/') }}">{{ site.title }}</a></p>
<nav aria-label="Sections"><ul>
{% for item in site.nav %}<li><a href="{{ item.url }}"{% if item.url == page.url %} aria-current="page"{% endif %}>{{ item.title }}</a></li>
{% endfor %}</ul></nav></header>
<main id="main">
{% block main %}{% endblock %}
</main>
<footer><p>Current to {{ format_date(site.as_of) }}.</p></footer>
</body>
</html>
"""

MACROS_HTML = """\
{% macro card(p) -%}
<li class="card"><a href="{{ p.url }}">{{ p.title }}</a>{% if p.date %} <time datetime="{{ p.date.isoformat() }}">{{ format_date(p.date) }}</time>{% endif %}<p>{{ p.summary }}</p></li>
{%- endmacro %}
"""

PAGE_HTML = """\
{% extends "base.html" %}
{% block main %}
<article>
<h1>{{ page.title }}</h1>
{% if page.date %}<p class="date"><time datetime="{{ page.date.isoformat() }}">{{ format_date(page.date) }}</time></p>{% endif %}
<ul class="tags">{% for t in page.tags %}<li>{{ t }}</li>{% endfor %}</ul>
{% set sections = page.toc|selectattr("level", "equalto", 2)|list %}
{% if sections|length >= 3 %}
<nav class="toc" aria-label="On this page"><ul>
{% for h in sections %}<li><a href="#{{ h.id }}">{{ h.title }}</a></li>
{% endfor %}</ul></nav>
{% endif %}
<div class="content">
{{ page.content|safe }}
</div>
</article>
{% if page.prev or page.next %}
<nav class="pager" aria-label="Previous and next pages">
{% if page.prev %}<a rel="prev" href="{{ page.prev.url }}">{{ page.prev.nav_title }}</a>{% endif %}
{% if page.next %}<a rel="next" href="{{ page.next.url }}">{{ page.next.nav_title }}</a>{% endif %}
</nav>
{% endif %}
{% endblock %}
"""

HOME_HTML = """\
{% extends "base.html" %}
{% import "_macros.html" as m with context %}
{% block main %}
<h1>{{ site.title }}</h1>
{{ page.content|safe }}
<section><h2>Highlights</h2><ul>{% for h in data.highlights %}<li>{{ h }}</li>{% endfor %}</ul></section>
<section><h2>Latest</h2><ul class="cards">
{% for p in (pages|selectattr("date")|sort(attribute="date", reverse=true)|list)[:20] %}{{ m.card(p) }}
{% endfor %}</ul></section>
{% endblock %}
"""

SECTION_HTML = """\
{% extends "base.html" %}
{% import "_macros.html" as m with context %}
{% block main %}
<h1>{{ page.title }}</h1>
{{ page.content|safe }}
{% set folder = page.rel[:-8] %}
<ul class="cards">
{% for p in pages if p.rel.startswith(folder) and p.rel != page.rel %}{{ m.card(p) }}
{% endfor %}</ul>
{% endblock %}
"""

NOT_FOUND_HTML = """\
{% extends "base.html" %}
{% block main %}<h1>{{ page.title }}</h1>{{ page.content|safe }}{% endblock %}
"""

CSS = """\
body { font: 1rem/1.5 system-ui, sans-serif; max-width: 44rem; margin: 0 auto; padding: 1rem; }
.tags li, nav li { display: inline; margin-right: .5em; }
table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: .2em .5em; }
"""


def words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(WORDS) for _ in range(n)]


def sentence(rng: random.Random, markup: bool = True) -> str:
    w = words(rng, rng.randint(8, 18))
    w[0] = w[0].capitalize()
    if markup:
        for i in rng.sample(range(1, len(w)), rng.randint(0, 2)):
            kind = rng.random()
            if kind < 0.4:
                w[i] = f"*{w[i]}*"
            elif kind < 0.7:
                w[i] = f"**{w[i]}**"
            else:
                w[i] = f"`{w[i]}_{rng.choice(WORDS)}()`"
    return " ".join(w) + "."


def paragraph(rng: random.Random) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(3, 6)))


def title(rng: random.Random) -> str:
    return " ".join(w.capitalize() for w in words(rng, rng.randint(3, 6)))


def page_path(i: int) -> tuple[str, str]:
    return SECTIONS[i % len(SECTIONS)], f"page-{i:05d}.md"


def link(src: tuple[str, str], dst: tuple[str, str]) -> str:
    return dst[1] if src[0] == dst[0] else f"../{dst[0]}/{dst[1]}"


def article(i: int, n: int, seed: str) -> tuple[str, str]:
    rng = random.Random(f"{seed}-{i}")
    me = page_path(i)
    day = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(4 * 365))
    tags = rng.sample(TAGS, rng.randint(1, 3))
    front = [
        "---",
        f'title: "{title(rng)}"',
        f'summary: "{sentence(rng, markup=False)}"',
        f"date: {day.isoformat()}",
        "tags: [" + ", ".join(tags) + "]",
        "---",
        "",
    ]
    targets = [rng.randrange(n) for _ in range(rng.randint(2, 3))] if n > 1 else []
    targets = [t if t != i else (t + 1) % n for t in targets]

    def linked() -> str:
        s = sentence(rng)
        if not targets:
            return s
        anchor = " ".join(words(rng, rng.randint(2, 4)))
        return s[:-1] + f", see [{anchor}]({link(me, page_path(targets.pop()))})."

    body = [paragraph(rng) + " " + linked() + "[^1]"]
    body += ["## " + title(rng), paragraph(rng)]
    body += ["\n".join("- " + sentence(rng)[:-1] for _ in range(rng.randint(3, 6)))]
    body += [paragraph(rng) + " " + linked()]
    body += ["### " + title(rng), paragraph(rng)]
    body += ["\n".join(f"{k + 1}. {sentence(rng)[:-1]}" for k in range(rng.randint(3, 5)))]
    cols = rng.randint(3, 4)
    rows = ["| " + " | ".join(w.capitalize() for w in words(rng, cols)) + " |"]
    rows.append("|" + "|".join(["---"] * cols) + "|")
    for _ in range(rng.randint(3, 6)):
        cells = [rng.choice(WORDS)] + [str(rng.randint(1, 9999)) for _ in range(cols - 1)]
        rows.append("| " + " | ".join(cells) + " |")
    body += ["## " + title(rng), paragraph(rng) + " " + linked() + "[^2]", "\n".join(rows)]
    fn, arg = rng.choice(WORDS), rng.choice(WORDS)
    code = [
        "```python",
        f"def {fn}_total({arg}, limit={rng.randint(2, 99)}):",
        f'    """{sentence(rng, markup=False)}"""',
        f"    return sum(x for x in {arg} if x < limit)",
        "```",
    ]
    body += ["## " + title(rng), paragraph(rng), "\n".join(code)]
    body += ["> " + sentence(rng, markup=False) + " " + sentence(rng, markup=False)]
    while targets:
        body += [linked()]
    target_words = rng.randint(700, 900)
    while sum(len(part.split()) for part in body) < target_words:
        body += [paragraph(rng)]
    body += [f"[^1]: {sentence(rng)}", f"[^2]: {sentence(rng)}"]
    return f"content/{me[0]}/{me[1]}", "\n".join(front) + "\n\n".join(body) + "\n"


def generate(out: Path, n: int, seed: str = "site-builder-bench-1") -> None:
    files: dict[str, str] = {
        "site.yaml": SITE_YAML.format(n=n, nav="\n".join(f"  - {s}/index.md" for s in SECTIONS)),
        "templates/base.html": BASE_HTML,
        "templates/_macros.html": MACROS_HTML,
        "templates/page.html": PAGE_HTML,
        "templates/home.html": HOME_HTML,
        "templates/section.html": SECTION_HTML,
        "templates/404.html": NOT_FOUND_HTML,
        "static/css/site.css": CSS,
        "data/highlights.yaml": "- The talks resume on Monday.\n- Tariffs stay paused.\n",
        "content/index.md": (
            '---\ntitle: "Benchmark explainer"\nsummary: "Every section and the latest pages."\n'
            "order: 0\n---\nThe latest pages of every section, newest first.\n"
        ),
        "content/404.md": (
            '---\ntitle: "Page not found"\nsummary: "There is no page at this address."\n'
            "---\nTry the [home page](index.md).\n"
        ),
    }
    for number, section in enumerate(SECTIONS, start=1):
        files[f"content/{section}/index.md"] = (
            f'---\ntitle: "{section.capitalize()}"\nsummary: "Every page about {section}."\n'
            f"order: {number}\ntemplate: section.html\n---\nThe pages of this section.\n"
        )
    for i in range(n):
        path, text = article(i, n, seed)
        files[path] = text
    for name, text in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    generate(Path(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:4])
