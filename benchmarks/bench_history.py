"""Per-turn engine latency with and without listening-history affinity, and the per-conversation cost of
loading a profile.

Method: the same scripted turns as benchmarks/bench_engine.py (random from a fixed pool, seeded) fed to
DialogueManager.step on the embedded demo catalogue with the rule understanding and rule policy; each
step timed with perf_counter. Rows, in one run:
  - no history: affinity None (a cold start),
  - history: the affinity of a synthetic listener (the shipped default model) handed to the manager, as
    a session with --user does; retrieval adds it to every ranking, and every decision computes the
    genre pair from the listener's taste (`history_genre_pair`) and the per-prompt affinity features
    (`action_affinity`),
  - history, learned+history policy: the same with the shipped learned+history policy deciding (trees
    scored in numpy) instead of the rules,
  - profile load: once per conversation, the listener's history read from SQLite and turned into
    affinity and a HistorySummary (the Personalizer cache bypassed), for a short and a long history.
Conversations restart every 30 turns or when they end; listeners rotate over a few synthetic histories.

Usage: .venv/bin/python benchmarks/bench_history.py [--turns 3000] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import POOL, percentiles  # the engine benchmark's workload, so rows compare

from assistant.dialogue.manager import DialogueManager
from assistant.dialogue.policy import Policy
from assistant.music.catalog import Catalog, load_catalog
from assistant.music.retrieval import Retriever
from assistant.policies.rules import RulePolicy
from assistant.policies.store import load_policy
from assistant.taste.affinity import Personalizer, load_affinity_model, user_affinity
from assistant.taste.history import HistoryStore
from assistant.taste.synthetic import synthetic_histories
from nlu.linking import EntityLinker
from nlu.rules import RuleUnderstanding


def bench_turns(
    catalog: Catalog,
    turns: int,
    rng: np.random.Generator,
    affinities: list[np.ndarray | None],
    policy: Policy | None = None,
) -> list[float]:
    linker = EntityLinker.for_catalog(catalog)
    nlu = RuleUnderstanding(linker)
    retriever = Retriever(catalog, linker)
    times: list[float] = []
    manager = None
    conversations = 0
    while len(times) < turns:
        if manager is None or manager.done or manager.state.turn >= 30:
            affinity = affinities[conversations % len(affinities)]
            conversations += 1
            manager = DialogueManager(
                catalog,
                nlu,
                policy or RulePolicy(),
                np.random.default_rng(len(times)),
                retriever=retriever,
                affinity=affinity,
            )
        text = str(rng.choice(POOL))
        start = time.perf_counter()
        manager.step(text)
        times.append(time.perf_counter() - start)
    return times


def bench_profile_load(catalog: Catalog, plays: int, repeats: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    history = synthetic_histories(catalog, 1, rng)[0]
    while len(history) < plays:  # concatenate histories of the same listener's taste until long enough
        more = synthetic_histories(catalog, 1, rng, tastes=[history.taste])[0]
        offset = int(history.timestamp[-1]) + 86_400 - int(more.timestamp[0])
        history.track = np.concatenate([history.track, more.track])
        history.ms_played = np.concatenate([history.ms_played, more.ms_played])
        history.timestamp = np.concatenate([history.timestamp, more.timestamp + offset])
    rows = history.rows(catalog)[:plays]
    with tempfile.TemporaryDirectory() as folder:
        store = HistoryStore(Path(folder) / "history.db")
        store.add_plays("bench", rows)
        model = load_affinity_model(catalog)
        times = []
        for _ in range(repeats):
            personalizer = Personalizer(store, catalog, model)  # a fresh cache each time
            start = time.perf_counter()
            personalizer.profile("bench")
            times.append(time.perf_counter() - start)
        store.close()
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
        f"numpy {np.__version__}, {platform.platform()}"
    )
    catalog = load_catalog()
    model = load_affinity_model(catalog, warn=lambda m: print(f"note: {m}"))
    listeners = synthetic_histories(catalog, 8, np.random.default_rng(args.seed))
    affinities = [user_affinity(h.signals(catalog), model, catalog) for h in listeners]
    print(
        f"method: {args.turns} timed turns per row on catalogue {catalog.name!r} ({len(catalog)} tracks), "
        f"random from a {len(POOL)}-utterance pool (seed {args.seed}), rule understanding and policy, "
        f"perf_counter around each step; affinity model {model.name!r}, {len(listeners)} synthetic listeners"
    )

    history_policy = load_policy("learned+history")
    rows: list[tuple[str, Callable[[], list[float]]]] = [
        (
            "turn, no history",
            lambda: bench_turns(catalog, args.turns, np.random.default_rng(args.seed), [None]),
        ),
        (
            "turn, history",
            lambda: bench_turns(catalog, args.turns, np.random.default_rng(args.seed), affinities),
        ),
        (
            "turn, history, learned+history",
            lambda: bench_turns(
                catalog, args.turns, np.random.default_rng(args.seed), affinities, history_policy
            ),
        ),
        ("profile load, 200 plays", lambda: bench_profile_load(catalog, 200, 200, args.seed)),
        ("profile load, 20k plays", lambda: bench_profile_load(catalog, 20_000, 50, args.seed)),
    ]
    print(f"{'row':<30}{'median ms':>10}{'p95 ms':>10}{'mean ms':>10}")
    for name, run in rows:
        median, p95, mean = percentiles(run())
        print(f"{name:<30}{median:>10.3f}{p95:>10.3f}{mean:>10.3f}")


if __name__ == "__main__":
    main()
