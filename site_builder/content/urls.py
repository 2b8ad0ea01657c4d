"""Where each page lives: its URL and its file under the output folder.

`content/a/b.md` → `/BASE/a/b/` → `a/b/index.html` (pretty URLs);
`content/a/index.md` → `/BASE/a/`; `content/404.md` → `/BASE/404.html` (a translation's,
`content/zh/404.md`, → `/BASE/zh/404.html`).
Every segment must be a slug (lowercase letters, digits, hyphens), so no URL
can hold `..`, a backslash, a percent-escape, a drive letter, a control or
bidi character. Names the site itself uses (`assets`, `pagefind`, `404`,
`index` as a folder, ...) and the device names Windows cannot check out (`con`,
`nul`, `com1`, ...) are reserved. Two pages with one output path, or paths
that differ only by case, are errors naming both files.

`url_problem` is the one scheme allowlist for every URL that reaches an `href` or
`src`: Markdown links and images, source records (hand-written or ingested from a
feed) and data files alike. A URL may be http(s), mailto, or a link within the site
(a path, `#anchor` or `?query`); anything with another scheme is refused, however it
is disguised (case, entities, percent-escapes, tabs, newlines, spaces, invisible
characters), so no `javascript:`, `vbscript:`, `data:` or `file:` URL gets through.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from site_builder.content.schema import SLUG_MAX, SLUG_RE
from site_builder.errors import Diagnostic
from site_builder.model import Page

# A file or folder with one of these names cannot exist in a Windows checkout.
WINDOWS_DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul"} | {f"{device}{n}" for device in ("com", "lpt") for n in range(10)}
)
RESERVED_SEGMENTS = (
    frozenset(
        {"assets", "pagefind", "css", "js", "feed.xml", "sitemap.xml", "cname", "404", "index"}
    )
    | WINDOWS_DEVICE_NAMES
)
MAX_URL_LENGTH = 200

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_LINK_LENGTH = 2048  # longer is no link a writer or a feed means
# What a browser reads as a scheme: a letter, then letters, digits, +, - or ., then ":".
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
# Characters a browser drops or ignores inside a URL, or that hide a scheme from the eye:
# C0 controls and space, DEL, zero-width characters, BOM, soft hyphen, bidi controls.
_HIDDEN_RE = re.compile(
    r"[\x00-\x20\x7f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)


# Attributes whose value a browser follows or loads, in rendered HTML (always quoted there:
# autoescape writes `"` in a value as `&#34;`, so the pattern cannot start inside text):
# whitespace, the name, `=` (whitespace around it allowed), the quoted value. Found from
# each `=` (a page has a few dozen, and thousands of spaces where a match could start):
# the value after it, the name before it.
_URL_ATTRIBUTE_NAME_RE = re.compile(
    r"\s(href|src|action|formaction|xlink:href|poster|srcset)\Z", re.IGNORECASE
)
_LONGEST_NAME = len(" formaction")
# The last letter of each of those names: most `=` in a page follow another name (class,
# id, rel, aria-label…), which this rules out before the pattern is tried.
_LAST_LETTERS = frozenset("fcnrtFCNRT")
_QUOTED_VALUE_RE = re.compile(r"""=\s*(?:"([^"]*)"|'([^']*)')""")
URL_KEYS = frozenset({"url", "href", "src", "link", "image", "website", "homepage"})
URL_KEY_SUFFIXES = ("_url", "_href", "_src", "_link")


def unsafe_attribute_urls(rendered: str) -> list[tuple[str, str, str]]:
    """(attribute, value, problem) of every URL attribute in `rendered` HTML that fails the
    allowlist: the last line of defence, for a value a template prints into an attribute."""
    found = []
    for name, quoted in url_attributes(rendered):
        attribute = name.lower()
        value = html.unescape(quoted)
        urls = (
            [c.split()[0] for c in value.split(",") if c.split()]
            if attribute == "srcset"
            else [value]
        )
        for url in urls:
            if problem := url_problem(url):
                found.append((attribute, value, problem))
    return found


def url_attributes(rendered: str) -> Iterator[tuple[str, str]]:
    """(name, value as written) of each URL attribute, in order: what
    `\\s(href|…)\\s*=\\s*("…"|'…')` finds, looked for from each `=`."""
    at = rendered.find("=")
    while at >= 0:
        end = at
        while end and rendered[end - 1].isspace():
            end -= 1
        name = (
            _URL_ATTRIBUTE_NAME_RE.search(rendered, max(0, end - _LONGEST_NAME), end)
            if end and rendered[end - 1] in _LAST_LETTERS
            else None
        )
        value = _QUOTED_VALUE_RE.match(rendered, at) if name else None
        if name and value:
            quoted = value.group(1) if value.group(1) is not None else value.group(2)
            yield name.group(1), quoted
            at = rendered.find("=", value.end())
        else:
            at = rendered.find("=", at + 1)


def is_url_key(key: object) -> bool:
    """Whether a data key names a URL (`url`, `href`, `photo_url`…): its value is checked."""
    name = str(key).lower()
    return name in URL_KEYS or name.endswith(URL_KEY_SUFFIXES)


def data_url_problems(value: object, path: str) -> list[Diagnostic]:
    """A problem at its line for every value under a URL key (`is_url_key`) in a data file's
    parsed YAML that fails the allowlist."""
    problems: list[Diagnostic] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            positions = getattr(node, "positions", {})
            for key, item in node.items():
                if isinstance(item, str) and is_url_key(key) and (problem := url_problem(item)):
                    line, col = positions.get(key, (None, None))
                    problems.append(Diagnostic(path, line, col, f"'{key}': {problem}"))
                stack.append(item)
        elif isinstance(node, list):
            stack.extend(node)
    return problems


@functools.lru_cache(maxsize=4096)  # the same nav, asset and page URLs on every page
def url_problem(url: str) -> str | None:
    """None when `url` may be put in an href or src, else why not (one line).

    Every reading a browser (or a second decoding) could give the URL is checked: as
    written, with HTML entities decoded, and percent-decoded once and twice; with the
    characters browsers skip removed. Each must be relative or have an allowed scheme."""
    if len(url) > MAX_LINK_LENGTH:
        return f"a URL longer than {MAX_LINK_LENGTH} characters"
    readings = {url, html.unescape(url)}
    for reading in list(readings):
        once = unquote(reading)
        readings |= {once, unquote(once), html.unescape(once)}
    for reading in readings:
        scheme = browser_scheme(reading)
        if scheme is not None and scheme not in SAFE_SCHEMES:
            shown = _HIDDEN_RE.sub("", url)[:40]
            return f"the URL {shown!r} is refused: only http(s), mailto and links within the site"
    return None


def browser_scheme(url: str) -> str | None:
    """The scheme a browser reads in `url` (lowercased), ignoring the characters it skips."""
    match = _SCHEME_RE.match(_HIDDEN_RE.sub("", url))
    return match.group(1).lower() if match else None


def page_location(page: Page) -> tuple[str, str] | Diagnostic:
    """(site-relative URL path without base, output path), or the problem."""
    if page.is_404:  # 404.html, or a translation's zh/404.html
        name = page.rel.removesuffix(".md") + ".html"
        return name, name
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
