"""The Jinja2 environment: templates are trusted, what they print is escaped.

Autoescape is on for every template and undefined names are errors
(StrictUndefined). Front-matter and Markdown text reach templates only as
data, never as template source, so `{{ … }}` in content prints literally.
A template error names `templates/x.html:LINE` and the page being rendered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path

from .content import discover, read_text, relpath
from .deps import digest_text
from .errors import Diagnostic, SiteError

TEMPLATES_DIR = "templates"
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


class SourceLoader(jinja2.BaseLoader):
    """Serves the templates read once at the start of a build.

    Every file under templates/ is read (and fingerprinted) before rendering, so a
    build reads each template once, and a change is seen by making a new `Templates`."""

    def __init__(self, folder: Path, sources: dict[str, str]) -> None:
        self.folder = folder
        self.sources = sources

    def get_source(self, environment: jinja2.Environment, template: str) -> Any:
        name = "/".join(split_template_path(template))
        if name not in self.sources:
            raise jinja2.TemplateNotFound(template)
        return self.sources[name], str(self.folder / name), lambda: True


class RecordingEnvironment(jinja2.Environment):
    """Tells `on_load` the name of every template a render loads.

    Jinja caches compiled templates, so the loader hears of each one once; this hook
    sees every `extends`, `include` and `import` of every render."""

    on_load: Callable[[str], None] | None = None

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        if self.on_load is not None:
            self.on_load(name)
        return super()._load_template(name, globals)


def read_templates(project: Path) -> tuple[dict[str, str], list[Diagnostic]]:
    """Every file under templates/, by name ("page.html", "partials/x.html")."""
    files, problems = discover(project, TEMPLATES_DIR)
    sources: dict[str, str] = {}
    for path in files:
        rel = relpath(path, project)
        try:
            sources[relpath(path, project / TEMPLATES_DIR)] = read_text(path, rel)
        except SiteError as exc:
            problems.append(exc.diagnostic)
    return sources, problems


class Templates:
    def __init__(self, project: Path, sources: dict[str, str] | None = None) -> None:
        self.folder = project / TEMPLATES_DIR
        if sources is None:
            sources, _ = read_templates(project)
        self.sources = sources
        self.fingerprints = {name: digest_text(text) for name, text in sources.items()}
        self.env = RecordingEnvironment(
            loader=SourceLoader(self.folder.resolve(), sources),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.filters["format_date"] = format_date
        self.env.globals["format_date"] = format_date

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

    def render(self, name: str, context: dict[str, Any], for_page: str) -> str:
        """Render `name`; any failure becomes a SiteError at the template line."""
        try:
            return self.env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as exc:
            where = f"{TEMPLATES_DIR}/{exc.name or name}"
            raise SiteError(
                where, exc.lineno, None, f"{exc.message} (rendering {for_page})"
            ) from None
        except jinja2.TemplateNotFound as exc:
            raise SiteError(
                for_page, None, None, f"template '{exc.name}' not found in templates/"
            ) from None
        except SiteError:
            raise
        except Exception as exc:  # noqa: BLE001 - any template runtime error is the writer's to see
            path, line = self._template_frame(exc.__traceback__, name)
            message = str(exc) or type(exc).__name__
            raise SiteError(path, line, None, f"{message} (rendering {for_page})") from None

    def _template_frame(self, tb: Any, fallback: str) -> tuple[str, int | None]:
        """The innermost traceback frame inside templates/ (Jinja maps template lines)."""
        found: tuple[str, int | None] = (f"{TEMPLATES_DIR}/{fallback}", None)
        folder = str(self.folder.resolve())
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if filename.startswith(folder):
                found = (
                    f"{TEMPLATES_DIR}/{Path(filename).relative_to(folder).as_posix()}",
                    tb.tb_lineno,
                )
            tb = tb.tb_next
        return found
