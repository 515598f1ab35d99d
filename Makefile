# The two Quick start commands: `make run` (demo service on embedded SQLite) and
# `make test` (lint, types and the whole test suite). Both set up .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install run test lint style typecheck suite bench bench-smoke catalogs clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[issuer,dev]'
	touch $@

install: $(BIN)/.installed

run: install
	$(BIN)/baeji init
	$(BIN)/baeji demo
	$(BIN)/baeji serve

lint: style typecheck

style: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# ruff first (it fails fast), then mypy on one core beside pytest's processes: the suite has
# idle moments (subprocesses, browsers) that the type check fills.
test: style
	$(MAKE) --no-print-directory -j2 typecheck suite

suite: install
	$(BIN)/pytest -n auto --dist loadfile --cov --cov-report=term

# Compile the gettext catalogs (.po -> .mo, committed; tests/test_catalogs.py checks they match).
catalogs: install
	$(BIN)/pybabel compile --statistics -d issuer/locale -D issuer
	$(BIN)/pybabel compile --statistics -d verify/locale -D verify

bench: install
	$(BIN)/python -m benchmarks

# The benchmark's `--quick` run end to end (every row measured, no timing asserted).
bench-smoke: install
	$(BIN)/pytest -m bench tests/test_benchmarks.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache .coverage
