"""Which off-policy estimator to trust: each one's estimate of a policy's return G, against the truth.

The simulator is the truth. For every population and seed, fresh conversations are logged by the
exploring logging policy; every estimator estimates the target policy's mean G from them, with its 95 %
interval; the target policy is also simulated on-policy on many listeners of the same population. Over the
seeds: bias, RMSE and how often the interval covers the on-policy value. The gate's estimator is chosen
from this table (docs/policy.md, "Which estimator to trust").

Usage: .venv/bin/python scripts/ope_ground_truth.py [--policy FILE] [--populations a,b] [--seeds 10]
       [--conversations 2000] [--truth 5000] [--replicates 20] [--history] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.music.catalog import load_catalog
from assistant.policies.store import load_policy
from learning.ab import run_arm
from learning.batch import simulate
from learning.conversation_training import trajectories
from learning.episodes import episodes_from_log
from learning.fqe_bootstrap import BootstrapFQE
from learning.logging_policy import TRAINING_MIX, ExplorationPolicy
from learning.population import load_population
from learning.replayed_policies import distribution_on_steps
from learning.sequential_ope import evaluate_trajectories

SEED_BASE = 7_000_000
"""Log seeds 7,000,001.. and the on-policy truth at 7,500,000: neither training (0), tuning (2,000,003)
nor the A/B (1,000,003) meets these listeners."""
ESTIMATORS = ("pdis", "wpdis", "dr", "wdr", "dm", "fqe-boot")


def machine() -> str:
    import os
    import platform

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", default="learned", help="the target policy (a name or a file)")
    ap.add_argument("--populations", default="default,impatient,knows_little,experts")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--conversations", type=int, default=2000, help="logged conversations per seed")
    ap.add_argument("--truth", type=int, default=5000, help="listeners of the on-policy run")
    ap.add_argument("--replicates", type=int, default=20, help="refits of the bootstrapped FQE")
    ap.add_argument("--history", action="store_true", help="listeners' histories read (learned+history)")
    ap.add_argument("--json", type=Path, default=None, help="also write the table as JSON")
    args = ap.parse_args(argv)
    catalog = load_catalog()
    policy = load_policy(args.policy, catalog, history=args.history)
    print(f"# target policy {policy.name}; {machine()}", flush=True)
    rows: dict[str, dict[str, list[tuple[float, float, float]]]] = {}
    truths: dict[str, tuple[float, float]] = {}
    table: dict[str, dict[str, dict[str, float]]] = {}
    for name in args.populations.split(","):
        population = load_population(name)
        arm = run_arm(
            "truth", lambda: policy, args.truth, catalog, population, seed=SEED_BASE + 500_000,
            history=args.history,
        )  # fmt: skip
        g = arm.returns
        truths[name] = (float(g.mean()), float(g.std(ddof=1) / np.sqrt(len(g))))
        print(f"{name}: on-policy G {truths[name][0]:.4f} (se {truths[name][1]:.4f})", flush=True)
        rows[name] = {e: [] for e in ESTIMATORS}
        for s in range(1, args.seeds + 1):
            t = time.perf_counter()
            logged = simulate(
                args.conversations, catalog, population, lambda: ExplorationPolicy(mix=TRAINING_MIX),
                seed=SEED_BASE + s, history=args.history,
            )  # fmt: skip
            assert logged.table is not None
            episodes = episodes_from_log(logged.table)
            data = trajectories(episodes, distribution_on_steps(policy, episodes), seed=s)
            report = evaluate_trajectories(data, objectives=("G",), n_bootstrap=1000, random_state=s)
            for e in ESTIMATORS[:-1]:
                rows[name][e].append(report.estimates["G"][e])
            boot = BootstrapFQE(n_replicates=args.replicates, random_state=s).fit({"target": data}, "G")
            interval = boot.interval("target")
            rows[name]["fqe-boot"].append((interval.value, *interval.ci))
            print(
                f"  seed {s}: "
                + ", ".join(f"{e} {rows[name][e][-1][0]:.3f}" for e in ESTIMATORS)
                + f" (ESS {report.diagnostics['ess']:.0f}; {time.perf_counter() - t:.0f} s)",
                flush=True,
            )
        # Each population's rows as soon as it is done, so a long study can be read (and stopped) early.
        _table(name, truths[name][0], rows[name], table)
        if args.json is not None:
            args.json.write_text(
                json.dumps(
                    {"truth": truths, "table": table, "seeds": args.seeds, "policy": policy.name}, indent=1
                )
            )
    return 0


def _table(
    name: str,
    truth: float,
    by_estimator: dict[str, list[tuple[float, float, float]]],
    table: dict[str, dict[str, dict[str, float]]],
) -> None:
    print("\n| population | estimator | bias | RMSE | coverage of the 95 % interval | mean interval width |")
    print("|---|---|---|---|---|---|")
    for e, values in by_estimator.items():
        v = np.array(values, dtype=float)
        err = v[:, 0] - truth
        covers = (v[:, 1] <= truth) & (truth <= v[:, 2])
        cell = {
            "bias": float(np.mean(err)),
            "rmse": float(np.sqrt(np.mean(err**2))),
            "coverage": float(np.mean(covers)),
            "width": float(np.mean(v[:, 2] - v[:, 1])),
        }
        table.setdefault(name, {})[e] = cell
        print(
            f"| {name} | {e} | {cell['bias']:+.4f} | {cell['rmse']:.4f} | {cell['coverage']:.0%} | "
            f"{cell['width']:.4f} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
