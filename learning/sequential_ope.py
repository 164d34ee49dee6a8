"""Off-policy estimates of a policy's value over whole conversations, with episode bootstrap and diagnostics.

Every estimator is a small frozen dataclass over `LoggedTrajectories`. Notation: episode i has steps
t = 0..T_i-1 with logged action a_t, probability pscore_t, reward r_t (of one objective: "G", "success",
"turns"); rho_t = prod_{k<=t} pi_e(a_k | s_k) / pscore_k is the cumulative importance weight (rho_{-1}
= 1); q_t = q_hat(s_t, a_t) and v_t = sum_a pi_e(a | s_t) q_hat(s_t, a) come from a critic (fitted-Q
evaluation). After its last step an episode stays in an absorbing state with reward 0 and ratio 1, so
its weight stays rho_{T_i-1}: the self-normalizing sums at step t run over all n episodes.

The estimators live in learning/trajectory_estimators.py, the per-step means and the episode
bootstrap they share in trajectory_resampling.py, the diagnostics and warnings in
trajectory_diagnostics.py; this module runs them together into a report, and pairs two policies on one
log for the promotion gate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from learning.trajectories import OBJECTIVE, LoggedDataError, LoggedTrajectories
from learning.trajectory_diagnostics import (
    critic_warnings,
    range_warnings,
    trajectory_diagnostics,
    weight_warnings,
)
from learning.trajectory_estimators import (
    DEFAULT_N_BOOTSTRAP,
    TrajectoryEstimator,
    check_names,
    default_estimators,
)
from learning.trajectory_resampling import Column, Design, check_bootstrap_args, percentile_interval

__all__ = [
    "DEFAULT_OBJECTIVES",
    "PairedDifference",
    "TrajectoryOPEReport",
    "evaluate_trajectories",
    "paired_difference",
]

DEFAULT_OBJECTIVES = ("G", "success", "turns")
"""The objectives a report estimates: the conversation's return, and its two parts."""


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
    check_names(chosen)
    objectives = list(objectives)
    if not objectives:
        raise ValueError("objectives is empty: name at least one reward to estimate")
    repeated = sorted({o for o in objectives if objectives.count(o) > 1})
    if repeated:
        raise ValueError(f"objectives must be distinct; repeated: {', '.join(repeated)}")
    for objective in objectives:
        data.reward(objective)
    if n_bootstrap != 0:
        check_bootstrap_args(n_bootstrap, alpha)

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

    design = Design(data, [c for objective, e in plan for c in e._columns(data, objective)])
    point_means = design.point()
    points = {(o, e.name): float(e._combine(point_means, o)[0]) for o, e in plan}
    intervals: dict[tuple[str, str], tuple[float, float]] = {}
    if n_bootstrap:
        means = design.resampled(n_bootstrap, np.random.default_rng(random_state))
        for objective, estimator in plan:
            values = estimator._combine(means, objective)
            intervals[(objective, estimator.name)] = percentile_interval(values, alpha)
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
    report_warnings = weight_warnings(diagnostics)
    for objective, rows in estimates.items():
        returns = data.returns(objective)
        row_points = {name: v for name, (v, _, _) in rows.items()}
        row_intervals = {name: (lo, hi) for name, (_, lo, hi) in rows.items()}
        report_warnings += range_warnings(row_points, objective, float(returns.min()), float(returns.max()))
        report_warnings += critic_warnings(row_points, row_intervals, objective, 1 - alpha)
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


def _prefixed(columns: Sequence[Column], prefix: str) -> list[Column]:
    return [Column(prefix + c.key, c.values, c.carried) for c in columns]


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
    check_bootstrap_args(n_bootstrap, alpha)
    design = Design(
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
        ci=percentile_interval(resampled, alpha),
        candidate=float(candidate[0]),
        current=float(current[0]),
        n_bootstrap=int(n_bootstrap),
        ci_level=1 - alpha,
        undefined_resamples=int(np.sum(~np.isfinite(resampled))),
    )
