"""Per-step means over episodes, and the episode bootstrap over them: what every trajectory estimator
(learning/trajectory_estimators.py) is a function of.

Each estimator is a function of per-step means over episodes of a few statistics (the mean over episodes
of rho_t r_t at each t, of rho_t, ...). A bootstrap resample of episodes is a vector of counts, so all
its means come from one matrix product per step position; with episodes sorted longest first, the
episodes still running at step t are a prefix, so that product touches only their steps. That is what
keeps thousands of resamples of tens of thousands of steps to seconds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from learning.trajectories import LoggedTrajectories

__all__ = ["Column", "Design", "check_bootstrap_args", "percentile_interval", "ratio"]

_RESAMPLE_CELLS = 1 << 21  # episode counts per chunk of resamples (16 MB as float64)


@dataclass(frozen=True)
class Column:
    """One per-step statistic; its mean over episodes is taken at every step position t separately."""

    key: str
    values: np.ndarray
    """Value at each logged step, shape (n_steps,)."""
    carried: np.ndarray | None = None
    """Value each episode keeps after its last step (its absorbing state), shape (n_episodes,); None = 0."""


class Design:
    """Columns of one log arranged for resampling episodes: longest episodes first, steps grouped by t.

    With episodes ranked longest first, the episodes still running at step t are ranks 0..alive[t]-1,
    so at each t the means are one product of the first alive[t] counts with that step group's values.
    """

    def __init__(self, data: LoggedTrajectories, columns: Sequence[Column]) -> None:
        unique: dict[str, Column] = {}
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


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return numerator / denominator


def check_bootstrap_args(n_bootstrap: int, alpha: float) -> None:
    if isinstance(n_bootstrap, bool) or not isinstance(n_bootstrap, int | np.integer) or n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be a positive integer, got {n_bootstrap!r}")
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")


def percentile_interval(values: np.ndarray, alpha: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (math.nan, math.nan)
    lo, hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    return (float(lo), float(hi))
