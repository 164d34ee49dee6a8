"""Dev-only: the sequential OPE estimators agree with SCOPE-RL 0.2.1 to 1e-9 relative on the same logs.

Runs scripts/crosscheck_scope_rl.py as a subprocess (the way a developer runs it); skipped where SCOPE-RL,
a training-only dependency (requirements-train.txt), is not installed."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("scope_rl") is None,
    reason="SCOPE-RL is a development cross-check, not installed here (see requirements-train.txt)",
)


@pytest.fixture(scope="module")
def crosscheck() -> dict[str, Any]:
    result = subprocess.run(
        [
            sys.executable,
            "scripts/crosscheck_scope_rl.py",
            "--json",
            "--episodes",
            "600",
            "--bootstrap",
            "2000",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_estimator_agrees_with_scope_rl(crosscheck: dict[str, Any]) -> None:
    assert crosscheck["versions"]["scope_rl"] == "0.2.1"
    assert len(crosscheck["datasets"]) == 3
    for dataset in crosscheck["datasets"]:
        for objective, rows in dataset["estimates"].items():
            assert set(rows) == {"tis", "pdis", "wpdis", "dm", "dr", "wdr"}
            for name, row in rows.items():
                assert row["ours"] == pytest.approx(row["scope_rl"], rel=1e-9, abs=0), (
                    dataset["log"],
                    objective,
                    name,
                )
    assert crosscheck["max_relative_difference"] <= 1e-9


def test_scope_rl_needs_done_after_the_last_real_step(crosscheck: dict[str, Any]) -> None:
    done = crosscheck["disable_reward_after_done"]
    for name, ours in done["ours"].items():
        assert done["done_on_padding"][name] == pytest.approx(ours, rel=1e-9)
    # done on the accepting step itself zeroes its reward: importance sampling then sees no success at all.
    assert done["done_on_last_step"]["pdis"] == 0.0 and done["ours"]["pdis"] > 0.5


def test_unnormalized_intervals_agree_within_resampling_error(crosscheck: dict[str, Any]) -> None:
    for name, ci in crosscheck["intervals_G"]["estimators"].items():
        (lo, hi), (scope_lo, scope_hi) = ci["ours"], ci["scope_rl"]
        tolerance = 0.1 * (scope_hi - scope_lo)  # two independent 2,000-resample bootstraps
        assert lo == pytest.approx(scope_lo, abs=tolerance), name
        assert hi == pytest.approx(scope_hi, abs=tolerance), name
