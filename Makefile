# Kite: `make run` to use it, `make test` to prove it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install lint migrations-check screenshots clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Start Kite with embedded SeaweedFS and Valkey under ./var/ on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/python -m devtools.devstack run

## The whole suite against PostgreSQL, SeaweedFS and a Redis-protocol broker (pytest starts what it needs)
test: $(STAMP) lint migrations-check
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## ruff, the import-linter contracts (apps depend in one direction) and mypy
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

migrations-check: $(STAMP)
	DEBUG=true DATABASE_URL=sqlite:///:memory: $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var/static

## Screenshots of every page at desktop and phone width into docs/screenshots/ (a throwaway Kite, Chromium)
screenshots: $(STAMP)
	$(BIN)/python -m devtools.screenshots

## Measure list, search, upload and classification speed into docs/benchmarks.md (PostgreSQL from DATABASE_URL, default kite_bench)
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m bench
