"""The trajectory estimators of a policy's value over whole conversations: small frozen dataclasses over
`LoggedTrajectories`, each naming the per-step statistics it needs and how it combines their means.

Notation (see learning/sequential_ope.py): rho_t is the cumulative importance weight, r_t
the reward of one objective, q_t = q_hat(s_t, a_t) and v_t = sum_a pi_e(a | s_t) q_hat(s_t, a) come
from a critic (fitted-Q evaluation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from learning.trajectories import OBJECTIVE, LoggedDataError, LoggedTrajectories
from learning.trajectory_resampling import (
    Column,
    Design,
    check_bootstrap_args,
    percentile_interval,
    ratio,
)

__all__ = [
    "DEFAULT_N_BOOTSTRAP",
    "PerDecisionImportanceSampling",
    "SequentialDirectMethod",
    "SequentialDoublyRobust",
    "TrajectoryEstimator",
    "TrajectoryWiseImportanceSampling",
    "WeightedDoublyRobust",
    "WeightedPerDecisionImportanceSampling",
    "check_names",
    "default_estimators",
]

DEFAULT_N_BOOTSTRAP = 2000
"""Bootstrap resamples of episodes per confidence interval unless told otherwise."""


def _weight_column(data: LoggedTrajectories) -> Column:
    return Column("rho", data.cumulative_weights, carried=data.final_weights)


def _weighted_reward_column(data: LoggedTrajectories, objective: str) -> Column:
    return Column(f"rho_r:{objective}", data.cumulative_weights * data.reward(objective))


def _critic(
    estimator: TrajectoryEstimator, data: LoggedTrajectories, objective: str
) -> tuple[np.ndarray, np.ndarray]:
    """(q_hat(s_t, a_t), v_hat(s_t)) for `objective`, or LoggedDataError naming what is missing."""
    data.reward(objective)
    q_logged = data.logged_values(objective)
    v = data.state_values(objective)
    if q_logged is None or v is None:
        have = ", ".join(data.q_hat) if data.q_hat else "none"
        raise LoggedDataError(
            f"{estimator.name}: needs q_hat[{objective!r}], a critic's return-to-go of every action at every "
            f"step (fitted-Q evaluation); the data has critics for: {have}"
        )
    return q_logged, v


def _residual_column(estimator: TrajectoryEstimator, data: LoggedTrajectories, objective: str) -> Column:
    q_logged, _ = _critic(estimator, data, objective)
    return Column(f"rho_resid:{objective}", data.cumulative_weights * (data.reward(objective) - q_logged))


def _baseline_column(estimator: TrajectoryEstimator, data: LoggedTrajectories, objective: str) -> Column:
    _, v = _critic(estimator, data, objective)
    return Column(f"prev_v:{objective}", data.previous_weights * v)


@dataclass(frozen=True, kw_only=True)
class TrajectoryEstimator:
    """Base of the estimators: a value that is a function of per-step means of a few statistics."""

    name: str = "estimator"
    """Key of this estimator in a report; give variants distinct names."""
    needs_critic: ClassVar[bool] = False
    """Whether the estimator reads q_hat (DM and the doubly robust family)."""

    def estimate(self, data: LoggedTrajectories, objective: str = OBJECTIVE) -> float:
        """The estimated value of pi_e for `objective` on `data`; nan where undefined."""
        means = Design(data, self._columns(data, objective)).point()
        return float(self._combine(means, objective)[0])

    def estimate_interval(
        self,
        data: LoggedTrajectories,
        objective: str = OBJECTIVE,
        *,
        n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
        alpha: float = 0.05,
        random_state: int | np.random.Generator | None = None,
    ) -> tuple[float, float]:
        """Percentile bootstrap (1 - alpha) interval over resampled episodes; see `evaluate_trajectories`."""
        check_bootstrap_args(n_bootstrap, alpha)
        rng = np.random.default_rng(random_state)
        means = Design(data, self._columns(data, objective)).resampled(n_bootstrap, rng)
        return percentile_interval(self._combine(means, objective), alpha)

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[Column]:
        """The per-step statistics this estimator is a function of, for `objective`."""
        raise NotImplementedError

    def _combine(self, means: Mapping[str, np.ndarray], objective: str) -> np.ndarray:
        """The estimate from column means of shape (rows, horizon); one value per row."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class TrajectoryWiseImportanceSampling(TrajectoryEstimator):
    """Trajectory-wise Importance Sampling, TIS: (1/n) sum_i rho_{i,T_i-1} sum_t r_{i,t}.

    Precup, Sutton and Singh, "Eligibility Traces for Off-Policy Policy Evaluation", ICML 2000. Unbiased,
    but every reward is weighted by the whole conversation's weight, so its variance is the largest of
    the family; a diagnostic row beside the per-decision estimators.
    """

    name: str = "tis"

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[Column]:
        final = data.final_weights[data.episode_index]
        return [Column(f"final_r:{objective}", final * data.reward(objective))]

    def _combine(self, means: Mapping[str, np.ndarray], objective: str) -> np.ndarray:
        return means[f"final_r:{objective}"].sum(axis=1)


@dataclass(frozen=True, kw_only=True)
class PerDecisionImportanceSampling(TrajectoryEstimator):
    """Per-Decision Importance Sampling, PDIS: (1/n) sum_i sum_t rho_{i,t} r_{i,t}.

    Precup, Sutton and Singh, "Eligibility Traces for Off-Policy Policy Evaluation", ICML 2000. A reward
    is weighted only by the decisions that led to it. Unbiased when every action pi_e may take has
    positive logging probability.
    """

    name: str = "pdis"

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[Column]:
        return [_weighted_reward_column(data, objective)]

    def _combine(self, means: Mapping[str, np.ndarray], objective: str) -> np.ndarray:
        return means[f"rho_r:{objective}"].sum(axis=1)


@dataclass(frozen=True, kw_only=True)
class WeightedPerDecisionImportanceSampling(TrajectoryEstimator):
    """Weighted Per-Decision Importance Sampling, WPDIS: sum_t sum_i (rho_{i,t} / sum_j rho_{j,t}) r_{i,t}.

    Precup, Sutton and Singh, "Eligibility Traces for Off-Policy Policy Evaluation", ICML 2000 (weighted
    per-decision form as in Thomas, "Safe Reinforcement Learning", PhD thesis, 2015). Biased but
    consistent, and with bounded variance; undefined when no episode keeps any weight.
    """

    name: str = "wpdis"

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[Column]:
        return [_weight_column(data), _weighted_reward_column(data, objective)]

    def _combine(self, means: Mapping[str, np.ndarray], objective: str) -> np.ndarray:
        return ratio(means[f"rho_r:{objective}"], means["rho"]).sum(axis=1)


@dataclass(frozen=True, kw_only=True)
class SequentialDoublyRobust(TrajectoryEstimator):
    """Doubly Robust, DR: (1/n) sum_i sum_t [rho_{i,t} (r_{i,t} - q_{i,t}) + rho_{i,t-1} v_{i,t}].

    Jiang and Li, "Doubly Robust Off-policy Value Evaluation for Reinforcement Learning", ICML 2016. The
    critic's value of pi_e, corrected step by step by importance-weighted residuals: unbiased when the
    propensities are right, lower variance than PDIS when q_hat is good.
    """

    name: str = "dr"
    needs_critic: ClassVar[bool] = True

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[Column]:
        return [
            _residual_column(self, data, objective),
            _baseline_column(self, data, objective),
        ]

    def _combine(self, means: Mapping[str, np.ndarray], objective: str) -> np.ndarray:
        return (means[f"rho_resid:{objective}"] + means[f"prev_v:{objective}"]).sum(axis=1)


@dataclass(frozen=True, kw_only=True)
class WeightedDoublyRobust(TrajectoryEstimator):
    """Weighted Doubly Robust, WDR: DR with w_{i,t} = rho_{i,t} / sum_j rho_{j,t} in place of rho_{i,t} / n.

    Thomas and Brunskill, "Data-Efficient Off-Policy Policy Evaluation for Reinforcement Learning", ICML
    2016: sum_t sum_i [w_{i,t} (r_{i,t} - q_{i,t}) + w_{i,t-1} v_{i,t}], w_{i,-1} = 1/n. Biased but
    consistent, and much steadier than DR when a few conversations carry large weights.
    """

    name: str = "wdr"
    needs_critic: ClassVar[bool] = True

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[Column]:
        return [
            _weight_column(data),
            _residual_column(self, data, objective),
            _baseline_column(self, data, objective),
        ]

    def _combine(self, means: Mapping[str, np.ndarray], objective: str) -> np.ndarray:
        weight = means["rho"]
        before = np.ones_like(weight)  # mean of rho_{t-1}: 1 at t = 0
        before[:, 1:] = weight[:, :-1]
        residual = ratio(means[f"rho_resid:{objective}"], weight)
        baseline = ratio(means[f"prev_v:{objective}"], before)
        return (residual + baseline).sum(axis=1)


@dataclass(frozen=True, kw_only=True)
class SequentialDirectMethod(TrajectoryEstimator):
    """Direct Method, DM: (1/n) sum_i v_hat(s_{i,0}), the critic's value of pi_e at the first step.

    With q_hat from fitted-Q evaluation (Le, Voloshin and Yue, "Batch Policy Learning under Constraints",
    ICML 2019; `learning.fqe.FittedQEvaluation`). Low variance, as biased as the critic. Its
    bootstrap interval holds the critic fixed, so it shows only which conversations were logged, not
    the critic's error: far too narrow to gate on (see docs/ope.md).
    """

    name: str = "dm"
    needs_critic: ClassVar[bool] = True

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[Column]:
        return [_baseline_column(self, data, objective)]

    def _combine(self, means: Mapping[str, np.ndarray], objective: str) -> np.ndarray:
        return means[f"prev_v:{objective}"][:, 0]  # rho_{-1} v_0 = v_0


def default_estimators() -> list[TrajectoryEstimator]:
    """TIS, PDIS, WPDIS, DM, DR and WDR."""
    return [
        TrajectoryWiseImportanceSampling(),
        PerDecisionImportanceSampling(),
        WeightedPerDecisionImportanceSampling(),
        SequentialDirectMethod(),
        SequentialDoublyRobust(),
        WeightedDoublyRobust(),
    ]


def check_names(estimators: Sequence[TrajectoryEstimator]) -> None:
    names = [e.name for e in estimators]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"estimator names must be distinct; repeated: {', '.join(duplicates)}")
