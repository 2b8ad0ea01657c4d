"""What a built site was built for: its base URL, read from the output, and whether that
is a placeholder or local host (a site not ready to publish)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from site_builder.errors import Diagnostic

# Hosts no published site lives at: the documentation domains (RFC 2606/6761), the
# example GitHub account, and this machine.
PLACEHOLDER_HOSTS = frozenset(
    {"example.com", "example.org", "example.net", "example.github.io", "localhost"}
    | {"127.0.0.1", "[::1]", "0.0.0.0"}
)
PLACEHOLDER_SUFFIXES = (".example", ".invalid", ".localhost", ".example.com", ".example.org")
# The build writes `Sitemap: BASE_URLsitemap.xml` into robots.txt (render/feeds.py).
SITEMAP_LINE = re.compile(r"^Sitemap:\s*(\S+)sitemap\.xml\s*$", re.MULTILINE)


def built_base_url(output: Path) -> str | None:
    """The base URL the site in `output` was built for, from its robots.txt."""
    robots = output / "robots.txt"
    if not robots.is_file():
        return None
    match = SITEMAP_LINE.search(robots.read_text(encoding="utf-8", errors="replace"))
    return match.group(1) if match else None


def is_placeholder(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host in PLACEHOLDER_HOSTS or host.endswith(PLACEHOLDER_SUFFIXES)


def placeholder_warning(base_url: str, where: str) -> list[Diagnostic]:
    """A warning if the site was built for a placeholder or local host: its canonical
    URLs, feed, sitemap and JSON-LD all point there."""
    host = urlsplit(base_url).hostname or ""
    if not is_placeholder(host):
        return []
    return [
        Diagnostic(
            where,
            None,
            None,
            f"the site was built for {base_url}, a placeholder host: set base_url (and "
            "publisher.url) in site.yaml to where the site is published, or build with "
            "--base-url",
            severity="warning",
        )  # fmt: skip
    ]
