"""Train the NLU heads on the generated corpus (seeded, CPU, a few minutes) and write assets/nlu/heads.npz.

Usage: .venv/bin/python scripts/train_nlu.py [--seed 0] [--examples 14000] [--output assets/nlu/heads.npz]
Needs torch (CPU build), a training extra the app does not install: scripts/setup.sh train installs it.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.heads import DEFAULT_WEIGHTS
from nlu.train import TrainConfig, train


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--examples", type=int, default=TrainConfig.examples)
    parser.add_argument("--threads", type=int, default=TrainConfig.threads)
    parser.add_argument("--output", type=Path, default=DEFAULT_WEIGHTS)
    args = parser.parse_args()
    if importlib.util.find_spec("torch") is None:
        print(
            "train_nlu: fitting the heads needs torch, a training extra; run scripts/setup.sh train "
            "(requirements-train.txt, the CPU build)",
            file=sys.stderr,
        )
        return 2
    train(TrainConfig(seed=args.seed, examples=args.examples, threads=args.threads), args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
