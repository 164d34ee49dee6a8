#!/usr/bin/env bash
# Reproduce the shipped dialogue policies end to end from a seed:
# 1. rules-tuned: the best rule variant of the documented grid, simulated on the four training populations
#    (assets/policy/rules_tuned.json).
# 2. learned: simulate 50,000 default listeners under the exploring logging policy, the assistant reading no
#    listening history; fitted-Q with each tree library on three quarters of the conversations, judged by
#    off-policy evaluation on the rest; written to assets/policy/learned.npz only if it passes the gate
#    against the tuned rules (G higher at the lower end of the paired interval, success not lower by more
#    than a point).
# 3. learned+history: the same listeners, their listening histories read; written to
#    assets/policy/learned_history.npz only if it passes the gate against the learned policy.
# Then the simulated A/B of every policy and the oracle on the four shipped populations, and the table of
# how well each off-policy estimator recovers the learned policy's on-policy value.
# Usage: scripts/train_policy.sh [SEED] [CONVERSATIONS] [all|history|evaluate]
set -euo pipefail
cd "$(dirname "$0")/.."
SEED="${1:-0}"
N="${2:-50000}"
WHAT="${3:-all}"
PY=.venv/bin/python
[ -x "$PY" ] || PY=python3
mkdir -p reports
if [ "$WHAT" = all ]; then
    "$PY" main.py tune --force --output assets/policy/rules_tuned.json
    "$PY" main.py train --simulate "$N" --seed "$SEED" --current rules-tuned --tradeoff \
        --output assets/policy/learned.npz --report reports/train --force
fi
if [ "$WHAT" = all ] || [ "$WHAT" = history ]; then
    "$PY" main.py train --history --simulate "$N" --seed "$SEED" --current learned \
        --output assets/policy/learned_history.npz --report reports/train-history --force
fi
for population in default impatient knows_little experts; do
    "$PY" main.py evaluate --population "$population" --conversations 5000 --oracle-conversations 300 \
        --report "reports/ab-$population" --force
done
"$PY" scripts/ope_ground_truth.py --json reports/ope-ground-truth.json | tee reports/ope-ground-truth.md
