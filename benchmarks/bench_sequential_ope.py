"""Time of trajectory-level off-policy evaluation at the promotion gate's scale.

Method: a generated log shaped like the app's held-out conversations (default 12,000 conversations of
1 to 30 decisions, about 5 on average, so about 60,000 steps; 8 prompt types, some steps where the
person asked directly and only one action was available, a logging policy with a floor on every
available action, a near-greedy evaluation policy, a critic per objective). Each call is timed with
perf_counter after one warm-up call, over --repeats runs with the same seed; medians and ranges are
printed:
  - building and validating the LoggedTrajectories;
  - evaluate_trajectories: 6 estimators x 3 objectives (G, success, turns), point estimates only, and
    with --bootstrap episode resamples (confidence intervals, diagnostics, warnings);
  - paired_difference (WDR on G, candidate vs current on the same conversations), --bootstrap resamples.
For scale, the same 18 intervals computed the straightforward way (a Python loop over resamples, each
drawing conversations and recomputing every estimator on padded (episodes x steps) arrays) are timed
once for --naive resamples. With --fqe, one cross-fitted fitted-Q evaluation (default gradient-boosted
trees, 10 iterations, 2 folds, one objective) is timed once. The process's peak resident memory ends
the report.

Usage: .venv/bin/python benchmarks/bench_sequential_ope.py [--episodes 12000] [--repeats 5]
       [--bootstrap 2000] [--naive 100] [--fqe]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from learning.fqe import FittedQEvaluation
from learning.sequential_ope import evaluate_trajectories, paired_difference
from learning.trajectories import LoggedTrajectories

OBJECTIVES = ("G", "success", "turns")


def conversation_arrays(n_episodes: int, n_actions: int = 8, seed: int = 0) -> dict[str, Any]:
    """Arrays of a log shaped like the dialogue policy's held-out conversations."""
    rng = np.random.default_rng(seed)
    lengths = np.minimum(rng.geometric(0.22, n_episodes), 30)
    n = int(lengths.sum())
    available = rng.random((n, n_actions)) < 0.75
    direct = rng.random(n) < 0.08  # the person asked for something: one action, probability 1
    available[direct] = False
    available[np.arange(n), rng.integers(0, n_actions, n)] = True
    # Logging policy: softmax of random scores over the available actions, floored at 5 %.
    scores = np.where(available, np.exp(rng.normal(0, 1, (n, n_actions))), 0.0)
    pi_b = scores / scores.sum(axis=1, keepdims=True)
    pi_b = np.where(available, np.maximum(pi_b, 0.05), 0.0)
    pi_b /= pi_b.sum(axis=1, keepdims=True)
    action = (pi_b.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    # Evaluation policy: 90 % on its favourite available action, the rest spread over the others.
    favourite = np.where(available, rng.random((n, n_actions)), -1).argmax(axis=1)
    spread = available / available.sum(axis=1, keepdims=True)
    pi_e = 0.1 * spread
    pi_e[np.arange(n), favourite] += 0.9
    success = np.zeros(n)
    success[np.cumsum(lengths) - 1] = rng.random(n_episodes) < 0.85
    turns = np.where(rng.random(n) < 0.15, 2.0, 1.0)
    turns[np.r_[0, np.cumsum(lengths)[:-1]]] += 1  # the opening turn
    critic = {
        "success": np.clip(rng.normal(0.8, 0.1, (n, n_actions)), 0, 1) * available,
        "turns": np.clip(rng.normal(4, 1, (n, n_actions)), 0, None) * available,
    }
    critic["G"] = critic["success"] - 0.05 * critic["turns"]
    return {
        "episode": np.repeat(np.arange(n_episodes), lengths),
        "action": action,
        "pscore": pi_b[np.arange(n), action],
        "available": available,
        "rewards": {"G": success - 0.05 * turns, "success": success, "turns": turns},
        "pi_e": pi_e,
        "pi_b": pi_b,
        "features": rng.normal(size=(n, 12)),
        "q_hat": critic,
    }


def naive_intervals(data: LoggedTrajectories, n_bootstrap: int) -> None:
    """Reference point: one resample at a time, all 18 estimates recomputed on padded arrays."""
    rng = np.random.default_rng(0)
    horizon = int(data.episode_lengths.max())
    n = data.n_episodes

    def pad(values: np.ndarray, fill: np.ndarray | float = 0.0) -> np.ndarray:
        out = np.empty((n, horizon))
        out[:] = fill if np.ndim(fill) == 0 else np.asarray(fill)[:, None]
        out[data.episode_index, data.step_index] = values
        return out

    rho = pad(data.cumulative_weights, data.final_weights)
    prev = np.ones((n, horizon))
    prev[:, 1:] = rho[:, :-1]
    alive = pad(np.ones(data.n_steps))
    final = data.final_weights
    per_objective = {}
    for o in OBJECTIVES:
        r = pad(data.reward(o))
        q = pad(np.asarray(data.logged_values(o)))
        v = pad(np.asarray(data.state_values(o)))
        per_objective[o] = (r, q, v)
    values = np.empty((n_bootstrap, len(OBJECTIVES), 6))
    for b in range(n_bootstrap):
        i = rng.integers(0, n, n)
        rho_i, prev_i, alive_i, final_i = rho[i], prev[i], alive[i], final[i]
        norm, norm_prev = rho_i.sum(axis=0), prev_i.sum(axis=0)
        for k, o in enumerate(OBJECTIVES):
            r, q, v = (a[i] for a in per_objective[o])
            residual = rho_i * (r - q) * alive_i
            baseline = prev_i * v * alive_i
            values[b, k] = (
                np.mean(final_i * r.sum(axis=1)),
                np.mean((rho_i * r).sum(axis=1)),
                np.sum(rho_i * r / norm),
                np.mean(v[:, 0]),
                np.mean((residual + baseline).sum(axis=1)),
                np.sum(residual / norm + baseline / norm_prev),
            )
    np.quantile(values, [0.025, 0.975], axis=0)


def timed(fn: Callable[[], object], repeats: int) -> list[float]:
    fn()  # warm-up: cached weights, BLAS start-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = ", load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    except OSError:
        load = ""
    return (
        f"{cpu}, {os.cpu_count()} logical CPUs{load}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )


def line(label: str, times: list[float]) -> str:
    return (
        f"  {label:<58} median {statistics.median(times) * 1000:8.1f} ms "
        f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=12_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--naive", type=int, default=100, help="resamples for the Python-loop reference")
    parser.add_argument("--fqe", action="store_true", help="also time one fitted-Q evaluation")
    args = parser.parse_args()
    if min(args.episodes, args.repeats, args.bootstrap, args.naive) < 1:
        parser.error("--episodes, --repeats, --bootstrap and --naive must be >= 1")

    arrays = conversation_arrays(args.episodes)
    data = LoggedTrajectories(**arrays)
    print(f"machine: {machine()}")
    print(
        f"log: {data.n_episodes:,} conversations, {data.n_steps:,} steps "
        f"({data.n_steps / data.n_episodes:.1f} a conversation, at most {int(data.episode_lengths.max())}), "
        f"{data.n_actions} actions; median of {args.repeats} runs after a warm-up (perf_counter)"
    )
    print(
        line("build + validate LoggedTrajectories", timed(lambda: LoggedTrajectories(**arrays), args.repeats))
    )
    print(
        line(
            "evaluate_trajectories, 6 estimators x 3 objectives, no CIs",
            timed(partial(evaluate_trajectories, data, n_bootstrap=0), args.repeats),
        )
    )
    report_times = timed(
        partial(evaluate_trajectories, data, n_bootstrap=args.bootstrap, random_state=0), args.repeats
    )
    print(line(f"evaluate_trajectories, 18 estimates, {args.bootstrap:,} resamples", report_times))
    print(
        line(
            f"paired_difference (WDR, G), {args.bootstrap:,} resamples",
            timed(partial(paired_difference, data, data, "wdr", "G", args.bootstrap, 0), args.repeats),
        )
    )
    start = time.perf_counter()
    naive_intervals(data, args.naive)
    naive = time.perf_counter() - start
    ours_per_resample = statistics.median(report_times) / args.bootstrap
    print(
        f"  Python loop over resamples, same 18 estimates: {naive:.1f} s for {args.naive:,} resamples "
        f"({naive / args.naive * 1000:.1f} ms a resample against {ours_per_resample * 1000:.2f} ms here)"
    )
    if args.fqe:
        start = time.perf_counter()
        FittedQEvaluation(n_iterations=10, folds=2, random_state=0).fit(data, "G")
        print(
            f"  FittedQEvaluation.fit (trees, 10 iterations, 2 folds, one objective, one thread): "
            f"{time.perf_counter() - start:.1f} s"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory of this process: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
