# Mogi's one task runner. `make run` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The CPU build of torch; see the README for other machines.
TORCH_SPEC ?= torch==2.13.0
export MOGI_MNIST_DIR ?= $(if $(wildcard ../shared/mnist),$(abspath ../shared/mnist),$(CURDIR)/var/mnist)

.PHONY: setup migrate import run worker test test-sqlite test-postgresql coverage browser lint bench clean

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
# Coverage of app/ and models/ over both runs (servers and workers included) is reported at
# the end; the whole table is in var/coverage/report.txt.
test: setup browser test-sqlite test-postgresql coverage

test-sqlite: setup
	rm -rf var/coverage && mkdir -p var/coverage
	MOGI_TEST_BACKEND=sqlite $(BIN)/pytest --cov --cov-report= $(PYTEST_ARGS)

test-postgresql: setup
	mkdir -p var/coverage
	MOGI_TEST_BACKEND=postgresql $(BIN)/pytest -m "not browser" --cov --cov-append --cov-report= $(PYTEST_ARGS)

coverage: setup
	-$(BIN)/coverage combine -q 2>/dev/null
	$(BIN)/coverage report > var/coverage/report.txt
	@tail -1 var/coverage/report.txt | sed 's/^TOTAL/coverage of app\/ and models\/ (statements, missed, %):/'

lint: setup
	$(BIN)/ruff check app models tests benches
	$(BIN)/ruff format --check app models tests benches
	$(BIN)/mypy app models

# Speed and memory targets: figures and commands in benches/RESULTS.md.
bench: setup
	$(BIN)/python benches/bench_content.py
	$(BIN)/python benches/bench_training.py --runs 3
	$(BIN)/python benches/bench_demos.py --jobs 10

clean:
	rm -rf $(VENV) var .pytest_cache
