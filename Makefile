# Two commands do all set-up on a fresh clone: `make build` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build test serve bench lint format clean expected

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

build: $(STAMP)
	$(BIN)/site-builder build

test: $(STAMP) node_modules/.installed
	$(BIN)/ruff check site_builder tests
	$(BIN)/ruff format --check site_builder tests
	$(BIN)/pytest -n 2

serve: $(STAMP)
	$(BIN)/site-builder serve

bench: $(STAMP)
	$(BIN)/python bench/bench.py

lint: $(STAMP)
	$(BIN)/ruff check site_builder tests

format: $(STAMP)
	$(BIN)/ruff format site_builder tests
	$(BIN)/ruff check --fix site_builder tests

# Regenerate the committed expected output of the fixture sites.
expected: $(STAMP)
	$(BIN)/python -m tests.regenerate_expected

clean:
	rm -rf output .site-builder-cache
