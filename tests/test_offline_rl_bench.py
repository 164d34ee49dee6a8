"""The offline-RL benchmark row (benchmarks/bench_offline_rl.py): its greedy wrapper picks only available
prompts, it says in one line when the training extras are missing, and with them it runs end to end."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from assistant.dialogue.actions import ACTIONS
from tests.conftest import ROOT

BENCH = ROOT / "benchmarks" / "bench_offline_rl.py"
HAS_EXTRAS = all(importlib.util.find_spec(m) is not None for m in ("d3rlpy", "torch"))


def _bench_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_offline_rl", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_q_policy_chooses_the_best_available_prompt_only() -> None:
    from assistant.dialogue.state import DialogueState
    from assistant.logs.dataset import FEATURE_NAMES

    bench = _bench_module()
    # The best prompt overall is the last one; it is not available, so the best available one wins.
    q = np.arange(len(ACTIONS), dtype=np.float64)[None, :]
    policy = bench.QPolicy("probe", lambda x: np.repeat(q, len(x), axis=0), FEATURE_NAMES)
    available = list(ACTIONS[:3])
    out = policy.decide(DialogueState(), available, dict.fromkeys(FEATURE_NAMES, 0.0))
    assert out.probabilities == {a: float(a is ACTIONS[2]) for a in available}
    assert set(out.scores) == set(available)


@pytest.mark.skipif(HAS_EXTRAS, reason="the training extras are installed here")
def test_without_the_training_extras_it_says_so_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--conversations", "10"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("bench_offline_rl: needs the training extras")
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(
    not HAS_EXTRAS, reason="needs the training extras (requirements-train.txt: torch, d3rlpy)"
)
def test_with_the_training_extras_it_runs_end_to_end() -> None:
    import json

    done = subprocess.run(
        [sys.executable, str(BENCH), "--conversations", "200", "--listeners", "10", "--cql-steps", "50",
         "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)["rows"]
    assert set(rows) == {"fitted-q (lightgbm)", "cql (d3rlpy)", "learned (shipped)", "rules-tuned"}
    assert all(0.0 <= r["success_rate"] <= 1.0 for r in rows.values())
