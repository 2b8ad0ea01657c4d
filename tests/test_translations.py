"""The explainer's Simplified Chinese pages (issue 15), built through the real CLI.

Each page under content/zh/ translates the English page at the same path. A quotation on a
Chinese page is the site's translation followed by the article's original English words in a
checked `.quote` span, so the original is checked against the source record exactly as an
English page's quotation is.
"""

import re
import shutil
from pathlib import Path

import pytest

from site_builder.content.translations import (
    Language,
    TranslationState,
    freshness_warning,
    mark_translated,
    record_version,
    split_language,
    version_of,
)
from site_builder.errors import SiteError
from tests.sitefactory import run_cli

REPO = Path(__file__).resolve().parent.parent
ZH = REPO / "content" / "zh"


def explainer_copy(tmp_path: Path) -> Path:
    """The explainer's sources (not its output or caches) in a throwaway folder."""
    site = tmp_path / "site"
    for name in ("content", "data", "templates", "static"):
        shutil.copytree(REPO / name, site / name)
    shutil.copy(REPO / "site.yaml", site / "site.yaml")
    return site


def english_pages() -> set[str]:
    return {p.name for p in (REPO / "content").glob("*.md")}


def test_every_english_page_has_a_chinese_counterpart_and_back() -> None:
    chinese = {p.name for p in ZH.glob("*.md")}
    assert english_pages() == chinese  # the not-found page included: zh/404.html


def test_the_chinese_pages_are_published_not_drafts() -> None:
    for page in ZH.glob("*.md"):
        assert not re.search(r"^draft:", page.read_text(encoding="utf-8"), re.M), page.name


def test_chinese_quotations_carry_checked_original_words() -> None:
    """Every Chinese quotation is marked as a translation and followed by the original in
    a .quote span naming its speaker and source; no English page quotation is missing."""
    english_quotes = 0
    chinese_originals = 0
    for page in (REPO / "content").glob("*.md"):
        text = page.read_text(encoding="utf-8")
        english_quotes += len(re.findall(r"\{\.quote ", text))
        english_quotes += len(re.findall(r"^> “", text, re.M))
        translated = ZH / page.name
        if translated.exists():
            zh_text = translated.read_text(encoding="utf-8")
            originals = len(re.findall(r"原文：\[[^\]]+\]\{\.quote by=", zh_text))
            assert zh_text.count("{.quote") == originals, f"{translated}: a quote without 原文"
            assert not re.search(r"^> “", zh_text, re.M), f"{translated}: an unchecked block quote"
            chinese_originals += originals
            if originals:
                assert "本站译文" in zh_text, f"{translated}: quotation not marked as translation"
    assert chinese_originals == english_quotes == 6


def test_the_chinese_pages_build_with_their_quotes_checked(tmp_path: Path) -> None:
    site = explainer_copy(tmp_path)
    result = run_cli("build", "--source", site, "--strict")
    assert result.returncode == 0, result.stderr
    for name in sorted(english_pages() - {"404.md"}):
        slug = "" if name == "index.md" else name.removesuffix(".md") + "/"
        html = (site / "output" / "zh" / slug / "index.html").read_text(encoding="utf-8")
        title = re.search(r'^title: "(.+)"$', (ZH / name).read_text(encoding="utf-8"), re.M)
        assert title and f">{title[1]}</h1>" in html, name
    truce = (site / "output" / "zh" / "tariff-truce" / "index.html").read_text(encoding="utf-8")
    assert "原文：<q" in truce and "This is a fragile ceasefire</q>" in truce


@pytest.mark.parametrize(
    ("page", "original", "broken"),
    [
        ("tariff-truce.md", "This is a fragile ceasefire]", "This is a fragile truce]"),
        ("export-controls.md", "is willing to play them", "is ready to play them"),
        ("open-issues.md", "win-win cooperation.]", "win-win cooperation!]"),
    ],
)
def test_a_translated_quotation_whose_original_is_wrong_fails_the_build(
    tmp_path: Path, page: str, original: str, broken: str
) -> None:
    site = explainer_copy(tmp_path)
    path = site / "content" / "zh" / page
    text = path.read_text(encoding="utf-8")
    assert original in text
    path.write_text(text.replace(original, broken, 1), encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if original in row)
    (site / "output").mkdir()
    (site / "output" / "index.html").write_text("previous build", encoding="utf-8")

    result = run_cli("build", "--source", site)

    assert result.returncode == 1
    assert f"content/zh/{page}:{line}:" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert (site / "output" / "index.html").read_text(encoding="utf-8") == "previous build"


# -- content/translations.py ------------------------------------------------------------

LANGUAGES = (
    Language(code="en", folder="", name="English", locale="en-GB"),
    Language(code="zh-Hans", folder="zh", name="中文", locale="zh-Hans"),
)


@pytest.mark.parametrize(
    ("rel", "code", "original"),
    [
        ("tariff-truce.md", "en", "tariff-truce.md"),
        ("zh/tariff-truce.md", "zh-Hans", "tariff-truce.md"),
        ("zh/deep/x.md", "zh-Hans", "deep/x.md"),
        ("zhx/a.md", "en", "zhx/a.md"),
        ("zh.md", "en", "zh.md"),
    ],
)
def test_a_content_path_names_its_language_and_original(rel: str, code: str, original: str) -> None:
    language, path = split_language(rel, LANGUAGES)
    assert (language.code, path) == (code, original)


def test_a_version_is_a_short_digest_that_ignores_line_endings() -> None:
    version = version_of("---\ntitle: A\n---\nText.\n")
    assert re.fullmatch(r"sha256:[0-9a-f]{16}", version)
    assert version_of("---\r\ntitle: A\r\n---\r\nText.\r\n") == version
    assert version_of("---\ntitle: A\n---\nText!\n") != version


def test_recording_a_version_adds_or_replaces_one_line_and_keeps_the_rest() -> None:
    page = '---\ntitle: "甲"\nsummary: 乙\n---\n\n正文 --- 不变。\n'
    recorded = record_version(page, "sha256:0123456789abcdef")
    assert recorded == (
        '---\ntitle: "甲"\nsummary: 乙\ntranslation_of: sha256:0123456789abcdef\n---\n\n'
        "正文 --- 不变。\n"
    )
    again = record_version(recorded, "sha256:fedcba9876543210")
    assert again == recorded.replace("0123456789abcdef", "fedcba9876543210")
    with pytest.raises(ValueError, match="no front matter"):
        record_version("no front matter\n", "sha256:0123456789abcdef")


def test_a_stale_translation_is_a_warning_naming_both_files() -> None:
    state = TranslationState(
        "content/zh/x.md", "content/x.md", "sha256:0000000000000000", "sha256:1111111111111111", 4
    )
    warning = freshness_warning(state)
    assert warning is not None and warning.severity == "warning"
    assert warning.format().startswith("content/zh/x.md:4: warning: content/x.md has changed")
    assert "site-builder translated content/zh/x.md" in warning.message
    current = TranslationState("content/zh/x.md", "content/x.md", "sha256:1", "sha256:1", 4)
    assert freshness_warning(current) is None
    unrecorded = TranslationState("content/zh/x.md", "content/x.md", None, "sha256:1", None)
    assert "no record of which version of content/x.md" in freshness_warning(unrecorded).message


def test_marking_a_translation_records_its_originals_version(tmp_path: Path) -> None:
    (tmp_path / "content" / "zh").mkdir(parents=True)
    original = "---\ntitle: A\n---\nText.\n"
    (tmp_path / "content" / "a.md").write_text(original, encoding="utf-8")
    zh = tmp_path / "content" / "zh" / "a.md"
    zh.write_bytes('---\r\ntitle: "甲"\r\n---\r\n正文。\r\n'.encode())

    version = mark_translated(tmp_path, "content/zh/a.md", LANGUAGES)

    assert version == version_of(original)
    assert zh.read_bytes() == (
        f'---\r\ntitle: "甲"\r\ntranslation_of: {version}\r\n---\r\n正文。\r\n'.encode()
    )


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "content/a.md",
            "not a translation: it is a en page (its translations live under content/zh/)",
        ),
        ("content/zh/missing.md", "there is no such file"),
        ("content/zh/orphan.md", "there is no original content/orphan.md to follow"),
        ("data/zh/a.yaml", "not a page"),
        ("content/zh/bare.md", "no front matter"),
    ],
)
def test_marking_what_is_not_a_translation_is_a_plain_error(
    tmp_path: Path, path: str, message: str
) -> None:
    (tmp_path / "content" / "zh").mkdir(parents=True)
    for name in ("a.md", "bare.md"):
        (tmp_path / "content" / name).write_text("---\ntitle: A\n---\n", encoding="utf-8")
    (tmp_path / "content" / "zh" / "orphan.md").write_text(
        "---\ntitle: 甲\n---\n", encoding="utf-8"
    )
    (tmp_path / "content" / "zh" / "bare.md").write_text("甲\n", encoding="utf-8")
    with pytest.raises(SiteError, match=re.escape(message)):
        mark_translated(tmp_path, path, LANGUAGES)


# -- freshness through the CLI ------------------------------------------------------------


def test_editing_an_original_warns_about_its_translation_until_it_is_marked_again(
    tmp_path: Path,
) -> None:
    site = explainer_copy(tmp_path)
    clean = run_cli("build", "--source", site, "--strict")
    assert clean.returncode == 0 and "warning" not in clean.stderr, clean.stderr

    original = site / "content" / "tariff-truce.md"
    original.write_text(
        original.read_text(encoding="utf-8").replace("is due to expire", "is set to expire"),
        encoding="utf-8",
    )
    warned = run_cli("build", "--source", site)
    assert warned.returncode == 0, warned.stderr
    zh_text = (site / "content" / "zh" / "tariff-truce.md").read_text(encoding="utf-8")
    line = next(
        n for n, row in enumerate(zh_text.splitlines(), 1) if row.startswith("translation_of:")
    )
    warnings = [row for row in warned.stderr.splitlines() if "warning:" in row]
    assert len(warnings) == 1, warned.stderr
    assert warnings[0].startswith(
        f"content/zh/tariff-truce.md:{line}: warning: content/tariff-truce.md has changed"
    )

    strict = run_cli("build", "--source", site, "--strict")
    assert strict.returncode == 1
    assert "content/zh/tariff-truce.md" in strict.stderr and "Traceback" not in strict.stderr

    marked = run_cli("translated", "--source", site, "content/zh/tariff-truce.md")
    assert marked.returncode == 0, marked.stderr
    assert "content/zh/tariff-truce.md: follows sha256:" in marked.stdout
    again = run_cli("build", "--source", site, "--strict")
    assert again.returncode == 0 and "warning" not in again.stderr, again.stderr


def test_every_chinese_page_follows_the_current_english_page() -> None:
    for page in ZH.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        recorded = re.search(r"^translation_of: (\S+)$", text, re.M)
        original = (REPO / "content" / page.name).read_text(encoding="utf-8")
        assert recorded and recorded[1] == version_of(original), page.name


def test_a_hand_made_version_is_an_error_at_its_line(tmp_path: Path) -> None:
    site = explainer_copy(tmp_path)
    page = site / "content" / "zh" / "timeline.md"
    text = page.read_text(encoding="utf-8")
    page.write_text(
        re.sub(r"^translation_of: .*$", "translation_of: latest", text, flags=re.M),
        encoding="utf-8",
    )
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("translation_of"))
    result = run_cli("build", "--source", site)
    assert result.returncode == 1
    assert f"content/zh/timeline.md:{line}:" in result.stderr
    assert "site-builder translated" in result.stderr


def test_translated_refuses_what_is_not_a_translation(tmp_path: Path) -> None:
    site = explainer_copy(tmp_path)
    result = run_cli("translated", "--source", site, "content/index.md", "content/zh/nothing.md")
    assert result.returncode == 1
    assert "content/index.md: not a translation" in result.stderr
    assert "content/zh/nothing.md: there is no such file" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("languages", "message"),
    [
        ("  - {code: en}\n  - {code: zh-Hans}\n", "needs a folder under content/"),
        ("  - {code: en, folder: x}\n", "the first language is the default"),
        ("  - {code: en}\n  - {code: zz-Qqqq-99, folder: zz}\n", "not a locale Babel knows"),
        (
            "  - {code: en}\n  - {code: zh-Hans, folder: zh}\n  - {code: zh-Hant, folder: zh}\n",
            "two languages share the folder 'zh'",
        ),
        ("  - {code: en, nme: English}\n", "did you mean 'name'"),
    ],
)
def test_a_wrong_languages_entry_is_an_error_in_site_yaml(
    tmp_path: Path, languages: str, message: str
) -> None:
    site = explainer_copy(tmp_path)
    config = site / "site.yaml"
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"^languages:\n(  .*\n)+", "languages:\n" + languages, text, flags=re.M)
    config.write_text(text, encoding="utf-8")
    result = run_cli("build", "--source", site)
    assert result.returncode == 1
    assert "site.yaml:" in result.stderr and message in result.stderr, result.stderr


# -- the theme's words in Chinese ---------------------------------------------------------


def test_the_chinese_table_says_every_theme_word_with_the_same_slots() -> None:
    from site_builder.theme.strings import table

    english, chinese = table("en"), table("zh")
    assert chinese.keys() == english.keys()
    for key, text in english.items():
        slots = sorted(re.findall(r"\{([a-z_]+)\}", text))
        assert sorted(re.findall(r"\{([a-z_]+)\}", chinese[key])) == slots, key
        kept = r"\{[a-z_]+\}|JavaScript|Atom|content/sources/|site-builder ingest"
        assert not re.search(r"[A-Za-z]{3,}", re.sub(kept, "", chinese[key])), key


def test_chinese_dates_from_the_table_are_cldrs() -> None:
    import datetime as dt

    from site_builder.render.locale import format_date
    from site_builder.theme.strings import Strings

    words = Strings("zh-Hans", {})
    for month in range(1, 13):
        day = dt.date(2025, month, 27)
        assert words.format_date(day) == format_date(day, "zh-Hans")
    assert words.format_date(dt.date(2025, 7, 27)) == "2025年7月27日"
    assert str(words("as_of", date="2025年7月27日")) == "截至2025年7月27日"


# -- languages in the built pages ---------------------------------------------------------


@pytest.fixture(scope="module")
def both_languages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The explainer built as published, with its Chinese pages."""
    site = explainer_copy(tmp_path_factory.mktemp("languages"))
    result = run_cli("build", "--source", site, "--strict")
    assert result.returncode == 0, result.stderr
    return site / "output"


def _html(output: Path, path: str) -> str:
    return (output / path / "index.html").read_text(encoding="utf-8")


BASE = "https://example.github.io/stockholm-explainer/"


@pytest.mark.parametrize("slug", ["", "delegations/", "tariff-truce/", "search/", "sources/"])
def test_each_language_points_to_the_other_and_to_the_default(
    both_languages: Path, slug: str
) -> None:
    alternates = (
        f'<link rel="alternate" hreflang="en" href="{BASE}{slug}">\n'
        f'<link rel="alternate" hreflang="zh-Hans" href="{BASE}zh/{slug}">\n'
        f'<link rel="alternate" hreflang="x-default" href="{BASE}{slug}">'
    )
    english, chinese = _html(both_languages, slug), _html(both_languages, "zh/" + slug)
    assert '<html lang="en">' in english and '<html lang="zh-Hans">' in chinese
    assert alternates in english and alternates in chinese
    prefix = "/stockholm-explainer/"
    assert f'<a href="{prefix}zh/{slug}" hreflang="zh-Hans" lang="zh-Hans">中文</a>' in english
    assert f'<a href="{prefix}{slug}" hreflang="en" lang="en">English</a>' in chinese


def test_a_chinese_page_is_in_chinese_around_its_text(both_languages: Path) -> None:
    page = _html(both_languages, "zh/tariff-truce/")
    assert "<title>关税休战 · 斯德哥尔摩贸易谈判解读</title>" in page
    assert '<a href="/stockholm-explainer/zh/">斯德哥尔摩贸易谈判解读</a>' in page
    assert "内容截至2025年7月27日；此后的事件未予报道。" in page
    assert ">跳到主要内容</a>" in page and 'aria-label="栏目"' in page
    nav = re.search(r'<nav class="site-nav".*?</nav>', page, re.S)
    assert nav is not None
    links = re.findall(r'href="([^"]+)"', nav[0])
    assert len(links) == 7 and all(link.startswith("/stockholm-explainer/zh/") for link in links)


def test_each_language_lists_its_own_pages(both_languages: Path) -> None:
    def cards(html: str) -> list[str]:
        return re.findall(r'<h3><a href="([^"]+)"', html)

    chinese, english = cards(_html(both_languages, "zh/")), cards(_html(both_languages, ""))
    assert len(chinese) == len(english) == 6
    assert all(link.startswith("/stockholm-explainer/zh/") for link in chinese)
    assert not any("/zh/" in link for link in english)
    pager = re.search(
        r'<nav class="pager".*?</nav>', _html(both_languages, "zh/delegations/"), re.S
    )
    assert pager is not None
    assert re.findall(r'href="([^"]+)"', pager[0]) == [
        "/stockholm-explainer/zh/",
        "/stockholm-explainer/zh/tariff-truce/",
    ]


def test_the_who_is_who_is_in_the_pages_language(both_languages: Path) -> None:
    # (A name's middle dot is held to its halves by invisible word joiners: textfit.py.)
    page = _html(both_languages, "zh/delegations/").replace("\u2060", "")
    for name in ("何立峰", "斯科特·贝森特", "唐纳德·特朗普", "习近平", "吴心伯"):
        assert f'<p class="person-name">{name}</p>' in page
    assert "人物一览" in page and "He Lifeng" not in page.split('id="sb-whos-who"')[1]
    assert '<p class="person-name">He Lifeng</p>' in _html(both_languages, "delegations/")


def test_without_the_chinese_pages_english_pages_name_no_alternates(tmp_path: Path) -> None:
    site = explainer_copy(tmp_path)
    shutil.rmtree(site / "content" / "zh")
    result = run_cli("build", "--source", site, "--strict")
    assert result.returncode == 0, result.stderr
    page = _html(site / "output", "tariff-truce/")
    assert "hreflang=" not in page.split("</head>")[0]
    assert "language-switch" not in page
