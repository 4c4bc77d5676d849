# pohub: `make run` starts the hub with demo data; `make test` installs and runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The dashboard's browser tests use Debian's Chromium. Installed once (as root, with apt-get); where
# it cannot be (not root, no apt-get) the set-up says so and those tests skip.
CHROMIUM ?= /usr/bin/chromium
BROWSER_STAMP := $(VENV)/.browser

.PHONY: run test lint typecheck pytest bench soak mutation mutation-deep install browser prism clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Stoplight Prism for the contract tests (tests/contract), installed with npm into tools/prism.
# Without npm the set-up says so and those tests skip; with npm a failed install fails here.
PRISM_DIR := tools/prism
PRISM_STAMP := $(PRISM_DIR)/node_modules/.installed

$(PRISM_STAMP): $(PRISM_DIR)/package.json $(PRISM_DIR)/package-lock.json
	@sh scripts/install-prism.sh; rc=$$?; \
	  if [ $$rc = 0 ]; then touch $@; elif [ $$rc != 3 ]; then exit $$rc; fi

prism: $(PRISM_STAMP)

run: $(STAMP)
	$(BIN)/pohub migrate
	$(BIN)/pohub demo
	$(BIN)/pohub serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

$(BROWSER_STAMP): | $(STAMP)
	@CHROMIUM=$(CHROMIUM) sh scripts/install-browser.sh; rc=$$?; \
	  if [ $$rc = 0 ]; then touch $@; elif [ $$rc != 3 ]; then exit $$rc; fi

browser: $(BROWSER_STAMP)

pytest: $(STAMP) $(BROWSER_STAMP) $(PRISM_STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

# The load comes from Debian's wrk (scripts/install-wrk.sh installs it when root; exit 3: it says why
# it cannot). BENCH_SECONDS (10) a run, BENCH_SEARCH_ORDERS (100000) POs for the search; README Performance.
bench: $(STAMP)
	@sh scripts/install-wrk.sh
	$(BIN)/python -m bench

# Two servers and a worker on a throwaway PostgreSQL, one server SIGKILLed every few minutes
# (SOAK_MINUTES, default 10; not part of `make test`).
soak: $(STAMP)
	$(BIN)/python scripts/soak.py

# Mutation testing of the rules (not part of `make test`; docs/testing.md): `mutation` against the
# fast pure-function tests and the tables (1-3 minutes on two cores), `mutation-deep` the database glue
# against the HTTP tests (about 3 minutes). Each fails on a surviving mutant not known to be equivalent.
mutation: $(STAMP)
	$(BIN)/python scripts/mutation.py fast

mutation-deep: $(STAMP)
	$(BIN)/python scripts/mutation.py deep

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache mutants $(PRISM_DIR)/node_modules
