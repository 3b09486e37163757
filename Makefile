# Two commands do everything on a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/orderwatch demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

BENCH_STAMP := $(VENV)/.bench-installed
BENCHES := upsert scans ingest rules board console alerts

$(BENCH_STAMP): pyproject.toml | $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

# Every benchmark against the test PostgreSQL; `make bench BENCH_ARGS=--quick` for a smoke run.
bench: $(BENCH_STAMP)
	for name in $(BENCHES); do $(BIN)/python -m bench.$$name $(BENCH_ARGS) || exit 1; done

clean:
	rm -rf $(VENV) orderwatch.db orderwatch.db-wal orderwatch.db-shm
