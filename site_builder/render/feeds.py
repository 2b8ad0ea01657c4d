"""The files that make a site findable: sitemap.xml, an Atom feed per language, robots.txt.

A site in several languages (content/translations.py) gets one feed per language: the
default language's pages in `feed.xml`, each other language's in `FOLDER/feed.xml`
(`zh/feed.xml`), with that language's title, description and `xml:lang`, so a reader
subscribes to the language they read. The sitemap lists every page once, and each page
that exists in more than one language names all its versions (itself included) and the
default language's as `x-default`, with `xhtml:link` elements: the form Google documents
for hreflang in a sitemap, the same alternates the pages' own `<link>` elements give.

All XML is written with explicit escaping and in page order, so two builds of
the same content are byte-identical. Dates come from the content (`updated`,
then `date`); where the site has none, SOURCE_DATE_EPOCH, then the site's as_of.

Crawlers read robots.txt only at a host's root, so on a GitHub Pages project site
(user.github.io/repo/) ours is not consulted; it is still written, for the day the site
gets its own domain, and the sitemap is worth submitting to search engines directly.
"""

from __future__ import annotations

import datetime as dt
import html
import os
from collections.abc import Iterable

from site_builder.content.translations import Language, split_language
from site_builder.model import Page, Site
from site_builder.render.search import SEARCH_TEMPLATE

FEED_FILE = "feed.xml"
SITEMAP_FILE = "sitemap.xml"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def escape(text: str) -> str:
    """Text for an XML element: &, < and > escaped.

    (Not xml.sax.saxutils: importing it loads urllib.request, ssl and email, a tenth
    of the generator's start-up.)"""
    return html.escape(text, quote=False)


def quoteattr(text: str) -> str:
    """An XML attribute value, quoted."""
    return f'"{html.escape(text)}"'


def absolute(site: Site, url: str) -> str:
    """A root-relative URL ("/repo/x/") made absolute with the base URL's origin."""
    return absolute_origin(site.config.base_url) + url


def _timestamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def site_updated(site: Site, pages: Iterable[Page] | None = None) -> str:
    """The latest date of `pages` (default: all the site's)."""
    dates = [p.updated for p in (site.pages if pages is None else pages) if p.updated]
    if dates:
        return _timestamp(max(dates))
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return _timestamp(site.as_of or dt.date(1970, 1, 1))


def listed_pages(site: Site) -> list[Page]:
    """The pages of the sitemap: all but the not-found page."""
    return [p for p in site.pages if not p.is_404]


def feed_pages(site: Site, language: Language | None = None) -> list[Page]:
    """The entries of a feed: the listed pages of `language` (default: the site's first)
    except the search page, which is not news."""
    code = (language or site.config.languages[0]).code
    return [
        p for p in listed_pages(site) if p.template != SEARCH_TEMPLATE and _code(site, p) == code
    ]


def _code(site: Site, page: Page) -> str:
    """The page's language code (every page has one once the site is assembled)."""
    return page.language or site.config.languages[0].code


def feed_path(folder: str) -> str:
    """Where the feed of the language whose content folder is `folder` is written:
    "feed.xml" for the default language (no folder), "zh/feed.xml" for `zh`."""
    return f"{folder}/{FEED_FILE}" if folder else FEED_FILE


def feed_paths(pages: Iterable[Page]) -> list[str]:
    """The feeds a site has: the default language's always, another language's once it
    has a page (a translation's `data_prefix` is its language's folder and a slash)."""
    return sorted({FEED_FILE} | {p.data_prefix + FEED_FILE for p in pages if not p.is_404})


def feed_language(site: Site, path: str) -> Language:
    """The language whose feed is at `path` (one of `feed_paths`)."""
    folder = path.removesuffix(FEED_FILE).rstrip("/")
    for language in site.config.languages:
        if language.folder == folder:
            return language
    raise ValueError(f"no language has its feed at {path}")


def sitemap(site: Site) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">',
    ]
    pages = [*listed_pages(site), *site.sections]
    versions = _versions(site, pages)
    for page in pages:
        lines.append(f"  <url><loc>{escape(page.permalink)}</loc>")
        if page.updated:
            lines.append(f"    <lastmod>{page.updated.isoformat()}</lastmod>")
        lines += _alternates(site, versions[_original(site, page)])
        lines.append("  </url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def _original(site: Site, page: Page) -> str:
    """The content path of the page `page` is a version of (its own, in the default language)."""
    return split_language(page.rel, site.config.languages)[1]


def _versions(site: Site, pages: list[Page]) -> dict[str, dict[str, Page]]:
    """For each original's content path, its version in each language the site has it in."""
    versions: dict[str, dict[str, Page]] = {}
    for page in pages:
        language, original = split_language(page.rel, site.config.languages)
        versions.setdefault(original, {})[language.code] = page
    return versions


def _alternates(site: Site, versions: dict[str, Page]) -> list[str]:
    """The `xhtml:link` lines of a page with translations: every version in the order of
    site.yaml's languages, then the default language's as x-default (when it has one)."""
    if len(versions) < 2:
        return []
    links = []
    for language in site.config.languages:
        if language.code in versions:
            links.append((language.code, versions[language.code].permalink))
    default = site.config.languages[0].code
    if default in versions:
        links.append(("x-default", versions[default].permalink))
    return [
        f'    <xhtml:link rel="alternate" hreflang={quoteattr(code)} href={quoteattr(href)}/>'
        for code, href in links
    ]


def atom_feed(site: Site, language: Language | None = None) -> str:
    """The Atom feed of one language's pages (default: the site's first language)."""
    config = site.config
    language = language or config.languages[0]
    home = config.base_url + (f"{language.folder}/" if language.folder else "")
    feed_url = absolute(site, config.base_path + feed_path(language.folder))
    title = language.title or config.title
    entries = feed_pages(site, language)
    # The language's latest date: its every page (as for a one-language site), not the others'.
    updated_all = site_updated(site, [p for p in site.pages if _code(site, p) == language.code])
    # Who wrote the entries, as each page's JSON-LD names them: the language's byline.
    author = language.byline or config.byline or config.publisher.name or config.title
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(language.code)}>',
        f"  <title>{escape(title)}</title>",
        f"  <subtitle>{escape(language.description or config.description)}</subtitle>",
        f"  <id>{escape(home)}</id>",
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(feed_url)}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(home)}/>',
        f"  <updated>{updated_all}</updated>",
        f"  <author><name>{escape(author)}</name></author>",
        '  <generator uri="https://github.com/">site_builder</generator>',
    ]
    for page in entries:
        updated = _timestamp(page.updated) if page.updated else updated_all
        published = _timestamp(page.date) if page.date else updated
        lines += [
            "  <entry>",
            f"    <title>{escape(page.title)}</title>",
            f"    <id>{escape(page.permalink)}</id>",
            f'    <link rel="alternate" type="text/html" href={quoteattr(page.permalink)}/>',
            f"    <published>{published}</published>",
            f"    <updated>{updated}</updated>",
            f"    <summary>{escape(page.summary)}</summary>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def robots(site: Site) -> str:
    sitemap_url = absolute(site, site.config.base_path + SITEMAP_FILE)
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n"


def absolute_origin(base_url: str) -> str:
    """ "https://user.github.io" from "https://user.github.io/repo/"."""
    return base_url[: base_url.index("/", base_url.index("//") + 2)]
