"""The write phase's share cards (write_phase.py): which card a rendered page names,
the warning when a card's text needs a font that is missing, and putting the cards in
the output (render/share_card.py draws them)."""

from __future__ import annotations

from pathlib import Path

from site_builder.errors import Diagnostic
from site_builder.model import Page, Site
from site_builder.pipeline.output import write_in_place
from site_builder.render.share_card import FOLDER as CARDS_DIR
from site_builder.render.share_card import CardText, card_name, lacks_font, render_card
from site_builder.render.templates import share_card_text


def named_card(site: Site, page: Page, html: str) -> CardText | None:
    """What the share card `page`'s HTML names shows, or None (templates decide whether a
    site has cards: a page whose template does not name its card gets none)."""
    if page.is_404 or CARDS_DIR + "/" not in html:  # no card named: Pillow stays unloaded
        return None
    text = share_card_text(site.config, page.rel, page.title, page.summary)
    return text if card_name(text) in html else None


def cards_named_in(site: Site, folder: Path, paths: list[str]) -> dict[str, CardText | None]:
    """The cards named by the pages among `paths` as they are in `folder` (kept outputs,
    whose HTML was not rendered in this build)."""
    pages = {page.output_path: page for page in site.pages}
    cards: dict[str, CardText | None] = {}
    for path in paths:
        page = pages.get(path)
        if page is not None:
            html = (folder / path).read_text(encoding="utf-8")
            cards[path] = named_card(site, page, html)
    return cards


def card_font_warnings(cards: dict[str, CardText | None], site: Site) -> list[Diagnostic]:
    """One warning when cards have Chinese, Japanese or Korean text and no CJK font is
    installed to draw it (render/share_card.py), at the first such page."""
    lacking = sorted(path for path, text in cards.items() if text is not None and lacks_font(text))
    if not lacking:
        return []
    sources = {page.output_path: page.source_path for page in [*site.pages, *site.sections]}
    others = f" and {len(lacking) - 1} other page(s)" if len(lacking) > 1 else ""
    message = (
        f"the share card of this page{others} has Chinese, Japanese or Korean text, and no "
        "CJK font is installed: its characters are drawn as empty boxes; install Noto Sans "
        "CJK (Debian: apt-get install fonts-noto-cjk) and build again"
    )
    return [Diagnostic(sources.get(lacking[0], lacking[0]), None, None, message, "warning")]


def write_share_cards(
    cards: dict[str, CardText | None], folder: Path, previous: Path, *, in_place: bool = False
) -> None:
    """Put into `folder` each card of `cards` (output path -> what its card shows).

    A card's file name is a digest of what it shows (render/share_card.py), so a card
    already in `previous` (the output folder) is reused as it is, and only new or changed
    text is drawn."""
    named = {card_name(text): text for text in cards.values() if text is not None}
    for name, text in sorted(named.items()):
        target = folder / name
        if target.is_file():
            continue
        old = previous / name
        data = old.read_bytes() if old.is_file() else render_card(text)
        if in_place:
            write_in_place(folder, name, data)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
