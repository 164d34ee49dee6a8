"""A catalogue of a million tracks: build, open, turn latency and peak memory, against today's path.

Catalogues of 30k, 300k and 1M tracks are generated from the distribution of the embedded demo
catalogue (assets/catalog.csv): each track copies a demo track's genre, subgenre and decade and jitters
its energy, valence, tempo, year and popularity; artists are new names made of the demo names' words
(about one artist per four tracks, as in the demo), each inheriting a demo artist's genre profile; titles
are made of the demo titles' words. The demo's own tracks are kept, so "velvet harbors"-style names are
among a million others. Nothing comes from ../shared/data. Each is written as a CSV in the Spotify
layout, the form both paths read.

For each size, each measured in a fresh subprocess (so peak memory is that path's own):
- today: the code at --baseline-rev (default: the revision before the catalogue store), extracted with
  `git archive` into a temporary folder: load_catalog(CSV) parses every row, retrieval scores every
  track, names are linked by its trigram index;
- store: build = import the CSV into the catalogue store (once per source); open = map the store and be
  ready for the first turn (Catalog, EntityLinker, Retriever); turns through the same code as the app;
- with --store-rev REV, the store path at that revision too (extracted the same way, opening the store
  just built: the revision must share its STORE_SCHEMA), the before of a retrieval change.
Turns: the benchmark engine's scripted conversations (25-utterance pool, seed 0, rule understanding,
rule policy), perf_counter around each DialogueManager.step; median and p95; and the same for the
turn's own CPU time (thread_time), which waiting for a core on a shared machine does not inflate.
Peak memory: ru_maxrss of the subprocess (build and open+turns separately).

Also, on the 1M catalogue: the store formats compared (Arrow IPC memory-mapped, Parquet, SQLite: time to
have the numeric columns as arrays), and name linking ("something by velvet harbors" among 1M names).

Usage: .venv/bin/python benchmarks/bench_catalog.py [--sizes 30000,300000,1000000] [--turns 500]
       [--baseline-turns 200] [--no-baseline] [--store-rev REV] [--keep DIR]
"""

from __future__ import annotations

import argparse
import ast
import csv
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.music.catalog import Catalog, Track, load_catalog  # noqa: E402

BASELINE_REV = "993d95b"
"""The revision before the catalogue store: the path every command took until then."""
HEADER = [
    *("track_id", "track_name", "track_artist", "track_popularity", "track_album_id", "track_album_name"),
    *("track_album_release_date", "playlist_name", "playlist_id", "playlist_genre", "playlist_subgenre"),
    *("danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness"),
    *("instrumentalness", "liveness", "valence", "tempo", "duration_ms"),
]


# ----------------------------------------------------------------------------------------------------
# Generation


def engine_utterances() -> list[str]:
    """The engine benchmark's utterance pool (benchmarks/bench_engine.py POOL), read from its source
    rather than imported: importing it puts this tree first on sys.path."""
    tree = ast.parse((ROOT / "benchmarks" / "bench_engine.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "POOL" for t in node.targets):
            return [str(u) for u in ast.literal_eval(node.value)]
    raise RuntimeError("benchmarks/bench_engine.py has no POOL")


def _words(names: list[str]) -> list[str]:
    found = sorted({w for name in names for w in re.findall(r"[A-Za-z][A-Za-z'&]+", name) if len(w) > 2})
    return [w for w in found if w.lower() not in {"the", "and", "of"}]


def generate_rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """n catalogue rows (Spotify layout) drawn from the demo catalogue's distribution; the demo's own
    tracks first."""
    demo = load_catalog()
    rng = np.random.default_rng(seed)
    base = list(demo.tracks)
    rows: list[dict[str, Any]] = [_row(t) for t in base[: min(n, len(base))]]
    extra = n - len(rows)
    if extra <= 0:
        return rows
    artist_words, title_words = _words(list(demo.artist_names)), _words([t.title for t in base])
    n_artists = max(1, extra * len(demo.artist_names) // len(demo))
    parent = rng.integers(0, len(demo.artist_names), n_artists)  # each new artist sounds like a demo one
    names: set[str] = set(demo.artist_names)
    artists: list[str] = []
    while len(artists) < n_artists:
        k = 2 if rng.random() < 0.7 else 3
        name = " ".join(str(w) for w in rng.choice(artist_words, size=k, replace=False))
        name = f"The {name}" if rng.random() < 0.2 else name
        if name not in names:
            names.add(name)
            artists.append(name)
    by_artist: dict[int, list[int]] = {}
    for i, t in enumerate(base):
        by_artist.setdefault(demo.artist_names.index(t.artist), []).append(i)
    owner = rng.integers(0, n_artists, extra)
    picks = np.array([rng.choice(by_artist[int(parent[a])]) for a in owner])
    jitter = rng.normal(0.0, 1.0, (extra, 4))
    title_lengths = rng.integers(1, 4, extra)
    for j in range(extra):
        t = base[int(picks[j])]
        title = " ".join(str(w) for w in rng.choice(title_words, size=int(title_lengths[j]), replace=False))
        rows.append(
            {
                "track_id": f"syn{j:07d}",
                "track_name": title,
                "track_artist": artists[int(owner[j])],
                "track_popularity": int(rng.integers(0, 101)),
                "track_album_name": f"{title_words[int(rng.integers(len(title_words)))]} Sessions",
                "track_album_release_date": str(int(np.clip(t.year + round(3 * jitter[j, 3]), 1950, 2024))),
                "playlist_genre": t.genre,
                "playlist_subgenre": t.subgenre,
                "danceability": round(float(np.clip(t.danceability + 0.1 * jitter[j, 0], 0, 1)), 3),
                "energy": round(float(np.clip(t.energy + 0.08 * jitter[j, 0], 0, 1)), 3),
                "acousticness": round(float(np.clip(t.acousticness + 0.1 * jitter[j, 1], 0, 1)), 3),
                "valence": round(float(np.clip(t.valence + 0.1 * jitter[j, 1], 0, 1)), 3),
                "tempo": round(float(np.clip(t.tempo + 6 * jitter[j, 2], 40, 220)), 3),
                "duration_ms": t.duration_ms,
            }
        )
    return rows


def _row(t: Track) -> dict[str, Any]:
    return {
        "track_id": t.id,
        "track_name": t.title,
        "track_artist": t.artist,
        "track_popularity": int(t.popularity),
        "track_album_name": t.album,
        "track_album_release_date": str(t.year),
        "playlist_genre": t.genre,
        "playlist_subgenre": t.subgenre,
        "danceability": t.danceability,
        "energy": t.energy,
        "acousticness": t.acousticness,
        "valence": t.valence,
        "tempo": t.tempo,
        "duration_ms": t.duration_ms,
    }


def write_csv(rows: list[dict[str, Any]], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def generate_catalog(n: int, seed: int = 0) -> Catalog:
    """The generated catalogue in memory (for tests); the benchmark goes through a CSV."""
    with tempfile.TemporaryDirectory() as tmp:
        return load_catalog(write_csv(generate_rows(n, seed), Path(tmp) / f"generated-{n}.csv"))


# ----------------------------------------------------------------------------------------------------
# Measuring (each in its own process)

_MEASURE = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, {root!r})
pool = {pool!r}
mode, source, turns = {mode!r}, Path({source!r}), {turns}
started = time.perf_counter()
from assistant.dialogue.manager import DialogueManager
from assistant.policies.rules import RulePolicy
from nlu.linking import EntityLinker
from nlu.rules import RuleUnderstanding
from assistant.music.retrieval import Retriever
imported = time.perf_counter()
result = {{}}
if mode == "build":
    from assistant.music.sources import open_catalog
    catalog = open_catalog([source], log=lambda line: None)
    result["seconds"] = time.perf_counter() - imported
else:
    if mode == "today":
        from assistant.music.catalog import load_catalog
        catalog = load_catalog(source)
    else:
        from assistant.music.sources import open_catalog
        catalog = open_catalog([source], log=lambda line: None)
    linker = EntityLinker.for_catalog(catalog)
    nlu = RuleUnderstanding(linker)
    retriever = Retriever(catalog, linker)
    result["open"] = time.perf_counter() - imported
    first = time.perf_counter()
    manager = DialogueManager(catalog, nlu, RulePolicy(), np.random.default_rng(0), retriever=retriever)
    manager.step("something by velvet harbors")
    result["first_turn"] = time.perf_counter() - first
    rng = np.random.default_rng(0)
    times = []
    cpu = []
    manager = None
    while len(times) < turns:
        if manager is None or manager.done or manager.state.turn >= 30:
            rng_turn = np.random.default_rng(len(times))
            manager = DialogueManager(catalog, nlu, RulePolicy(), rng_turn, retriever=retriever)
        text = str(rng.choice(pool))
        t0, c0 = time.perf_counter(), time.thread_time()
        manager.step(text)
        times.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
    arr = np.array(times) * 1000
    result["median_ms"] = float(np.median(arr))
    result["p95_ms"] = float(np.percentile(arr, 95))
    result["cpu_median_ms"] = float(np.median(cpu) * 1000)
    result["cpu_p95_ms"] = float(np.percentile(cpu, 95) * 1000)
    result["tracks"] = len(catalog)
result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(result))
"""


def _measure(root: Path, mode: str, source: Path, turns: int, env: dict[str, str]) -> dict[str, Any]:
    # The utterances are passed in, not imported: importing benchmarks/bench_engine.py would put this
    # tree first on sys.path, and another revision's run would measure this tree's modules.
    code = _MEASURE.format(
        root=str(root), pool=engine_utterances(), mode=mode, source=str(source), turns=turns
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, timeout=7200
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} on {source.name} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _cpu(result: dict[str, Any]) -> str:
    """The turn's own CPU time (thread_time), median and p95: on a machine shared with other jobs the
    wall-clock figures include waiting for a core; these do not."""
    return f"{result['cpu_median_ms']:>9.2f}{result['cpu_p95_ms']:>9.2f}"


def _baseline_tree(rev: str, where: Path) -> Path:
    tree = where / f"tunetalk-{rev}"
    tree.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    return tree


def _formats(csv_path: Path, folder: Path) -> list[tuple[str, float, float]]:
    """(format, seconds to have the numeric columns as arrays, MB on disk) for one catalogue."""
    import sqlite3

    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(csv_path)
    numeric = ["energy", "valence", "tempo", "track_popularity", "danceability", "acousticness"]
    table = table.select(["track_id", "track_name", "track_artist", *numeric]).combine_chunks()
    out: list[tuple[str, float, float]] = []
    for stale in ("t.arrow", "t.parquet", "t.sqlite"):
        (folder / stale).unlink(missing_ok=True)
    arrow = folder / "t.arrow"
    with pa.OSFile(str(arrow), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=table.num_rows)
    from assistant.music.store import _numpy

    start = time.perf_counter()
    mapped = pa.ipc.open_file(pa.memory_map(str(arrow), "r")).read_all()
    _ = [_numpy(mapped.column(c)) for c in numeric]
    out.append(("Arrow IPC, memory-mapped", time.perf_counter() - start, arrow.stat().st_size / 2**20))
    parquet = folder / "t.parquet"
    pq.write_table(table, parquet)
    start = time.perf_counter()
    read = pq.read_table(parquet)
    _ = [_numpy(pa.chunked_array([read.column(c).combine_chunks()])) for c in numeric]
    out.append(("Parquet (read and decode)", time.perf_counter() - start, parquet.stat().st_size / 2**20))
    db = folder / "t.sqlite"
    columns = ", ".join(c + " REAL" for c in numeric)
    values = zip(*[table.column(c).to_pylist() for c in table.column_names], strict=True)
    with sqlite3.connect(db) as conn:
        conn.execute(f"CREATE TABLE t (id TEXT, name TEXT, artist TEXT, {columns})")
        conn.executemany(f"INSERT INTO t VALUES ({','.join('?' * (3 + len(numeric)))})", values)
    start = time.perf_counter()
    with sqlite3.connect(db) as conn:
        rows = conn.execute(f"SELECT {', '.join(numeric)} FROM t").fetchall()
        _ = np.array(rows, dtype=np.float64)
    out.append(("SQLite (select into numpy)", time.perf_counter() - start, db.stat().st_size / 2**20))
    return out


def _linking(catalog_source: Path) -> tuple[float, float, str]:
    """(ms median, ms p95) of linking a heard artist name among the catalogue's, cold (the look-up
    cache cleared each time): 200 demo artist names, each with one letter changed; and what
    "the empty lamplighter" links to."""
    from assistant.music.sources import open_catalog
    from nlu.linking import EntityLinker

    catalog = open_catalog([catalog_source], log=lambda line: None)
    linker = EntityLinker.for_catalog(catalog)
    rng = np.random.default_rng(0)
    demo = list(load_catalog().artist_names)
    queries = []
    for name in rng.choice(demo, size=200):
        text = str(name).lower()
        i = int(rng.integers(len(text)))
        queries.append(text[:i] + "x" + text[i + 1 :])
    linker.link_artist(queries[0])
    times = []
    for query in queries:
        linker._artist_index.lookup.cache_clear()  # type: ignore[union-attr]
        start = time.perf_counter()
        linker.link_artist(query)
        times.append(time.perf_counter() - start)
    arr = np.array(times) * 1000
    found = linker.link_artist("the empty lamplighter")
    shown = f"{found.value} ({found.score})" if found else "none"
    return float(np.median(arr)), float(np.percentile(arr, 95)), shown


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="30000,300000,1000000")
    parser.add_argument("--turns", type=int, default=500)
    parser.add_argument("--baseline-turns", type=int, default=200)
    parser.add_argument("--baseline-rev", default=BASELINE_REV)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--store-rev", default=None, help="also measure the store path at this revision (same store schema)"
    )
    parser.add_argument("--keep", type=Path, default=None, help="keep generated CSVs and stores here")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-catalog-") as tmp_name:
        work = args.keep or Path(tmp_name)
        work.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "TUNETALK_CATALOG_CACHE": str(work / "cache")}
        baseline = None if args.no_baseline else _baseline_tree(args.baseline_rev, Path(tmp_name))
        print(f"today's path: revision {args.baseline_rev}" if baseline else "today's path: not measured")
        before = None if args.store_rev is None else _baseline_tree(args.store_rev, Path(tmp_name))
        if before is not None:
            print(f"store path before: revision {args.store_rev} (row 'store@rev')")
        print(
            f"{'tracks':>9} {'path':<7}{'build s':>9}{'build MB':>9}{'open s':>8}{'1st turn ms':>12}"
            f"{'median ms':>10}{'p95 ms':>8}{'peak MB':>9}{'cpu med':>9}{'cpu p95':>9}"
        )
        last_csv = None
        for n in sizes:
            csv_path = work / f"generated-{n}.csv"
            if not csv_path.exists():
                write_csv(generate_rows(n, seed=0), csv_path)
            last_csv = csv_path
            if baseline is not None:
                today = _measure(baseline, "today", csv_path, args.baseline_turns, env)
                print(
                    f"{n:>9} {'today':<7}{'-':>9}{'-':>9}{today['open']:>8.2f}"
                    f"{today['first_turn'] * 1000:>12.1f}{today['median_ms']:>10.2f}"
                    f"{today['p95_ms']:>8.2f}{today['peak_mb']:>9.0f}{_cpu(today)}"
                )
            # A fresh store per size: the build is measured, never found in a cache.
            env = {**env, "TUNETALK_CATALOG_CACHE": str(work / f"cache-{n}")}
            shutil.rmtree(work / f"cache-{n}", ignore_errors=True)
            build = _measure(ROOT, "build", csv_path, 0, env)
            if before is not None:
                earlier = _measure(before, "store", csv_path, args.turns, env)
                print(
                    f"{n:>9} {'store@rev':<9}{'-':>7}{'-':>9}{earlier['open']:>8.3f}"
                    f"{earlier['first_turn'] * 1000:>12.1f}{earlier['median_ms']:>10.2f}"
                    f"{earlier['p95_ms']:>8.2f}{earlier['peak_mb']:>9.0f}{_cpu(earlier)}"
                )
            store = _measure(ROOT, "store", csv_path, args.turns, env)
            print(
                f"{n:>9} {'store':<7}{build['seconds']:>9.1f}{build['peak_mb']:>9.0f}{store['open']:>8.3f}"
                f"{store['first_turn'] * 1000:>12.1f}{store['median_ms']:>10.2f}{store['p95_ms']:>8.2f}"
                f"{store['peak_mb']:>9.0f}{_cpu(store)}"
            )
        if last_csv is not None:
            print(f"\nstore formats on {last_csv.name} (numeric columns ready as arrays):")
            for name, seconds, size in _formats(last_csv, work):
                print(f"  {name:<30}{seconds * 1000:>10.1f} ms{size:>10.0f} MB")
            os.environ["TUNETALK_CATALOG_CACHE"] = str(work / f"cache-{sizes[-1]}")
            median, p95, found = _linking(last_csv)
            print(
                f"\nlinking an artist among {last_csv.stem}'s names: median {median:.2f} ms, "
                f"p95 {p95:.2f} ms (one letter changed, cold); 'the empty lamplighter' -> {found}"
            )


if __name__ == "__main__":
    main()
