"""Simulated A/B test: fresh listeners, each policy meets the same ones, outcomes with confidence intervals.

Success = the conversation ended with music the listener accepted (a sample or a station). Abandonment =
the listener left without music ("forget it" or "stop"). Turns = user turns until the end. Value = the
mean return G = 1{accepted} - 0.05 x turns, the product's objective. Rates get Wilson score intervals;
mean turns, value and the paired differences between policies get percentile bootstrap intervals over
listeners (both arms meet the same listeners, so the pairing is kept).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.dialogue.policy import Policy
from assistant.logs.dataset import LogTable
from assistant.music.catalog import Catalog
from learning.batch import simulate
from learning.population import Population
from learning.simulator import ConversationResult
from nlu.meaning import Understander

if TYPE_CHECKING:
    from learning.engines import Engine

__all__ = ["Arm", "compare", "run_arm", "wilson"]

Z95 = 1.959963984540054
TURN_COST = 0.05
"""The price of a user turn in the product's objective G (learning.episodes.DEFAULT_TURN_COST)."""


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def _bootstrap_mean(values: np.ndarray, n_boot: int = 2000, seed: int = 0) -> tuple[float, float]:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(values), size=(n_boot, len(values)))
    means = values[idx].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


@dataclass
class Arm:
    """One policy's outcomes on a population."""

    name: str
    results: list[ConversationResult]
    table: LogTable | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.results)

    @property
    def success(self) -> np.ndarray:
        return np.array([r.status == "accepted" for r in self.results], dtype=float)

    @property
    def abandoned(self) -> np.ndarray:
        return np.array([r.status in ("abandoned", "stopped") for r in self.results], dtype=float)

    @property
    def turns(self) -> np.ndarray:
        return np.array([r.turns for r in self.results], dtype=float)

    @property
    def returns(self) -> np.ndarray:
        """Each conversation's G = 1{accepted} - 0.05 x (user turns)."""
        return self.success - TURN_COST * self.turns

    def action_mix(self) -> dict[str, float]:
        counts = Counter(a for r in self.results for a in r.actions)
        total = sum(counts.values()) or 1
        return {a: counts[a] / total for a in sorted(counts, key=lambda a: -counts[a])}

    def first_prompt_mix(self) -> dict[str, float]:
        """Which prompt opens the conversation: what a policy believes in most when it knows least."""
        counts = Counter(r.actions[0] for r in self.results if r.actions)
        total = sum(counts.values()) or 1
        return {a: counts[a] / total for a in sorted(counts, key=lambda a: -counts[a])}

    def summary(self) -> dict[str, Any]:
        k = int(self.success.sum())
        abandoned = int(self.abandoned.sum())
        matches = [r.satisfied for r in self.results if r.satisfied is not None]
        return {
            "success_rate": k / self.n,
            "success_ci": list(wilson(k, self.n)),
            "mean_turns": float(self.turns.mean()),
            "turns_ci": list(_bootstrap_mean(self.turns)),
            "abandon_rate": abandoned / self.n,
            "abandon_ci": list(wilson(abandoned, self.n)),
            "value": float(self.returns.mean()),
            "value_ci": list(_bootstrap_mean(self.returns)),
            # Ground truth only a simulator has: how well the accepted music matched the hidden taste.
            "accepted_match": float(np.mean(matches)) if matches else None,
        }


def run_arm(
    name: str,
    make_policy: Callable[[], Policy],
    n: int,
    catalog: Catalog,
    population: Population,
    *,
    seed: int,
    workers: int | None = None,
    record: bool = False,
    progress: Callable[[int], None] | None = None,
    make_understander: Callable[[Catalog], Understander] | None = None,
    history: bool = False,
    engine: Engine | None = None,
) -> Arm:
    """One policy on `n` listeners drawn from `seed`; `history`: the assistant reads their listening
    histories (the same listeners either way; without it each is a cold start). `engine`: where the
    conversations run (learning.engines; default forked processes): the same results on any."""
    run = simulate(
        n,
        catalog,
        population,
        make_policy,
        seed=seed,
        workers=workers,
        record=record,
        progress=progress,
        make_understander=make_understander,
        history=history,
        engine=engine,
    )
    return Arm(name, run.results, run.table)


def compare(treatment: Arm, control: Arm, n_boot: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Relative success gain, relative turn reduction and the gain in value G of treatment over control,
    with paired bootstrap CIs. Arms of different sizes are compared on the listeners both met (the first
    n of the same seed)."""
    n = min(treatment.n, control.n)
    s_t, s_c = treatment.success[:n], control.success[:n]
    t_t, t_c = treatment.turns[:n], control.turns[:n]
    g_t, g_c = treatment.returns[:n], control.returns[:n]
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, size=(n_boot, n))
    gain = s_t[idx].mean(axis=1) / np.maximum(s_c[idx].mean(axis=1), 1e-12) - 1.0
    fewer = 1.0 - t_t[idx].mean(axis=1) / t_c[idx].mean(axis=1)
    value = (g_t - g_c)[idx].mean(axis=1)
    return {
        "relative_success_gain": float(s_t.mean() / max(s_c.mean(), 1e-12) - 1.0),
        "relative_success_gain_ci": [float(np.percentile(gain, 2.5)), float(np.percentile(gain, 97.5))],
        "turn_reduction": float(1.0 - t_t.mean() / t_c.mean()),
        "turn_reduction_ci": [float(np.percentile(fewer, 2.5)), float(np.percentile(fewer, 97.5))],
        "value_gain": float((g_t - g_c).mean()),
        "value_gain_ci": [float(np.percentile(value, 2.5)), float(np.percentile(value, 97.5))],
        "n_paired": int(n),
    }
