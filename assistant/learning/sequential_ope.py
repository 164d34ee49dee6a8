"""Off-policy estimates of a policy's value over whole conversations, with episode bootstrap and diagnostics.

Every estimator is a small frozen dataclass over `LoggedTrajectories`. Notation: episode i has steps
t = 0..T_i-1 with logged action a_t, probability pscore_t, reward r_t (of one objective: "G", "success",
"turns"); rho_t = prod_{k<=t} pi_e(a_k | s_k) / pscore_k is the cumulative importance weight (rho_{-1}
= 1); q_t = q_hat(s_t, a_t) and v_t = sum_a pi_e(a | s_t) q_hat(s_t, a) come from a critic (fitted-Q
evaluation). After its last step an episode stays in an absorbing state with reward 0 and ratio 1, so
its weight stays rho_{T_i-1}: the self-normalizing sums at step t run over all n episodes.

Internally each estimator is a function of per-step means over episodes of a few statistics (the mean
over episodes of rho_t r_t at each t, of rho_t, ...). A bootstrap resample of episodes is a vector of
counts, so all its means come from one matrix product per step position; with episodes sorted longest
first, the episodes still running at step t are a prefix, so that product touches only their steps.
That is what keeps thousands of resamples of tens of thousands of steps to seconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from threadpoolctl import threadpool_limits

from assistant.learning.trajectories import OBJECTIVE, LoggedDataError, LoggedTrajectories

__all__ = [
    "DEFAULT_N_BOOTSTRAP",
    "DEFAULT_OBJECTIVES",
    "PairedDifference",
    "PerDecisionImportanceSampling",
    "SequentialDirectMethod",
    "SequentialDoublyRobust",
    "TrajectoryEstimator",
    "TrajectoryOPEReport",
    "TrajectoryWiseImportanceSampling",
    "WeightedDoublyRobust",
    "WeightedPerDecisionImportanceSampling",
    "default_estimators",
    "evaluate_trajectories",
    "paired_difference",
    "trajectory_diagnostics",
]

DEFAULT_N_BOOTSTRAP = 2000
"""Bootstrap resamples of episodes per confidence interval unless told otherwise."""

DEFAULT_OBJECTIVES = ("G", "success", "turns")
"""The objectives a report estimates: the conversation's return, and its two parts."""

_ESS_MIN_EPISODES = 30
_ESS_MIN_FRACTION = 0.01
_MAX_WEIGHT_SHARE = 0.05
_MEAN_WEIGHT_SLACK = 0.1
_ZERO_WEIGHT_SHARE = 0.5
_RESAMPLE_CELLS = 1 << 21  # episode counts per chunk of resamples (16 MB as float64)


# --- Statistics: what the estimators are functions of ------------------------------------------------------


@dataclass(frozen=True)
class _Column:
    """One per-step statistic; its mean over episodes is taken at every step position t separately."""

    key: str
    values: np.ndarray
    """Value at each logged step, shape (n_steps,)."""
    carried: np.ndarray | None = None
    """Value each episode keeps after its last step (its absorbing state), shape (n_episodes,); None = 0."""


def _weight_column(data: LoggedTrajectories) -> _Column:
    return _Column("rho", data.cumulative_weights, carried=data.final_weights)


def _weighted_reward_column(data: LoggedTrajectories, objective: str) -> _Column:
    return _Column(f"rho_r:{objective}", data.cumulative_weights * data.reward(objective))


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


def _residual_column(estimator: TrajectoryEstimator, data: LoggedTrajectories, objective: str) -> _Column:
    q_logged, _ = _critic(estimator, data, objective)
    return _Column(f"rho_resid:{objective}", data.cumulative_weights * (data.reward(objective) - q_logged))


def _baseline_column(estimator: TrajectoryEstimator, data: LoggedTrajectories, objective: str) -> _Column:
    _, v = _critic(estimator, data, objective)
    return _Column(f"prev_v:{objective}", data.previous_weights * v)


class _Design:
    """Columns of one log arranged for resampling episodes: longest episodes first, steps grouped by t.

    With episodes ranked longest first, the episodes still running at step t are ranks 0..alive[t]-1,
    so at each t the means are one product of the first alive[t] counts with that step group's values.
    """

    def __init__(self, data: LoggedTrajectories, columns: Sequence[_Column]) -> None:
        unique: dict[str, _Column] = {}
        for column in columns:
            unique.setdefault(column.key, column)
        self.keys = list(unique)
        lengths = data.episode_lengths
        self.n_episodes = data.n_episodes
        order = np.argsort(-lengths, kind="stable")
        rank = np.empty(self.n_episodes, dtype=np.int64)
        rank[order] = np.arange(self.n_episodes)
        step_order = np.lexsort((rank[data.episode_index], data.step_index))
        self.alive = np.bincount(data.step_index)
        self.offsets = np.r_[0, np.cumsum(self.alive)]
        self.horizon = int(self.alive.shape[0])
        self.values = np.ascontiguousarray(np.stack([c.values for c in unique.values()], axis=1)[step_order])
        self.carried = {
            j: np.asarray(c.carried)[order] for j, c in enumerate(unique.values()) if c.carried is not None
        }

    def means(self, counts: np.ndarray) -> dict[str, np.ndarray]:
        """{key: (rows, horizon)}: each column's weighted mean over episodes at each t, per row of counts.

        `counts` is (rows, n_episodes) in rank order: how often each episode is drawn (all ones for the
        estimate itself). A carried column adds, at each t, what the episodes already ended hold.
        """
        rows = counts.shape[0]
        out = np.empty((self.horizon, rows, len(self.keys)))
        held = {j: np.zeros(rows) for j in self.carried}
        ended = {j: np.empty((rows, self.horizon)) for j in self.carried}
        before = self.n_episodes
        for t in range(self.horizon):
            a, start = int(self.alive[t]), int(self.offsets[t])
            np.matmul(counts[:, :a], self.values[start : start + a], out=out[t])
            # Ranks a..before-1 ran exactly t steps: from now on they hold their final value.
            for j, final in self.carried.items():
                if a < before:
                    held[j] += counts[:, a:before] @ final[a:before]
                ended[j][:, t] = held[j]
            before = a
        means = {}
        for j, key in enumerate(self.keys):
            block = out[:, :, j].T
            if j in ended:
                block = block + ended[j]
            means[key] = block / self.n_episodes
        return means

    def point(self) -> dict[str, np.ndarray]:
        """Column means over the log itself, {key: (1, horizon)}."""
        return self.means(np.ones((1, self.n_episodes)))

    def resampled(self, n_bootstrap: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """{key: (n_bootstrap, horizon)}: column means on n_bootstrap resamples of the episodes."""
        n = self.n_episodes
        parts: list[dict[str, np.ndarray]] = []
        rows_per_chunk = max(1, _RESAMPLE_CELLS // n)
        # The products are skinny (a dozen columns): one BLAS thread was twice as fast as two on a busy
        # 2-core machine, where the second thread waits for a core.
        with threadpool_limits(limits=1, user_api="blas"):
            for start in range(0, n_bootstrap, rows_per_chunk):
                rows = min(rows_per_chunk, n_bootstrap - start)
                counts = np.empty((rows, n))
                for row in range(rows):  # one resample at a time stays in cache: faster than one bincount
                    counts[row] = np.bincount(rng.integers(0, n, size=n, dtype=np.int32), minlength=n)
                parts.append(self.means(counts))
        return {key: np.concatenate([p[key] for p in parts]) for key in self.keys}


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return numerator / denominator


# --- Estimators -------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TrajectoryEstimator:
    """Base of the estimators: a value that is a function of per-step means of a few statistics."""

    name: str = "estimator"
    """Key of this estimator in a report; give variants distinct names."""
    needs_critic: ClassVar[bool] = False
    """Whether the estimator reads q_hat (DM and the doubly robust family)."""

    def estimate(self, data: LoggedTrajectories, objective: str = OBJECTIVE) -> float:
        """The estimated value of pi_e for `objective` on `data`; nan where undefined."""
        means = _Design(data, self._columns(data, objective)).point()
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
        _check_bootstrap_args(n_bootstrap, alpha)
        rng = np.random.default_rng(random_state)
        means = _Design(data, self._columns(data, objective)).resampled(n_bootstrap, rng)
        return _percentile_interval(self._combine(means, objective), alpha)

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[_Column]:
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

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[_Column]:
        final = data.final_weights[data.episode_index]
        return [_Column(f"final_r:{objective}", final * data.reward(objective))]

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

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[_Column]:
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

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[_Column]:
        return [_weight_column(data), _weighted_reward_column(data, objective)]

    def _combine(self, means: Mapping[str, np.ndarray], objective: str) -> np.ndarray:
        return _ratio(means[f"rho_r:{objective}"], means["rho"]).sum(axis=1)


@dataclass(frozen=True, kw_only=True)
class SequentialDoublyRobust(TrajectoryEstimator):
    """Doubly Robust, DR: (1/n) sum_i sum_t [rho_{i,t} (r_{i,t} - q_{i,t}) + rho_{i,t-1} v_{i,t}].

    Jiang and Li, "Doubly Robust Off-policy Value Evaluation for Reinforcement Learning", ICML 2016. The
    critic's value of pi_e, corrected step by step by importance-weighted residuals: unbiased when the
    propensities are right, lower variance than PDIS when q_hat is good.
    """

    name: str = "dr"
    needs_critic: ClassVar[bool] = True

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[_Column]:
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

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[_Column]:
        return [
            _weight_column(data),
            _residual_column(self, data, objective),
            _baseline_column(self, data, objective),
        ]

    def _combine(self, means: Mapping[str, np.ndarray], objective: str) -> np.ndarray:
        weight = means["rho"]
        before = np.ones_like(weight)  # mean of rho_{t-1}: 1 at t = 0
        before[:, 1:] = weight[:, :-1]
        residual = _ratio(means[f"rho_resid:{objective}"], weight)
        baseline = _ratio(means[f"prev_v:{objective}"], before)
        return (residual + baseline).sum(axis=1)


@dataclass(frozen=True, kw_only=True)
class SequentialDirectMethod(TrajectoryEstimator):
    """Direct Method, DM: (1/n) sum_i v_hat(s_{i,0}), the critic's value of pi_e at the first step.

    With q_hat from fitted-Q evaluation (Le, Voloshin and Yue, "Batch Policy Learning under Constraints",
    ICML 2019; `assistant.learning.fqe.FittedQEvaluation`). Low variance, as biased as the critic. Its
    bootstrap interval holds the critic fixed, so it shows only which conversations were logged, not
    the critic's error: far too narrow to gate on (see docs/ope.md).
    """

    name: str = "dm"
    needs_critic: ClassVar[bool] = True

    def _columns(self, data: LoggedTrajectories, objective: str) -> list[_Column]:
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


# --- Bootstrap helpers ------------------------------------------------------------------------------------


def _check_bootstrap_args(n_bootstrap: int, alpha: float) -> None:
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int | np.integer) or n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be a positive integer, got {n_bootstrap!r}")
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")


def _percentile_interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (math.nan, math.nan)
    lo, hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return (float(lo), float(hi))


def _check_names(estimators: Sequence[TrajectoryEstimator]) -> None:
    names = [e.name for e in estimators]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"estimator names must be distinct; repeated: {', '.join(duplicates)}")


# --- Diagnostics ------------------------------------------------------------------------------------------


def trajectory_diagnostics(data: LoggedTrajectories) -> dict[str, float | int]:
    """How trustworthy importance weighting over whole conversations is on `data`.

    Keys: n_episodes, n_steps, n_actions, steps_per_episode_mean / _max, choice_steps_fraction (steps
    with more than one available action: the decisions pi_e and pi_b can disagree on); from the final
    cumulative weights W_i = rho_{i,T_i-1}: ess = (sum W)^2 / sum W^2 (the effective number of
    conversations) and ess_fraction = ess / n, weight_mean (about 1 when propensities are right and pi_e
    stays on the logged support), weight_max, max_weight_share (largest W / sum of W),
    zero_weight_fraction (conversations pi_e gives no weight: they took an action pi_e never would);
    ratio_max (largest single-decision ratio) and pscore_min (smallest logged propensity at a choice).
    """
    w = np.asarray(data.final_weights)
    n = data.n_episodes
    total = float(w.sum())
    squares = float(np.square(w).sum())
    ess = total * total / squares if squares > 0 else 0.0
    choice = data.available.sum(axis=1) > 1
    return {
        "n_episodes": n,
        "n_steps": data.n_steps,
        "n_actions": data.n_actions,
        "steps_per_episode_mean": data.n_steps / n,
        "steps_per_episode_max": int(data.episode_lengths.max()),
        "choice_steps_fraction": float(choice.mean()),
        "ess": ess,
        "ess_fraction": ess / n,
        "weight_mean": total / n,
        "weight_max": float(w.max()),
        "max_weight_share": float(w.max()) / total if total > 0 else 0.0,
        "zero_weight_fraction": float(np.mean(w == 0)),
        "ratio_max": float(data.ratios.max()),
        "pscore_min": float(data.pscore[choice].min()) if choice.any() else 1.0,
    }


def _count(x: float) -> str:
    return f"{x:,.1f}" if x < 10 else f"{x:,.0f}"


def _weight_warnings(d: Mapping[str, float | int]) -> list[str]:
    n = int(d["n_episodes"])
    ess = float(d["ess"])
    out = []
    if ess < max(_ESS_MIN_EPISODES, _ESS_MIN_FRACTION * n):
        out.append(
            f"only {_count(ess)} of {n:,} conversations carry the weight (their effective number): "
            "IS-based estimates are unreliable, DR and WDR lean on the critic"
        )
    share = float(d["max_weight_share"])
    if share > _MAX_WEIGHT_SHARE:
        out.append(
            f"one conversation carries {share:.0%} of all weight (cumulative weight "
            f"{_count(float(d['weight_max']))}, largest single ratio {_count(float(d['ratio_max']))}): "
            "IS-based estimates hinge on it"
        )
    zero = float(d["zero_weight_fraction"])
    if zero > _ZERO_WEIGHT_SHARE:
        out.append(
            f"pi_e gives zero weight to {zero:.0%} of the logged conversations (each took an action pi_e "
            "never would); the logs barely show what pi_e does late in a conversation"
        )
    mean = float(d["weight_mean"])
    if abs(mean - 1) > _MEAN_WEIGHT_SLACK and zero < 1:
        out.append(
            f"mean cumulative weight {mean:.3g}, expected about 1: propensities may be wrong, pi_e may "
            "leave the logged support, or a few huge weights dominate"
        )
    return out


def _range_warnings(points: Mapping[str, float], objective: str, low: float, high: float) -> list[str]:
    out = []
    span = f"the range of observed returns [{low:.3g}, {high:.3g}]"
    for name, value in points.items():
        label = f"{name.upper()} of {objective}"
        if not math.isfinite(value):
            out.append(f"{label} is undefined (pi_e gives no weight to any logged conversation)")
        elif value < low - 1e-12 * max(1.0, abs(low)):
            out.append(f"{label} is {value:.3g}, below {span}")
        elif value > high + 1e-12 * max(1.0, abs(high)):
            out.append(f"{label} is {value:.3g}, above {span}")
    return out


def _critic_warnings(
    points: Mapping[str, float], intervals: Mapping[str, tuple[float, float]], objective: str, level: float
) -> list[str]:
    # DR corrects the critic's value with the logged rewards; DM outside DR's interval means q_hat is off.
    if "dm" not in points or "dr" not in intervals:
        return []
    dm, (lo, hi) = points["dm"], intervals["dr"]
    if math.isfinite(dm) and math.isfinite(lo) and math.isfinite(hi) and not lo <= dm <= hi:
        return [
            f"DM of {objective} ({dm:.3g}) lies outside DR's {level:.0%} interval [{lo:.3g}, {hi:.3g}]: "
            "the critic q_hat looks biased, so trust DR/WDR over DM"
        ]
    return []


# --- Reports ----------------------------------------------------------------------------------------------


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True, kw_only=True)
class TrajectoryOPEReport:
    """Estimates per objective and estimator with confidence intervals, diagnostics and warnings."""

    estimates: dict[str, dict[str, tuple[float, float, float]]]
    """{objective: {estimator name: (value, ci_lo, ci_hi)}}; nan where undefined."""
    diagnostics: dict[str, float | int]
    """See `trajectory_diagnostics`, plus n_bootstrap and ci_level."""
    warnings: list[str] = field(default_factory=list)
    """Why the estimates may not be trusted; empty when nothing looks wrong."""

    def value(self, name: str, objective: str = OBJECTIVE) -> float:
        """Point estimate of estimator `name` for `objective`."""
        return self.estimates[objective][name][0]

    def lower_bound(self, name: str, objective: str = OBJECTIVE) -> float:
        """Lower end of the confidence interval of estimator `name` for `objective`."""
        return self.estimates[objective][name][1]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form.

        {"estimates": {objective: {name: {"value", "ci": [lo, hi]}}}, "diagnostics", "warnings"}; nan
        becomes None.
        """
        return {
            "estimates": {
                objective: {
                    name: {"value": _json_float(v), "ci": [_json_float(lo), _json_float(hi)]}
                    for name, (v, lo, hi) in rows.items()
                }
                for objective, rows in self.estimates.items()
            },
            "diagnostics": {
                k: _json_float(v) if isinstance(v, float) else v for k, v in self.diagnostics.items()
            },
            "warnings": list(self.warnings),
        }


def evaluate_trajectories(
    data: LoggedTrajectories,
    estimators: Sequence[TrajectoryEstimator] | None = None,
    *,
    objectives: Sequence[str] = DEFAULT_OBJECTIVES,
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
    alpha: float = 0.05,
    random_state: int | np.random.Generator | None = None,
) -> TrajectoryOPEReport:
    """Estimate pi_e's value for every objective with every estimator, with episode-bootstrap CIs.

    `estimators` defaults to `default_estimators()`; for an objective without a critic in `data.q_hat`
    the ones that need it (DM, DR, WDR) are left out with a warning (explicitly requested ones raise).
    One set of resamples of the episodes serves every estimator and objective; each resample recomputes
    the self-normalizing sums too. `n_bootstrap=0` skips the intervals (nan). Seeded by
    `random_state` (an int, a Generator, or None for fresh entropy).
    """
    explicit = estimators is not None
    chosen = list(default_estimators() if estimators is None else estimators)
    _check_names(chosen)
    objectives = list(objectives)
    if not objectives:
        raise ValueError("objectives is empty: name at least one reward to estimate")
    repeated = sorted({o for o in objectives if objectives.count(o) > 1})
    if repeated:
        raise ValueError(f"objectives must be distinct; repeated: {', '.join(repeated)}")
    for objective in objectives:
        data.reward(objective)
    if n_bootstrap != 0:
        _check_bootstrap_args(n_bootstrap, alpha)

    notes: list[str] = []
    plan: list[tuple[str, TrajectoryEstimator]] = []
    for objective in objectives:
        has_critic = data.q_hat is not None and objective in data.q_hat
        skipped = [e.name.upper() for e in chosen if e.needs_critic and not has_critic and not explicit]
        if skipped:
            notes.append(
                f"no critic q_hat for {objective}: {', '.join(skipped)} need one (fitted-Q evaluation) "
                "and were skipped"
            )
        plan.extend((objective, e) for e in chosen if explicit or has_critic or not e.needs_critic)

    design = _Design(data, [c for objective, e in plan for c in e._columns(data, objective)])
    point_means = design.point()
    points = {(o, e.name): float(e._combine(point_means, o)[0]) for o, e in plan}
    intervals: dict[tuple[str, str], tuple[float, float]] = {}
    if n_bootstrap:
        means = design.resampled(n_bootstrap, np.random.default_rng(random_state))
        for objective, estimator in plan:
            values = estimator._combine(means, objective)
            intervals[(objective, estimator.name)] = _percentile_interval(values, alpha)
            undefined = int(np.sum(~np.isfinite(values)))
            if undefined:
                notes.append(
                    f"{estimator.name.upper()} of {objective} is undefined on {undefined:,} of "
                    f"{n_bootstrap:,} bootstrap resamples (no conversation keeps any weight); its interval "
                    "uses the rest"
                )

    estimates: dict[str, dict[str, tuple[float, float, float]]] = {}
    for objective, estimator in plan:
        lo, hi = intervals.get((objective, estimator.name), (math.nan, math.nan))
        estimates.setdefault(objective, {})[estimator.name] = (points[(objective, estimator.name)], lo, hi)

    diagnostics: dict[str, float | int] = dict(trajectory_diagnostics(data))
    diagnostics.update(n_bootstrap=int(n_bootstrap), ci_level=1 - alpha)
    report_warnings = _weight_warnings(diagnostics)
    for objective, rows in estimates.items():
        returns = data.returns(objective)
        row_points = {name: v for name, (v, _, _) in rows.items()}
        row_intervals = {name: (lo, hi) for name, (_, lo, hi) in rows.items()}
        report_warnings += _range_warnings(row_points, objective, float(returns.min()), float(returns.max()))
        report_warnings += _critic_warnings(row_points, row_intervals, objective, 1 - alpha)
    return TrajectoryOPEReport(estimates=estimates, diagnostics=diagnostics, warnings=report_warnings + notes)


# --- Paired difference for the promotion gate ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PairedDifference:
    """Estimated value of candidate minus current on the same logged conversations, with its interval."""

    estimator: str
    objective: str
    value: float
    """Point estimate of value(candidate) - value(current)."""
    ci: tuple[float, float]
    """Percentile bootstrap (1 - alpha) interval of the difference; both policies see the same resamples."""
    candidate: float
    """Point estimate of the candidate's value."""
    current: float
    """Point estimate of the current policy's value."""
    n_bootstrap: int
    ci_level: float
    undefined_resamples: int = 0
    """Resamples on which either estimate was undefined (left out of the interval)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of every field."""
        return {
            "estimator": self.estimator,
            "objective": self.objective,
            "value": _json_float(self.value),
            "ci": [_json_float(self.ci[0]), _json_float(self.ci[1])],
            "candidate": _json_float(self.candidate),
            "current": _json_float(self.current),
            "n_bootstrap": self.n_bootstrap,
            "ci_level": self.ci_level,
            "undefined_resamples": self.undefined_resamples,
        }


def _prefixed(columns: Sequence[_Column], prefix: str) -> list[_Column]:
    return [_Column(prefix + c.key, c.values, c.carried) for c in columns]


def _unprefixed(means: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    return {k[len(prefix) :]: v for k, v in means.items() if k.startswith(prefix)}


def paired_difference(
    data_candidate: LoggedTrajectories,
    data_current: LoggedTrajectories,
    estimator: TrajectoryEstimator | str = "wdr",
    objective: str = OBJECTIVE,
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
    random_state: int | np.random.Generator | None = None,
    *,
    alpha: float = 0.05,
) -> PairedDifference:
    """value(candidate) - value(current) on the same logged conversations, with a paired bootstrap CI.

    The two logs must hold the same steps (episodes, actions, propensities, availability, rewards) and
    differ in pi_e (and q_hat). Every resample draws conversations once and evaluates both policies on
    it, so what the two share cancels out of the interval. `estimator` is an estimator or the name of
    a default one ("tis", "pdis", "wpdis", "dm", "dr", "wdr").
    """
    if isinstance(estimator, str):
        by_name = {e.name: e for e in default_estimators()}
        if estimator not in by_name:
            raise ValueError(f"unknown estimator {estimator!r}; choose one of {', '.join(by_name)}")
        chosen = by_name[estimator]
    else:
        chosen = estimator
    if not data_candidate.same_log(data_current):
        raise LoggedDataError(
            "the candidate's and the current policy's data must hold the same logged steps (episodes, "
            "actions, pscore, available, rewards); only pi_e and q_hat may differ"
        )
    _check_bootstrap_args(n_bootstrap, alpha)
    design = _Design(
        data_candidate,
        _prefixed(chosen._columns(data_candidate, objective), "candidate/")
        + _prefixed(chosen._columns(data_current, objective), "current/"),
    )

    def differences(means: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        candidate = chosen._combine(_unprefixed(means, "candidate/"), objective)
        current = chosen._combine(_unprefixed(means, "current/"), objective)
        return candidate - current, candidate, current

    point, candidate, current = differences(design.point())
    resampled, _, _ = differences(design.resampled(n_bootstrap, np.random.default_rng(random_state)))
    return PairedDifference(
        estimator=chosen.name,
        objective=objective,
        value=float(point[0]),
        ci=_percentile_interval(resampled, alpha),
        candidate=float(candidate[0]),
        current=float(current[0]),
        n_bootstrap=int(n_bootstrap),
        ci_level=1 - alpha,
        undefined_resamples=int(np.sum(~np.isfinite(resampled))),
    )
