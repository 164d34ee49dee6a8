"""How good are rankings from a bounded pool? The top 10 of the capped ranking against exact ranking.

On catalogues bigger than POOL_CAP (assistant/music/ranking.py), a ranking whose bar would have to list
more possible fits than the cap takes its list from the fits found so far plus an even sample of the
rest. This measures what that costs in quality, on the generated catalogues of benchmarks/bench_catalog.py
(the demo catalogue's distribution; nothing from ../shared/data) and the requests the catalogue
benchmark's conversations make: the engine benchmark's 25 utterances, seed 0, rule understanding and
policy. Every distinct (constraints, turned-down tracks) state those turns reach is ranked twice, by the
capped retriever and by one with no cap (exact, every fit listed), and compared:
- sampled: how many states the cap changed the search for (the rest are exact by construction);
- top-10 overlap: tracks in both top 10s / 10 (mean and minimum over the sampled states);
- best equal: the top track is the same;
- score gap: the exact 10th score minus the capped 10th score (>= 0; 0 means as good a 10th track).

Usage: .venv/bin/python benchmarks/bench_ranking_pool.py [--sizes 300000,1000000] [--turns 500]
       [--keep DIR]   (DIR: generated CSVs and stores, shared with bench_catalog.py --keep)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_catalog import engine_utterances, generate_rows, write_csv  # noqa: E402

from assistant.dialogue.manager import DialogueManager  # noqa: E402
from assistant.music.catalog import Catalog  # noqa: E402
from assistant.music.constraints import Constraints  # noqa: E402
from assistant.music.ranking import POOL_CAP  # noqa: E402
from assistant.music.retrieval import Retriever  # noqa: E402
from assistant.policies.rules import RulePolicy  # noqa: E402
from nlu.linking import EntityLinker  # noqa: E402
from nlu.rules import RuleUnderstanding  # noqa: E402


def conversation_states(catalog: Catalog, turns: int) -> list[tuple[Constraints, tuple[str, ...]]]:
    """The distinct (constraints, turned down) states the catalogue benchmark's turns reach, in order."""
    linker = EntityLinker.for_catalog(catalog)
    nlu = RuleUnderstanding(linker)
    retriever = Retriever(catalog, linker)
    pool = engine_utterances()
    rng = np.random.default_rng(0)
    seen: dict[tuple[Constraints, tuple[str, ...]], None] = {}
    manager = None
    for done in range(turns):
        if manager is None or manager.done or manager.state.turn >= 30:
            manager = DialogueManager(
                catalog, nlu, RulePolicy(), np.random.default_rng(done), retriever=retriever
            )
        manager.step(str(rng.choice(pool)))
        seen[(manager.state.constraints, tuple(manager.state.rejected))] = None
    return list(seen)


def compare(catalog: Catalog, states: list[tuple[Constraints, tuple[str, ...]]]) -> dict[str, Any]:
    capped, exact = Retriever(catalog), Retriever(catalog)
    exact.pool_cap = None
    sampled_calls: list[int] = []
    original = capped._ranked_from_sample

    def counting(*args: Any) -> tuple[np.ndarray, np.ndarray]:
        sampled_calls.append(1)
        return original(*args)

    capped._ranked_from_sample = counting  # type: ignore[method-assign, assignment]
    overlaps, best_equal, gaps, capped_ms, exact_ms = [], [], [], [], []
    for c, rejected in states:
        if not capped._weights(c):
            continue  # nothing stated: ranked by popularity, never sampled
        before = len(sampled_calls)
        start = time.thread_time()
        rows, scores = capped._ranked(c, rejected, None, 10)
        middle = time.thread_time()
        true_rows, true_scores = exact._ranked(c, rejected, None, 10)
        capped_ms.append((middle - start) * 1000)
        exact_ms.append((time.thread_time() - middle) * 1000)
        if len(sampled_calls) == before:
            assert rows.tolist() == true_rows.tolist(), "an unsampled ranking must be exact"
            continue
        overlaps.append(len(set(rows.tolist()) & set(true_rows.tolist())) / len(true_rows))
        best_equal.append(bool(rows[0] == true_rows[0]))
        gaps.append(float(true_scores[-1] - scores[-1]))
    return {
        "states": sum(1 for c, _ in states if capped._weights(c)),
        "sampled": len(overlaps),
        "overlap_mean": float(np.mean(overlaps)) if overlaps else 1.0,
        "overlap_min": float(np.min(overlaps)) if overlaps else 1.0,
        "best_equal": float(np.mean(best_equal)) if best_equal else 1.0,
        "gap_median": float(np.median(gaps)) if gaps else 0.0,
        "gap_max": float(np.max(gaps)) if gaps else 0.0,
        "capped_ms": float(np.median(capped_ms)),
        "exact_ms": float(np.median(exact_ms)),
        "capped_p95": float(np.percentile(capped_ms, 95)),
        "exact_p95": float(np.percentile(exact_ms, 95)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="300000,1000000")
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--keep", type=Path, default=None, help="generated CSVs and stores (reused)")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"POOL_CAP {POOL_CAP:,}; {args.turns} turns; CPU ms per ranking (the shared 200, read for k=10)"
    )
    print(
        f"{'tracks':>9}{'states':>8}{'sampled':>9}{'overlap':>9}{'min':>6}{'best =':>8}"
        f"{'gap med':>9}{'gap max':>9}{'capped ms':>11}{'exact ms':>10}{'capped p95':>12}{'exact p95':>11}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-pool-") as tmp_name:
        work = args.keep or Path(tmp_name)
        work.mkdir(parents=True, exist_ok=True)
        from assistant.music.sources import open_catalog

        for n in (int(s) for s in args.sizes.split(",")):
            csv_path = work / f"generated-{n}.csv"
            if not csv_path.exists():
                write_csv(generate_rows(n, seed=0), csv_path)
            os.environ["TUNETALK_CATALOG_CACHE"] = str(work / f"cache-{n}")
            catalog = open_catalog([csv_path], log=lambda line: None)
            r = compare(catalog, conversation_states(catalog, args.turns))
            print(
                f"{n:>9}{r['states']:>8}{r['sampled']:>9}{r['overlap_mean']:>9.2f}{r['overlap_min']:>6.1f}"
                f"{r['best_equal']:>8.2f}{r['gap_median']:>9.4f}{r['gap_max']:>9.4f}"
                f"{r['capped_ms']:>11.1f}{r['exact_ms']:>10.1f}{r['capped_p95']:>12.1f}{r['exact_p95']:>11.1f}"
            )


if __name__ == "__main__":
    main()
