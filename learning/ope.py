"""Off-policy estimators of a policy's value from logged bandit feedback, with bootstrap CIs and diagnostics.

Every estimator is a small frozen dataclass over `LoggedBanditData`. Internally each one is a function
of the means of a few per-round statistics (IPW: mean(w r); SNIPW: mean(w r) / mean(w); ...), which is
what lets the bootstrap recompute the whole estimator, self-normalization included, on thousands of
resamples at once: a resample is a vector of counts, so its means are one matrix product.

Notation: round i logged action a_i at position k_i with probability pscore_i and reward r_i;
w_i = pi_e(a_i | i, k_i) / pscore_i (optionally clipped at lambda); q_i(a) = q_hat[i, a, k_i];
dm_i = sum_a pi_e(a | i, k_i) q_i(a).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from learning.logged_data import LoggedBanditData, LoggedDataError

__all__ = [
    "DEFAULT_N_BOOTSTRAP",
    "DirectMethod",
    "DoublyRobust",
    "Estimator",
    "InverseProbabilityWeighting",
    "OPEReport",
    "SelfNormalizedDoublyRobust",
    "SelfNormalizedInverseProbabilityWeighting",
    "bootstrap_intervals",
    "default_estimators",
    "diagnose",
    "evaluate",
]

DEFAULT_N_BOOTSTRAP = 2000
"""Bootstrap resamples per confidence interval unless told otherwise."""

MIN_SUPPORT = 1e-3
"""Logging probability (or logged frequency at a position) below which an action has tiny support."""

_ESS_MIN_FRACTION = 0.01
_ESS_MIN_ROUNDS = 30
_MAX_WEIGHT_SHARE = 0.05
_MEAN_WEIGHT_SLACK = 0.1
_LOW_SUPPORT_MASS = 0.01
_RESAMPLE_CELLS = 1 << 17  # resample indices per chunk (1 MB): small chunks stay in cache, 3x faster


@dataclass(frozen=True, kw_only=True)
class Estimator:
    """Base of the estimators: a value that is a function of the means of per-round statistics."""

    name: str = "estimator"
    """Key of this estimator in a report; give variants distinct names (e.g. "ipw-clip20")."""

    def estimate(self, data: LoggedBanditData) -> float:
        """The estimated value of pi_e on `data`."""
        return float(self._combine(self._statistics(data).mean(axis=1)))

    def round_rewards(self, data: LoggedBanditData) -> np.ndarray:
        """Per-round contributions, shape (n,), whose mean is `estimate(data)`."""
        raise NotImplementedError

    def estimate_interval(
        self,
        data: LoggedBanditData,
        *,
        n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
        alpha: float = 0.05,
        random_state: int | np.random.Generator | None = None,
    ) -> tuple[float, float]:
        """Percentile bootstrap (1 - alpha) interval; see `bootstrap_intervals`."""
        return bootstrap_intervals(
            data, [self], n_bootstrap=n_bootstrap, alpha=alpha, random_state=random_state
        )[self.name]

    def _statistics(self, data: LoggedBanditData) -> np.ndarray:
        """Per-round statistics, shape (k, n); the estimator is `_combine` of their means."""
        raise NotImplementedError

    def _combine(self, means: np.ndarray) -> np.ndarray:
        """The estimate from statistic means of shape (..., k); vectorized over leading axes."""
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True)
class _Weighted(Estimator):
    clip: float = math.inf
    """lambda: importance weights above it are set to it (less variance, some bias); inf = no clipping."""

    def __post_init__(self) -> None:
        if not (isinstance(self.clip, int | float) and self.clip > 0):  # also rejects nan
            raise ValueError(
                f"{type(self).__name__}: clip (lambda) must be a positive number, got {self.clip!r}"
            )

    def _weights(self, data: LoggedBanditData) -> np.ndarray:
        return np.minimum(data.weights, self.clip) if math.isfinite(self.clip) else data.weights


def _model_terms(estimator: Estimator, data: LoggedBanditData) -> tuple[np.ndarray, np.ndarray]:
    """(dm_i, q_i(a_i)): the reward model's value of pi_e and of the logged action in each round."""
    q = data.q_hat_rounds
    if q is None:
        raise LoggedDataError(
            f"{estimator.name}: needs q_hat, the reward model's predictions for every action; "
            "the logged data has none"
        )
    dm = np.einsum("ij,ij->i", data.pi_e_rounds, q)
    return dm, q[np.arange(data.n_rounds), data.action]


@dataclass(frozen=True, kw_only=True)
class InverseProbabilityWeighting(_Weighted):
    """Inverse Probability Weighting, IPW: mean(w_i r_i).

    The Horvitz-Thompson estimator (Horvitz and Thompson, "A Generalization of Sampling Without
    Replacement From a Finite Universe", JASA 1952), as used for off-policy evaluation by Precup, Sutton
    and Singh, "Eligibility Traces for Off-Policy Policy Evaluation", ICML 2000. Unbiased when every
    action pi_e may take has positive logging probability; its variance grows with the weights.
    """

    name: str = "ipw"

    def round_rewards(self, data: LoggedBanditData) -> np.ndarray:
        return self._weights(data) * data.reward

    def _statistics(self, data: LoggedBanditData) -> np.ndarray:
        return self.round_rewards(data)[None, :]

    def _combine(self, means: np.ndarray) -> np.ndarray:
        return means[..., 0]


@dataclass(frozen=True, kw_only=True)
class SelfNormalizedInverseProbabilityWeighting(_Weighted):
    """Self-Normalized Inverse Probability Weighting, SNIPW: mean(w_i r_i) / mean(w_i).

    Swaminathan and Joachims, "The Self-Normalized Estimator for Counterfactual Learning", NeurIPS 2015
    (after Hesterberg, "Weighted Average Importance Sampling and Defensive Mixture Distributions",
    Technometrics 1995). Slightly biased but consistent; always inside the range of observed rewards.
    """

    name: str = "snipw"

    def round_rewards(self, data: LoggedBanditData) -> np.ndarray:
        w = self._weights(data)
        with np.errstate(divide="ignore", invalid="ignore"):
            return w * data.reward / w.mean()

    def _statistics(self, data: LoggedBanditData) -> np.ndarray:
        w = self._weights(data)
        return np.stack([w * data.reward, w])

    def _combine(self, means: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return means[..., 0] / means[..., 1]


@dataclass(frozen=True, kw_only=True)
class DirectMethod(Estimator):
    """Direct Method, DM: mean(dm_i), the reward model's value of pi_e.

    Beygelzimer and Langford, "The Offset Tree for Learning with Partial Labels", KDD 2009; Dudik,
    Langford and Li, "Doubly Robust Policy Evaluation and Learning", ICML 2011. Low variance, but as
    biased as the reward model q_hat.
    """

    name: str = "dm"

    def round_rewards(self, data: LoggedBanditData) -> np.ndarray:
        return _model_terms(self, data)[0]

    def _statistics(self, data: LoggedBanditData) -> np.ndarray:
        return self.round_rewards(data)[None, :]

    def _combine(self, means: np.ndarray) -> np.ndarray:
        return means[..., 0]


@dataclass(frozen=True, kw_only=True)
class DoublyRobust(_Weighted):
    """Doubly Robust, DR: mean(dm_i + w_i (r_i - q_i(a_i))).

    Dudik, Langford and Li, "Doubly Robust Policy Evaluation and Learning", ICML 2011. Unbiased when the
    propensities are right, low-variance when q_hat is good; can leave the reward range when weights
    are huge.
    """

    name: str = "dr"

    def round_rewards(self, data: LoggedBanditData) -> np.ndarray:
        dm, q_logged = _model_terms(self, data)
        return dm + self._weights(data) * (data.reward - q_logged)

    def _statistics(self, data: LoggedBanditData) -> np.ndarray:
        return self.round_rewards(data)[None, :]

    def _combine(self, means: np.ndarray) -> np.ndarray:
        return means[..., 0]


@dataclass(frozen=True, kw_only=True)
class SelfNormalizedDoublyRobust(_Weighted):
    """Self-Normalized Doubly Robust, SNDR: mean(dm_i + w_i (r_i - q_i(a_i)) / mean(w)).

    The doubly robust estimator of Dudik, Langford and Li (ICML 2011) with the correction term
    self-normalized as in Swaminathan and Joachims, "The Self-Normalized Estimator for Counterfactual
    Learning", NeurIPS 2015; the form implemented by Open Bandit Pipeline (Saito, Aihara, Matsutani
    and Narita, "Open Bandit Dataset and Pipeline", NeurIPS 2021 Datasets and Benchmarks).
    """

    name: str = "sndr"

    def round_rewards(self, data: LoggedBanditData) -> np.ndarray:
        dm, q_logged = _model_terms(self, data)
        w = self._weights(data)
        with np.errstate(divide="ignore", invalid="ignore"):
            return dm + w * (data.reward - q_logged) / w.mean()

    def _statistics(self, data: LoggedBanditData) -> np.ndarray:
        dm, q_logged = _model_terms(self, data)
        w = self._weights(data)
        return np.stack([dm, w * (data.reward - q_logged), w])

    def _combine(self, means: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return means[..., 0] + means[..., 1] / means[..., 2]


def default_estimators(clip: float = math.inf) -> list[Estimator]:
    """IPW, SNIPW, DM, DR and SNDR, the weighted ones clipped at `clip` (lambda)."""
    return [
        InverseProbabilityWeighting(clip=clip),
        SelfNormalizedInverseProbabilityWeighting(clip=clip),
        DirectMethod(),
        DoublyRobust(clip=clip),
        SelfNormalizedDoublyRobust(clip=clip),
    ]


def bootstrap_intervals(
    data: LoggedBanditData,
    estimators: Sequence[Estimator],
    *,
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
    alpha: float = 0.05,
    random_state: int | np.random.Generator | None = None,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap (1 - alpha) intervals, {name: (lo, hi)}, one shared set of resamples.

    Each resample draws n rounds with replacement and recomputes every estimator in full on it (the
    self-normalizing mean(w) too, unlike bootstrapping fixed per-round contributions). Resamples where
    an estimator is undefined (a self-normalized one with no weight at all) are left out of its
    percentiles; all-undefined gives (nan, nan). Seeded by `random_state` (an int, a Generator, or None
    for fresh entropy); for a fixed seed the result depends only on the data and n_bootstrap.
    """
    _check_bootstrap_args(n_bootstrap, alpha)
    means = _bootstrap_means(data, estimators, n_bootstrap, np.random.default_rng(random_state))
    out = {}
    for estimator, values in zip(estimators, means, strict=True):
        out[estimator.name] = _percentile_interval(values, alpha)
    return out


def _check_bootstrap_args(n_bootstrap: int, alpha: float) -> None:
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int | np.integer) or n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be a positive integer, got {n_bootstrap!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")


def _bootstrap_means(
    data: LoggedBanditData,
    estimators: Sequence[Estimator],
    n_bootstrap: int,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Each estimator's value on n_bootstrap resamples: a list of (n_bootstrap,) arrays."""
    blocks = [e._statistics(data) for e in estimators]
    stats = np.concatenate(blocks, axis=0)  # (k, n)
    n = data.n_rounds
    means = np.empty((n_bootstrap, stats.shape[0]))
    rows_per_chunk = max(1, _RESAMPLE_CELLS // n)
    for start in range(0, n_bootstrap, rows_per_chunk):
        rows = min(rows_per_chunk, n_bootstrap - start)
        # Counts of each round in each resample, via one bincount over offset indices.
        picks = rng.integers(0, n, size=(rows, n))
        picks += (np.arange(rows) * n)[:, None]
        counts = np.bincount(picks.ravel(), minlength=rows * n).reshape(rows, n).astype(np.float64)
        means[start : start + rows] = counts @ stats.T / n
    values = []
    offset = 0
    for estimator, block in zip(estimators, blocks, strict=True):
        values.append(estimator._combine(means[:, offset : offset + block.shape[0]]))
        offset += block.shape[0]
    return values


def _percentile_interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (math.nan, math.nan)
    lo, hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return (float(lo), float(hi))


def diagnose(
    data: LoggedBanditData, *, min_support: float = MIN_SUPPORT, clip: float = math.inf
) -> dict[str, float | int | str]:
    """How trustworthy importance weighting is on `data`: sample size, weights, propensities, support.

    Keys: n_rounds, n_actions, n_positions; ess = (sum w)^2 / sum w^2 (Kish's effective sample size of
    the unclipped weights) and ess_fraction = ess / n; weight_mean (about 1 when propensities are right
    and pi_e stays on the logged support), weight_min, weight_max, max_weight_share (largest weight /
    sum of weights); pscore_min; low_support_rounds (fraction of rounds where pi_e gives positive
    probability to an action whose logging probability is below min_support) and low_support_mass
    (pi_e's mean probability on such actions), judged from pi_b when logged, else from how often each
    action was logged at that position (support_from says which); with clipping, clip and
    clipped_fraction (rounds whose weight exceeds it).
    """
    w = np.asarray(data.weights)
    n = data.n_rounds
    total = float(w.sum())
    squares = float(np.square(w).sum())
    ess = total * total / squares if squares > 0 else 0.0
    low_rounds, low_mass, source = _low_support(data, min_support)
    diagnostics: dict[str, float | int | str] = {
        "n_rounds": n,
        "n_actions": data.n_actions,
        "n_positions": data.n_positions,
        "ess": ess,
        "ess_fraction": ess / n,
        "weight_mean": total / n,
        "weight_min": float(w.min()),
        "weight_max": float(w.max()),
        "max_weight_share": float(w.max()) / total if total > 0 else 0.0,
        "pscore_min": float(data.pscore.min()),
        "min_support": min_support,
        "low_support_rounds": low_rounds,
        "low_support_mass": low_mass,
        "support_from": source,
    }
    if math.isfinite(clip):
        diagnostics["clip"] = clip
        diagnostics["clipped_fraction"] = float(np.mean(w > clip))
    return diagnostics


def _low_support(data: LoggedBanditData, min_support: float) -> tuple[float, float, str]:
    if data.pi_b_rounds is not None:
        support = data.pi_b_rounds
        source = "pi_b"
    else:
        # Logged frequency of each action at each position stands in for the logging probability.
        counts = np.zeros((data.n_positions, data.n_actions))
        np.add.at(counts, (data.positions, data.action), 1.0)
        per_position = counts.sum(axis=1, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            frequency = np.where(per_position > 0, counts / per_position, 0.0)
        support = frequency[data.positions]
        source = "logged frequency"
    low = support < min_support
    mass = np.where(low, data.pi_e_rounds, 0.0).sum(axis=1)
    return float(np.mean(mass > 0)), float(mass.mean()), source


@dataclass(frozen=True, kw_only=True)
class OPEReport:
    """Estimates with confidence intervals, diagnostics and plain-language warnings for one policy."""

    estimates: dict[str, tuple[float, float, float]]
    """{estimator name: (value, ci_lo, ci_hi)}; nan where undefined."""
    diagnostics: dict[str, float | int | str]
    """See `diagnose`, plus n_bootstrap, ci_level and reward_min/reward_max."""
    warnings: list[str] = field(default_factory=list)
    """Why the estimates may not be trusted; empty when nothing looks wrong."""

    def lower_bound(self, name: str) -> float:
        """Lower end of the confidence interval of estimator `name` (for promotion gates)."""
        return self.estimates[name][1]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: {"estimates": {name: {"value", "ci": [lo, hi]}}, "diagnostics", "warnings"}."""
        return {
            "estimates": {
                name: {"value": _json_float(v), "ci": [_json_float(lo), _json_float(hi)]}
                for name, (v, lo, hi) in self.estimates.items()
            },
            "diagnostics": {
                k: _json_float(v) if isinstance(v, float) else v for k, v in self.diagnostics.items()
            },
            "warnings": list(self.warnings),
        }


def _json_float(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def evaluate(
    data: LoggedBanditData,
    estimators: Sequence[Estimator] | None = None,
    *,
    n_bootstrap: int = DEFAULT_N_BOOTSTRAP,
    alpha: float = 0.05,
    random_state: int | np.random.Generator | None = None,
    reward_range: tuple[float, float] | None = None,
    min_support: float = MIN_SUPPORT,
) -> OPEReport:
    """Estimate pi_e's value with every estimator, bootstrap CIs, diagnostics and warnings.

    `estimators` defaults to `default_estimators()`; without q_hat in the data the model-based ones
    (DM, DR, SNDR) are then left out with a warning. `n_bootstrap=0` skips the intervals (nan).
    `reward_range` (default: the observed min and max reward) is what an estimate must lie within.
    """
    notes: list[str] = []
    if estimators is None:
        estimators = default_estimators()
        if data.q_hat is None:
            estimators = [e for e in estimators if not _needs_model(e)]
            notes.append("no q_hat in the data: DM, DR and SNDR need a reward model and were skipped")
    names = [e.name for e in estimators]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"estimator names must be distinct; repeated: {', '.join(duplicates)}")
    if n_bootstrap != 0:
        _check_bootstrap_args(n_bootstrap, alpha)

    points = {e.name: e.estimate(data) for e in estimators}
    if n_bootstrap:
        resampled = _bootstrap_means(data, estimators, n_bootstrap, np.random.default_rng(random_state))
        intervals = {
            e.name: _percentile_interval(v, alpha) for e, v in zip(estimators, resampled, strict=True)
        }
        for e, v in zip(estimators, resampled, strict=True):
            undefined = int(np.sum(~np.isfinite(v)))
            if undefined:
                notes.append(
                    f"{e.name.upper()} is undefined on {undefined:,} of {n_bootstrap:,} bootstrap resamples "
                    "(no importance weight at all); its interval uses the rest"
                )
    else:
        intervals = {e.name: (math.nan, math.nan) for e in estimators}

    clips = [e.clip for e in estimators if isinstance(e, _Weighted) and math.isfinite(e.clip)]
    diagnostics = diagnose(data, min_support=min_support, clip=min(clips, default=math.inf))
    low, high = (
        reward_range if reward_range is not None else (float(data.reward.min()), float(data.reward.max()))
    )
    diagnostics.update(
        n_bootstrap=int(n_bootstrap), ci_level=1 - alpha, reward_min=float(low), reward_max=float(high)
    )
    report_warnings = (
        _weight_warnings(diagnostics)
        + _range_warnings(points, low, high)
        + _model_warnings(points, intervals, 1 - alpha)
        + notes
    )
    return OPEReport(
        estimates={name: (points[name], *intervals[name]) for name in points},
        diagnostics=diagnostics,
        warnings=report_warnings,
    )


def _needs_model(estimator: Estimator) -> bool:
    return isinstance(estimator, DirectMethod | DoublyRobust | SelfNormalizedDoublyRobust)


def _count(x: float) -> str:
    return f"{x:,.1f}" if x < 10 else f"{x:,.0f}"


def _weight_warnings(d: dict[str, float | int | str]) -> list[str]:
    n = int(d["n_rounds"])
    ess = float(d["ess"])
    out = []
    if ess < max(_ESS_MIN_ROUNDS, _ESS_MIN_FRACTION * n):
        out.append(
            f"effective sample size {_count(ess)} of {n:,} ({ess / n:.2%}): "
            "estimates are unreliable (importance weighting rests on a handful of rounds)"
        )
    share = float(d["max_weight_share"])
    if share > _MAX_WEIGHT_SHARE:
        out.append(
            f"max weight {_count(float(d['weight_max']))} (min propensity {float(d['pscore_min']):.3g}): "
            f"one round carries {share:.0%} of all importance weight"
        )
    mean = float(d["weight_mean"])
    if abs(mean - 1) > _MEAN_WEIGHT_SLACK:
        out.append(
            f"mean importance weight {mean:.3g}, expected about 1: propensities may be wrong, pi_e may leave "
            "the logged support, or a few huge weights dominate"
        )
    if float(d["low_support_mass"]) > _LOW_SUPPORT_MASS:
        out.append(
            f"pi_e puts {float(d['low_support_mass']):.1%} of its probability on actions the logs support "
            f"below {float(d['min_support']):g} (from {d['support_from']}), in "
            f"{float(d['low_support_rounds']):.0%} of rounds: that part of its value is barely observed"
        )
    return out


def _model_warnings(
    points: dict[str, float], intervals: dict[str, tuple[float, float]], level: float
) -> list[str]:
    # DR corrects DM with the logged rewards; DM outside DR's interval means q_hat itself is off.
    if "dm" not in points or "dr" not in intervals:
        return []
    dm, (lo, hi) = points["dm"], intervals["dr"]
    if math.isfinite(lo) and math.isfinite(hi) and not lo <= dm <= hi:
        return [
            f"DM ({dm:.3g}) lies outside DR's {level:.0%} interval [{lo:.3g}, {hi:.3g}]: "
            "the reward model q_hat looks biased, so trust DR/SNDR over DM"
        ]
    return []


def _range_warnings(points: dict[str, float], low: float, high: float) -> list[str]:
    out = []
    span = f"the reward range [{low:g}, {high:g}]"
    for name, value in points.items():
        label = name.upper()
        if not math.isfinite(value):
            out.append(f"{label} is undefined (pi_e gives no weight to any logged action)")
        elif value < low and low >= 0 > value:
            out.append(f"{label} is negative ({value:.3g}), outside {span}")
        elif value < low:
            out.append(f"{label} is {value:.3g}, below {span}")
        elif value > high:
            out.append(f"{label} is {value:.3g}, above {span}")
    return out
