#!/usr/bin/env bash
# Set up if needed (test tools included), then lint, type-check, check that the runtime requirements pull
# in no torch or CUDA (asks the package registry), and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh dev
.venv/bin/ruff check .
.venv/bin/mypy assistant learning nlu audio cli tui benchmarks scripts main.py
.venv/bin/python scripts/check_requirements.py
exec .venv/bin/python -m pytest -q "$@"
