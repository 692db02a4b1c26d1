#!/usr/bin/env bash
# Lint and type-check, then run every test (SQLite, a throwaway PostgreSQL server, headless Chromium).
# Expects what .ci/run installs; extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PY="${PYTHON:-$(command -v python || command -v python3)}"

"$PY" -m ruff check .
"$PY" -m mypy
"$PY" -m pytest -q "$@"
