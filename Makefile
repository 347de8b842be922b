# Mogi's one task runner. `make run` and `make test` are all a new machine needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exact versions with hashes, the same the images get (regenerate: bash scripts/lock.sh).
LOCKS := requirements/dev.lock requirements/torch-cpu.lock
# torch is the CPU build pinned in requirements/torch-cpu.lock, found in PIP_FIND_LINKS (this
# machine's wheel folder); elsewhere: make setup TORCH_PIP_ARGS=--extra-index-url=https://download.pytorch.org/whl/cpu
TORCH_PIP_ARGS ?=
PIP := $(BIN)/pip install -q --disable-pip-version-check
export MOGI_MNIST_DIR ?= $(if $(wildcard ../shared/mnist),$(abspath ../shared/mnist),$(CURDIR)/var/mnist)

.PHONY: setup migrate import run worker test test-sqlite test-postgresql test-slow coverage browser \
	lint bench clean image-test lock

setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCKS)
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes --no-deps -r requirements/torch-cpu.lock $(TORCH_PIP_ARGS)
	$(PIP) --require-hashes --no-deps -r requirements/dev.lock
	$(PIP) --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

lock:
	bash scripts/lock.sh

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
# Each run spreads the test files over every core (pytest-xdist; each file has its own database).
# Tests marked `slow` (the longest fault, worker and browser tests) are left to `make test-slow`,
# which CI runs too. Coverage of app/ and models/ over both runs (servers and workers included)
# is reported at the end; the whole table is in var/coverage/report.txt.
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --dist loadfile
test: setup browser test-sqlite test-postgresql coverage

test-sqlite: setup
	rm -rf var/coverage && mkdir -p var/coverage
	MOGI_TEST_BACKEND=sqlite $(BIN)/pytest $(XDIST) -m "not slow" --cov --cov-report= $(PYTEST_ARGS)

test-postgresql: setup
	mkdir -p var/coverage
	MOGI_TEST_BACKEND=postgresql $(BIN)/pytest $(XDIST) -m "not slow and not browser" \
		--cov --cov-append --cov-report= $(PYTEST_ARGS)

# The `slow` tests, each on the backends it needs (browser ones on SQLite only). One at a time:
# some fault tests time answers, which other tests beside them on the cores would slow down.
test-slow: setup browser
	MOGI_TEST_BACKEND=sqlite $(BIN)/pytest -m slow $(PYTEST_ARGS)
	MOGI_TEST_BACKEND=postgresql $(BIN)/pytest -m "slow and not browser" $(PYTEST_ARGS)

coverage: setup
	@$(BIN)/coverage combine -q >/dev/null 2>&1 || true  # pytest-cov may have combined them already
	$(BIN)/coverage report --precision=1 > var/coverage/report.txt
	@grep '^TOTAL' var/coverage/report.txt | sed 's/^TOTAL/coverage of app\/ and models\/ (statements, missed, %):/'

lint: setup
	$(BIN)/hadolint --failure-threshold warning Dockerfile
	$(BIN)/ruff check app models tests benches
	$(BIN)/ruff format --check app models tests benches
	$(BIN)/mypy app models

# Speed and memory targets: figures and commands in benches/RESULTS.md.
bench: setup
	$(BIN)/python benches/bench_content.py
	$(BIN)/python benches/bench_search.py
	$(BIN)/python benches/bench_training.py --runs 3
	$(BIN)/python benches/bench_demos.py --jobs 10

# Build both images and run them as a self-hoster does (Podman where there is no Docker;
# needs root). See scripts/image-test.sh.
image-test: setup
	bash scripts/image-test.sh

clean:
	rm -rf $(VENV) var .pytest_cache
