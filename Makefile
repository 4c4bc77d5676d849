# pohub: `make run` starts the hub with demo data; `make test` installs and runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench mutation mutation-deep install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/pohub migrate
	$(BIN)/pohub demo
	$(BIN)/pohub serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

# Mutation testing of the rules (not part of `make test`; docs/testing.md): `mutation` against the
# fast pure-function tests and the tables (1-3 minutes on two cores), `mutation-deep` the database glue
# against the HTTP tests (about 3 minutes). Each fails on a surviving mutant not known to be equivalent.
mutation: $(STAMP)
	$(BIN)/python scripts/mutation.py fast

mutation-deep: $(STAMP)
	$(BIN)/python scripts/mutation.py deep

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache mutants
