"""Ranking metrics of the affinity models on held-out plays: the shipped models, or retrained ones.

Same as `python main.py history evaluate`: recall@10, recall@20 and NDCG@10 of each model (item-to-item
CF, implicit ALS, their blends with the content profile, the content profile alone, and a popularity
baseline) on the later plays of synthetic listeners no model saw; plus recall@20 for short histories,
the Spearman correlation of affinity with the listeners' hidden taste, and scoring time per listener.

Usage: .venv/bin/python scripts/evaluate_affinity.py [--catalog FILE] [--seed 0] [--retrain] [--quick]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from main import main

if __name__ == "__main__":
    sys.exit(main(["history", "evaluate", *sys.argv[1:]]))
