"""The files that make a site findable: sitemap.xml, feed.xml (Atom), robots.txt.

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

from site_builder.model import Page, Site
from site_builder.render.search import SEARCH_TEMPLATE

FEED_FILE = "feed.xml"
SITEMAP_FILE = "sitemap.xml"


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


def site_updated(site: Site) -> str:
    dates = [p.updated for p in site.pages if p.updated]
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


def feed_pages(site: Site) -> list[Page]:
    """The entries of the feed: the listed pages except the search page, which is not news."""
    return [p for p in listed_pages(site) if p.template != SEARCH_TEMPLATE]


def sitemap(site: Site) -> str:
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for page in [*listed_pages(site), *site.sections]:
        lines.append(f"  <url><loc>{escape(page.permalink)}</loc>")
        if page.updated:
            lines.append(f"    <lastmod>{page.updated.isoformat()}</lastmod>")
        lines.append("  </url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def atom_feed(site: Site) -> str:
    config = site.config
    feed_url = absolute(site, config.base_path + FEED_FILE)
    author = config.publisher.name or config.title
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(config.language)}>',
        f"  <title>{escape(config.title)}</title>",
        f"  <subtitle>{escape(config.description)}</subtitle>",
        f"  <id>{escape(config.base_url)}</id>",
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(feed_url)}/>',
        f'  <link rel="alternate" type="text/html" href={quoteattr(config.base_url)}/>',
        f"  <updated>{site_updated(site)}</updated>",
        f"  <author><name>{escape(author)}</name></author>",
        '  <generator uri="https://github.com/">site_builder</generator>',
    ]
    for page in feed_pages(site):
        updated = _timestamp(page.updated) if page.updated else site_updated(site)
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
