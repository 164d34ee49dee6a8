"""Benchmark row: d3rlpy's discrete CQL beside fitted-Q trees, on the same logged conversations.

Method: N conversations (default 20,000) of the default population under the exploring logging policy
(`TRAINING_MIX`, seed 0, the same as `train`), turned into episodes whose per-step rewards sum to
G = 1{accepted} - 0.05 x user turns; three quarters of the conversations (drawn whole, the split of
`train`) train both learners:

- fitted-Q iteration with LightGBM trees (learning.fitted_q, the shipped learner's settings);
- d3rlpy 2.8.1 DiscreteCQL: a 2 x 256 MLP Q-function over the same state features (standardized), no
  discount (G is undiscounted and conversations last a handful of decisions), `--cql-steps` gradient
  steps on the CPU build of torch, one thread, conservative weight `--cql-alpha`. Which alpha to ship
  would be chosen like the tree library, by held-out OPE, never by the live figures.

Both act greedily over the prompts available at the turn. CQL's Q-function is trained over every prompt
(d3rlpy has no per-state action mask), so its bootstrap target may reach for a prompt that was not
available in the next state; the conservative penalty pushes such unlogged prompts down, and at decision
time only available prompts are considered. Each learner is then judged two ways: trajectory OPE (fitted-Q
evaluation and doubly robust, bootstrap over conversations) on the held-out quarter, and the truth:
success, turns and G of the policy running live on `--listeners` fresh simulated listeners (seed
1,000,003, the A/B's), the same listeners for every row. The shipped learned policy and rules-tuned meet
the same listeners as the same-run baselines.

Needs the training extras (requirements-train.txt: torch CPU build, d3rlpy); not a runtime dependency.

Usage: python benchmarks/bench_offline_rl.py [--conversations 20000] [--listeners 2000]
       [--cql-steps 30000] [--cql-alpha 1.0] [--seed 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.dialogue.actions import ACTIONS, Action
from assistant.dialogue.policy import PolicyOutput
from assistant.dialogue.state import DialogueState
from assistant.music.catalog import load_catalog
from assistant.policies.store import load_policy
from learning.ab import run_arm
from learning.batch import simulate
from learning.conversation_training import trajectories
from learning.episodes import Episodes, episodes_from_log
from learning.fitted_q import FittedQ, greedy_available
from learning.logging_policy import TRAINING_MIX, ExplorationPolicy
from learning.population import load_population
from learning.sequential_ope import evaluate_trajectories

FRESH_SEED = 1_000_003
"""The A/B's listeners: neither training (0) nor tuning (2,000,003) meets them."""


class QPolicy:
    """Greedy over the available prompts of a Q-function of the state features (any learner's)."""

    def __init__(self, name: str, q_all: Callable[[np.ndarray], np.ndarray], feature_names: Sequence[str]):
        self.name = name
        self.q_all = q_all
        self.feature_names = tuple(feature_names)

    def decide(
        self, state: DialogueState, available: Sequence[Action], features: dict[str, float]
    ) -> PolicyOutput:
        x = np.array([[features[n] for n in self.feature_names]], dtype=np.float32)
        q = self.q_all(np.nan_to_num(x))[0]
        best = max(available, key=lambda a: q[ACTIONS.index(a)])
        scores = {a: float(q[ACTIONS.index(a)]) for a in available}
        return PolicyOutput({a: float(a is best) for a in available}, scores)


def _maker(
    name: str, q_all: Callable[[np.ndarray], np.ndarray], names: Sequence[str]
) -> Callable[[], QPolicy]:
    return lambda: QPolicy(name, q_all, names)


def _split(episodes: Episodes, seed: int) -> tuple[Episodes, Episodes]:
    rng = np.random.default_rng([seed, 5])  # the split of learning.conversation_training.train_fitted_q
    held_out = rng.random(episodes.n_episodes) < 0.25
    return episodes.subset(~held_out), episodes.subset(held_out)


def _fit_cql(
    train: Episodes, steps: int, seed: int, alpha: float
) -> tuple[Callable[[np.ndarray], np.ndarray], Any]:
    import logging

    import d3rlpy
    import structlog
    import torch

    # d3rlpy reports every epoch through structlog at info level; the benchmark prints its own table.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    torch.set_num_threads(1)
    d3rlpy.seed(seed)
    dataset = d3rlpy.dataset.MDPDataset(
        observations=np.nan_to_num(train.features).astype(np.float32),
        actions=train.action.astype(np.int64),
        rewards=train.reward.astype(np.float32),
        terminals=train.last.astype(np.float32),
        action_space=d3rlpy.constants.ActionSpace.DISCRETE,
        action_size=len(ACTIONS),
    )
    cql = d3rlpy.algos.DiscreteCQLConfig(
        batch_size=256,
        learning_rate=3e-4,
        gamma=1.0,
        alpha=alpha,
        target_update_interval=2000,
        observation_scaler=d3rlpy.preprocessing.StandardObservationScaler(),
    ).create(device="cpu:0")
    cql.fit(
        dataset,
        n_steps=steps,
        n_steps_per_epoch=max(1, steps // 10),
        show_progress=False,
        save_interval=10**9,
        logger_adapter=d3rlpy.logging.NoopAdapterFactory(),
    )

    def q_all(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        n, k = len(x), len(ACTIONS)
        values = cql.predict_value(np.repeat(x, k, axis=0), np.tile(np.arange(k), n))
        return np.asarray(values, dtype=np.float64).reshape(n, k)

    return q_all, cql


def _ope(test: Episodes, q_all: Callable[[np.ndarray], np.ndarray], seed: int) -> dict[str, list[float]]:
    pi = greedy_available(q_all(np.nan_to_num(test.features)), test.available)
    report = evaluate_trajectories(trajectories(test, pi, seed=seed), objectives=("G",), random_state=seed)
    return {name: list(report.estimates["G"][name]) for name in ("dm", "dr")}


def _live(name: str, make: Callable[[], Any], args: argparse.Namespace, catalog: Any, population: Any) -> Any:
    # One worker: a torch model is not forked into the simulation's workers.
    return run_arm(name, make, args.listeners, catalog, population, seed=FRESH_SEED, workers=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--listeners", type=int, default=2000, help="fresh listeners per policy")
    parser.add_argument("--cql-steps", type=int, default=30_000)
    parser.add_argument(
        "--cql-alpha", type=float, default=1.0, help="CQL's conservative weight (d3rlpy's default 1)"
    )
    parser.add_argument("--workers", type=int, default=2, help="processes simulating the training logs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        import d3rlpy
        import torch
    except ImportError as exc:
        print(f"bench_offline_rl: needs the training extras (requirements-train.txt): {exc}", file=sys.stderr)
        return 2

    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch "
        f"{torch.__version__}, d3rlpy {d3rlpy.__version__}, load average {os.getloadavg()[0]:.1f} at start"
    )
    catalog, population = load_catalog(), load_population("default")
    t = time.perf_counter()
    run = simulate(
        args.conversations, catalog, population, lambda: ExplorationPolicy(mix=TRAINING_MIX),
        seed=args.seed, workers=args.workers,
    )  # fmt: skip
    assert run.table is not None
    episodes = episodes_from_log(run.table)
    train, test = _split(episodes, args.seed)
    timings = {"simulate_and_episodes": time.perf_counter() - t}

    t = time.perf_counter()
    fq = FittedQ(len(ACTIONS), backend="lightgbm", random_state=args.seed).fit(train)
    timings["fit_fitted_q"] = time.perf_counter() - t
    t = time.perf_counter()
    cql_q, _ = _fit_cql(train, args.cql_steps, args.seed, args.cql_alpha)
    timings["fit_cql"] = time.perf_counter() - t

    names = train.feature_names
    learners: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "fitted-q (lightgbm)": fq.q_all,
        "cql (d3rlpy)": cql_q,
    }
    rows: dict[str, dict[str, Any]] = {}
    for name, q_all in learners.items():
        t = time.perf_counter()
        ope = _ope(test, q_all, args.seed)
        arm = _live(name, _maker(name, q_all, names), args, catalog, population)
        rows[name] = {"ope": ope, **arm.summary(), "seconds_evaluated": time.perf_counter() - t}
    for name, make in (
        ("learned (shipped)", lambda: load_policy("learned")),
        ("rules-tuned", lambda: load_policy("rules-tuned")),
    ):
        rows[name] = _live(name, make, args, catalog, population).summary()

    result = {
        "method": (
            f"{episodes.n_episodes:,} exploring conversations (seed {args.seed}), {len(train):,} training "
            f"decisions; CQL {args.cql_steps:,} steps, alpha {args.cql_alpha:g}; live on {args.listeners:,} "
            f"fresh listeners (seed {FRESH_SEED}), the same for every row"
        ),
        "machine": machine,
        "timings_s": timings,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rows": rows,
    }
    if args.json:
        print(json.dumps(result, default=float))
        return 0
    print(f"method: {result['method']}")
    print(f"machine: {machine}")
    print("timings (s): " + ", ".join(f"{k} {v:.0f}" for k, v in timings.items()))
    print(f"peak memory: {result['peak_rss_mb']:.0f} MB")
    print("| learner | held-out FQE G | held-out DR G | live success | live turns | live G |")
    print("|---|---|---|---|---|---|")
    for name, row in rows.items():
        estimated: dict[str, list[float]] | None = row.get("ope")
        cells = ["", ""]
        if estimated:
            cells = [f"{v:.3f} [{lo:.3f}, {hi:.3f}]" for v, lo, hi in (estimated["dm"], estimated["dr"])]
        print(
            f"| {name} | {cells[0]} | {cells[1]} | {row['success_rate']:.3f} | {row['mean_turns']:.2f} | "
            f"{row['value']:.3f} [{row['value_ci'][0]:.3f}, {row['value_ci'][1]:.3f}] |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
