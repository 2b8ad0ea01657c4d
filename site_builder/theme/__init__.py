"""The default theme, shipped inside the package: templates, static files and their words.

A project's `templates/` and `static/` override it file by file: a file with the same
name in the project is used instead of the theme's, and the theme's other files stay.
The theme's words are looked up by key in per-language tables (`i18n/en.yaml`, …),
and `site.yaml`'s `strings:` may replace any of them for one site (strings.py).
"""

from __future__ import annotations

from pathlib import Path

THEME_ROOT = Path(__file__).resolve().parent
TEMPLATES = THEME_ROOT / "templates"
STATIC = THEME_ROOT / "static"
I18N = THEME_ROOT / "i18n"
# How messages name the theme's files: as they sit in this repository and in the wheel.
LABEL = "site_builder/theme"
