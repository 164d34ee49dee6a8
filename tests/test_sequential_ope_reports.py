"""Sequential OPE reports: paired differences for the promotion gate, the report's shape and JSON, and the
warnings it gives when the logs cannot support an estimate."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable

import numpy as np
import pytest

from learning.sequential_ope import evaluate_trajectories, paired_difference
from learning.toy_conversations import (
    uniform_policy,
)
from learning.trajectories import LoggedDataError, LoggedTrajectories
from learning.trajectory_estimators import PerDecisionImportanceSampling, WeightedDoublyRobust
from tests.trajectory_logs import (
    BEST,
    ENV,
    NAMES,
    hand_data,
    tabular_critic,
    toy_log,
    with_target,
)


def test_paired_difference_of_two_policies() -> None:
    logged = toy_log(2000, seed=12)
    best = with_target(logged, BEST)
    soft = 0.7 * BEST + 0.3 * uniform_policy(ENV.horizon)
    soft[:, :, 1] = BEST[:, :, 1]
    softened = with_target(logged, soft)
    diff = paired_difference(best, softened, "wdr", "G", n_bootstrap=500, random_state=0)
    exact = ENV.value(BEST) - ENV.value(soft)
    assert diff.value == pytest.approx(
        WeightedDoublyRobust().estimate(best) - WeightedDoublyRobust().estimate(softened), rel=1e-12
    )
    assert (diff.candidate, diff.current) == pytest.approx(
        (WeightedDoublyRobust().estimate(best), WeightedDoublyRobust().estimate(softened)), rel=1e-12
    )
    lo, hi = diff.ci
    assert lo <= exact <= hi and lo > 0
    # Pairing cancels what both policies share: the interval is far narrower than either value's.
    one_lo, one_hi = WeightedDoublyRobust().estimate_interval(best, n_bootstrap=500, random_state=0)
    assert hi - lo < 0.5 * (one_hi - one_lo)
    as_dict = diff.to_dict()
    assert as_dict["estimator"] == "wdr" and as_dict["ci"] == [lo, hi]
    json.dumps(as_dict, allow_nan=False)


def test_paired_difference_with_itself_is_zero() -> None:
    data = tabular_critic(toy_log(800, seed=13, target=BEST))
    diff = paired_difference(data, data, PerDecisionImportanceSampling(), "success", 200, 0)
    assert diff.value == 0.0 and diff.ci == (0.0, 0.0)


def test_paired_difference_needs_the_same_log() -> None:
    a = toy_log(100, seed=14)
    b = toy_log(100, seed=15)
    with pytest.raises(LoggedDataError, match="must hold the same logged steps"):
        paired_difference(a, b, "pdis", "G", 10, 0)
    with pytest.raises(
        ValueError, match="unknown estimator 'ips'; choose one of tis, pdis, wpdis, dm, dr, wdr"
    ):
        paired_difference(a, a, "ips", "G", 10, 0)


# --- Reports and warnings ---------------------------------------------------------------------------------


def test_report_shape_and_json() -> None:
    data = tabular_critic(toy_log(1000, seed=16, target=uniform_policy(ENV.horizon)))
    report = evaluate_trajectories(data, n_bootstrap=200, random_state=0)
    as_dict = report.to_dict()
    assert list(as_dict) == ["estimates", "diagnostics", "warnings"]
    assert list(as_dict["estimates"]) == ["G", "success", "turns"]
    for objective, rows in report.estimates.items():
        assert list(rows) == NAMES
        for name, (value, lo, hi) in rows.items():
            assert as_dict["estimates"][objective][name] == {"value": value, "ci": [lo, hi]}
            assert lo <= hi
    assert report.lower_bound("wdr") == report.estimates["G"]["wdr"][1]
    assert report.diagnostics["n_bootstrap"] == 200 and report.diagnostics["ci_level"] == 0.95
    json.dumps(as_dict, allow_nan=False)
    assert report.warnings == []


def test_without_bootstrap_intervals_are_null() -> None:
    report = evaluate_trajectories(hand_data(), objectives=["success"], n_bootstrap=0)
    assert report.to_dict()["estimates"]["success"]["pdis"] == {
        "value": pytest.approx(1.2),
        "ci": [None, None],
    }


def test_a_policy_that_never_takes_a_logged_action() -> None:
    pi_e = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [0.0, 1.0]])
    report = evaluate_trajectories(
        hand_data(pi_e=pi_e), objectives=["success"], n_bootstrap=50, random_state=0
    )
    value, lo, hi = report.estimates["success"]["wpdis"]
    assert math.isnan(value) and math.isnan(lo) and math.isnan(hi)
    assert report.estimates["success"]["pdis"][0] == 0.0
    assert report.to_dict()["estimates"]["success"]["wpdis"] == {"value": None, "ci": [None, None]}
    assert (
        "WPDIS of success is undefined (pi_e gives no weight to any logged conversation)" in report.warnings
    )
    assert report.diagnostics["ess"] == 0.0 and report.diagnostics["zero_weight_fraction"] == 1.0


def biased_critic_log() -> LoggedTrajectories:
    data = toy_log(1500, seed=18, target=uniform_policy(ENV.horizon))
    return dataclasses.replace(data, q_hat={"G": np.where(data.available, 0.3, 0.0)})


WARNING_CASES: list[tuple[str, Callable[[], LoggedTrajectories], str]] = [
    # (what is wrong, the data, text that must appear in a warning)
    (
        "few conversations carry the weight",
        hand_data,
        "only 1.9 of 3 conversations carry the weight (their effective number): IS-based estimates are",
    ),
    ("one dominating conversation", hand_data, "one conversation carries 69% of all weight"),
    ("mean weight far from 1", hand_data, "mean cumulative weight 1.56, expected about 1"),
    (
        "estimate above the returns",
        hand_data,
        "TIS of success is 1.2, above the range of observed returns [0, 1]",
    ),
    (
        "zero weight for most conversations",
        lambda: toy_log(400, seed=17, target=BEST),
        "pi_e gives zero weight to 78% of the logged conversations",
    ),
    ("biased critic", biased_critic_log, "DM of G (0.3) lies outside DR's 95% interval"),
]


@pytest.mark.parametrize(("problem", "make", "text"), WARNING_CASES, ids=[c[0] for c in WARNING_CASES])
def test_report_warns(problem: str, make: Callable[[], LoggedTrajectories], text: str) -> None:
    data = make()
    objectives = [o for o in ("G", "success", "turns") if o in data.rewards]
    report = evaluate_trajectories(data, objectives=objectives, n_bootstrap=200, random_state=0)
    assert any(text in w for w in report.warnings), report.warnings


def test_estimator_names_and_objectives_must_be_distinct() -> None:
    with pytest.raises(ValueError, match="repeated: pdis"):
        evaluate_trajectories(hand_data(), [PerDecisionImportanceSampling(), PerDecisionImportanceSampling()])
    with pytest.raises(ValueError, match="objectives must be distinct; repeated: G"):
        evaluate_trajectories(hand_data(), objectives=["G", "G"])
    with pytest.raises(ValueError, match="objectives is empty"):
        evaluate_trajectories(hand_data(), objectives=[])
    with pytest.raises(LoggedDataError, match="objective 'utility' is not in the logged rewards"):
        evaluate_trajectories(hand_data(), objectives=["utility"])
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="n_bootstrap must be a positive integer"):
            evaluate_trajectories(hand_data(), n_bootstrap=bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha must be in"):
        evaluate_trajectories(hand_data(), alpha=1.0)
