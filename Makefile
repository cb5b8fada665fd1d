# The two set-up commands (see README): `make serve` and `make test`.
# Each creates .venv on first use, installs what is needed, then does its job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: serve test install install-test chromium bench lint lint-py lint-js

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# Debian packages the tests use: chromium (browser tests), poppler-utils (pdftotext/pdfinfo
# read the printed worksheet), redis-server (tests/redis and the Redis run of tests/api start
# their own on a free port), wrk (the load of bench/redis_scaling.py, run --quick by the tests)
chromium:
	@{ command -v chromium && command -v pdftotext && command -v redis-server && command -v wrk; } >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium, poppler-utils, redis-server and wrk for the tests..."; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils \
	    redis-server wrk >/dev/null; }

serve: install
	$(BIN)/python -m backprop_explorer --host $(HOST) --port $(PORT)

# ruff (E, F, W, B, I, UP) and mypy on the backend; see [tool.ruff] / [tool.mypy] in pyproject.toml
lint-py: install-test
	$(BIN)/ruff check backend/
	$(BIN)/mypy

lint: lint-py lint-js

# The whole suite with the compiled path on, then the engine and API tests (every number a
# route returns, against hand-derived values, finite differences and each other) again with
# it off (BPE_COMPILED=0: numpy everywhere), so both paths stay green on any CPU. (The other
# tests draw, store, time or fuzz what the API returns, whichever path computed it.) That
# second run also puts the API on the Redis store (BPE_TEST_STORE=redis, a redis-server of
# its own per worker): the whole API contract holds on both stores, at no extra run.
#
# pytest-xdist spreads the tests over TEST_WORKERS processes (each with its own browser and
# live_server; see the top of tests/conftest.py). Most tests wait on a server, a browser or a
# subprocess rather than compute, so 4 workers pay off even on 2 cores; `make test
# TEST_WORKERS=0` runs everything in one process. The second run is in-process tests that
# compute (TestClient, the engine): one worker per core (-n auto) is faster there than 4 (on
# 2 cores 39 s against 56 s), as each worker also collects the tests and starts a Redis.
#
# PYTHONDONTWRITEBYTECODE is cleared for the test runs: with it set, pytest rewrites the
# asserts of every test module in every worker again (~4 s of CPU per worker, twice the
# rest of its collection) instead of reading the rewritten modules from __pycache__.
TEST_WORKERS ?= 4
RERUN_WORKERS ?= $(if $(filter 0,$(TEST_WORKERS)),0,auto)
test: install-test chromium lint
	node --test tests/js/
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n $(TEST_WORKERS) --durations=20
	PYTHONDONTWRITEBYTECODE= BPE_COMPILED=0 BPE_TEST_STORE=redis $(BIN)/python -m pytest -q \
	  -n $(RERUN_WORKERS) tests/engine tests/api

# ESLint 10 (pinned in package.json / package-lock.json) on the frontend and its node tests.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error >/dev/null
	touch $@

lint-js: node_modules/.installed
	npx --no-install eslint frontend/js tests/js
