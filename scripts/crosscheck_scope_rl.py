"""Cross-check the sequential OPE estimators against SCOPE-RL 0.2.1 on the same logged data.

SCOPE-RL (Kiyohara et al., `scope_rl.ope.discrete`) is the sequential sibling of Open Bandit Pipeline.
Its estimators take trajectories of one fixed length, so each log is padded: after its last step an
episode gets absorbing steps with reward 0, pscore 1, pi_e 1 on one action and critic 0, which is the
convention tunetalk's estimators follow for conversations of different lengths. Every episode gets at
least one padding step, where `done` is set: SCOPE-RL's `OffPolicyEvaluation` zeroes rewards from the
`done` step on (`disable_reward_after_done=True`, its default), so marking `done` on an episode's last
real step would drop that step's reward (the success of an accepted conversation). Both placements are
shown.

Logs: the toy conversation MDP (`learning.toy_conversations`, 3 actions, a step where only
PLAY is available, a cross-fitted tabular fitted-Q critic) for two target policies, and a random log
(8 actions, random availability, episodes of 1 to 40 steps, a random critic).

Needs the training extras (pip install -r requirements-train.txt). Usage:
  .venv/bin/python scripts/crosscheck_scope_rl.py [--episodes 2000] [--seed 0] [--bootstrap 10000] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from learning.fqe import with_fitted_critic
from learning.toy_conversations import (
    CellMeanRegressor,
    ToyConversations,
    policy_table,
    uniform_policy,
)
from learning.trajectories import LoggedTrajectories
from learning.trajectory_estimators import default_estimators

OBJECTIVES = ("G", "success", "turns")
SCOPE_NAMES = {
    "tis": "TrajectoryWiseImportanceSampling",
    "pdis": "PerDecisionImportanceSampling",
    "wpdis": "SelfNormalizedPDIS",
    "dm": "DirectMethod",
    "dr": "DoublyRobust",
    "wdr": "SelfNormalizedDR",
}
"""tunetalk's estimator -> the SCOPE-RL class computing the same quantity."""


def toy_logs(n_episodes: int, seed: int) -> dict[str, LoggedTrajectories]:
    env = ToyConversations()
    logging = policy_table(env.horizon, lambda t, known: (0.4, 0.25, 0.35))
    best = env.optimal_policy()
    soft = 0.8 * best + 0.2 * uniform_policy(env.horizon)
    soft[:, :, 1] = best[:, :, 1]
    out = {}
    for label, target in (("toy MDP, best policy", best), ("toy MDP, softened best", soft)):
        data = env.simulate(logging, n_episodes, np.random.default_rng(seed), target_policy=target)
        out[label] = with_fitted_critic(
            data,
            OBJECTIVES,
            n_iterations=env.horizon,
            random_state=seed,
            make_regressor=lambda s: CellMeanRegressor(),
        )
    return out


def random_log(n_episodes: int, seed: int, n_actions: int = 8) -> LoggedTrajectories:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 41, n_episodes)
    n = int(lengths.sum())
    available = rng.random((n, n_actions)) < 0.6
    available[np.arange(n), rng.integers(0, n_actions, n)] = True

    def distribution(concentration: float) -> np.ndarray:
        p = rng.dirichlet(np.full(n_actions, concentration), size=n) * available
        return p / p.sum(axis=1, keepdims=True)

    pi_b, pi_e = distribution(3.0), distribution(3.0)
    action = (pi_b.cumsum(axis=1) > rng.random((n, 1))).argmax(axis=1)
    success = np.zeros(n)
    success[np.cumsum(lengths) - 1] = rng.random(n_episodes) < 0.8
    turns = rng.integers(1, 3, n).astype(np.float64)
    critic = {k: rng.normal(0.5, 1.0, size=(n, n_actions)) * available for k in OBJECTIVES}
    return LoggedTrajectories(
        episode=np.repeat(np.arange(n_episodes), lengths),
        action=action,
        pscore=pi_b[np.arange(n), action],
        available=available,
        rewards={"G": success - 0.05 * turns, "success": success, "turns": turns},
        pi_e=pi_e,
        pi_b=pi_b,
        q_hat=critic,
    )


def padded(data: LoggedTrajectories, objective: str) -> dict[str, Any]:
    """SCOPE-RL's layout: (n_episodes * horizon) rows, an absorbing padding step after every episode."""
    horizon = int(data.episode_lengths.max()) + 1
    rows = data.n_episodes * horizon
    at = data.episode_index * horizon + data.step_index
    first_pad = np.arange(data.n_episodes) * horizon + data.episode_lengths
    action = np.zeros(rows, dtype=np.int64)
    action[at] = data.action
    pscore = np.ones(rows)
    pscore[at] = data.pscore
    reward = np.zeros(rows)
    reward[at] = data.reward(objective)
    pi_e = np.zeros((rows, data.n_actions))
    pi_e[:, 0] = 1.0
    pi_e[at] = data.pi_e
    q = np.zeros((rows, data.n_actions))
    assert data.q_hat is not None
    q[at] = data.q_hat[objective]
    done_after = np.zeros(rows)
    done_after[first_pad] = 1.0
    done_last = np.zeros(rows)
    done_last[first_pad - 1] = 1.0
    return {
        "step_per_trajectory": horizon,
        "action": action,
        "reward": reward,
        "pscore": pscore,
        "evaluation_policy_action_dist": pi_e,
        "state_action_value_prediction": q,
        "done_on_padding": done_after,
        "done_on_last_step": done_last,
    }


def scope_estimates(arrays: dict[str, Any]) -> dict[str, float]:
    from scope_rl.ope import discrete

    inputs = {k: v for k, v in arrays.items() if not k.startswith("done")}
    return {
        ours: float(getattr(discrete, cls)().estimate_policy_value(**inputs, gamma=1.0))
        for ours, cls in SCOPE_NAMES.items()
    }


def scope_meta_estimates(arrays: dict[str, Any], done_key: str) -> dict[str, float]:
    """Through SCOPE-RL's OffPolicyEvaluation, with its default disable_reward_after_done=True."""
    from scope_rl.ope import OffPolicyEvaluation, discrete

    horizon = arrays["step_per_trajectory"]
    rows = arrays["action"].shape[0]
    logged = {
        "n_trajectories": rows // horizon,
        "action_type": "discrete",
        "n_actions": arrays["evaluation_policy_action_dist"].shape[1],
        "action_dim": None,
        "state_dim": 1,
        "step_per_trajectory": horizon,
        "state": np.zeros((rows, 1)),
        "action": arrays["action"],
        "reward": arrays["reward"],
        "pscore": arrays["pscore"],
        "done": arrays[done_key],
        "terminal": arrays[done_key],
    }
    policy_inputs = {
        "target": {
            "evaluation_policy_action": None,
            "evaluation_policy_action_dist": arrays["evaluation_policy_action_dist"],
            "state_action_value_prediction": arrays["state_action_value_prediction"],
            "initial_state_value_prediction": None,
            "state_action_marginal_importance_weight": None,
            "state_marginal_importance_weight": None,
            "on_policy_policy_value": None,
            "gamma": 1.0,
        }
    }
    ope = OffPolicyEvaluation(
        logged_dataset=logged, ope_estimators=[getattr(discrete, cls)() for cls in SCOPE_NAMES.values()]
    )
    values = ope.estimate_policy_value(policy_inputs)["target"]
    by_class = {getattr(discrete, cls)().estimator_name: ours for ours, cls in SCOPE_NAMES.items()}
    return {by_class[k]: float(v) for k, v in values.items() if k in by_class}


def relative(ours: float, theirs: float) -> float:
    if ours == theirs:
        return 0.0
    return abs(ours - theirs) / max(abs(theirs), 1e-300)


def crosscheck(n_episodes: int, seed: int, n_bootstrap: int) -> dict[str, Any]:
    import scope_rl

    logs = toy_logs(n_episodes, seed)
    logs["random log, 8 actions"] = random_log(n_episodes // 4, seed)
    datasets = []
    worst = 0.0
    for label, data in logs.items():
        table: dict[str, dict[str, dict[str, float]]] = {}
        for objective in OBJECTIVES:
            arrays = padded(data, objective)
            theirs = scope_estimates(arrays)
            rows = {}
            for estimator in default_estimators():
                ours = estimator.estimate(data, objective)
                diff = relative(ours, theirs[estimator.name])
                worst = max(worst, diff)
                rows[estimator.name] = {
                    "ours": ours,
                    "scope_rl": theirs[estimator.name],
                    "relative_difference": diff,
                }
            table[objective] = rows
        datasets.append(
            {
                "log": label,
                "n_episodes": data.n_episodes,
                "n_steps": data.n_steps,
                "padded_horizon": int(data.episode_lengths.max()) + 1,
                "estimates": table,
            }
        )

    # disable_reward_after_done, through SCOPE-RL's OffPolicyEvaluation on the success objective.
    label, data = next(iter(logs.items()))
    arrays = padded(data, "success")
    done = {
        "log": label,
        "objective": "success",
        "ours": {e.name: e.estimate(data, "success") for e in default_estimators()},
        "done_on_padding": scope_meta_estimates(arrays, "done_on_padding"),
        "done_on_last_step": scope_meta_estimates(arrays, "done_on_last_step"),
    }

    # Intervals: SCOPE-RL resamples per-episode values (fine for the unnormalized estimators, whose value
    # is a mean of them); the same distribution as ours, from different random draws.
    from scope_rl.ope import discrete

    inputs = {k: v for k, v in padded(data, "G").items() if not k.startswith("done")}
    from learning.sequential_ope import evaluate_trajectories

    report = evaluate_trajectories(data, objectives=["G"], n_bootstrap=n_bootstrap, random_state=seed)
    intervals = {}
    for name in ("tis", "pdis", "dr"):
        ci = getattr(discrete, SCOPE_NAMES[name])().estimate_interval(
            **inputs, gamma=1.0, n_bootstrap_samples=n_bootstrap, random_state=seed
        )
        lo_key, hi_key = (k for k in ci if "CI" in k)
        _, lo, hi = report.estimates["G"][name]
        intervals[name] = {"ours": [lo, hi], "scope_rl": [float(ci[lo_key]), float(ci[hi_key])]}
    return {
        "versions": {"scope_rl": scope_rl.__version__, "numpy": np.__version__},
        "max_relative_difference": worst,
        "datasets": datasets,
        "disable_reward_after_done": done,
        "intervals_G": {"log": label, "n_bootstrap": n_bootstrap, "estimators": intervals},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=2000, help="conversations per toy log (default 2000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", type=int, default=10_000, help="resamples for the interval comparison")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    args = parser.parse_args()
    if args.episodes < 8 or args.bootstrap < 1:
        parser.error("--episodes must be >= 8 and --bootstrap >= 1")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import scope_rl.ope.discrete  # noqa: F401
    except ImportError as exc:
        print(
            f"crosscheck_scope_rl: SCOPE-RL is not installed ({exc}); pip install -r requirements-train.txt",
            file=sys.stderr,
        )
        return 2
    start = time.perf_counter()
    result = crosscheck(args.episodes, args.seed, args.bootstrap)
    result["seconds"] = time.perf_counter() - start
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"SCOPE-RL {result['versions']['scope_rl']}, numpy {result['versions']['numpy']}; seed {args.seed}")
    for dataset in result["datasets"]:
        print(
            f"\n{dataset['log']}: {dataset['n_episodes']:,} episodes, {dataset['n_steps']:,} steps, "
            f"padded to {dataset['padded_horizon']} steps"
        )
        print(f"  {'objective':<9} {'estimator':<6} {'tunetalk':>14} {'SCOPE-RL':>14} {'rel. diff':>10}")
        for objective, rows in dataset["estimates"].items():
            for name, r in rows.items():
                print(
                    f"  {objective:<9} {name:<6} {r['ours']:>14.10f} {r['scope_rl']:>14.10f} "
                    f"{r['relative_difference']:>10.1e}"
                )
    print(f"\nlargest relative difference: {result['max_relative_difference']:.1e}")
    done = result["disable_reward_after_done"]
    print(f"\nOffPolicyEvaluation (disable_reward_after_done=True) on {done['log']}, success:")
    print(f"  {'estimator':<6} {'tunetalk':>10} {'done on padding':>16} {'done on last step':>18}")
    for name, ours in done["ours"].items():
        print(
            f"  {name:<6} {ours:>10.6f} {done['done_on_padding'][name]:>16.6f} "
            f"{done['done_on_last_step'][name]:>18.6f}"
        )
    intervals = result["intervals_G"]
    print(f"\n95% intervals of G on {intervals['log']}, {intervals['n_bootstrap']:,} resamples each:")
    for name, ci in intervals["estimators"].items():
        (lo, hi), (slo, shi) = ci["ours"], ci["scope_rl"]
        print(f"  {name:<6} tunetalk [{lo:.4f}, {hi:.4f}]   SCOPE-RL [{slo:.4f}, {shi:.4f}]")
    print(f"\n{result['seconds']:.0f} s")
    return (
        0
        if result["max_relative_difference"] <= 1e-9 and not math.isnan(result["max_relative_difference"])
        else 1
    )


if __name__ == "__main__":
    sys.exit(main())
