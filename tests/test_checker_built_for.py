"""`site-builder check` and the URL a site was built for (issue 17, items 7 and 8): the base
URL comes from the output's robots.txt unless --base-url is given, and a site built for a
placeholder or local host is a warning. Through the real CLI."""

from __future__ import annotations

from pathlib import Path

from tests.sitefactory import SITE_YAML, make_site, run_cli

REAL = "https://newsroom.github.io/deep/path/"


def test_check_reads_the_base_url_the_build_used(tmp_path: Path) -> None:
    project = make_site(tmp_path, {"site.yaml": SITE_YAML + "nav:\n  - index.md\n"})
    built = run_cli("build", "--source", project, "--base-url", REAL)
    assert built.returncode == 0, built.stderr
    checked = run_cli("check", "--source", project)
    assert checked.returncode == 0, checked.stderr
    assert "0 error(s), 0 warning(s)" in checked.stdout
    # Given another base URL, every internal link is outside it: the flag still wins.
    other = run_cli("check", "--source", project, "--base-url", "https://newsroom.github.io/x/")
    assert other.returncode == 1
    assert "is outside the base path /x/" in other.stderr


def test_a_site_built_for_a_placeholder_host_is_a_warning(tmp_path: Path) -> None:
    project = make_site(tmp_path)
    assert "example.github.io" in SITE_YAML
    for base_url in ("https://example.github.io/repo/", "http://127.0.0.1:8000/"):
        assert run_cli("build", "--source", project, "--base-url", base_url).returncode == 0
        checked = run_cli("check", "--source", project)
        assert checked.returncode == 0, checked.stderr  # a warning, not an error
        assert "0 error(s), 1 warning(s)" in checked.stdout
        assert checked.stderr.endswith(
            f"output: warning: the site was built for {base_url}, a placeholder host: set "
            "base_url (and publisher.url) in site.yaml to where the site is published, or "
            "build with --base-url\n"
        )
    assert run_cli("build", "--source", project, "--base-url", REAL).returncode == 0
    assert "0 error(s), 0 warning(s)" in run_cli("check", "--source", project).stdout
