# ShopCoach front door: `make run` and `make test` are the whole set-up.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint bench check clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@ $(STAMP)

.env:
	cp .env.example .env

run: $(STAMP) .env
	$(PY) -m bot run

# The checks that keep the code honest run with every test run.
test: lint
	$(PY) -m pytest

lint: $(TEST_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

check: $(STAMP)
	$(PY) -m bot check-knowledge

bench: $(TEST_STAMP)
	$(PY) bench/bench_match.py

clean:
	rm -rf $(VENV) build *.egg-info
