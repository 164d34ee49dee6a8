"""Bias, RMSE and interval coverage of the sequential OPE estimators against exact values.

The environment is `learning.toy_conversations.ToyConversations` (a tiny conversation MDP
whose every tabular policy has an exact value by backward induction). For each target policy and each
seed, conversations are logged under a randomized logging policy, a cross-fitted fitted-Q critic is fitted
per objective, and every estimator's point estimate and 95 % episode-bootstrap interval are compared with
the target's exact value.

Usage: .venv/bin/python scripts/toy_ope_truth.py [--seeds 100] [--first-seed 0] [--episodes 2000]
       [--bootstrap 500] [--critic tabular|trees] [--objectives G success turns] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from learning.fqe import default_regressor, with_fitted_critic
from learning.sequential_ope import evaluate_trajectories
from learning.toy_conversations import (
    CellMeanRegressor,
    PolicyTable,
    ToyConversations,
    policy_table,
    uniform_policy,
)
from learning.trajectory_estimators import default_estimators

LOGGING = (0.4, 0.25, 0.35)
"""The logging policy's (ask, open, play) at every decision the system leads."""


def targets(env: ToyConversations) -> dict[str, PolicyTable]:
    """The policies evaluated: the best one, a softened best one, uniform, and 'always play'."""
    best = env.optimal_policy()
    soft = 0.8 * best + 0.2 * uniform_policy(env.horizon)
    soft[:, :, 1] = best[:, :, 1]  # direct steps: PLAY only
    return {
        "best": best,
        "soft-best": soft,
        "uniform": uniform_policy(env.horizon),
        "always-play": policy_table(env.horizon, lambda t, known: (0.0, 0.0, 1.0)),
    }


def study(
    *,
    seeds: int,
    episodes: int,
    n_bootstrap: int,
    critic: str,
    objectives: Sequence[str],
    first_seed: int = 0,
) -> dict[str, dict[str, dict[str, dict[str, float]]]]:
    """{policy: {objective: {estimator: {truth, mean, bias, rmse, coverage, ci_width}}}}."""
    env = ToyConversations()
    logging = policy_table(env.horizon, lambda t, known: LOGGING)
    make = (lambda seed: CellMeanRegressor()) if critic == "tabular" else default_regressor
    names = [e.name for e in default_estimators()]
    out: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for label, target in targets(env).items():
        truth = {o: env.value(target, o) for o in objectives}
        values: dict[str, dict[str, list[float]]] = {o: {n: [] for n in names} for o in objectives}
        covered: dict[str, dict[str, list[bool]]] = {o: {n: [] for n in names} for o in objectives}
        widths: dict[str, dict[str, list[float]]] = {o: {n: [] for n in names} for o in objectives}
        for seed in range(first_seed, first_seed + seeds):
            rng = np.random.default_rng(seed)
            data = env.simulate(logging, episodes, rng, target_policy=target)
            data = with_fitted_critic(
                data, objectives, n_iterations=env.horizon, folds=2, random_state=seed, make_regressor=make
            )
            report = evaluate_trajectories(
                data, objectives=objectives, n_bootstrap=n_bootstrap, random_state=seed
            )
            for o in objectives:
                for name, (value, lo, hi) in report.estimates[o].items():
                    values[o][name].append(value)
                    covered[o][name].append(lo <= truth[o] <= hi)
                    widths[o][name].append(hi - lo)
        out[label] = {}
        for o in objectives:
            rows = {}
            for name in names:
                v = np.asarray(values[o][name])
                rows[name] = {
                    "truth": truth[o],
                    "mean": float(np.nanmean(v)),
                    "bias": float(np.nanmean(v) - truth[o]),
                    "rmse": float(np.sqrt(np.nanmean((v - truth[o]) ** 2))),
                    "coverage": float(np.mean(covered[o][name])),
                    "ci_width": float(np.nanmean(widths[o][name])),
                }
            out[label][o] = rows
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds run from here (default 0)")
    parser.add_argument("--episodes", type=int, default=2000)
    parser.add_argument("--bootstrap", type=int, default=500)
    parser.add_argument("--critic", choices=("tabular", "trees"), default="tabular")
    parser.add_argument("--objectives", nargs="+", default=["G", "success", "turns"])
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args()
    if args.seeds < 1 or args.episodes < 2 or args.bootstrap < 1:
        parser.error("--seeds and --bootstrap must be >= 1 and --episodes >= 2")
    unknown = sorted(set(args.objectives) - {"G", "success", "turns"})
    if unknown:
        parser.error(f"unknown objective(s): {', '.join(unknown)} (choose among G, success, turns)")

    start = time.perf_counter()
    table = study(
        seeds=args.seeds,
        episodes=args.episodes,
        n_bootstrap=args.bootstrap,
        critic=args.critic,
        objectives=args.objectives,
        first_seed=args.first_seed,
    )
    elapsed = time.perf_counter() - start
    if args.json:
        print(json.dumps(table, indent=1))
        return 0
    print(
        f"{args.seeds} seeds x {args.episodes:,} logged conversations per target; logging policy "
        f"(ask, open, play) = {LOGGING}; critic: cross-fitted FQE ({args.critic}); "
        f"{args.bootstrap} episode-bootstrap resamples; {elapsed:.0f} s"
    )
    for label, objectives in table.items():
        for o, rows in objectives.items():
            truth = next(iter(rows.values()))["truth"]
            print(f"\n{label}, {o} (exact value {truth:.4f})")
            print(f"  {'estimator':<9} {'bias':>9} {'rmse':>8} {'coverage':>9} {'ci width':>9}")
            for name, r in rows.items():
                print(
                    f"  {name:<9} {r['bias']:>+9.4f} {r['rmse']:>8.4f} "
                    f"{r['coverage']:>9.0%} {r['ci_width']:>9.4f}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
