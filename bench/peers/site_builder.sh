#!/usr/bin/env bash
# site_builder under the peer harness of /work/shared/bench (copy this file into its peers/).
#   SITE_BUILDER_ROOT=/path/to/checkout  (default: the checkout this file is in)
#   SITE_BUILDER_PYTHON=python           (default: the checkout's .venv, else python3)
# Parallelism: all cores (its default: one process per core for full builds).
# Caveats: it also writes sitemap.xml, feed.xml, robots.txt and .nojekyll (there is no
# switch to turn them off; they take a few ms); links between pages are rewritten to
# the pages' URLs; raw HTML in Markdown is escaped (the corpus has none).
# `clean` deletes the output and the build cache, so every timed build is cold.
source "$(dirname "${BASH_SOURCE[0]}")/_lib.sh"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${SITE_BUILDER_ROOT:-$(cd "$HERE/../.." && pwd)}
if [ -z "${SITE_BUILDER_PYTHON:-}" ]; then
  SITE_BUILDER_PYTHON=python3
  [ -x "$ROOT/.venv/bin/python" ] && SITE_BUILDER_PYTHON=$ROOT/.venv/bin/python
fi
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
do_version() {
  [ -f "$ROOT/site_builder/__init__.py" ] || return 1
  local rev; rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "?")
  "$SITE_BUILDER_PYTHON" -c 'import site_builder as s; print("site_builder", s.__version__, end="")' \
    && echo " ($rev)"
}
do_prepare() {
  local s=$WORK/src
  # Byte-compile the package, as `pip install` does: this machine sets
  # PYTHONDONTWRITEBYTECODE, so a checkout would be compiled again on every build.
  "$SITE_BUILDER_PYTHON" -m compileall -q "$ROOT/site_builder" >/dev/null
  rm -rf "$s"; mkdir -p "$s/templates"
  copy_corpus "$s/content"
  cat > "$s/site.yaml" <<'CFG'
title: bench
description: The peer benchmark corpus.
base_url: https://example.org/
search: false
CFG
  cat > "$s/templates/page.html" <<'TPL'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }}</title></head>
<body><article>
<h1>{{ page.title }}</h1>
<p class="date">{{ page.date }}</p>
<ul class="tags">{% for t in page.tags %}<li>{{ t }}</li>{% endfor %}</ul>
<div class="content">
{{ page.content|safe }}
</div>
</article></body></html>
TPL
}
do_clean() { rm -rf "$WORK/out" "$WORK/src/.site-builder-cache"; }
do_build() {
  exec "$SITE_BUILDER_PYTHON" -m site_builder build -q --source "$WORK/src" --output "$WORK/out"
}
dispatch "$@"
