"""Fitted-Q evaluation with intervals that include the critic's own error: the bootstrap refits it.

When the logged conversations rarely follow the evaluated policy all the way (a deterministic policy
over conversations of five decisions, say), importance weighting rests on a handful of conversations and
every estimator built on it swings widely. Fitted-Q evaluation (the direct method) borrows strength across
conversations instead, and is accurate where its critic is; but an interval that holds the critic fixed
covers the truth far less often than it claims (docs/ope.md). Hao, Ji, Duan, Wang and Zhang,
"Bootstrapping Fitted Q-Evaluation for Off-Policy Inference", ICML 2021: resample whole conversations,
refit the critic on each resample, and read the interval off the refitted values. Several policies are
refitted on the same resamples, so their difference has a paired interval too (what the gate needs).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor

from learning.fqe import FittedQEvaluation, Regressor
from learning.trajectories import LoggedTrajectories

if TYPE_CHECKING:
    from learning.engines import Engine

__all__ = ["BootstrapFQE", "FQEInterval", "light_regressor", "replicate", "resample"]


def light_regressor(seed: int) -> Regressor:
    """The critic refitted on every resample: smaller trees than the main critic's, so fifty refits of
    two policies take minutes, not an hour (docs/policy.md measures what that costs in accuracy)."""
    return HistGradientBoostingRegressor(
        max_iter=40, learning_rate=0.2, max_leaf_nodes=15, early_stopping=False, random_state=seed
    )


def resample(data: LoggedTrajectories, episodes: np.ndarray) -> LoggedTrajectories:
    """The logged conversations `episodes` (indices, repeats allowed), as one log."""
    starts = data.episode_starts
    lengths = data.episode_lengths
    steps = np.concatenate([np.arange(starts[e], starts[e] + lengths[e]) for e in episodes])
    renumbered = np.repeat(np.arange(len(episodes)), lengths[episodes])
    return LoggedTrajectories(
        episode=renumbered,
        action=data.action[steps],
        pscore=data.pscore[steps],
        available=data.available[steps],
        rewards={k: v[steps] for k, v in data.rewards.items()},
        pi_e=data.pi_e[steps],
        pi_b=None if data.pi_b is None else data.pi_b[steps],
        features=None if data.features is None else data.features[steps],
        turn_cost=data.turn_cost,
    )


@dataclass(frozen=True)
class FQEInterval:
    value: float
    """The critic fitted on all conversations."""
    ci: tuple[float, float]
    """Percentile interval of the refitted values."""
    replicates: np.ndarray


_JOB: dict[str, object] = {}


def _replicate(b: int) -> dict[str, float]:
    return replicate(_JOB, b)


def replicate(job: Mapping[str, object], b: int) -> dict[str, float]:
    """Replicate `b`: every policy's critic refitted on resample b of the conversations. Seeded by
    (seed, b) alone, so the replicates are the same whichever process or node computes them."""
    datas: Mapping[str, LoggedTrajectories] = job["datas"]  # type: ignore[assignment]
    objective: str = job["objective"]  # type: ignore[assignment]
    seed: int = job["seed"]  # type: ignore[assignment]
    make: Callable[[int], Regressor] = job["make"]  # type: ignore[assignment]
    iterations: int = job["iterations"]  # type: ignore[assignment]
    first = next(iter(datas.values()))
    rng = np.random.default_rng([seed, 17, b])
    episodes = rng.integers(0, first.n_episodes, first.n_episodes)
    out = {}
    for name, data in datas.items():
        fqe = FittedQEvaluation(n_iterations=iterations, folds=1, random_state=seed + b, make_regressor=make)
        out[name] = fqe.fit(resample(data, episodes), objective).value_
    return out


class BootstrapFQE:
    """Bootstrapped fitted-Q evaluation of one or more policies on the same logged conversations."""

    def __init__(
        self,
        *,
        n_replicates: int = 50,
        n_iterations: int = 10,
        alpha: float = 0.05,
        random_state: int = 0,
        make_regressor: Callable[[int], Regressor] | None = None,
        workers: int | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.n_replicates = n_replicates
        self.n_iterations = n_iterations
        self.alpha = alpha
        self.random_state = random_state
        self.make_regressor = make_regressor
        self.workers = workers
        self.engine = engine
        """Where the replicates run (local processes or Ray tasks); None: `workers` forked processes."""

    def fit(self, datas: Mapping[str, LoggedTrajectories], objective: str = "G") -> BootstrapFQE:
        """`datas`: policy name -> the same logged conversations with that policy's pi_e."""
        if not datas:
            raise ValueError("no policy to evaluate")
        make = self.make_regressor or light_regressor
        self.values_ = {
            name: FittedQEvaluation(
                n_iterations=self.n_iterations, folds=1, random_state=self.random_state, make_regressor=make
            )
            .fit(data, objective)
            .value_
            for name, data in datas.items()
        }
        _JOB.update(
            datas=dict(datas),
            objective=objective,
            seed=self.random_state,
            make=make,
            iterations=self.n_iterations,
        )
        workers = self.workers if self.workers is not None else min(2, os.cpu_count() or 1)
        if self.engine is not None:
            # The engine's own workers (forked, or Ray tasks): replicate b is seeded by (seed, b) alone.
            job = dict(_JOB)
            _JOB.clear()
            rows = list(self.engine.map(replicate, job, range(self.n_replicates)))
        elif workers <= 1:
            rows = [_replicate(b) for b in range(self.n_replicates)]
        else:
            # fork: the logs are inherited, not pickled; each replicate returns a few floats.
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                rows = pool.map(_replicate, range(self.n_replicates))
        _JOB.clear()
        self.replicates_ = {name: np.array([r[name] for r in rows]) for name in datas}
        return self

    def _interval(self, values: np.ndarray) -> tuple[float, float]:
        lo, hi = np.percentile(values, [100 * self.alpha / 2, 100 * (1 - self.alpha / 2)])
        return float(lo), float(hi)

    def interval(self, name: str) -> FQEInterval:
        return FQEInterval(self.values_[name], self._interval(self.replicates_[name]), self.replicates_[name])

    def difference(self, candidate: str, current: str) -> FQEInterval:
        """candidate - current, paired: both refitted on every resample."""
        values = self.replicates_[candidate] - self.replicates_[current]
        return FQEInterval(self.values_[candidate] - self.values_[current], self._interval(values), values)
