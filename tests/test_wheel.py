"""A newsroom developer's first day (issue 17): site_builder installed from a wheel, not
editable, into a fresh virtual environment, then `site-builder init`, build and check; and
a second fixture site (tests/fixtures/newsroom/: its own content, data, an image on a
subpage and exactly one template) built by that installed package. Both sites pass the
Nu HTML Checker and axe-core. Nothing here imports this checkout: only the venv's
`site-builder` runs, with no PYTHONPATH."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.support import linux_only
from tests.support.axe import format_violations, run_axe
from tests.support.http import StaticServer
from tests.support.vnu import validate_html

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "newsroom"
# What the wheel is built from: the package and the files its metadata names.
PACKAGE_FILES = ("pyproject.toml", "README.md", "site_builder")


@dataclass(frozen=True)
class Installed:
    bin: Path  # the fresh venv's bin/
    root: Path  # a folder of its own for the sites this module makes

    def run(self, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.bin}{os.pathsep}{env.get('PATH', '')}"
        return subprocess.run(
            [str(self.bin / "site-builder"), *map(str, args)],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip


def _pip(python: Path | str, *args: str | Path) -> None:
    result = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *map(str, args)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, f"pip {args[0]} failed:\n{result.stdout}\n{result.stderr}"


def _install(shared: Path) -> Path:
    """Build the wheel from a copy of the package and install it into a fresh venv."""
    source = shared / "source"
    for name in PACKAGE_FILES:
        origin = PROJECT_ROOT / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            source.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, source / name)
    _pip(sys.executable, "wheel", "--no-deps", "--quiet", "-w", shared / "dist", source)
    (wheel,) = (shared / "dist").glob("site_builder-*.whl")
    environment = shared / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(environment)
    python = environment / "bin" / "python"
    _pip(python, "install", "--quiet", "-c", PROJECT_ROOT / "requirements.lock", wheel)
    return environment / "bin"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """One wheel and venv per test run, shared by the xdist workers (built under a lock)."""
    linux_only("the installed-wheel tests (a POSIX venv, Nu and axe)")
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    shared = shared / "wheel-install"
    shared.mkdir(exist_ok=True)
    with open(shared / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "done").exists():
            shutil.rmtree(shared / "venv", ignore_errors=True)
            shutil.rmtree(shared / "dist", ignore_errors=True)
            shutil.rmtree(shared / "source", ignore_errors=True)
            _install(shared)
            (shared / "done").write_text("ok")
    return Installed(shared / "venv" / "bin", tmp_path_factory.mktemp("sites"))


def test_the_installed_package_is_not_this_checkout(installed: Installed) -> None:
    result = subprocess.run(
        [str(installed.bin / "python"), "-c", "import site_builder.theme as t; print(t.__file__)"],
        cwd=installed.root, capture_output=True, text=True, timeout=60, check=False,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    location = Path(result.stdout.strip())
    assert "site-packages" in location.parts, location
    assert not location.is_relative_to(PROJECT_ROOT)


def _pages(output: Path) -> list[Path]:
    return sorted(p for p in output.rglob("*.html") if "pagefind" not in p.parts)


def _assert_valid_and_accessible(browser: Browser, output: Path, prefix: str) -> None:
    pages = _pages(output)
    errors = validate_html(pages)
    assert not errors, "Nu HTML Checker:\n" + "\n".join(map(str, errors))
    failures = []
    with StaticServer(output, prefix) as server:
        for scheme in ("light", "dark"):
            context = browser.new_context(color_scheme=scheme)
            tab = context.new_page()
            for file in pages:
                path = file.relative_to(output).as_posix().removesuffix("index.html")
                response = tab.goto(server.url + path, wait_until="load")
                assert response is not None and response.ok, path
                if violations := run_axe(tab):
                    failures.append(f"{path or '/'} ({scheme}):\n{format_violations(violations)}")
            context.close()
    assert not failures, "axe-core:\n" + "\n".join(failures)


def test_init_builds_and_checks_clean_with_no_edits(installed: Installed, browser: Browser) -> None:
    created = installed.run("init", "my-explainer", cwd=installed.root)
    assert created.returncode == 0, created.stderr
    project = installed.root / "my-explainer"
    built = installed.run("build", cwd=project)
    assert built.returncode == 0, built.stderr
    assert built.stderr == ""  # no warnings either
    checked = installed.run("check", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The one thing left to set: where the site is published (the workflow passes it).
    assert "0 error(s), 1 warning(s)" in checked.stdout, checked.stderr
    assert "was built for https://example.github.io/my-explainer/, a placeholder" in checked.stderr
    built = installed.run("build", "--base-url", "https://newsroom.github.io/x/", cwd=project)
    assert built.returncode == 0, built.stderr
    checked = installed.run("check", cwd=project)
    assert "0 error(s), 0 warning(s)" in checked.stdout, checked.stderr
    home = (project / "output" / "index.html").read_text(encoding="utf-8")
    assert "<title>My explainer</title>" in home
    assert "Skip to main content" in home  # the packaged theme
    _assert_valid_and_accessible(browser, project / "output", "/x/")


def test_a_second_site_builds_with_the_installed_package(
    installed: Installed, browser: Browser
) -> None:
    project = installed.root / "newsroom"
    shutil.copytree(FIXTURE, project)
    assert [p.name for p in (project / "templates").iterdir()] == ["figures.html"]
    built = installed.run("build", "--strict", cwd=project)
    assert built.returncode == 0, built.stderr
    checked = installed.run("check", cwd=project)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 error(s), 0 warning(s)" in checked.stdout
    output = project / "output"
    figures = (output / "figures" / "index.html").read_text(encoding="utf-8")
    assert "<tr><td>templates of its own</td><td>1</td></tr>" in figures  # data/counts.csv
    assert '<h2 id="fx-counts">What the data folder holds</h2>' in figures  # data/notes.json
    method = (output / "method" / "index.html").read_text(encoding="utf-8")
    assert '<img src="/fixture/method/flow.svg" alt="Three boxes' in method
    assert (output / "method" / "flow.svg").is_file()
    _assert_valid_and_accessible(browser, output, "/fixture/")


@pytest.fixture(autouse=True)
def _no_leftovers() -> Iterator[None]:
    """The fixture folder is copied, never built in place."""
    yield
    assert not (FIXTURE / "output").exists() and not (FIXTURE / ".site-builder-cache").exists()
