"""Off-policy evaluation of one decision: hand-computed estimators, the bootstrap, reports, diagnostics and
warnings. Input validation is in test_ope_inputs.py; the Open Bandit reference figures, a known truth and
the `ope` command in test_ope_reference.py."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from learning.logged_data import LoggedBanditData, LoggedDataError
from learning.ope import (
    DirectMethod,
    DoublyRobust,
    Estimator,
    InverseProbabilityWeighting,
    SelfNormalizedDoublyRobust,
    SelfNormalizedInverseProbabilityWeighting,
    bootstrap_intervals,
    default_estimators,
    diagnose,
    evaluate,
)
from tests.bandit_logs import NAMES, hand_data

HAND_ESTIMATES = [
    (InverseProbabilityWeighting(), 5 / 4),
    (SelfNormalizedInverseProbabilityWeighting(), (5 / 4) / (11 / 8)),
    (DirectMethod(), 0.7),
    (DoublyRobust(), 0.7 + 1 / 4),
    (SelfNormalizedDoublyRobust(), 0.7 + (1 / 4) / (11 / 8)),
    (InverseProbabilityWeighting(clip=1.0), 5 / 8),
    (SelfNormalizedInverseProbabilityWeighting(clip=1.0), (5 / 8) / (3 / 4)),
    (DoublyRobust(clip=1.0), 0.7 + 1 / 8),
    (SelfNormalizedDoublyRobust(clip=1.0), 0.7 + (1 / 8) / (3 / 4)),
]


@pytest.mark.parametrize(("estimator", "expected"), HAND_ESTIMATES, ids=repr)
def test_estimator_on_hand_computed_log(estimator: Estimator, expected: float) -> None:
    data = hand_data()
    assert estimator.estimate(data) == pytest.approx(expected, rel=1e-12)
    assert estimator.round_rewards(data).mean() == pytest.approx(expected, rel=1e-12)


def test_hand_log_diagnostics() -> None:
    d = diagnose(hand_data(), clip=1.0)
    assert d["n_rounds"] == 4
    assert d["ess"] == pytest.approx(5.5**2 / (1.5**2 + 0.5**2 + 3.0**2 + 0.5**2))
    assert (d["weight_mean"], d["weight_min"], d["weight_max"]) == pytest.approx((11 / 8, 0.5, 3.0))
    assert d["max_weight_share"] == pytest.approx(3.0 / 5.5)
    assert d["pscore_min"] == 0.25
    assert d["clipped_fraction"] == pytest.approx(0.5)  # rounds 0 and 2 have weights above 1


def test_per_round_and_context_free_pi_e_agree() -> None:
    per_round = np.tile([0.75, 0.25], (4, 1))
    for pi_e in (per_round, per_round[:, :, None]):
        data = hand_data(pi_e=pi_e)
        assert not data.context_free
        for estimator, expected in HAND_ESTIMATES[:5]:
            assert estimator.estimate(data) == pytest.approx(expected, rel=1e-12)


def test_position_defaults_to_zero_and_arrays_are_read_only() -> None:
    data = hand_data()
    assert data.positions.tolist() == [0, 0, 0, 0]
    with pytest.raises(ValueError, match="read-only"):
        data.reward[0] = 5.0


def test_model_based_estimators_need_q_hat() -> None:
    data = hand_data(q_hat=None)
    with pytest.raises(LoggedDataError, match="dr: needs q_hat"):
        DoublyRobust().estimate(data)
    report = evaluate(data, n_bootstrap=10, random_state=0)
    assert list(report.estimates) == ["ipw", "snipw"]
    assert any("DM, DR and SNDR need a reward model" in w for w in report.warnings)


@pytest.mark.parametrize("clip", [0.0, -1.0, math.nan])
def test_clip_must_be_positive(clip: float) -> None:
    with pytest.raises(ValueError, match="clip \\(lambda\\) must be a positive number"):
        InverseProbabilityWeighting(clip=clip)


# --- Bootstrap ----------------------------------------------------------------------------------------------


def random_log(n: int = 5000, seed: int = 7) -> LoggedBanditData:
    rng = np.random.default_rng(seed)
    pi_b = rng.dirichlet(np.ones(4), size=n)
    action = np.array([rng.choice(4, p=p) for p in pi_b])
    pscore = pi_b[np.arange(n), action]
    reward = rng.binomial(1, 0.2 + 0.15 * action).astype(float)
    pi_e = rng.dirichlet(np.ones(4), size=n)
    return LoggedBanditData(
        action=action,
        reward=reward,
        pscore=pscore,
        pi_e=pi_e,
        q_hat=np.tile(0.2 + 0.15 * np.arange(4), (n, 1)),
        pi_b=pi_b,
        n_actions=4,
    )


def test_bootstrap_is_seeded_and_sized() -> None:
    data = random_log()
    estimators = default_estimators()
    first = bootstrap_intervals(data, estimators, n_bootstrap=300, random_state=3)
    assert first == bootstrap_intervals(data, estimators, n_bootstrap=300, random_state=3)
    assert first != bootstrap_intervals(data, estimators, n_bootstrap=300, random_state=4)
    assert first != bootstrap_intervals(data, estimators, n_bootstrap=301, random_state=3)


def test_bootstrap_interval_of_a_mean_matches_the_normal_approximation() -> None:
    data = random_log()
    contributions = InverseProbabilityWeighting().round_rewards(data)
    half_width = 1.96 * contributions.std(ddof=1) / math.sqrt(data.n_rounds)
    lo, hi = InverseProbabilityWeighting().estimate_interval(data, n_bootstrap=4000, random_state=0)
    assert (hi - lo) / 2 == pytest.approx(half_width, rel=0.1)
    assert (lo + hi) / 2 == pytest.approx(contributions.mean(), abs=0.1 * half_width)


def test_bootstrap_recomputes_self_normalization_on_every_resample() -> None:
    # With every reward 1, mean(w r) / mean(w) is 1 on any resample. Bootstrapping per-round
    # contributions w r / mean(w) with the full-sample mean(w) frozen would spread around 1 instead.
    data = hand_data(reward=np.ones(4))
    assert SelfNormalizedInverseProbabilityWeighting().estimate_interval(
        data, n_bootstrap=500, random_state=0
    ) == pytest.approx((1.0, 1.0), rel=1e-12)
    lo, hi = InverseProbabilityWeighting().estimate_interval(data, n_bootstrap=500, random_state=0)
    assert hi - lo > 0.5


def test_report_shape_and_json() -> None:
    report = evaluate(random_log(), n_bootstrap=200, random_state=0)
    as_dict = report.to_dict()
    assert list(as_dict) == ["estimates", "diagnostics", "warnings"]
    assert list(as_dict["estimates"]) == NAMES
    for name, (value, lo, hi) in report.estimates.items():
        assert as_dict["estimates"][name] == {"value": value, "ci": [lo, hi]}
        assert lo <= hi
    assert report.lower_bound("dr") == report.estimates["dr"][1]
    json.dumps(as_dict, allow_nan=False)
    assert report.warnings == []


def test_without_bootstrap_intervals_are_null() -> None:
    report = evaluate(hand_data(), n_bootstrap=0)
    assert report.to_dict()["estimates"]["ipw"] == {"value": 1.25, "ci": [None, None]}


def test_policy_that_never_takes_a_logged_action() -> None:
    data = hand_data(action=np.zeros(4, dtype=int), pscore=np.full(4, 0.5), pi_e=np.array([[0.0], [1.0]]))
    report = evaluate(data, n_bootstrap=100, random_state=0)
    assert report.estimates["ipw"][0] == 0.0
    assert math.isnan(report.estimates["snipw"][0])
    assert report.to_dict()["estimates"]["snipw"] == {"value": None, "ci": [None, None]}
    assert "SNIPW is undefined (pi_e gives no weight to any logged action)" in report.warnings
    assert report.diagnostics["ess"] == 0.0


def test_estimator_names_must_be_distinct() -> None:
    with pytest.raises(ValueError, match="repeated: ipw"):
        evaluate(hand_data(), [InverseProbabilityWeighting(), InverseProbabilityWeighting(clip=2.0)])
    report = evaluate(
        hand_data(),
        [InverseProbabilityWeighting(), InverseProbabilityWeighting(clip=1.0, name="ipw-clip1")],
        n_bootstrap=0,
    )
    assert report.estimates["ipw-clip1"][0] == pytest.approx(5 / 8)


# --- Diagnostics and warnings ------------------------------------------------------------------------------

WARNING_CASES = [
    # (what is wrong, how the hand log changes, text that must appear in a warning)
    ("few effective rounds", {}, "effective sample size 2.6 of 4"),
    ("one dominating weight", {}, "max weight 3.0 (min propensity 0.25): one round carries 55%"),
    ("mean weight far from 1", {}, "mean importance weight 1.38, expected about 1"),
    ("estimate above the rewards", {}, "IPW is 1.25, above the reward range [0, 1]"),
    (
        "estimate below zero",
        {"reward": np.array([0.0, 0.0, 0.0, 1.0]), "q_hat": np.tile([0.9, 0.1], (4, 1))},
        "DR is negative (-0.212), outside the reward range [0, 1]",
    ),
    (
        "mass on never-logged actions",
        {"action": np.zeros(4, dtype=int), "pscore": np.full(4, 0.75), "reward": np.ones(4)},
        "pi_e puts 25.0% of its probability on actions the logs support below 0.001 "
        "(from logged frequency), in 100% of rounds",
    ),
]


@pytest.mark.parametrize(("problem", "overrides", "text"), WARNING_CASES, ids=[c[0] for c in WARNING_CASES])
def test_report_warns(problem: str, overrides: dict[str, Any], text: str) -> None:
    report = evaluate(hand_data(**overrides), n_bootstrap=50, random_state=0)
    assert any(text in w for w in report.warnings), report.warnings


def test_support_judged_from_logged_distribution_when_present() -> None:
    pi_b = np.tile([0.9995, 0.0005], (4, 1))
    data = hand_data(action=np.zeros(4, dtype=int), pscore=np.full(4, 0.9995), pi_b=pi_b)
    d = diagnose(data)
    assert d["support_from"] == "pi_b"
    assert (d["low_support_rounds"], d["low_support_mass"]) == pytest.approx((1.0, 0.25))
