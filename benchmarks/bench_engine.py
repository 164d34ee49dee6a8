"""Per-turn latency and peak memory of the dialogue engine with the rule understanding.

Method: scripted conversations (random turns from a fixed pool, seeded) are fed to DialogueManager.step;
each step is timed with perf_counter. Printed side by side in one run:
  - nlu-only: RuleUnderstanding.understand alone (the baseline share of a turn),
  - engine/demo: full step on the embedded demo catalogue,
  - engine/spotify: full step on the 28k-track Spotify catalogue (when ../shared/data is present).
Peak memory is the process's maximum resident set size (ru_maxrss) after each stage, so it only grows.

Usage: .venv/bin/python benchmarks/bench_engine.py [--turns 3000] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from assistant.dialogue.manager import DialogueManager
from assistant.music.catalog import Catalog, load_catalog
from assistant.music.retrieval import Retriever
from assistant.policies.rules import RulePolicy
from nlu.linking import EntityLinker
from nlu.rules import RuleUnderstanding

POOL = [
    "help me find music",
    "something upbeat",
    "something laid back",
    "rock",
    "jazz please",
    "no",
    "nope",
    "skip",
    "something else",
    "older",
    "newer",
    "more upbeat",
    "calmer",
    "I don't know",
    "yes",
    "hmm ok",
    "play something like the paper moons",
    "music for a workout",
    "from the nineties",
    "not that one",
    "asdf qwer",
    "",
    "what can I say",
    "hip hop from the 2010s",
    "chill electronic for studying",
]
SPOTIFY = Path(__file__).resolve().parents[2] / "shared" / "data" / "catalog" / "spotify_songs.csv"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    arr = np.array(samples) * 1000.0
    return float(np.median(arr)), float(np.percentile(arr, 95)), float(arr.mean())


def bench_nlu(catalog: Catalog, turns: int, rng: np.random.Generator) -> list[float]:
    nlu = RuleUnderstanding(EntityLinker.for_catalog(catalog))
    nlu.understand("warm up")
    times = []
    for _ in range(turns):
        text = str(rng.choice(POOL))
        start = time.perf_counter()
        nlu.understand(text)
        times.append(time.perf_counter() - start)
    return times


def bench_engine(catalog: Catalog, turns: int, rng: np.random.Generator) -> list[float]:
    linker = EntityLinker.for_catalog(catalog)
    nlu = RuleUnderstanding(linker)
    retriever = Retriever(catalog, linker)  # shared across conversations, as the app's session does
    times: list[float] = []
    manager = None
    while len(times) < turns:
        if manager is None or manager.done or manager.state.turn >= 30:
            manager = DialogueManager(
                catalog, nlu, RulePolicy(), np.random.default_rng(len(times)), retriever=retriever
            )
        text = str(rng.choice(POOL))
        start = time.perf_counter()
        manager.step(text)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )
    print(
        f"method: {args.turns} timed turns per row (random from a {len(POOL)}-utterance pool, "
        f"seed {args.seed}), "
        "perf_counter around each call; peak RSS = ru_maxrss after the row"
    )
    demo = load_catalog()
    rows = [
        ("nlu-only (rules, demo)", lambda: bench_nlu(demo, args.turns, np.random.default_rng(args.seed))),
        ("engine/demo", lambda: bench_engine(demo, args.turns, np.random.default_rng(args.seed))),
    ]
    if SPOTIFY.exists():
        spotify = load_catalog(SPOTIFY)
        rows.append(
            (
                "engine/spotify-28k",
                lambda: bench_engine(spotify, args.turns, np.random.default_rng(args.seed)),
            )
        )
    print(f"{'stage':<26}{'median ms':>10}{'p95 ms':>10}{'mean ms':>10}{'peak RSS MB':>13}")
    for name, run in rows:
        median, p95, mean = percentiles(run())
        print(f"{name:<26}{median:>10.3f}{p95:>10.3f}{mean:>10.3f}{peak_rss_mb():>13.1f}")


if __name__ == "__main__":
    main()
