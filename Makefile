# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TEST_WORKERS ?= auto

.PHONY: demo test bench lint clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "kailash needs Python 3.11+")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/kailash validate workflows/
	$(BIN)/kailash run workflows/customer-etl.yaml -p min_total=100

test: lint
	rm -f .coverage .coverage.*
	COVERAGE_PROCESS_START=$(CURDIR)/pyproject.toml $(BIN)/coverage run -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)
	$(BIN)/coverage combine --quiet
	$(BIN)/coverage report

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/run.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff format --check kailash_cli tests benchmarks
	$(BIN)/ruff check kailash_cli tests benchmarks
	$(BIN)/mypy kailash_cli

clean:
	rm -rf $(VENV) .coverage .coverage.* build dist *.egg-info
