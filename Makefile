# wcpulse — `make run` and `make test` do the whole set-up on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test test-unit test-integration test-e2e lint format bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## create the venv and install wcpulse with its dev tools

run: $(STAMP) ## start everything on embedded defaults with a demo shop
	$(BIN)/wcpulse run --demo

test: $(STAMP) ## run the whole test suite (unit, integration, e2e)
	$(BIN)/pytest -q

test-unit: $(STAMP) ## pure functions only (seconds)
	$(BIN)/pytest -q tests/unit

test-integration: $(STAMP) ## real RabbitMQ, PostgreSQL, SQLite, DuckDB, HTTP
	$(BIN)/pytest -q tests/integration

test-e2e: $(STAMP) ## real processes, signed webhooks over HTTP
	$(BIN)/pytest -q tests/e2e

lint: $(STAMP) ## ruff check, format check and import-layer contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP) ## ruff format and autofix
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) ## benchmarks (figures, not tests)
	$(BIN)/python -m bench

clean: ## remove the venv and local data
	rm -rf $(VENV) var .pytest_cache .ruff_cache
