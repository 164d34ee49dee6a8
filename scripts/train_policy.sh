#!/usr/bin/env bash
# Reproduce the shipped learned policy end to end from a seed: simulate 50,000 default listeners under the
# exploring logging policy, fit linear / tree / MLP reward models, choose by off-policy evaluation on
# held-out conversations, and write assets/policy/learned.npz if it passes the promotion gate against the
# rule policy. Then run the simulated A/B on the three shipped populations.
# Usage: scripts/train_policy.sh [SEED] [CONVERSATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
SEED="${1:-0}"
N="${2:-50000}"
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
"$PY" main.py train --simulate "$N" --seed "$SEED" --current rules --report reports/train \
    --export-npz reports/train/heldout.npz
for population in default impatient knows_little experts; do
    "$PY" main.py evaluate --population "$population" --conversations 5000 --report "reports/ab-$population"
done
