# pohub: `make run` starts the hub with demo data; `make test` installs and runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The dashboard's browser tests use Debian's Chromium. Installed once (as root, with apt-get); where
# it cannot be (not root, no apt-get) the set-up says so and those tests skip.
CHROMIUM ?= /usr/bin/chromium
BROWSER_STAMP := $(VENV)/.browser

.PHONY: run test lint typecheck pytest bench install browser clean

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

$(BROWSER_STAMP): | $(STAMP)
	@CHROMIUM=$(CHROMIUM) sh scripts/install-browser.sh; rc=$$?; \
	  if [ $$rc = 0 ]; then touch $@; elif [ $$rc != 3 ]; then exit $$rc; fi

browser: $(BROWSER_STAMP)

pytest: $(STAMP) $(BROWSER_STAMP)
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
