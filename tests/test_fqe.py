"""Fitted-Q evaluation, the critic of the sequential estimators: it converges to the exact value on the
tiny conversation MDP, is cross-fitted by episode, and rejects bad parameters with precise messages."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest

from learning.fqe import FittedQEvaluation
from learning.toy_conversations import (
    CellMeanRegressor,
)
from learning.trajectories import LoggedDataError
from tests.trajectory_logs import (
    BEST,
    ENV,
    hand_data,
    toy_log,
)

# --- Fitted-Q evaluation ----------------------------------------------------------------------------------


def test_tabular_fitted_q_evaluation_converges_to_the_exact_value() -> None:
    data = toy_log(40_000, seed=5, target=BEST)
    for objective in ("G", "success", "turns"):
        fqe = FittedQEvaluation(
            n_iterations=ENV.horizon + 2, folds=1, make_regressor=lambda s: CellMeanRegressor()
        ).fit(data, objective)
        truth = ENV.value(BEST, objective)
        assert fqe.value_ == pytest.approx(truth, rel=0.01), objective
        # After `horizon` iterations a tabular critic has reached the end of every conversation.
        steady = fqe.iteration_values_[ENV.horizon - 1 :]
        assert np.ptp(steady) < 1e-12
        assert abs(fqe.iteration_values_[0] - steady[-1]) > 0.1


@pytest.mark.slow
def test_gradient_boosted_fitted_q_evaluation_is_close_to_the_exact_value() -> None:
    data = toy_log(2000, seed=6, target=BEST)
    fqe = FittedQEvaluation(n_iterations=ENV.horizon, folds=2, random_state=0).fit(data, "G")
    assert fqe.q_hat_.shape == (data.n_steps, 3)
    assert fqe.initial_values_.shape == (data.n_episodes,)
    assert fqe.value_ == pytest.approx(ENV.value(BEST), abs=0.03)
    assert not fqe.q_hat_[~data.available].any()  # unavailable actions are left at 0
    again = FittedQEvaluation(n_iterations=ENV.horizon, folds=2, random_state=0).fit(data, "G")
    assert np.array_equal(fqe.q_hat_, again.q_hat_)


def test_fitted_q_evaluation_is_cross_fitted_by_episode() -> None:
    # Changing the outcomes of one fold's conversations leaves that fold's q_hat unchanged: its critic
    # was fitted on the other fold only.
    data = toy_log(600, seed=7, target=BEST)
    fqe = FittedQEvaluation(n_iterations=ENV.horizon, folds=2, make_regressor=lambda s: CellMeanRegressor())
    first = fqe.fit(data, "success").q_hat_.copy()
    held_out = fqe.fold_of_episode_[data.episode_index] == 0
    success = np.where(held_out & data.is_last, 1 - data.rewards["success"], data.rewards["success"])
    flipped = dataclasses.replace(
        data,
        rewards={
            "G": success - 0.05 * data.rewards["turns"],
            "success": success,
            "turns": data.rewards["turns"],
        },
    )
    second = fqe.fit(flipped, "success").q_hat_
    assert np.array_equal(first[held_out], second[held_out])
    assert not np.array_equal(first[~held_out], second[~held_out])


FQE_BAD = [
    ({"n_iterations": 0}, "n_iterations must be an integer >= 1"),
    ({"folds": 0}, "folds must be an integer >= 1"),
    ({"folds": 4}, "folds (4) exceeds the number of episodes (3)"),
    ({"n_threads": 0}, "n_threads must be an integer >= 1"),
]


@pytest.mark.parametrize(("params", "message"), FQE_BAD, ids=[m for _, m in FQE_BAD])
def test_fitted_q_evaluation_rejects_bad_parameters(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FittedQEvaluation(**params).fit(hand_data(), "success")


def test_fitted_q_evaluation_needs_features() -> None:
    with pytest.raises(LoggedDataError, match="fitted-Q evaluation needs per-step state features"):
        FittedQEvaluation().fit(hand_data(features=None), "success")
