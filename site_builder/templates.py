"""The Jinja2 environment: templates are trusted, what they print is escaped.

Autoescape is on for every template and undefined names are errors
(StrictUndefined). Front-matter and Markdown text reach templates only as
data, never as template source, so `{{ … }}` in content prints literally.
A template error names `templates/x.html:LINE` and the page being rendered.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jinja2

from .errors import SiteError

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


class RecordingLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that remembers every template name it was asked for."""

    def __init__(self, searchpath: Path) -> None:
        super().__init__(str(searchpath))
        self.requested: set[str] = set()

    def get_source(self, environment: jinja2.Environment, template: str) -> Any:
        self.requested.add(template)
        return super().get_source(environment, template)


class Templates:
    def __init__(self, project: Path) -> None:
        self.folder = project / TEMPLATES_DIR
        self.loader = RecordingLoader(self.folder.resolve())
        self.env = jinja2.Environment(
            loader=self.loader,
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["format_date"] = format_date
        self.env.globals["format_date"] = format_date

    def exists(self, name: str) -> bool:
        return (self.folder / name).is_file()

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
