"""Benchmark of the offline learning pipeline: simulated conversations + training + off-policy evaluation.

Method: N conversations (default 50,000) of the default population under the exploring logging policy,
through the real DialogueManager and the rule understanding (cached by text), on 2 worker processes;
then rewards, the three reward models (linear, trees, MLP), a cross-fitted critic, and OPE with
bootstrap CIs for every candidate and the current policy (train_and_select). Wall time per stage from
perf_counter; peak memory is the largest resident set (ru_maxrss) of this process and, separately, of
any worker process.

By default the listeners' listening histories are read (`--history`, the learned+history pipeline: each
listener with a history gets one generated from their long-term taste, affinity from the shipped model,
history genre pairs and per-prompt affinity features; the current policy is the shipped learned one);
`--no-history` runs the cold-start pipeline that trains "learned" against the rules.

Usage: .venv/bin/python benchmarks/bench_policy.py [--conversations 50000] [--workers 2] [--population FILE]
       [--no-history] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.music.catalog import load_catalog
from assistant.policies.store import load_policy
from learning.batch import simulate
from learning.logging_policy import ExplorationPolicy
from learning.population import load_population
from learning.training import train_and_select


def _mb(kilobytes: int) -> float:
    return kilobytes / 1024.0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--population", default="default", help="population file or shipped name")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--history", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    catalog = load_catalog()
    population = load_population(args.population)
    start = time.perf_counter()
    run = simulate(
        args.conversations,
        catalog,
        population,
        ExplorationPolicy,
        seed=args.seed,
        workers=args.workers,
        history=args.history,
    )
    t_sim = time.perf_counter() - start
    assert run.table is not None
    t = time.perf_counter()
    current = load_policy("auto" if args.history else "rules", warn=lambda _m: None)
    result = train_and_select(run.table, catalog, current=current, seed=args.seed, n_bootstrap=args.bootstrap)
    t_train = time.perf_counter() - t
    total = time.perf_counter() - start
    figures = {
        "conversations": args.conversations,
        "turns_logged": len(run.table),
        "decisions": result.n_rounds,
        "workers": args.workers,
        "history": args.history,
        "history_share": population.history.share if args.history else 0.0,
        "simulate_s": round(t_sim, 1),
        "train_and_ope_s": round(t_train, 1),
        "stages_s": {k: round(v, 1) for k, v in result.timings.items()},
        "total_s": round(total, 1),
        "conversations_per_s": round(args.conversations / t_sim, 1),
        "peak_rss_main_mb": round(_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), 1),
        "peak_rss_worker_mb": round(_mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), 1),
        "chosen": result.chosen.kind,
        "promoted": result.promoted,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}",
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:>22}: {value}")
        verdict = "under" if total < 600 else "OVER"
        print(
            f"{args.conversations:,} conversations + training + OPE: {total:.0f} s "
            f"({verdict} the 10-minute budget)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
