"""Section pages: the list page a content folder without `index.md` gets.

A folder that holds pages directly (`content/deep-dives/a.md`) is a section. If no
page is already made at its URL (its own `index.md`, or a page whose slug lands
there), the build makes one: a page rendered with the `section.html` template,
which lists the folder's pages (`section_pages`, in reading order). It has no
Markdown and no file: its title comes from the folder's name, its summary from the
theme's words. It is in the sitemap, the search index and may be named in `nav:`
as `FOLDER/index.md`; it is not one of `pages` (the home page's lists, the feed,
previous/next), so a site without folders is built exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable

from site_builder.content.schema import FrontMatter
from site_builder.model import Page
from site_builder.project import CONTENT_DIR
from site_builder.theme.strings import Strings

TEMPLATE = "section.html"


def folder_pages(listed: list[Page]) -> dict[str, list[Page]]:
    """The pages directly in each folder ("" for the top), in reading order, without
    the folder's own index page: what `section_pages` lists."""
    found: dict[str, list[Page]] = {}
    for page in listed:
        if page.rel.rpartition("/")[2] == "index.md":
            continue
        found.setdefault(page.folder, []).append(page)
    return found


def make_sections(
    pages: list[Page], folders: dict[str, list[Page]], strings: Callable[[str], Strings]
) -> dict[str, Page]:
    """A generated page for each folder with pages and nothing at its URL, by output path;
    `strings` gives the theme's words in a language (its code): the section's pages'."""
    taken = {page.output_path for page in pages}
    sections: dict[str, Page] = {}
    for folder in sorted(folders):
        members = folders[folder]
        if not folder or not members:
            continue
        first = members[0]
        # The folder's URL is its pages' URL less their last segment (a slug replaces
        # only that), so it is written the way theirs are.
        output_path = first.output_path.rsplit("/", 2)[0] + "/index.html"
        if output_path in taken:
            continue
        title = folder.rpartition("/")[2].replace("-", " ").replace("_", " ").capitalize()
        front = FrontMatter(
            title=title,
            summary=str(strings(first.language)("section_summary", section=title)),
            date=None,
            updated=None,
            as_of=None,
            draft=False,
            slug=None,
            template=TEMPLATE,
            nav_title=None,
            order=None,
            sources=(),
            key_facts=(),
            source_lines={},
        )
        url = first.url.rstrip("/").rpartition("/")[0] + "/"
        origin = first.permalink[: len(first.permalink) - len(first.url)]
        sections[output_path] = Page(
            source_path=f"{CONTENT_DIR}/{folder}/",
            rel=f"{folder}/",
            front=front,
            body_line=0,
            url=url,
            permalink=origin + url,
            output_path=output_path,
            language=first.language,  # its pages' language (content/translations.py)
        )
    return sections
