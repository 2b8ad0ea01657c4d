"""Where each page lives: its URL and its file under the output folder.

`content/a/b.md` → `/BASE/a/b/` → `a/b/index.html` (pretty URLs);
`content/a/index.md` → `/BASE/a/`; `content/404.md` → `/BASE/404.html`.
Every segment must be a slug (lowercase letters, digits, hyphens), so no URL
can hold `..`, a backslash, a percent-escape, a drive letter, a control or
bidi character. Names the site itself uses (`assets`, `pagefind`, `404`,
`index` as a folder, ...) and the device names Windows cannot check out (`con`,
`nul`, `com1`, ...) are reserved. Two pages with one output path, or paths
that differ only by case, are errors naming both files.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from site_builder.content.schema import SLUG_MAX, SLUG_RE
from site_builder.errors import Diagnostic
from site_builder.model import Page

RESERVED_SEGMENTS = frozenset(
    {"assets", "pagefind", "css", "js", "feed.xml", "sitemap.xml", "cname", "404", "index"}
    # A folder with one of these names cannot exist in a Windows checkout.
    | {"con", "prn", "aux", "nul"}
    | {f"{device}{n}" for device in ("com", "lpt") for n in range(10)}
)
MAX_URL_LENGTH = 200


def page_location(page: Page) -> tuple[str, str] | Diagnostic:
    """(site-relative URL path without base, output path), or the problem."""
    if page.is_404:
        return "404.html", "404.html"
    parts = list(PurePosixPath(page.rel).with_suffix("").parts)
    if parts[-1] == "index":
        parts.pop()
        if page.front.slug and parts:
            parts[-1] = page.front.slug
    elif page.front.slug:
        parts[-1] = page.front.slug
    for segment in parts:
        lowered = segment.lower()
        if not SLUG_RE.match(lowered) or len(lowered) > SLUG_MAX:
            return Diagnostic(
                page.source_path,
                1,
                1,
                f"'{segment}' can't be part of a URL; rename the file or folder to lowercase "
                "letters, digits and hyphens, or set slug:",
            )
        if lowered in RESERVED_SEGMENTS:
            return Diagnostic(
                page.source_path,
                1,
                1,
                f"'{segment}' is a name the site reserves; choose another slug",
            )
    path = "/".join(s.lower() for s in parts)
    if len(path) > MAX_URL_LENGTH:
        return Diagnostic(page.source_path, 1, 1, f"URL is longer than {MAX_URL_LENGTH} characters")
    url = f"{path}/" if path else ""
    return url, f"{url}index.html"


def assign_locations(pages: list[Page], base_path: str, origin: str) -> list[Diagnostic]:
    """Set url, permalink and output_path on every page; report collisions."""
    problems: list[Diagnostic] = []
    owners: dict[str, Page] = {}
    for page in pages:
        location = page_location(page)
        if isinstance(location, Diagnostic):
            problems.append(location)
            continue
        url, output_path = location
        key = output_path.lower()
        if key in owners:
            other = owners[key]
            problems.append(
                Diagnostic(
                    page.source_path,
                    1,
                    1,
                    f"{page.source_path} and {other.source_path} would both be written to "
                    f"{output_path}; give one of them another slug",
                )
            )
            continue
        owners[key] = page
        page.url = base_path + url
        page.permalink = origin + page.url
        page.output_path = output_path
    return problems


def inside(root: Path, relative: str) -> Path:
    """root/relative, refusing anything that resolves outside root."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"output path {relative!r} leaves the output folder")
    return target
