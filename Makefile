# pohub: `make run` starts the hub with demo data; `make test` installs and runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench install prism clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Stoplight Prism for the contract tests (tests/contract), pinned by tools/prism/package-lock.json.
# Without npm the target says so and those tests skip; with npm a failed install fails here.
PRISM_DIR := tools/prism
PRISM_STAMP := $(PRISM_DIR)/node_modules/.installed

$(PRISM_STAMP): $(PRISM_DIR)/package.json $(PRISM_DIR)/package-lock.json
	cd $(PRISM_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(PRISM_STAMP)

prism:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(PRISM_STAMP); \
	else echo "npm not found: the Prism contract tests will be skipped"; fi

run: $(STAMP)
	$(BIN)/pohub migrate
	$(BIN)/pohub demo
	$(BIN)/pohub serve

lint: $(STAMP)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) prism
	$(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache $(PRISM_DIR)/node_modules
