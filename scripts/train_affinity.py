"""Train the shipped affinity models (assets/affinity) and choose the default by offline ranking metrics.

Reproducible from the seed: the synthetic populations, the ALS initialization and the tuning grid are all
seeded, so the same seed and catalogue give the same files. Prints the test table (the figures quoted in
docs/history.md) and the size of every file written.

Method: `assistant.taste.synthetic.run_experiment` - train every candidate on a synthetic population of
listening histories, pick each family's configuration and the default model by NDCG@10 on a validation
population, report recall@10/20 and NDCG@10 on a third population of listeners no model saw.

Usage: .venv/bin/python scripts/train_affinity.py [--catalog FILE] [--seed 0] [--out assets/affinity]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.music.catalog import load_catalog
from assistant.taste.affinity import MODEL_DIR, save_models
from assistant.taste.evaluation import machine_line, run_experiment

MAX_BYTES = 5 * 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--catalog", type=Path, default=None, help="catalogue CSV (default: the demo)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="where to write the model files")
    parser.add_argument("--users", type=int, default=2000, help="training listeners")
    args = parser.parse_args()
    catalog = load_catalog(args.catalog)
    start = time.perf_counter()
    experiment = run_experiment(catalog, seed=args.seed, n_train=args.users, log=print)
    elapsed = time.perf_counter() - start
    configs = {r.name: r.config for r in experiment.test}
    metrics = {
        r.name: {k: round(v, 4) for k, v in r.metrics.items() if k != "ms_per_user"} for r in experiment.test
    }
    validation = [
        {"model": r.name, "config": r.config, "ndcg@10": round(r.metrics["ndcg@10"], 4)}
        for r in experiment.validation
    ]
    paths = save_models(
        args.out,
        catalog,
        experiment.cf,
        experiment.mf,
        experiment.default,
        experiment.blend_weights,
        {
            "seed": args.seed,
            "populations": experiment.sizes,
            "configs": configs,
            "test_metrics": metrics,
            "validation_ndcg@10": validation,
        },
    )
    print()
    print("Validation (every candidate; the choice is made here):")
    print(experiment.table(validation=True))
    print()
    print(experiment.summary())
    print()
    print(experiment.table())
    print()
    print(machine_line())
    print(f"whole run: {elapsed:.0f} s")
    too_big = False
    for path in paths:
        size = path.stat().st_size
        too_big |= size > MAX_BYTES
        print(f"wrote {path} ({size / 1024:.0f} KiB)")
    if too_big:
        print(f"a model file is larger than {MAX_BYTES // 1024 // 1024} MB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
