"""Logged conversations the sequential OPE tests share: three small enough to compute every estimator
by hand, and a tiny conversation MDP with exact policy values (learning/toy_conversations.py)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from learning.fqe import with_fitted_critic
from learning.toy_conversations import (
    CellMeanRegressor,
    ToyConversations,
    policy_table,
)
from learning.trajectories import LoggedTrajectories
from learning.trajectory_estimators import (
    PerDecisionImportanceSampling,
    SequentialDirectMethod,
    SequentialDoublyRobust,
    TrajectoryEstimator,
    TrajectoryWiseImportanceSampling,
    WeightedDoublyRobust,
    WeightedPerDecisionImportanceSampling,
)

NAMES = ["tis", "pdis", "wpdis", "dm", "dr", "wdr"]

# --- Three conversations small enough to compute by hand --------------------------------------------------
# Two actions. pi_e is (0.8, 0.2) at first steps, (0.5, 0.5) later, and (0, 1) at C's step 1, where the
# person asked for something directly (only action 1 available, pscore 1, ratio 1).
#   step  ep  t  a  pscore  ratio  rho    success turns   critic q(.,0)=0.2, q(.,1)=0.6: q(a)  v
#    0    A   0  0  0.5     1.6    1.6    0       2                                     0.2  0.28
#    1    A   1  1  0.25    2      3.2    1       1                                     0.6  0.4
#    2    B   0  1  0.5     0.4    0.4    1       2                                     0.6  0.28
#    3    C   0  0  0.5     1.6    1.6    0       2                                     0.2  0.28
#    4    C   1  1  1       1      1.6    0       1                                     0.6  0.6
#    5    C   2  0  0.75    2/3    16/15  0       1                                     0.2  0.4
# Final weights W = (3.2, 0.4, 16/15). Self-normalizers with ended episodes carrying their weight:
# D_0 = 1.6 + 0.4 + 1.6 = 3.6, D_1 = 3.2 + 0.4 + 1.6 = 5.2, D_2 = 3.2 + 0.4 + 16/15 = 14/3; D_-1 = n = 3.
# DR terms rho (r - q) + rho_prev v on success: A: -0.04, 1.92; B: 0.44; C: -0.04, 0, 32/75.


def hand_data(**overrides: Any) -> LoggedTrajectories:
    success = np.array([0.0, 1, 1, 0, 0, 0])
    turns = np.array([2.0, 1, 2, 2, 1, 1])
    critic = np.tile([0.2, 0.6], (6, 1))
    arrays: dict[str, Any] = {
        "episode": np.array([10, 10, 11, 12, 12, 12]),
        "action": np.array([0, 1, 1, 0, 1, 0]),
        "pscore": np.array([0.5, 0.25, 0.5, 0.5, 1.0, 0.75]),
        "available": np.array([[1, 1], [1, 1], [1, 1], [1, 1], [0, 1], [1, 1]], dtype=bool),
        "rewards": {"G": success - 0.05 * turns, "success": success, "turns": turns},
        "pi_e": np.array([[0.8, 0.2], [0.5, 0.5], [0.8, 0.2], [0.8, 0.2], [0.0, 1.0], [0.5, 0.5]]),
        "pi_b": np.array([[0.5, 0.5], [0.75, 0.25], [0.5, 0.5], [0.5, 0.5], [0.0, 1.0], [0.75, 0.25]]),
        "q_hat": {"success": critic},
        "features": np.arange(12, dtype=float).reshape(6, 2),
    }
    arrays.update(overrides)
    return LoggedTrajectories(**arrays)


HAND_ESTIMATES: list[tuple[TrajectoryEstimator, str, float]] = [
    (TrajectoryWiseImportanceSampling(), "success", (3.2 + 0.4) / 3),
    (TrajectoryWiseImportanceSampling(), "turns", (3.2 * 3 + 0.4 * 2 + 16 / 15 * 4) / 3),
    (PerDecisionImportanceSampling(), "success", (3.2 + 0.4) / 3),
    (PerDecisionImportanceSampling(), "turns", (1.6 * 2 + 3.2 + 0.4 * 2 + 1.6 * 2 + 1.6 + 16 / 15) / 3),
    (WeightedPerDecisionImportanceSampling(), "success", 0.4 / 3.6 + 3.2 / 5.2),
    (WeightedPerDecisionImportanceSampling(), "turns", 7.2 / 3.6 + 4.8 / 5.2 + (16 / 15) / (14 / 3)),
    (SequentialDirectMethod(), "success", 0.28),
    (SequentialDoublyRobust(), "success", (-0.04 + 1.92 + 0.44 - 0.04 + 0 + 32 / 75) / 3),
    (
        WeightedDoublyRobust(),
        "success",
        # t = 0: residuals (-0.32 + 0.16 - 0.32) / D_0, baselines 3 x 0.28 / 3;
        # t = 1: (1.28 - 0.96) / D_1 + (0.64 + 0.96) / D_0; t = 2: -(16/15) 0.2 / D_2 + 0.64 / D_1.
        -0.48 / 3.6 + 0.28 + 0.32 / 5.2 + 1.6 / 3.6 - (16 / 15 * 0.2) / (14 / 3) + 0.64 / 5.2,
    ),
]


ENV = ToyConversations()
LOGGING = policy_table(ENV.horizon, lambda t, known: (0.4, 0.25, 0.35))
BEST = ENV.optimal_policy()


def toy_log(n: int, seed: int, target: np.ndarray | None = None, **kwargs: Any) -> LoggedTrajectories:
    return ENV.simulate(LOGGING, n, np.random.default_rng(seed), target_policy=target, **kwargs)


def tabular_critic(data: LoggedTrajectories, *, folds: int = 2, seed: int = 0) -> LoggedTrajectories:
    return with_fitted_critic(
        data,
        n_iterations=ENV.horizon,
        folds=folds,
        random_state=seed,
        make_regressor=lambda s: CellMeanRegressor(),
    )


def with_target(data: LoggedTrajectories, policy: np.ndarray) -> LoggedTrajectories:
    t, known, direct = (data.features[:, j].astype(int) for j in range(3))  # type: ignore[index]
    return tabular_critic(dataclasses.replace(data, pi_e=policy[t, known, direct], q_hat=None))
