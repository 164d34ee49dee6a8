"""How far importance weighting over whole conversations can be trusted on a log, and the warnings a
trajectory OPE report carries when it cannot."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from learning.trajectories import LoggedTrajectories

__all__ = ["critic_warnings", "range_warnings", "trajectory_diagnostics", "weight_warnings"]

_ESS_MIN_EPISODES = 30
_ESS_MIN_FRACTION = 0.01
_MAX_WEIGHT_SHARE = 0.05
_MEAN_WEIGHT_SLACK = 0.1
_ZERO_WEIGHT_SHARE = 0.5


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


def weight_warnings(d: Mapping[str, float | int]) -> list[str]:
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


def range_warnings(points: Mapping[str, float], objective: str, low: float, high: float) -> list[str]:
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


def critic_warnings(
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
