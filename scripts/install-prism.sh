#!/bin/sh
# Stoplight Prism for the contract tests (tests/contract), pinned by tools/prism/package-lock.json.
# Exit 3 (the tests then skip) only when there is no npm at all; a failed install fails.
set -u
cd "$(dirname "$0")/../tools/prism" || exit 1
if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: the Prism contract tests will be skipped (apt-get install npm)"
    exit 3
fi
exec npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
