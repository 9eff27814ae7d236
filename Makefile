# Two commands set up a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test audit lint format migrate install install-dev examples clean bench bench-accruals openapi-snapshot openapi-lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt examples/requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## run: install, migrate the local SQLite database, serve on http://127.0.0.1:5000
run: export APP_ENV ?= development
run: install migrate
	$(BIN)/flask run --host 127.0.0.1 --port 5000

## migrate: bring the database named by DATABASE_URL (default: instance/pto.sqlite3) up to date
migrate: export APP_ENV ?= development
migrate: install
	$(BIN)/flask db upgrade

## examples: install requests (examples/requirements.txt), then run both example scripts against PTO_API
## (default http://127.0.0.1:5000: start `make run` in another terminal first). pip runs every time: it
## returns at once when the pin is met, and so works in any venv given as VENV=.
examples: export PTO_API ?= http://127.0.0.1:5000
examples: | $(BIN)/python
	$(BIN)/pip install --quiet -r examples/requirements.txt
	@$(BIN)/python -c 'import os, requests; requests.get(os.environ["PTO_API"] + "/health", timeout=5)' \
		2>/dev/null || { echo "No API answers at $$PTO_API: start it with make run (another terminal) or set PTO_API."; exit 1; }
	$(BIN)/python examples/tutorial_client.py
	$(BIN)/python examples/hr_workflow.py

## test: lint, then the whole suite (SQLite always; PostgreSQL too when TEST_DATABASE_URL is set)
test: install-dev lint
	$(BIN)/pytest $(PYTEST_ARGS)

## audit: check the pinned dependencies for known vulnerabilities (pip-audit; needs the internet)
audit: install-dev
	$(BIN)/pytest -m network

## bench: the API and its floor under gunicorn on PostgreSQL, driven by wrk; writes bench/RESULTS.md
## (settings: BENCH_* variables, see bench/run.py; BENCH_ARGS="--profile employee" runs py-spy instead)
bench: install-dev
	command -v wrk >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/accruals.py

## bench-accruals: the accrual run on PostgreSQL beside a set-based SQL floor, at 2,000 and 20,000 employees:
## seconds, statements, peak memory, and a 12-month catch-up; prints a table (settings: see bench/accruals.py)
bench-accruals: install-dev
	$(BIN)/python bench/accruals.py

## openapi-snapshot: after changing the API on purpose, record its OpenAPI document for tests/test_openapi.py
openapi-snapshot: export APP_ENV = testing
openapi-snapshot: install
	$(BIN)/flask openapi write tests/openapi.snapshot.json

## openapi-lint: lint the OpenAPI document with Spectral and Redocly (pinned in tests/openapi_lint, installed by npm ci)
openapi-lint: export APP_ENV = testing
openapi-lint: install
	npm ci --prefix tests/openapi_lint --ignore-scripts --no-audit --no-fund
	$(BIN)/flask openapi write tests/openapi_lint/openapi.json
	tests/openapi_lint/lint.sh tests/openapi_lint/openapi.json

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache tests/openapi_lint/node_modules
