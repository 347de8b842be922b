# Mogi's one task runner. `make run` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of torch; see the README for other machines.
TORCH_SPEC ?= torch==2.13.0
export MOGI_MNIST_DIR ?= $(if $(wildcard ../shared/mnist),$(abspath ../shared/mnist),$(CURDIR)/var/mnist)

.PHONY: setup migrate import run worker test test-sqlite test-postgresql browser lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check "$(TORCH_SPEC)"
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

migrate: setup
	$(BIN)/mogi migrate

import: migrate
	$(BIN)/mogi import

run: import
	$(BIN)/mogi serve --with-worker

worker: setup
	$(BIN)/mogi worker

browser:
	bash scripts/install-browser.sh

# The suite runs twice: on SQLite, then on PostgreSQL (skipped, with the reason, when no server
# answers). Browser tests look at pages, which do not depend on the database: SQLite run only.
test: setup browser test-sqlite test-postgresql

test-sqlite: setup
	MOGI_TEST_BACKEND=sqlite $(BIN)/pytest $(PYTEST_ARGS)

test-postgresql: setup
	MOGI_TEST_BACKEND=postgresql $(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check app models tests benches
	$(BIN)/ruff format --check app models tests benches
	$(BIN)/mypy app models

# Speed and memory targets: figures and commands in benches/RESULTS.md.
bench: setup
	$(BIN)/python benches/bench_content.py
	$(BIN)/python benches/bench_search.py
	$(BIN)/python benches/bench_training.py --runs 3
	$(BIN)/python benches/bench_demos.py --jobs 10

clean:
	rm -rf $(VENV) var .pytest_cache
