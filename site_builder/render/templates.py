"""The Jinja2 environment: templates are trusted, what they print is escaped.

Templates come from the project's templates/ and, for every name the project does
not have, from the default theme (site_builder/theme/templates/): a project overrides
the theme file by file.

Autoescape is on for every template and undefined names are errors
(StrictUndefined). Front-matter and Markdown text reach templates only as
data, never as template source, so `{{ … }}` in content prints literally.
A template error names the template file and line (`templates/x.html:LINE`, or
the theme's file) and the page being rendered.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from jinja2.loaders import split_template_path
from markupsafe import Markup, escape

from site_builder.config import AS_OF_MARK, Config
from site_builder.content.citations import make_citation
from site_builder.content.files import discover, read_text, relpath
from site_builder.content.markdown import citation_anchor, citation_html
from site_builder.content.sources import unknown_source_message
from site_builder.content.timeline import timeline_events, timeline_svg
from site_builder.content.translations import Language, split_language
from site_builder.content.urls import unsafe_attribute_urls
from site_builder.errors import Diagnostic, SiteError
from site_builder.incremental.facts import digest_text
from site_builder.incremental.recording import (
    Recorder,
    language_homes,
    nav_of,
    recording_context,
    translations_of,
)
from site_builder.model import NavItem, Page, Site
from site_builder.project import TEMPLATES_DIR
from site_builder.render.feeds import feed_path
from site_builder.render.locale import format_date as format_locale_date
from site_builder.render.original import original_of
from site_builder.render.share_card import HEIGHT as CARD_HEIGHT
from site_builder.render.share_card import WIDTH as CARD_WIDTH
from site_builder.render.share_card import CardText, card_name
from site_builder.theme import LABEL as THEME_LABEL
from site_builder.theme import TEMPLATES as THEME_TEMPLATES
from site_builder.theme.strings import Strings

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def format_date(value: dt.date | str | None) -> str:
    """27 July 2025 (locale-independent, so builds are the same everywhere)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


class TemplateSources(dict[str, str]):
    """Template text by name ("page.html", "partials/x.html"), and for each name the
    file it came from: `paths` (absolute, as Jinja sees it) and `shown` (as messages
    name it: "templates/page.html" or "site_builder/theme/templates/page.html")."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: dict[str, str] = {}
        self.shown: dict[str, str] = {}

    def add(self, name: str, text: str, path: Path, shown: str) -> None:
        self[name] = text
        self.paths[name] = str(path.resolve())
        self.shown[name] = shown


@jinja2.pass_context
def format_date_in_words(context: Any, value: dt.date | str | None) -> str:
    """`{{ date|format_date }}`: in the page's language when its `t` is there."""
    strings = context.get("t")
    return strings.format_date(value) if isinstance(strings, Strings) else format_date(value)


def status_text(config: Config, language: Language | None = None) -> str:
    """`status_line` from site.yaml (or the language's own) with the as-of date put in,
    in the site's words (`date`, `month_N`, `strings:`), or the language's CLDR form for
    a translation. A literal replace: the configured text
    is never used as a format string."""
    line = (language and language.status_line) or config.status_line
    if not line:
        return ""
    if language is None or language.is_default:
        # The default language's words (its table and `strings:`), as format_date in templates.
        strings = Strings(config.language, dict(config.strings))
        date = strings.format_date(config.as_of) if config.as_of else ""
    else:
        date = format_locale_date(config.as_of, language.locale)
    return line.replace(AS_OF_MARK, date)


def share_card_text(config: Config, rel: str, title: str, summary: str) -> CardText:
    """What the share card of the page at content path `rel` shows (render/share_card.py), in
    the page's language; build.py draws the cards whose names the templates used."""
    language, _ = split_language(rel, config.languages)
    return CardText(
        language.title or config.title,
        title,
        summary or language.description or config.description,
        status_text(config, language),
        language.code,
    )


@dataclass(frozen=True)
class ShareCard:
    """`share_card(page)` in templates: what og:image and twitter:image need."""

    url: str  # absolute
    width: int
    height: int
    alt: str


class SourceLoader(jinja2.BaseLoader):
    """Serves the templates read once at the start of a build.

    Every template is read (and fingerprinted) before rendering, so a build reads
    each one once, and a change is seen by making a new `Templates`."""

    def __init__(self, sources: TemplateSources) -> None:
        self.sources = sources

    def get_source(self, environment: jinja2.Environment, template: str) -> Any:
        name = "/".join(split_template_path(template))
        if name not in self.sources:
            raise jinja2.TemplateNotFound(template)
        return self.sources[name], self.sources.paths[name], lambda: True


class CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept between builds in one process (the preview's rebuilds):
    a template whose source is unchanged is not compiled again when another one was
    saved. Jinja keys each entry by the template's name and checks its source's
    checksum, so there is one entry per template and a stale one is never used."""

    def __init__(self) -> None:
        self._compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self._compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED = CompiledTemplates()


class RecordingEnvironment(jinja2.Environment):
    """Tells `on_load` the name of every template a render loads.

    Jinja caches compiled templates, so the loader hears of each one once; this hook
    sees every `extends`, `include` and `import` of every render."""

    on_load: Callable[[str], None] | None = None

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        if self.on_load is not None:
            self.on_load(name)
        return super()._load_template(name, globals)


def read_templates(project: Path) -> tuple[TemplateSources, list[Diagnostic]]:
    """Every template by name: the theme's, then the project's templates/ over them."""
    sources = TemplateSources()
    problems: list[Diagnostic] = []
    theme_files, _ = discover(THEME_TEMPLATES.parent, THEME_TEMPLATES.name)
    for path in theme_files:
        name = relpath(path, THEME_TEMPLATES)
        shown = f"{THEME_LABEL}/templates/{name}"
        sources.add(name, path.read_text(encoding="utf-8"), path, shown)
    files, problems = discover(project, TEMPLATES_DIR)
    for path in files:
        rel = relpath(path, project)
        try:
            sources.add(relpath(path, project / TEMPLATES_DIR), read_text(path, rel), path, rel)
        except SiteError as exc:
            problems.append(exc.diagnostic)
    return sources, problems


class Templates:
    def __init__(self, project: Path, sources: TemplateSources | None = None) -> None:
        if sources is None:
            sources, _ = read_templates(project)
        self.project = project
        self.sources = sources
        self.shown_by_path = {path: sources.shown[name] for name, path in sources.paths.items()}
        self.fingerprints = {name: digest_text(text) for name, text in sources.items()}
        self.env = RecordingEnvironment(
            loader=SourceLoader(sources),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
            bytecode_cache=COMPILED,
        )
        self.env.filters["format_date"] = format_date_in_words
        self.env.globals["format_date"] = format_date

    def __reduce__(self) -> tuple[type[Templates], tuple[Path, TemplateSources]]:
        # Pickled for a spawned worker process (parallel.py): made again from the same
        # sources there (a Jinja environment cannot be pickled).
        return (Templates, (self.project, self.sources))

    def compile_all(self) -> None:
        """Compile every template now (before worker processes are forked, so that
        each of them does not compile them again). Errors show up when rendering."""
        for name in self.sources:
            try:
                self.env.get_template(name)
            except Exception:  # noqa: BLE001, S112 - reported with the page that uses it
                continue

    def exists(self, name: str) -> bool:
        return name in self.sources

    def render_page(self, site: Site, page: Page, recorder: Recorder) -> str:
        """Render one page, every fact it reads noted in `recorder` (deps.py): the
        templates it loads, the pages, data and sources it looks at."""
        config = site.config
        world = recorder.world
        base_path = config.base_path
        language, _ = split_language(page.rel, config.languages)

        def url(path: str = "") -> str:
            return base_path + path.lstrip("/")

        context = {
            "url": url,
            "abs_url": lambda path="": config.base_url + path.lstrip("/"),
            "timeline_events": timeline_events,
            "timeline_svg": timeline_svg,
            "site": SiteView(site, recorder, language),
            **recording_context(recorder, page),
            # The page in every language the site has it in, this one's included.
            "translations": translations_of(recorder, page.original or page.rel, config.languages),
            # Every language's home page, for the not-found page.
            "homes": language_homes(recorder, config.languages),
            # On a translation: the original it follows, and whether it still does.
            "original": original_of(recorder, page, config.languages),
        }
        citations = context["page"].own_citations()
        sources = world.sources

        template_marks: dict[int, int] = {}  # citation number -> marks the templates made

        def mark(number: int) -> Markup:
            template_marks[number] = template_marks.get(number, 0) + 1
            anchor = citation_anchor(number, f"t{template_marks[number]}")
            return Markup(citation_html(number, anchor))

        def cite(source_id: str) -> Markup:
            """The citation mark, numbered on this page (a new citation is added)."""
            for citation in citations:
                if citation.id == source_id:
                    return mark(citation.number)
            recorder.read(("source", source_id, ""))
            if source_id not in sources:
                message = f"cite(): {unknown_source_message(source_id, sources)}"
                raise SiteError(page.source_path, None, None, message)
            citation = make_citation(len(citations) + 1, sources[source_id])
            citations.append(citation)
            return mark(citation.number)

        def cited_at(number: int) -> list[str]:
            """The ids of every mark of citation `number` on this page, in the body and
            from templates so far: the list of sources links back to each."""
            body = re.findall(rf'id="(cite-{number}-\d+)"', context["page"].content)
            made = [
                citation_anchor(number, f"t{i}")
                for i in range(1, 1 + template_marks.get(number, 0))
            ]
            return body + made

        asset_name = context.pop("asset_name")

        def asset(name: str) -> str:
            found = asset_name(name)
            if found is None:
                raise SiteError(
                    "static/" + name, None, None, "asset not found in static/ or the theme"
                )
            return url(found)

        def share_card(view: Any) -> ShareCard | None:
            """The page's share card, None for the not-found page (never shared)."""
            if view.is_404:
                return None
            text = share_card_text(config, view.rel, view.title, view.summary)
            alt = f"{text.title}: {text.site_title}"
            return ShareCard(config.base_url + card_name(text), CARD_WIDTH, CARD_HEIGHT, alt)

        def has_asset(name: str) -> bool:
            """Whether the site has this static file (its own or the theme's)."""
            return asset_name(name) is not None

        context["cite"] = cite
        context["asset"] = asset
        context["has_asset"] = has_asset
        context["share_card"] = share_card
        context["cited_at"] = cited_at
        strings = Strings(language.code, dict(config.strings) if language.is_default else {})
        context["t"] = strings
        context["format_date"] = strings.format_date
        fingerprints = self.fingerprints
        self.env.on_load = lambda name: recorder.note(
            ("template", name, ""), fingerprints.get(name)
        )
        try:
            rendered = self.render(page.template, context, page.source_path)
        finally:
            self.env.on_load = None
        self._check_attribute_urls(rendered, page)
        return rendered

    def _check_attribute_urls(self, rendered: str, page: Page) -> None:
        """Refuse a page whose HTML has a URL attribute outside the allowlist that no
        template wrote itself (templates are trusted): a value from data, a record or front
        matter printed into an `href` or `src`. Loading those checks them with their line;
        this catches whatever reaches an attribute by another way."""
        for attribute, value, problem in unsafe_attribute_urls(rendered):
            if any(value in text or escape(value) in text for text in self.sources.values()):
                continue
            raise SiteError(
                f"{TEMPLATES_DIR}/{page.template}",
                None,
                None,
                f"a value printed into an {attribute} attribute: {problem} "
                f"(rendering {page.source_path}; check the data, record or front matter "
                "it comes from)",
            )

    def render(self, name: str, context: dict[str, Any], for_page: str) -> str:
        """Render `name`; any failure becomes a SiteError at the template line."""
        try:
            return self.env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as exc:
            where = self.shown(exc.name or name)
            raise SiteError(
                where, exc.lineno, None, f"{exc.message} (rendering {for_page})"
            ) from None
        except jinja2.TemplateNotFound as exc:
            raise SiteError(
                for_page,
                None,
                None,
                f"template '{exc.name}' not found in templates/ or the default theme",
            ) from None
        except SiteError:
            raise
        except Exception as exc:  # noqa: BLE001 - any template runtime error is the writer's to see
            path, line = self._template_frame(exc.__traceback__, name)
            message = plain_words(str(exc) or type(exc).__name__)
            raise SiteError(path, line, None, f"{message} (rendering {for_page})") from None

    def shown(self, name: str) -> str:
        """The template's file as messages name it."""
        return self.sources.shown.get(name, f"{TEMPLATES_DIR}/{name}")

    def _template_frame(self, tb: Any, fallback: str) -> tuple[str, int | None]:
        """The innermost traceback frame in a template (Jinja maps template lines)."""
        found: tuple[str, int | None] = (self.shown(fallback), None)
        while tb is not None:
            shown = self.shown_by_path.get(tb.tb_frame.f_code.co_filename)
            if shown is not None:
                found = (shown, tb.tb_lineno)
            tb = tb.tb_next
        return found


# What a writer calls the objects templates see, for messages: Python's class names
# (`site_builder.incremental.deps.RecordingMapping object`) mean nothing to them.
TEMPLATE_NAMES = {
    "RecordingMapping": "this mapping (data, sources or source_pages)",
    "PagesView": "pages",
    "PageView": "page",
    "Page": "page",
    "SiteView": "site",
    "KeyFactView": "a key fact",
    "SourceRecord": "a source record",
    "Citation": "a citation",
    "NavItem": "a nav item",
    "Publisher": "site.publisher",
}
INTERNAL_OBJECT = re.compile(r"'site_builder\.[\w.]+\.(\w+) object'")


def plain_words(message: str) -> str:
    """A template error's message with the package's class names said as templates
    know them: "'…RecordingMapping object' has no attribute 'x'" → "this mapping (data,
    sources or source_pages) has no attribute 'x'"."""
    return INTERNAL_OBJECT.sub(
        lambda match: TEMPLATE_NAMES.get(match.group(1), "this value"), message
    )


# -- what templates see ------------------------------------------------------------


class SiteView:
    """`site` in templates: the configuration plus navigation."""

    def __init__(self, site: Site, recorder: Recorder, language: Language) -> None:
        config = site.config
        self.title = language.title or config.title
        self.description = language.description or config.description
        self.language = language.code
        self.languages = config.languages
        self.base_url = config.base_url
        self.base_path = config.base_path
        # The Atom feed of the page's language (render/feeds.py).
        self.feed_url = config.base_path + feed_path(language.folder)
        self.as_of = config.as_of
        self.publisher = replace(config.publisher, url=config.publisher_url)
        self.search = config.search
        self.byline = language.byline or config.byline
        self.corrections = config.corrections
        self.status_line = status_text(config, language)
        self._recorder = recorder
        self._folder = language.folder

    @property
    def nav(self) -> list[NavItem]:
        return nav_of(self._recorder, self._folder)
