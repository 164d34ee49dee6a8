#!/usr/bin/env bash
# Set up if needed, then open tunetalk (the terminal UI; pass a command such as `voice` or `replay FILE`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
exec .venv/bin/python main.py "$@"
