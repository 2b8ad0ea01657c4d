"""The engine floor: what markdown-it-py alone costs on a corpus, the figure a cold
`site-builder build` is judged against (issue 16).

    python bench/engine_floor.py CORPUS [--jobs N]

It renders the body of every `*.md` file under CORPUS with markdown-it-py and the plugin
set site_builder uses (CommonMark, typographer — replacements and smartquotes —, tables,
strikethrough, footnotes, definition lists, attributes; with the same options as
site_builder/content/markdown.py's `make_parser`, but none of the site's own rules),
split over all cores in forked processes, and exits. Everything is included that a build
cannot avoid either: starting Python, the imports, listing and reading the files, and
splitting off the front matter (a plain split, no YAML). Nothing is written.

Time it from outside, as bench/bench.py does (a new process, start to exit); it prints
the number of bodies rendered so a caller can check it saw the whole corpus.
"""

from __future__ import annotations

import argparse
import os
import sys


def make_parser():  # type: ignore[no-untyped-def]
    from markdown_it import MarkdownIt
    from mdit_py_plugins.attrs import attrs_block_plugin, attrs_plugin
    from mdit_py_plugins.deflist import deflist_plugin
    from mdit_py_plugins.footnote import footnote_plugin

    md = MarkdownIt("commonmark", {"typographer": True, "html": False})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.use(footnote_plugin, inline=False)
    md.use(deflist_plugin)
    md.use(attrs_plugin, spans=True)
    md.use(attrs_block_plugin)
    return md


def bodies(paths: list[str]):  # type: ignore[no-untyped-def]
    for path in paths:
        with open(path, encoding="utf-8") as file:
            text = file.read()
        if text.startswith("---\n"):
            end = text.find("\n---\n", 4)
            text = text[end + 5 :] if end >= 0 else text
        yield text


def render_all(paths: list[str]) -> int:
    md = make_parser()
    count = 0
    for body in bodies(paths):
        md.render(body)
        count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", help="folder of Markdown files (searched recursively)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    paths = sorted(
        os.path.join(root, name)
        for root, _dirs, files in os.walk(args.corpus)
        for name in files
        if name.endswith(".md")
    )
    jobs = max(1, min(args.jobs, len(paths)))
    make_parser()  # imports once, before forking, as a build does
    shares = [paths[i::jobs] for i in range(jobs)]
    children = []
    for share in shares[1:]:
        pid = os.fork()
        if pid == 0:
            render_all(share)
            os._exit(0)
        children.append(pid)
    count = render_all(shares[0])
    for pid in children:
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            print("a worker failed", file=sys.stderr)
            return 1
        count += len(shares[1 + children.index(pid)])
    print(f"{count} bodies rendered by {jobs} processes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
