"""Benchmark of whole-conversation learning: simulate, build episodes, fitted-Q, trajectory OPE, the gate.

Method: N conversations (default 50,000) of the default population under the exploring logging policy
(`TRAINING_MIX`), through the real DialogueManager and the rule understanding, on `--workers` processes;
then episodes (per-step rewards summing to G), then `train_fitted_q` once per tree library on the same
episodes: the fit on three quarters of the conversations, trajectory OPE of the candidate and of the
current policy (rules-tuned) on the rest with a bootstrap over conversations, and the gate (bootstrapped
fitted-Q evaluation, `--gate-replicates` refits, 30 as in `train`). Each tree library is a row on the
same episodes (`train` tries all three by default; sklearn, the slowest, is left out here), so the rows
are each other's same-run baseline. Wall time per stage from perf_counter; peak memory is ru_maxrss of
this process and, separately, of the simulation's workers.

Usage: .venv/bin/python benchmarks/bench_conversation_training.py [--conversations 50000] [--workers 2]
       [--backends lightgbm,xgboost] [--bootstrap 1000] [--gate-replicates 30] [--json]
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
from learning.conversation_training import BOOTSTRAP_REPLICATES, train_fitted_q
from learning.episodes import episodes_from_log
from learning.logging_policy import TRAINING_MIX, ExplorationPolicy
from learning.population import load_population
from learning.training import ACTION_COLUMNS


def _mb(kilobytes: int) -> float:
    return kilobytes / 1024  # ru_maxrss is in kilobytes on Linux


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backends", default="lightgbm,xgboost")
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument(
        "--gate-replicates", type=int, default=BOOTSTRAP_REPLICATES, help="the gate's critic refits"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores ({_cpu_model()}), Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    catalog = load_catalog()
    population = load_population("default")
    t = time.perf_counter()
    run = simulate(
        args.conversations,
        catalog,
        population,
        lambda: ExplorationPolicy(mix=TRAINING_MIX),
        seed=args.seed,
        workers=args.workers,
    )
    simulate_s = time.perf_counter() - t
    assert run.table is not None
    t = time.perf_counter()
    episodes = episodes_from_log(run.table)
    episodes_s = time.perf_counter() - t
    current = load_policy("rules-tuned", catalog, warn=lambda _m: None)
    rows = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        t = time.perf_counter()
        result = train_fitted_q(
            episodes,
            current=current,
            backends=[backend],
            seed=args.seed,
            n_bootstrap=args.bootstrap,
            action_columns=ACTION_COLUMNS,
            gate_replicates=args.gate_replicates,
        )
        total = time.perf_counter() - t
        timings = result.timings
        rows.append(
            {
                "backend": backend,
                "fit_s": timings[f"fit_{backend}"],
                "ope_s": timings[f"ope_{backend}"] + timings["ope_current"],
                "gate_s": timings["gate"],
                "learning_s": total,
                "pipeline_s": simulate_s + episodes_s + total,
                "gate": result.gate.reason,
            }
        )
    peak_main = _mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    peak_worker = _mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    out = {
        "method": __doc__.split("\n\n")[1].replace("\n", " "),
        "machine": machine,
        "conversations": args.conversations,
        "decisions": len(episodes),
        "simulate_s": simulate_s,
        "episodes_s": episodes_s,
        "gate_replicates": args.gate_replicates,
        "rows": rows,
        "peak_main_mb": peak_main,
        "peak_worker_mb": peak_worker,
    }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"method: {out['method']}")
    print(f"machine: {machine}")
    print(
        f"{args.conversations:,} conversations ({len(episodes):,} decisions): "
        f"simulated in {simulate_s:.0f} s on {args.workers} workers, episodes in {episodes_s:.1f} s"
    )
    print("| trees | fit s | OPE s | gate s | whole pipeline s |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        cells = (r["fit_s"], r["ope_s"], r["gate_s"], r["pipeline_s"])
        print(f"| {r['backend']} | " + " | ".join(f"{c:.0f}" for c in cells) + " |")
    print(f"peak memory: {peak_main:.0f} MB (main), {peak_worker:.0f} MB (largest worker)")
    for r in rows:
        print(f"{r['backend']}: {r['gate']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
