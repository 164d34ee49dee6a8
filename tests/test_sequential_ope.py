"""Sequential off-policy evaluation: hand-computed estimators, properties, a tiny MDP with exact values
(bias and coverage over seeds), and the episode bootstrap. Fitted-Q evaluation is in test_fqe.py,
reports and paired differences in test_sequential_ope_reports.py, input validation in
test_sequential_ope_inputs.py."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from learning.sequential_ope import evaluate_trajectories
from learning.toy_conversations import (
    ASK,
    PLAY,
    ToyConversations,
    policy_table,
    uniform_policy,
)
from learning.trajectories import LoggedDataError, LoggedTrajectories
from learning.trajectory_diagnostics import trajectory_diagnostics
from learning.trajectory_estimators import (
    PerDecisionImportanceSampling,
    SequentialDoublyRobust,
    TrajectoryEstimator,
    WeightedDoublyRobust,
    WeightedPerDecisionImportanceSampling,
    default_estimators,
)
from learning.trajectory_resampling import Column, Design
from tests.trajectory_logs import (
    BEST,
    ENV,
    HAND_ESTIMATES,
    LOGGING,
    NAMES,
    hand_data,
    tabular_critic,
    toy_log,
)


@pytest.mark.parametrize(
    ("estimator", "objective", "expected"),
    HAND_ESTIMATES,
    ids=[f"{e.name}-{o}" for e, o, _ in HAND_ESTIMATES],
)
def test_estimator_on_hand_computed_log(
    estimator: TrajectoryEstimator, objective: str, expected: float
) -> None:
    assert estimator.estimate(hand_data(), objective) == pytest.approx(expected, rel=1e-12)


def test_hand_log_weights_and_diagnostics() -> None:
    data = hand_data()
    assert data.cumulative_weights == pytest.approx([1.6, 3.2, 0.4, 1.6, 1.6, 16 / 15], rel=1e-12)
    assert data.previous_weights == pytest.approx([1, 1.6, 1, 1, 1.6, 1.6], rel=1e-12)
    assert data.step_index.tolist() == [0, 1, 0, 0, 1, 2]
    assert data.returns("turns").tolist() == [3, 2, 4]
    d = trajectory_diagnostics(data)
    w = np.array([3.2, 0.4, 16 / 15])
    assert (d["n_episodes"], d["n_steps"], d["n_actions"], d["steps_per_episode_max"]) == (3, 6, 2, 3)
    assert d["ess"] == pytest.approx(w.sum() ** 2 / (w**2).sum())
    assert d["weight_mean"] == pytest.approx(14 / 9)
    assert d["max_weight_share"] == pytest.approx(3.2 / (14 / 3))
    assert (d["weight_max"], d["zero_weight_fraction"], d["ratio_max"]) == pytest.approx((3.2, 0, 2))
    assert d["pscore_min"] == 0.25  # the forced step's pscore 1 is not a choice
    assert d["choice_steps_fraction"] == pytest.approx(5 / 6)


def test_arrays_are_read_only_copies() -> None:
    pscore = np.array([0.5, 0.25, 0.5, 0.5, 1.0, 0.75])
    data = hand_data(pscore=pscore)
    pscore[0] = 0.9
    assert data.pscore[0] == 0.5
    with pytest.raises(ValueError, match="read-only"):
        data.rewards["G"][0] = 1.0
    with pytest.raises(TypeError):
        data.rewards["extra"] = np.zeros(6)  # type: ignore[index]


def test_model_based_estimators_need_the_objectives_critic() -> None:
    with pytest.raises(LoggedDataError, match=r"dr: needs q_hat\['turns'\].*critics for: success"):
        SequentialDoublyRobust().estimate(hand_data(), "turns")
    with pytest.raises(LoggedDataError, match="objective 'utility' is not in the logged rewards"):
        PerDecisionImportanceSampling().estimate(hand_data(), "utility")
    report = evaluate_trajectories(hand_data(), n_bootstrap=20, random_state=0)
    assert list(report.estimates["success"]) == NAMES
    assert list(report.estimates["G"]) == ["tis", "pdis", "wpdis"]
    assert any("no critic q_hat for G: DM, DR, WDR need one" in w for w in report.warnings)
    with pytest.raises(LoggedDataError, match=r"wdr: needs q_hat\['G'\]"):
        evaluate_trajectories(hand_data(), [WeightedDoublyRobust()], n_bootstrap=0)


def test_toy_values_match_a_large_on_policy_simulation() -> None:
    # The exact values the coverage tests rely on, checked against 200,000 simulated conversations.
    for policy in (LOGGING, BEST):
        data = ENV.simulate(policy, 200_000, np.random.default_rng(11))
        for objective in ("G", "success", "turns"):
            returns = data.returns(objective)
            standard_error = returns.std() / math.sqrt(returns.shape[0])
            assert returns.mean() == pytest.approx(ENV.value(policy, objective), abs=4 * standard_error)


def constant_policy(row: tuple[float, float, float]) -> np.ndarray:
    return policy_table(ENV.horizon, lambda t, known: row)


def test_toy_optimal_policy_beats_the_constant_ones() -> None:
    best = ENV.value(BEST)
    assert BEST[0, 0, 0, ASK] == 1 and BEST[0, 1, 0, PLAY] == 1  # ask while unknown, play once known
    for row in ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0), (0.4, 0.25, 0.35)):
        assert ENV.value(constant_policy(row)) < best


def test_on_policy_every_importance_sampling_estimator_is_the_mean_return() -> None:
    data = toy_log(3000, seed=1)  # pi_e = pi_b: every ratio is 1
    for objective in ("G", "success", "turns"):
        observed = data.returns(objective).mean()
        for estimator in default_estimators()[:3]:
            assert estimator.estimate(data, objective) == pytest.approx(observed, rel=1e-12)


def deterministic_env() -> ToyConversations:
    return ToyConversations(
        p_direct=0.0,
        p_answer_ask=1.0,
        p_answer_open=0.0,
        p_accept_known=1.0,
        p_accept_unknown=0.0,
        p_leave=0.0,
    )


@pytest.mark.parametrize("estimator", [SequentialDoublyRobust(), WeightedDoublyRobust()], ids=["dr", "wdr"])
def test_doubly_robust_with_a_perfect_critic_has_no_variance_on_a_deterministic_mdp(
    estimator: TrajectoryEstimator,
) -> None:
    env = deterministic_env()
    logging = uniform_policy(env.horizon)
    target = policy_table(env.horizon, lambda t, known: (0.0, 0.0, 1.0) if known else (0.6, 0.2, 0.2))
    data = env.simulate(logging, 400, np.random.default_rng(3), target_policy=target, exact_critic=True)
    for objective in ("G", "success", "turns"):
        truth = env.value(target, objective)
        assert estimator.estimate(data, objective) == pytest.approx(truth, rel=1e-12)
        lo, hi = estimator.estimate_interval(data, objective, n_bootstrap=200, random_state=0)
        assert (lo, hi) == pytest.approx((truth, truth), rel=1e-12)
    # The importance-sampling estimators do vary: the critic is what removes the variance.
    lo, hi = PerDecisionImportanceSampling().estimate_interval(data, n_bootstrap=200, random_state=0)
    assert hi - lo > 0.05


def test_weighted_estimators_on_one_episode_return_its_observed_return() -> None:
    data = toy_log(50, seed=2, target=uniform_policy(ENV.horizon))
    first = slice(0, int(data.episode_lengths[0]))
    one = LoggedTrajectories(
        episode=data.episode[first],
        action=data.action[first],
        pscore=data.pscore[first],
        available=data.available[first],
        rewards={k: v[first] for k, v in data.rewards.items()},
        pi_e=data.pi_e[first],
    )
    for objective in ("G", "success", "turns"):
        observed = float(one.returns(objective)[0])
        assert WeightedPerDecisionImportanceSampling().estimate(one, objective) == pytest.approx(observed)
    # WDR too, for a deterministic pi_e that took the logged actions (the only kind that gives it weight),
    # whatever the critic says.
    greedy = np.eye(3)[one.action]
    critic = np.random.default_rng(0).normal(size=(one.n_steps, 3)) * one.available
    greedy_one = dataclasses.replace(one, pi_e=greedy, q_hat={"G": critic})
    assert WeightedDoublyRobust().estimate(greedy_one) == pytest.approx(float(one.returns()[0]), rel=1e-12)


def test_estimates_of_g_are_success_minus_priced_turns() -> None:
    data = tabular_critic(toy_log(1500, seed=4, target=BEST))
    report = evaluate_trajectories(data, n_bootstrap=0)
    for name in NAMES:
        g, s, t = (report.value(name, o) for o in ("G", "success", "turns"))
        assert g == pytest.approx(s - 0.05 * t, rel=1e-12, abs=1e-12), name


# --- Bias and coverage against exact values ---------------------------------------------------------------

SEEDS = range(12)
TARGETS = {
    "best": BEST,
    "uniform": uniform_policy(ENV.horizon),
}


@pytest.mark.slow
@pytest.mark.parametrize("target", list(TARGETS))
def test_doubly_robust_covers_the_exact_value_over_seeds(target: str) -> None:
    policy = TARGETS[target]
    truth = ENV.value(policy)
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in NAMES}
    for seed in SEEDS:
        data = tabular_critic(toy_log(1000, seed=100 + seed, target=policy), seed=seed)
        report = evaluate_trajectories(data, objectives=["G"], n_bootstrap=300, random_state=seed)
        for name in NAMES:
            results[name].append(report.estimates["G"][name])
    for name in ("dr", "wdr"):
        values = np.array([v for v, _, _ in results[name]])
        covered = np.mean([lo <= truth <= hi for _, lo, hi in results[name]])
        assert covered >= 0.75, (name, covered)
        assert abs(values.mean() - truth) < 0.03, name
    # The critic cuts the error of importance sampling; DM's interval ignores the critic's own error
    # (it resamples conversations around a fixed q_hat), so it is too narrow to cover.
    rmse = {n: float(np.sqrt(np.mean([(v - truth) ** 2 for v, _, _ in results[n]]))) for n in NAMES}
    assert rmse["dr"] < rmse["pdis"] and rmse["wdr"] < rmse["wpdis"]
    dm_width = np.mean([hi - lo for _, lo, hi in results["dm"]])
    dr_width = np.mean([hi - lo for _, lo, hi in results["dr"]])
    assert dm_width < 0.2 * dr_width


# --- The episode bootstrap --------------------------------------------------------------------------------


def test_resampled_means_match_a_direct_weighted_computation() -> None:
    # The prefix-by-length arrangement against the definition: weighted means over episodes, per t,
    # with ended episodes holding their final weight.
    data = toy_log(300, seed=8, target=uniform_policy(ENV.horizon))
    rng = np.random.default_rng(0)
    counts_by_episode = rng.integers(0, 4, size=(5, data.n_episodes)).astype(float)
    columns = [
        Column("rho", data.cumulative_weights, carried=data.final_weights),
        Column("r", data.rewards["turns"]),
    ]
    design = Design(data, columns)
    order = np.argsort(-data.episode_lengths, kind="stable")
    means = design.means(counts_by_episode[:, order])
    horizon = int(data.episode_lengths.max())
    padded_rho = np.repeat(data.final_weights[:, None], horizon, axis=1)
    padded_rho[data.episode_index, data.step_index] = data.cumulative_weights
    padded_r = np.zeros((data.n_episodes, horizon))
    padded_r[data.episode_index, data.step_index] = data.rewards["turns"]
    n = data.n_episodes
    assert means["rho"] == pytest.approx(counts_by_episode @ padded_rho / n, rel=1e-12)
    assert means["r"] == pytest.approx(counts_by_episode @ padded_r / n, rel=1e-12)


def test_bootstrap_is_seeded_and_sized() -> None:
    data = tabular_critic(toy_log(500, seed=9, target=BEST))
    first = evaluate_trajectories(data, n_bootstrap=200, random_state=3).estimates
    assert first == evaluate_trajectories(data, n_bootstrap=200, random_state=3).estimates
    assert first != evaluate_trajectories(data, n_bootstrap=200, random_state=4).estimates
    assert first != evaluate_trajectories(data, n_bootstrap=201, random_state=3).estimates


def test_bootstrap_resamples_conversations_not_decisions() -> None:
    # PDIS is a mean of per-conversation sums: its interval is the normal one of those sums.
    data = toy_log(4000, seed=10, target=BEST)
    rho_r = data.cumulative_weights * data.rewards["G"]
    per_episode = np.add.reduceat(rho_r, data.episode_starts)
    half_width = 1.96 * per_episode.std(ddof=1) / math.sqrt(data.n_episodes)
    lo, hi = PerDecisionImportanceSampling().estimate_interval(data, n_bootstrap=4000, random_state=0)
    assert (hi - lo) / 2 == pytest.approx(half_width, rel=0.1)


def test_bootstrap_recomputes_self_normalization_on_every_resample() -> None:
    # Every conversation has two steps with turns 1 each: WPDIS is 2 on any resample; PDIS is not.
    n = 40
    rng = np.random.default_rng(0)
    pscore = rng.uniform(0.2, 0.8, size=2 * n)
    pi_b = np.stack([pscore, 1 - pscore], axis=1)
    pi_e = np.tile([0.5, 0.5], (2 * n, 1))
    data = LoggedTrajectories(
        episode=np.repeat(np.arange(n), 2),
        action=np.zeros(2 * n, dtype=int),
        pscore=pscore,
        available=np.ones((2 * n, 2), dtype=bool),
        rewards={"G": np.full(2 * n, -0.05), "turns": np.ones(2 * n), "success": np.zeros(2 * n)},
        pi_e=pi_e,
        pi_b=pi_b,
    )
    interval = WeightedPerDecisionImportanceSampling().estimate_interval(
        data, "turns", n_bootstrap=300, random_state=0
    )
    assert interval == pytest.approx((2.0, 2.0), rel=1e-12)
    lo, hi = PerDecisionImportanceSampling().estimate_interval(data, "turns", n_bootstrap=300, random_state=0)
    assert hi - lo > 0.2
